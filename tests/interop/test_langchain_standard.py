"""langchain-tests' standard integration suite for ``ChatBittensor``, and the same checks for ``BittensorLLM``.

Both run against the session devnet (tests/devnet_fixture.py): a localnet, three template miners
(two answer the Texas question correctly in different words, one says "purple monkey dishwasher")
and two bridges. Requests go to ``bridge_b``'s axon, signed with the devnet's client wallet.
The template miners answer a fixed sentence whatever the prompt: the suite only checks the shape of
what comes back (content, chunks, usage, metadata), which is what these tests are about.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import HumanMessage
from langchain_core.outputs import LLMResult
from langchain_tests.integration_tests import ChatModelIntegrationTests

import bt_llm as bt
from bt_llm.errors import PromptError
from bt_llm.langchain import ChatBittensor
from tests.devnet_fixture import BAD, GOOD_1, GOOD_2, QUESTION, DevnetNetwork

pytestmark = pytest.mark.slow

ANSWERS = (GOOD_1, GOOD_2, BAD)
GOOD = (GOOD_1, GOOD_2)


@pytest.fixture(scope="module")
def devnet(devnet_network: DevnetNetwork) -> DevnetNetwork:
    """The session devnet, once its miners know bridge_b (they resync their metagraph every 5 blocks).

    Under manual sealing the chain only moves on extrinsics, so miners that synced before the bridges
    registered blacklist them as unrecognized until blocks are sealed; seal and wait for that here.
    """
    wait_until_bridge_answers(devnet_network)
    return devnet_network


def wait_until_bridge_answers(network: DevnetNetwork, attempts: int = 6) -> None:
    errors: list[str] = []
    for _ in range(attempts):
        try:
            bt.prompt(QUESTION, **devnet_params(network))
            return
        except PromptError as exc:
            errors.append(str(exc))
            network.net.wait_blocks(5)
            time.sleep(1.5)  # the miners poll the chain every second
    raise AssertionError("bridge_b never answered:\n" + "\n".join(errors))


def devnet_params(network: DevnetNetwork) -> dict[str, Any]:
    """Where the models send their requests: bridge_b, signed by the devnet's client wallet."""
    return {"network": network.url, "wallet": network.client_wallet, "hotkey": network.bridge_b.hotkey,
            "timeout": 10.0}


class TestChatBittensorIntegration(ChatModelIntegrationTests):
    _params: dict[str, Any] | None = None

    @pytest.fixture(autouse=True)
    def _devnet(self, devnet: DevnetNetwork) -> None:
        # The suite reads the construction params from a property; the devnet is a fixture.
        type(self)._params = devnet_params(devnet)

    @property
    def chat_model_class(self) -> type[ChatBittensor]:
        return ChatBittensor

    @property
    def chat_model_params(self) -> dict[str, Any]:
        assert self._params is not None, "the _devnet fixture sets the params"
        return dict(self._params)

    # Tools, structured output and JSON mode stay off here: the devnet's template miners answer a fixed
    # sentence and declare no capabilities, and the suite's tool/structured tests need a real model (a
    # magic_function called with {"input": 3}, a Joke schema filled in...). ChatBittensor's tools and
    # structured output are checked end to end in tests/integration/langchain/test_langchain_structured_e2e.py,
    # and their construction by the standard unit suite (tests/unit/langchain/test_chat_standard_unit.py).
    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def supports_json_mode(self) -> bool:
        return False

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return False


# ---- BittensorLLM: the suite has no class for text LLMs, so these are its equivalents ----------


@pytest.fixture
def llm(devnet: DevnetNetwork) -> bt.BittensorLLM:
    return bt.BittensorLLM(**devnet_params(devnet))


def test_llm_seed_call_and_invoke(llm: bt.BittensorLLM) -> None:
    assert llm("prompt me") in ANSWERS
    assert llm(QUESTION) in GOOD
    assert llm.invoke(QUESTION) in GOOD


async def test_llm_ainvoke(llm: bt.BittensorLLM) -> None:
    assert await llm.ainvoke(QUESTION) in GOOD


def test_llm_stream(llm: bt.BittensorLLM) -> None:
    chunks = list(llm.stream(QUESTION))
    assert chunks, "at least one chunk (the template miners stream their sentence as one)"
    assert all(isinstance(c, str) and c for c in chunks)
    assert "".join(chunks) in ANSWERS


async def test_llm_astream(llm: bt.BittensorLLM) -> None:
    chunks = [chunk async for chunk in llm.astream(QUESTION)]
    assert chunks and all(isinstance(c, str) and c for c in chunks)
    assert "".join(chunks) in ANSWERS


def test_llm_batch(llm: bt.BittensorLLM) -> None:
    results = llm.batch([QUESTION, "prompt me"])
    assert len(results) == 2
    assert results[0] in GOOD and results[1] in ANSWERS


async def test_llm_abatch(llm: bt.BittensorLLM) -> None:
    results = await llm.abatch([QUESTION, QUESTION])
    assert len(results) == 2 and all(r in GOOD for r in results)


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ends: list[LLMResult] = []
        self.starts = 0

    def on_llm_start(self, serialized: Any, prompts: list[str], **kwargs: Any) -> None:
        self.starts += 1

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.ends.append(response)


class AsyncRecorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.ends: list[LLMResult] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.ends.append(response)


def test_llm_callbacks_see_tokens_and_the_end(llm: bt.BittensorLLM) -> None:
    handler = Recorder()
    text = "".join(llm.stream(QUESTION, config={"callbacks": [handler]}))
    assert handler.starts == 1
    assert handler.tokens and "".join(handler.tokens) == text
    assert len(handler.ends) == 1 and handler.ends[0].generations[0][0].text == text

    handler = Recorder()
    answer = llm.invoke(QUESTION, config={"callbacks": [handler]})
    assert handler.starts == 1 and handler.ends[0].generations[0][0].text == answer


async def test_llm_async_callbacks(llm: bt.BittensorLLM) -> None:
    handler = AsyncRecorder()
    text = "".join([chunk async for chunk in llm.astream(QUESTION, config={"callbacks": [handler]})])
    assert handler.tokens and "".join(handler.tokens) == text
    assert len(handler.ends) == 1 and handler.ends[0].generations[0][0].text == text


def test_llm_stop_sequences(llm: bt.BittensorLLM) -> None:
    assert llm.invoke(QUESTION, stop=["Texas"]) in ("Austin is the capital of ", "The capital city of ")
    streamed = "".join(llm.stream(QUESTION, stop=["Texas"]))
    assert streamed in ("Austin is the capital of ", "The capital city of ")


async def test_llm_async_stop_sequences(llm: bt.BittensorLLM) -> None:
    assert await llm.ainvoke(QUESTION, stop=["Texas"]) in ("Austin is the capital of ", "The capital city of ")
    streamed = "".join([c async for c in llm.astream(QUESTION, stop=["capital"])])
    assert streamed in ("Austin is the ", "The ")


def test_llm_return_all_gives_every_answer_best_first(devnet: DevnetNetwork) -> None:
    llm = bt.BittensorLLM(return_all=True, **devnet_params(devnet))
    result = llm.generate([QUESTION])
    texts = [g.text for g in result.generations[0]]
    assert sorted(texts) == sorted(ANSWERS) and texts[-1] == BAD
    assert llm.invoke(QUESTION) in GOOD  # invoke gives the best one


async def test_llm_return_all_async(devnet: DevnetNetwork) -> None:
    llm = bt.BittensorLLM(return_all=True, **devnet_params(devnet))
    result = await llm.agenerate([QUESTION], stop=["Texas"])
    texts = [g.text for g in result.generations[0]]
    assert sorted(texts) == sorted(["Austin is the capital of ", "The capital city of ", BAD])


def test_chat_return_all(devnet: DevnetNetwork) -> None:
    chat = ChatBittensor(return_all=True, **devnet_params(devnet))
    result = chat.generate([[HumanMessage(QUESTION)]])
    texts = [g.text for g in result.generations[0]]
    assert sorted(texts) == sorted(ANSWERS) and texts[-1] == BAD
