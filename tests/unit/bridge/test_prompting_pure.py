"""The pure parts of bt.prompt and the LangChain classes (conversations, stops, usage)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage

from bt_llm.errors import ConfigError
from bt_llm.langchain import to_conversation
from bt_llm.prompting import DEFAULT_SYSTEM_PROMPT, build_conversation
from bt_llm.stops import StopCutter


def test_build_conversation_forms() -> None:
    assert build_conversation("hi") == (["system", "user"], [DEFAULT_SYSTEM_PROMPT, "hi"])
    assert build_conversation(["a", "b"]) == (["user", "user"], ["a", "b"])
    assert build_conversation([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]) == (
        ["system", "user"], ["s", "u"])
    assert build_conversation(None, roles=["user"], messages=["x"]) == (["user"], ["x"])
    assert build_conversation("more", roles=["user"], messages=["x"]) == (["user", "user"], ["x", "more"])


@pytest.mark.parametrize("bad", [None, [], [1, 2], [{"role": "user"}]])
def test_build_conversation_rejects_bad_content(bad: object) -> None:
    with pytest.raises(ConfigError):
        build_conversation(bad)  # type: ignore[arg-type]


def test_build_conversation_rejects_mismatched_lists() -> None:
    with pytest.raises(ConfigError, match="same length"):
        build_conversation(None, roles=["user", "user"], messages=["x"])


def test_langchain_messages_map_to_roles() -> None:
    roles, texts = to_conversation([SystemMessage("s"), HumanMessage("h"), AIMessage("a"),
                                    ChatMessage(role="critic", content="c"),
                                    HumanMessage(content=[{"type": "text", "text": "p1"}, {"type": "text", "text": "p2"}])])
    assert roles == ["system", "user", "assistant", "critic", "user"]
    assert texts == ["s", "h", "a", "c", "p1p2"]


def test_stop_cutter_over_chunk_boundaries() -> None:
    cutter = StopCutter(["STOP", "\n\n"])
    out = list(cutter.feed_all(iter(["Hello S", "TO", "P after"])))
    assert "".join(out) == "Hello "
    cutter = StopCutter(["STOP"])
    assert "".join(cutter.feed_all(iter(["no S", "T", "op here"]))) == "no STop here"


async def test_sync_prompt_path_works_inside_a_running_loop() -> None:
    from bt_llm.prompting import _run

    async def answer() -> str:
        return "ok"

    assert _run(answer()) == "ok"  # a running loop (as in Jupyter) does not stop the sync shell
