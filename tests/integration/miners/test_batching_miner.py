"""The transformers miner's limits as a real process: over capacity is a 503 at once, a prompt over the
token limit a 413 that states it, SIGTERM mid-generation ends the process within 2 s."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bt_llm.protocol.synapses import StreamingTextPrompting, TextPrompting

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bt_llm.models.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("tiny-batching"))


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))


def _start(miner_net, name: str, tiny: Path, *extra: str):
    """A transformers miner on the tiny model that may generate 50,000 tokens; (process, axon)."""
    wallet = miner_net.miner_wallet(name)
    proc = miner_net.start("transformers", wallet, "--model.path", str(tiny), "--model.device", "cpu",
                           "--model.max_tokens_limit", "50000", "--model.quantize", "none", *extra)
    return proc, miner_net.axon_of(wallet)


def _long(max_tokens: int = 50_000) -> StreamingTextPrompting:
    return StreamingTextPrompting(roles=["user"], messages=["hello world"], max_tokens=max_tokens, temperature=0,
                                  seed=1, timeout=60)


def test_capacity_and_prompt_limits_are_answered_at_once(miner_net, tiny: Path) -> None:
    proc, info = _start(miner_net, "limits", tiny, "--model.max_seqs", "1", "--model.max_prompt_tokens", "16")
    with miner_net.dendrite() as d:
        async def scenario() -> tuple:
            busy = await d.forward(info, _long(), streaming=True)
            first = await busy.__anext__()  # generating now, in the only slot
            queued = asyncio.ensure_future(d.forward(info, TextPrompting(
                roles=["user"], messages=["hello"], max_tokens=2, temperature=0, timeout=60), deserialize=False))
            await asyncio.sleep(0.3)  # the queue (one place) is taken
            started = time.perf_counter()
            refused = await d.forward(info, TextPrompting(roles=["user"], messages=["hello"], max_tokens=2,
                                                          temperature=0, timeout=60), deserialize=False)
            refused_in = time.perf_counter() - started
            too_long = await d.forward(info, TextPrompting(roles=["user"], messages=["one two three " * 20],
                                                           max_tokens=2, timeout=60), deserialize=False)
            rss_before = _rss(proc.proc.pid)
            started_huge = time.perf_counter()
            huge = await d.forward(info, TextPrompting(roles=["user"], messages=["word " * 180_000], max_tokens=2,
                                                       timeout=60), deserialize=False)  # 900 KB
            huge_in = time.perf_counter() - started_huge
            assert huge.dendrite.status_code == 413 and huge_in < 2.0, (huge.dendrite, huge_in)
            assert _rss(proc.proc.pid) - rss_before < 100 * 2**20  # memory stays within its budget
            await busy.aclose()  # the caller leaves: the slot frees and the queued request runs
            return first, refused, refused_in, too_long, await queued

        first, refused, refused_in, too_long, queued = d.run_sync(scenario())
    assert first
    assert refused.dendrite.status_code == 503 and "retry after" in refused.dendrite.status_message
    assert refused_in < 0.1, refused_in
    assert too_long.dendrite.status_code == 413
    assert "at most 16" in too_long.dendrite.status_message
    assert queued.is_success and queued.completion
    assert proc.stop() == 0


def test_an_answer_cut_at_the_deadline_says_so(miner_net, tiny: Path) -> None:
    proc, info = _start(miner_net, "deadline", tiny)
    with miner_net.dendrite() as d:
        cut = d.query(info, TextPrompting(roles=["user"], messages=["hello world"], max_tokens=50_000,
                                          temperature=0), timeout=2.0, deserialize=False)
        whole = d.query(info, TextPrompting(roles=["user"], messages=["hello world"], max_tokens=3,
                                            temperature=0), timeout=10.0, deserialize=False)
    assert cut.is_success and cut.completion and cut.finish_reason == "deadline"
    assert whole.finish_reason == "length"
    assert proc.stop() == 0


def test_sigterm_during_a_generation_ends_the_miner_within_two_seconds(miner_net, tiny: Path) -> None:
    proc, info = _start(miner_net, "sigterm", tiny)
    with miner_net.dendrite() as d:
        async def start_generating() -> object:
            stream = await d.forward(info, _long(), streaming=True)
            await stream.__anext__()
            return stream

        stream = d.run_sync(start_generating())
        started = time.perf_counter()
        rc = proc.stop()
        elapsed = time.perf_counter() - started
        d.run_sync(stream.aclose())
    assert rc == 0
    assert elapsed < 2.0, f"stopped in {elapsed:.2f}s:\n{proc.log}"
