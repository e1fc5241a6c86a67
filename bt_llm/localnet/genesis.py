"""Genesis: the localnet's first state, from defaults or a TOML/YAML file.

Defaults (:meth:`GenesisConfig.localnet`): ``//Alice``, ``//Bob``, ``//Charlie`` hold 1000 TAO,
``//Dave``, ``//Eve``, ``//Ferdie`` 2 TAO; Alice is sudo and owns subnet 1; Alice, Bob and Charlie
are the triumvirate; subnet 1 gets the whole block emission with the developer hyperparameters of
:data:`LOCALNET_HYPERPARAMETERS` (min weights 1, no weights/serving/tx rate limits, low difficulty).

A file overrides any of it::

    # localnet.toml
    [balances]
    "//Alice" = 1_000_000_000_000
    "5F...ss58" = 5_000_000_000

    [[subnets]]
    netuid = 1
    tempo = 10
    [subnets.hyperparameters]
    min_allowed_weights = 1       # SDK names (SubnetHyperparameters) or storage names (MinAllowedWeights)
    Difficulty = 1

Example:
    >>> cfg = GenesisConfig.localnet()
    >>> cfg.balances["//Alice"]
    1000000000000
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bt_llm.errors import ConfigError
from bt_llm.localnet.codec import CodecError, account_bytes

TAO = 10**9

DEV_ACCOUNTS: dict[str, bytes] = {
    "Alice": bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"),
    "Bob": bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"),
    "Charlie": bytes.fromhex("90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22"),
    "Dave": bytes.fromhex("306721211d5404bd9da88e0204360a1a9ab8b87c66c1bc2fcdd37f3c2222cc20"),
    "Eve": bytes.fromhex("e659a7a1628cdd93febc04a4e0646ea20e9f5f0ce097d9a05290d4a9e054df4e"),
    "Ferdie": bytes.fromhex("1cbd2d43530a44705ad088af313e18f80b53ef16b36177cd4b77b846f2a5f07c"),
}
"""Public keys of the sr25519 dev URIs ``//Alice`` ... ``//Ferdie``."""

# SDK / SubnetHyperparameters name -> SubtensorModule storage item
HYPERPARAMETER_ITEMS: dict[str, str] = {
    "rho": "Rho",
    "kappa": "Kappa",
    "immunity_period": "ImmunityPeriod",
    "min_allowed_weights": "MinAllowedWeights",
    "max_weights_limit": "MaxWeightsLimit",
    "max_weight_limit": "MaxWeightsLimit",
    "tempo": "Tempo",
    "min_difficulty": "MinDifficulty",
    "max_difficulty": "MaxDifficulty",
    "weights_version": "WeightsVersionKey",
    "weights_rate_limit": "WeightsSetRateLimit",
    "adjustment_interval": "AdjustmentInterval",
    "activity_cutoff": "ActivityCutoff",
    "registration_allowed": "NetworkRegistrationAllowed",
    "target_regs_per_interval": "TargetRegistrationsPerInterval",
    "min_burn": "MinBurn",
    "max_burn": "MaxBurn",
    "bonds_moving_avg": "BondsMovingAverage",
    "max_regs_per_block": "MaxRegistrationsPerBlock",
    "serving_rate_limit": "ServingRateLimit",
    "max_validators": "MaxAllowedValidators",
    "max_allowed_validators": "MaxAllowedValidators",
    "adjustment_alpha": "AdjustmentAlpha",
    "difficulty": "Difficulty",
    "burn": "Burn",
    "max_allowed_uids": "MaxAllowedUids",
    "scaling_law_power": "ScalingLawPower",
    "validator_prune_len": "ValidatorPruneLen",
}

LOCALNET_HYPERPARAMETERS: dict[str, Any] = {
    "MinAllowedWeights": 1,
    "MaxWeightsLimit": 65535,
    "ImmunityPeriod": 4096,
    "NetworkRegistrationAllowed": True,
    "MinDifficulty": 1,
    "Difficulty": 10_000,
    "WeightsSetRateLimit": 0,
    "ServingRateLimit": 0,
    "TargetRegistrationsPerInterval": 100,
    "MaxRegistrationsPerBlock": 16,
}
"""Developer settings for subnet 1 (everything else keeps the pallet's defaults)."""


@dataclass(frozen=True)
class SubnetConfig:
    """One subnet at genesis. ``emission`` (rao/block) defaults to an equal share of the block emission."""

    netuid: int = 1
    tempo: int = 99
    modality: int = 0
    owner: str = "//Alice"
    emission: int | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    def storage_values(self) -> dict[str, Any]:
        """Hyperparameters keyed by storage item name, localnet defaults first."""
        out = dict(LOCALNET_HYPERPARAMETERS)
        for name, value in self.hyperparameters.items():
            item = HYPERPARAMETER_ITEMS.get(name, name)
            from bt_llm.localnet.schema import storage_item

            try:
                storage_item("SubtensorModule", item)
            except CodecError:
                raise ConfigError(f"unknown hyperparameter {name!r}") from None
            out[item] = value
        out.pop("Tempo", None)
        return out


@dataclass(frozen=True)
class GenesisConfig:
    """Everything the first block holds. Accounts are dev URIs (``//Alice``), ss58 text or ``0x`` hex."""

    balances: dict[str, int] = field(default_factory=dict)
    sudo: str = "//Alice"
    triumvirate: tuple[str, ...] = ("//Alice", "//Bob", "//Charlie")
    senate: tuple[str, ...] = ()
    subnets: tuple[SubnetConfig, ...] = (SubnetConfig(),)
    tx_rate_limit: int = 0
    block_emission: int = 10**9
    chain: str = "Bittensor"

    @classmethod
    def localnet(cls, **overrides: Any) -> GenesisConfig:
        """The default localnet genesis (see the module docstring)."""
        base = cls(
            balances={
                "//Alice": 1000 * TAO,
                "//Bob": 1000 * TAO,
                "//Charlie": 1000 * TAO,
                "//Dave": 2 * TAO,
                "//Eve": 2 * TAO,
                "//Ferdie": 2 * TAO,
            }
        )
        return replace(base, **overrides)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenesisConfig:
        """Build from parsed TOML/YAML; unspecified fields keep the localnet defaults."""
        d = dict(data)
        known = {
            "balances",
            "sudo",
            "triumvirate",
            "senate",
            "subnets",
            "tx_rate_limit",
            "block_emission",
            "chain",
        }
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown genesis keys: {sorted(unknown)}")
        if "subnets" in d:
            try:
                d["subnets"] = tuple(SubnetConfig(**s) for s in d["subnets"])
            except TypeError as exc:
                raise ConfigError(f"bad subnet config: {exc}") from exc
        for key in ("triumvirate", "senate"):
            if key in d:
                d[key] = tuple(d[key])
        if "balances" in d:
            d["balances"] = {str(k): int(v) for k, v in d["balances"].items()}
        return cls.localnet(**d)

    @classmethod
    def load(cls, path: str | Path) -> GenesisConfig:
        """Read a ``.toml`` or ``.yaml``/``.yml`` genesis file."""
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read genesis file {p}: {exc}") from exc
        if p.suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"bad TOML in {p}: {exc}") from exc
        else:
            import yaml

            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"bad YAML in {p}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: the genesis must be a mapping")
        return cls.from_dict(data)


def resolve_account(name: str) -> bytes:
    """``//Alice`` (dev URI), ss58 text or ``0x`` hex -> 32-byte public key."""
    if name.startswith("//"):
        key = DEV_ACCOUNTS.get(name[2:])
        if key is None:
            raise ConfigError(f"unknown dev account {name!r} (known: //{', //'.join(DEV_ACCOUNTS)})")
        return key
    return account_bytes(name)  # AddressError, a ConfigError, when it is none of these


def build_genesis(ctx: Any, cfg: GenesisConfig) -> None:
    """Write the genesis state through ``ctx`` (a :class:`bt_llm.localnet.calls.context.Ctx` at block 0)."""
    from bt_llm.localnet.calls import balances
    from bt_llm.localnet.calls.sudo import init_new_network

    st = ctx.state
    ST = "SubtensorModule"
    total = 0
    for name, amount in cfg.balances.items():
        total += balances.deposit(ctx, resolve_account(name), amount)
    st.set(ST, "TotalIssuance", total)
    st.set(ST, "TxRateLimit", cfg.tx_rate_limit)
    st.set(ST, "BlockEmission", cfg.block_emission)
    st.set("Sudo", "Key", resolve_account(cfg.sudo))
    tri = sorted(resolve_account(a) for a in cfg.triumvirate)
    st.set("Triumvirate", "Members", tri)
    st.set("TriumvirateMembers", "Members", tri)
    st.set("SenateMembers", "Members", sorted(resolve_account(a) for a in cfg.senate))
    subnets = cfg.subnets
    if subnets:
        explicit = sum(s.emission or 0 for s in subnets)
        implicit = [s for s in subnets if s.emission is None]
        share = (cfg.block_emission - explicit) // len(implicit) if implicit else 0
        for s in subnets:
            init_new_network(ctx, s.netuid, s.tempo, s.modality)
            for item, value in s.storage_values().items():
                st.set(ST, item, s.netuid, value)
            st.set(ST, "SubnetOwner", s.netuid, resolve_account(s.owner))
            st.set(ST, "EmissionValues", s.netuid, s.emission if s.emission is not None else share)
