"""A miner's signed claim of its model: made once, carried by every text answer, checked by the validator."""

from __future__ import annotations

from substrateinterface import Keypair

from bt_llm.models.sampling import SamplingParams
from bt_llm.neuron.handlers import build_handlers
from bt_llm.neuron.miner import Miner
from bt_llm.neuron.policy import CallerPolicy
from bt_llm.protocol.claims import ModelClaim
from bt_llm.protocol.synapses import TextPrompting

ALICE, BOB = Keypair.create_from_uri("//Alice"), Keypair.create_from_uri("//Bob")


def test_a_claim_verifies_only_for_the_hotkey_that_signed_it_and_as_signed() -> None:
    claim = ModelClaim.signed(ALICE, "SmolLM2-135M-Instruct", verifiable=True)
    assert claim.valid_for(ALICE.ss58_address)
    assert not claim.valid_for(BOB.ss58_address)
    assert not ModelClaim("Llama-3-70B", True, claim.signature).valid_for(ALICE.ss58_address)
    assert not ModelClaim(claim.model, False, claim.signature).valid_for(ALICE.ss58_address)
    assert not ModelClaim(claim.model, True, "0x1234").valid_for(ALICE.ss58_address)
    assert not ModelClaim(claim.model, True, claim.signature).valid_for("not an address")


class Claiming(Miner):
    def forward(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return "Austin."

    def claim(self) -> tuple[str, bool]:
        return "SmolLM2-135M-Instruct", True


def test_text_answers_carry_the_signed_claim() -> None:
    (text, _, _), *_ = build_handlers(Claiming(), CallerPolicy(metagraph=None), ALICE)
    answer = text(TextPrompting(roles=["user"], messages=["capital of Texas?"]))
    claim = answer.claim()
    assert answer.completion == "Austin." and claim is not None and claim.valid_for(ALICE.ss58_address)
    (text, _, _), *_ = build_handlers(Claiming(), CallerPolicy(metagraph=None))  # no signer: no claim
    assert text(TextPrompting(roles=["user"], messages=["hi"])).claim() is None
