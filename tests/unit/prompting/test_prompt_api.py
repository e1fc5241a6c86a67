"""bt.prompt's 5.x surface (issue 22): the names and positions of bittensor 5.3.4 (checked against a list
made from its source, tests/fixtures/bittensor_534_signatures.json), unknown keywords refused by name,
and notebook use: sync, stream and async inside a running event loop, which is never blocked."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bt_llm as bt
from bt_llm import prompting
from bt_llm.fanout import DelegateMemory

FIXTURE = json.loads((Path(__file__).parents[2] / "fixtures" / "bittensor_534_signatures.json").read_text())
AXON = SimpleNamespace(hotkey="5Delegate", ip="127.0.0.1", port=1, is_serving=True)


class FakeDendrite:
    """Answers every call with "answer", streams "a", "b"; records the signer and what was asked."""

    calls: list[tuple[Any, Any]] = []

    def __init__(self, signer: Any) -> None:
        self.signer = signer

    async def __aenter__(self) -> FakeDendrite:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def call(self, axon: Any, synapse: Any, timeout: float, deserialize: bool = False) -> Any:
        FakeDendrite.calls.append((self.signer, axon))
        await asyncio.sleep(0)
        return SimpleNamespace(is_success=True, completion="answer", completions=["answer", "other"], uids=[1, 2],
                               hotkeys=["m1", "m2"], scores=[0.9, 0.1], tool_calls=None, all_tool_calls=[],
                               logprobs_content=None, finish_reason="stop", dendrite=None)

    def call_stream(self, axon: Any, synapse: Any, timeout: float, deserialize: bool = False) -> Any:
        FakeDendrite.calls.append((self.signer, axon))

        async def chunks() -> Any:
            for piece in ("a", "b"):
                await asyncio.sleep(0)
                yield piece
            yield SimpleNamespace(dendrite=SimpleNamespace(status_code=200, status_message="ok"))

        return chunks()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """No chain, no sockets: the delegate lookup is a blocking 0.3 s read; the signer is recorded."""
    seen: dict[str, Any] = {"threads": []}

    def endpoints(**kwargs: Any) -> list[prompting.DelegateEndpoint]:
        seen["endpoints"] = kwargs
        seen["threads"].append(threading.current_thread().name)
        time.sleep(0.3)  # as a chain read would: it must not run on the caller's event loop
        axon = kwargs.get("axon") or AXON
        return [prompting.DelegateEndpoint(hotkey=getattr(axon, "hotkey", "x"), axon=axon)]

    def default_wallet(wallet: Any, wallet_name: str | None = None) -> Any:
        seen["wallet_name"] = wallet_name
        return wallet or f"wallet:{wallet_name or 'default'}"

    import bt_llm.dendrite.client as client

    monkeypatch.setattr(prompting._finder, "endpoints", endpoints)
    monkeypatch.setattr(prompting, "_default_wallet", default_wallet)
    monkeypatch.setattr(prompting, "memory", DelegateMemory(path=None))
    monkeypatch.setattr(client, "Dendrite", FakeDendrite)
    FakeDendrite.calls = []
    return seen


def test_prompt_takes_534_names_in_534_positions() -> None:
    names = FIXTURE["functions"]["prompt"]
    assert names == ["content", "wallet_name", "hotkey", "subtensor_", "axon_", "return_all"]
    for function in (bt.prompt, bt.aprompt):
        params = list(inspect.signature(function).parameters.values())
        assert [p.name for p in params[:len(names)]] == names
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:len(names)])


def test_534_top_level_names_exist() -> None:
    missing = [name for name in FIXTURE["top_level_names"] if not hasattr(bt, name)]
    assert missing == []
    assert callable(bt.trace) and callable(bt.debug) and bt.keyfile is bt.Keyfile
    assert bt.axon_info is bt.AxonInfo and bt.text_prompting_pool.__name__ == "TextPromptingPool"


def test_534_subtensor_signatures_are_accepted() -> None:
    for method, names in FIXTURE["subtensor_methods"].items():
        params = inspect.signature(getattr(bt.Subtensor, method)).parameters
        assert [n for n in names if n not in params] == [], method
    assert {"subtensor_", "axon_"} <= set(bt.BittensorLLM.model_fields)
    assert "wallet_name" in bt.BittensorLLM.model_fields


def test_unknown_keyword_is_a_type_error_naming_it(offline: dict[str, Any]) -> None:
    for call in (lambda: bt.prompt("hi", foo=1), lambda: bt.prompt("hi", stream=True, temprature=0.5),
                 lambda: asyncio.run(bt.aprompt("hi", wallet_nam="x"))):
        with pytest.raises(TypeError, match=r"unexpected keyword argument: (foo|temprature|wallet_nam)"):
            call()
    assert FakeDendrite.calls == []  # nothing went to the network


def test_534_names_keep_their_meaning(offline: dict[str, Any]) -> None:
    chain = object()
    assert bt.prompt("hi", "alice", "5Validator", chain) == "answer"  # positional, as 5.x
    assert offline["wallet_name"] == "alice"
    assert offline["endpoints"]["hotkey"] == "5Validator" and offline["endpoints"]["subtensor"] is chain
    axon = SimpleNamespace(hotkey="5Direct", is_serving=True)
    answers = bt.prompt("hi", axon_=axon, return_all=True)
    assert answers == ["answer", "other"] and offline["endpoints"]["axon"] is axon
    assert FakeDendrite.calls[-1] == ("wallet:default", axon)


def test_prompt_sync_stream_and_async_inside_a_running_loop(offline: dict[str, Any]) -> None:
    """A notebook: the cell's code runs inside an event loop."""

    async def cell() -> tuple[Any, list[str], Any, int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        answer = bt.prompt("hi")  # sync: runs on a worker thread
        chunks = list(bt.prompt("hi", stream=True))  # stream: driven on its own loop and thread
        before = ticks
        async_answer = await bt.aprompt("hi")  # the 0.3 s chain read happens off the loop
        during = ticks - before
        stop.set()
        await task
        return answer, chunks, async_answer, during

    answer, chunks, async_answer, during = asyncio.run(cell())
    assert answer == "answer" and chunks == ["a", "b"] and async_answer == "answer"
    assert during >= 10, f"the loop ticked {during} times in 0.3 s: aprompt blocked it"
    assert all(name != "MainThread" for name in offline["threads"])


async def test_aprompt_never_blocks_the_loop(offline: dict[str, Any]) -> None:
    started = time.perf_counter()
    results = await asyncio.gather(bt.aprompt("one"), bt.aprompt("two"), bt.aprompt("three"))
    assert results == ["answer"] * 3
    assert time.perf_counter() - started < 0.8  # three 0.3 s chain reads overlapped, not in a row


def test_bittensor_llm_wallet_name_is_honoured_and_misspellings_fail(offline: dict[str, Any]) -> None:
    llm = bt.BittensorLLM(wallet_name="zzz", hotkey="5Validator")
    assert llm.invoke("hi") == "answer"
    assert offline["wallet_name"] == "zzz" and offline["endpoints"]["hotkey"] == "5Validator"
    with pytest.raises(ValueError, match="wallet_nam"):
        bt.BittensorLLM(wallet_nam="zzz")


def test_text_only_features_name_what_to_use() -> None:
    llm = bt.BittensorLLM()
    with pytest.raises(bt.UnsupportedFeatureError, match=r"tool calling.*ChatBittensor"):
        llm.bind_tools([])
    with pytest.raises(NotImplementedError, match="ChatBittensor"):  # still what LangChain code catches
        llm.with_structured_output({"type": "object"})


def test_534_prompting_miner_logging_and_config(tmp_path: Path) -> None:
    class Echo(bt.BasePromptingMiner):
        @classmethod
        def add_args(cls, parser: Any) -> None:
            parser.add_argument("--echo.prefix", default=">")

        def forward(self, messages: list[dict[str, str]]) -> str:  # 5.x's one-argument forward
            return self.config.echo.prefix + messages[-1]["content"]

    config_file = tmp_path / "miner.yaml"
    config_file.write_text("echo:\n  prefix: '#'\nneuron:\n  max_batch_size: 4\n")
    config = Echo.config(["--config", str(config_file), "--netuid", "3"])
    assert config.echo.prefix == "#" and config.neuron.max_batch_size == 4 and config.netuid == 3
    miner = Echo(config=config)
    assert miner.forward([{"role": "user", "content": "hi"}], None) == "#hi"  # as bt-llm's runtime calls it
    assert list(miner.stream([{"role": "user", "content": "hi"}], None)) == ["#hi"]
    with pytest.raises(bt.ConfigError, match="unknown arguments: --nope"):
        bt.config(args=["--nope"], strict=True)
    bt.logging(debug=True)
    assert bt.logging.get_level() == 10
    bt.trace()
    assert bt.logging.get_level() == 5
    bt.logging.set_trace(False)
    bt.logging.set_debug(False)
