"""What a miner says it serves, signed with its hotkey, so that a validator can check its answers.

A claim names the model (``"SmolLM2-135M-Instruct"``) and whether its answers are verifiable: raw
outputs of that model under the request's sampling, which a validator holding the same model can
recompute token by token. The miner signs ``bt-llm/claim/v1:{hotkey}:{model}:{0|1}`` once at start;
every ``TextPrompting`` answer carries ``model``, ``verifiable`` and ``claim_signature``. A claim whose
signature does not verify against the answering hotkey is no claim.

Example:
    >>> from substrateinterface import Keypair
    >>> key = Keypair.create_from_uri("//Alice")
    >>> claim = ModelClaim.signed(key, "SmolLM2-135M-Instruct", verifiable=True)
    >>> claim.valid_for(key.ss58_address), claim.valid_for(Keypair.create_from_uri("//Bob").ss58_address)
    (True, False)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bt_llm.protocol import signing

__all__ = ["ModelClaim", "claim_message"]


def claim_message(hotkey: str, model: str, verifiable: bool) -> str:
    """The text a miner's hotkey signs for its claim."""
    return f"bt-llm/claim/v1:{hotkey}:{model}:{int(verifiable)}"


@dataclass(frozen=True)
class ModelClaim:
    model: str
    verifiable: bool
    signature: str

    @classmethod
    def signed(cls, signer: signing.Signer, model: str, *, verifiable: bool) -> ModelClaim:
        return cls(model, verifiable, signing.sign(signer, claim_message(signer.ss58_address, model, verifiable)))

    def valid_for(self, hotkey: str) -> bool:
        """Whether ``hotkey`` signed this claim (checked once per hotkey and claim, then remembered)."""
        return _valid(hotkey, self.model, self.verifiable, self.signature)


@functools.lru_cache(maxsize=4096)
def _valid(hotkey: str, model: str, verifiable: bool, signature: str) -> bool:
    return signing.verify(hotkey, claim_message(hotkey, model, verifiable), signature)  # never raises
