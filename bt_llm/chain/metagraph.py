"""``Metagraph``: a subnet's state at one block, as arrays.

Arrays are numpy by default; ``use_torch=True`` returns torch tensors (torch is imported only then).
Short names follow the SDK: ``S`` stake (τ), ``R`` rank, ``I`` incentive, ``E`` emission (τ per
epoch), ``C`` consensus, ``T`` trust, ``Tv`` validator trust, ``D`` dividends, ``W`` weights (rows
normalised to sum 1), ``B`` bonds (raw u16 values, as the SDK keeps them). ``W`` and ``B`` are
``n x n`` after a full sync (``lite=False``) and empty after a lite one. On the dynamic-TAO runtime
(finney) ``alpha_stake`` and ``tao_stake`` (τ; TAO weighted by the runtime's 0.18, as the SDK shows it)
come from ``SubnetInfoRuntimeApi_get_subnet_state`` and ``S`` is their total; on the 2023 runtime all
stake is TAO (``tao_stake == S``, ``alpha_stake`` zeros).

File format (``save``/``load``): a directory ``<root>/network-<name>/netuid<N>/`` (root defaults to
``~/.bittensor/metagraphs``, or ``$BT_METAGRAPH_DIR``) holding, per synced block,
``block-<B>.npz`` (numpy arrays: uids, stake, ranks, trust, consensus, validator_trust, incentive,
emission, dividends, active, last_update, validator_permit, weights, bonds, and alpha_stake and
tao_stake when saved by this version; loaded with ``allow_pickle=False``) and ``block-<B>.json`` (``{"format": "bt-llm-metagraph", "version": 1,
"netuid", "network", "block", "n", "lite", "hotkeys", "coldkeys", "axons": [AxonInfo fields]}``).

Example:
    >>> mg = Metagraph(1, network="local", sync=False)
    >>> mg.n, mg.S.shape
    (0, (0,))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bt_llm import settings
from bt_llm.chain.chain_data import NeuronInfoLite
from bt_llm.errors import ChainError, ConfigError
from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.seams import ChainClient

FORMAT, FORMAT_VERSION = "bt-llm-metagraph", 1
FLOAT_FIELDS = ("stake", "ranks", "trust", "consensus", "validator_trust", "incentive", "emission", "dividends")
INT_FIELDS = ("uids", "active", "last_update")
ARRAY_FIELDS = (*INT_FIELDS, *FLOAT_FIELDS, "validator_permit", "weights", "bonds")
STAKE_SPLIT_FIELDS = ("alpha_stake", "tao_stake")  # optional in saved files (absent before dynamic TAO)
_NEURON_ATTR = {"ranks": "rank", "trust": "trust", "consensus": "consensus", "validator_trust": "validator_trust",
                "incentive": "incentive", "emission": "emission", "dividends": "dividends"}


def default_root() -> Path:
    return Path(settings.get(settings.METAGRAPH_DIR) or Path.home() / ".bittensor" / "metagraphs")


def _sparse_matrix(rows: Sequence[Sequence[tuple[int, int]]], n: int, normalize: bool) -> np.ndarray:
    matrix = np.zeros((n, n), dtype=np.float32)
    for i, row in enumerate(rows):
        for j, value in row:
            if j < n:
                matrix[i, j] = value
    if normalize:
        sums = matrix.sum(axis=1, keepdims=True)
        np.divide(matrix, sums, out=matrix, where=sums > 0)
    return matrix


class Metagraph:
    """A subnet at one block.

    Args:
        netuid: the subnet.
        network: a network name or URL (as for ``Subtensor``; default: the environment, else ``local``);
            ignored when ``subtensor`` is given.
        lite: sync without weights and bonds (fast).
        sync: sync now.
        subtensor: a ``Subtensor`` to reuse.
        use_torch: hand out torch tensors instead of numpy arrays.
    """

    def __init__(self, netuid: int, network: str | None = None, lite: bool = True, sync: bool = True,
                 subtensor: ChainClient | None = None, *, use_torch: bool = False) -> None:
        if not isinstance(netuid, int) or netuid < 0:
            raise ConfigError(f"netuid must be a non-negative int, got {netuid!r}")
        self.netuid = netuid
        if subtensor is not None:
            self.network, self._endpoint = subtensor.network, getattr(subtensor, "chain_endpoint", None)
        else:
            from bt_llm.chain.networks import resolve_network

            try:
                self.network, self._endpoint = resolve_network(network)
            except ConfigError:  # a bare name is fine for save/load; sync() will refuse it
                self.network, self._endpoint = network, None
        self.lite = lite
        self.use_torch = use_torch
        self._subtensor = subtensor
        self.block = 0
        self.hotkeys: list[str] = []
        self.coldkeys: list[str] = []
        self.axons: list[AxonInfo] = []
        self.neurons: list[NeuronInfoLite] = []
        self._arrays: dict[str, np.ndarray] = self._empty_arrays()
        if sync:
            self.sync(lite=lite)

    # --- arrays ------------------------------------------------------------------------------------

    @staticmethod
    def _empty_arrays() -> dict[str, np.ndarray]:
        arrays = {name: np.zeros(0, dtype=np.int64) for name in INT_FIELDS}
        arrays.update({name: np.zeros(0, dtype=np.float32) for name in FLOAT_FIELDS})
        arrays["validator_permit"] = np.zeros(0, dtype=bool)
        arrays["weights"] = np.zeros(0, dtype=np.float32)
        arrays["bonds"] = np.zeros(0, dtype=np.float32)
        arrays.update({name: np.zeros(0, dtype=np.float32) for name in STAKE_SPLIT_FIELDS})
        return arrays

    def _out(self, name: str) -> Any:
        array = self._arrays[name]
        if self.use_torch:
            import torch

            return torch.from_numpy(array.copy())
        return array

    @property
    def n(self) -> int:
        """Number of neurons."""
        return len(self._arrays["uids"])

    uids = property(lambda self: self._out("uids"), doc="uid of each neuron")
    stake = property(lambda self: self._out("stake"), doc="total stake per neuron, τ")
    ranks = property(lambda self: self._out("ranks"))
    trust = property(lambda self: self._out("trust"))
    consensus = property(lambda self: self._out("consensus"))
    validator_trust = property(lambda self: self._out("validator_trust"))
    incentive = property(lambda self: self._out("incentive"))
    emission = property(lambda self: self._out("emission"), doc="emission per epoch, τ")
    dividends = property(lambda self: self._out("dividends"))
    active = property(lambda self: self._out("active"))
    last_update = property(lambda self: self._out("last_update"))
    validator_permit = property(lambda self: self._out("validator_permit"))
    weights = property(lambda self: self._out("weights"), doc="n x n, rows sum to 1 (full sync only)")
    bonds = property(lambda self: self._out("bonds"), doc="n x n raw u16 bonds (full sync only)")
    alpha_stake = property(lambda self: self._out("alpha_stake"), doc="alpha staked per neuron on the subnet, τ")
    tao_stake = property(lambda self: self._out("tao_stake"), doc="TAO (root) stake per neuron, weighted, τ")
    S = total_stake = stake
    R, T, C, Tv, I, E, D = ranks, trust, consensus, validator_trust, incentive, emission, dividends  # noqa: E741
    W, B = weights, bonds

    @property
    def addresses(self) -> list[str]:
        return [axon.ip_str() for axon in self.axons]

    # --- sync --------------------------------------------------------------------------------------

    def _get_subtensor(self, subtensor: ChainClient | None) -> ChainClient:
        if subtensor is not None:
            self._subtensor = subtensor
            self.network = getattr(subtensor, "network", self.network)
        if self._subtensor is None:
            from bt_llm.chain.subtensor import Subtensor

            self._subtensor = Subtensor(self.network, chain_endpoint=self._endpoint)
        return self._subtensor

    def sync(self, block: int | None = None, lite: bool | None = None, subtensor: ChainClient | None = None,
             ) -> Metagraph:
        """Read the subnet at ``block`` (the head when None; past blocks need an archive node).

        Raises:
            ChainError: the subnet does not exist at that block.
        """
        sub = self._get_subtensor(subtensor)
        lite = self.lite if lite is None else lite
        if block is None:
            block = sub.get_current_block()
        if not sub.subnet_exists(self.netuid, block=block):
            raise ChainError(f"subnet {self.netuid} does not exist at block {block}")
        neurons = sub.neurons_lite(self.netuid, block=block) if lite else sub.neurons(self.netuid, block=block)
        self.set_neurons(neurons, block=block, lite=lite)
        split = getattr(sub, "get_subnet_stake", None)
        stake = split(self.netuid, block=block) if split is not None else None
        if stake is not None:
            self.set_stake(stake)
        return self

    def set_stake(self, stake: Any) -> None:
        """Alpha, TAO and total stake per uid (a ``live.SubnetStake``, rao) as the SDK shows them: τ, the
        TAO weighted by 0.18; on the root subnet (0) every array is the TAO stake."""
        from bt_llm.chain.live import ROOT_TAO_STAKE_WEIGHT

        def tau(values: Sequence[int], weight: float = 1.0) -> np.ndarray:
            return (np.asarray(values, dtype=np.float64) / 1e9 * weight).astype(np.float32)

        if self.netuid == 0:
            tao = tau(stake.tao_stake)
            self._arrays.update(stake=tao, alpha_stake=tao.copy(), tao_stake=tao.copy())
            return
        self._arrays.update(alpha_stake=tau(stake.alpha_stake), tao_stake=tau(stake.tao_stake, ROOT_TAO_STAKE_WEIGHT),
                            stake=tau(stake.total_stake))

    def set_neurons(self, neurons: Sequence[NeuronInfoLite], *, block: int, lite: bool) -> None:
        """Fill every array from decoded neurons (sorted by uid)."""
        neurons = sorted(neurons, key=lambda x: x.uid)
        n = len(neurons)
        arrays: dict[str, np.ndarray] = {
            "uids": np.fromiter((x.uid for x in neurons), dtype=np.int64, count=n),
            "active": np.fromiter((x.active for x in neurons), dtype=np.int64, count=n),
            "last_update": np.fromiter((x.last_update for x in neurons), dtype=np.int64, count=n),
            "validator_permit": np.fromiter((x.validator_permit for x in neurons), dtype=bool, count=n),
            "stake": (np.fromiter((x.total_stake_rao for x in neurons), dtype=np.float64, count=n) / 1e9).astype(
                np.float32),
        }
        arrays["tao_stake"] = arrays["stake"].copy()
        arrays["alpha_stake"] = np.zeros(n, dtype=np.float32)
        for name, attr in _NEURON_ATTR.items():
            arrays[name] = np.fromiter((getattr(x, attr) for x in neurons), dtype=np.float32, count=n)
        if lite:
            arrays["weights"] = np.zeros(0, dtype=np.float32)
            arrays["bonds"] = np.zeros(0, dtype=np.float32)
        else:
            size = max((x.uid for x in neurons), default=-1) + 1
            arrays["weights"] = _sparse_matrix([getattr(x, "weights", []) for x in neurons], size, normalize=True)
            arrays["bonds"] = _sparse_matrix([getattr(x, "bonds", []) for x in neurons], size, normalize=False)
        self._arrays = arrays
        self.neurons = list(neurons)
        self.hotkeys = [x.hotkey for x in neurons]
        self.coldkeys = [x.coldkey for x in neurons]
        self.axons = [x.axon_info for x in neurons]
        self.block = int(block)
        self.lite = lite

    # --- save / load -------------------------------------------------------------------------------

    def directory(self, root: str | Path | None = None) -> Path:
        """``<root>/network-<name>/netuid<N>``."""
        return Path(root or default_root()).expanduser() / f"network-{self.network}" / f"netuid{self.netuid}"

    def save(self, root: str | Path | None = None) -> Path:
        """Write ``block-<B>.npz`` and ``block-<B>.json``; returns the ``.npz`` path."""
        folder = self.directory(root)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"block-{self.block}.npz"
        tmp = folder / f".block-{self.block}.tmp.npz"
        np.savez_compressed(tmp, **self._arrays)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "netuid": self.netuid, "network": self.network,
                "block": self.block, "n": self.n, "lite": self.lite, "hotkeys": self.hotkeys,
                "coldkeys": self.coldkeys, "axons": [vars(a).copy() for a in self.axons]}
        path.with_suffix(".json").write_text(json.dumps(meta))
        tmp.replace(path)
        return path

    def load(self, root: str | Path | None = None, block: int | None = None) -> Metagraph:
        """Load the latest saved block (or ``block``) of this network and netuid.

        Raises:
            ConfigError: nothing saved there, or the files are not a metagraph of ours.
        """
        folder = self.directory(root)
        if block is None:
            blocks = sorted(int(p.stem.split("-", 1)[1]) for p in folder.glob("block-*.npz"))
            if not blocks:
                raise ConfigError(f"no saved metagraph in {folder}")
            block = blocks[-1]
        return self.load_from_path(folder / f"block-{block}.npz")

    def load_from_path(self, path: str | Path) -> Metagraph:
        """Load one saved ``block-<B>.npz`` (and its ``.json``)."""
        path = Path(path).expanduser()
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in ARRAY_FIELDS}
                for name in STAKE_SPLIT_FIELDS:
                    arrays[name] = data[name] if name in data else (
                        arrays["stake"].copy() if name == "tao_stake" else np.zeros_like(arrays["stake"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot load a metagraph from {path}: {exc}") from exc
        if meta.get("format") != FORMAT:
            raise ConfigError(f"{path} is not a {FORMAT} file")
        self._arrays = arrays
        self.netuid, self.network, self.block = int(meta["netuid"]), str(meta["network"]), int(meta["block"])
        self.lite = bool(meta["lite"])
        self.hotkeys, self.coldkeys = list(meta["hotkeys"]), list(meta["coldkeys"])
        self.axons = [AxonInfo(**axon) for axon in meta["axons"]]
        self.neurons = []
        return self

    # --- display -----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"metagraph(netuid:{self.netuid}, n:{self.n}, block:{self.block}, network:{self.network})"

    __str__ = __repr__

    def metadata(self) -> dict[str, Any]:
        return {"netuid": self.netuid, "n": self.n, "block": self.block, "network": self.network, "lite": self.lite}

