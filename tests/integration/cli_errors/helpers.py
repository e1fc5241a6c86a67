"""Run btcli in-process through ``bt_llm.cli.main.main`` and check the project's error standard:
a non-zero exit, ONE line on stderr (click usage errors: their usage block), and no traceback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bt_llm.cli.main import main
from bt_llm.wallet.wallet import Wallet

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
UNREACHABLE = "ws://127.0.0.1:1"


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def btcli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Outcome:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def assert_one_line_error(result: Outcome, *needles: str, usage: bool = False) -> None:
    """Exit != 0, no traceback, one line on stderr (a click usage error: exit 2 and its 3-line block)."""
    assert result.code != 0, (result.out, result.err)
    assert "Traceback" not in result.out + result.err, result.err
    if usage:
        assert result.code == 2 and result.err_lines[-1].startswith("Error: "), result.err
    else:
        assert len(result.err_lines) == 1, result.err
        assert result.err_lines[0].startswith("Error: "), result.err
    for needle in needles:
        assert needle in result.err, (needle, result.err)


def make_wallets(root: str) -> list[str]:
    """Wallet ``alice`` (coldkey //Alice, hotkey ``default`` //Alice) and ``qa`` (coldkey //Alice, hotkey
    //QA, registered nowhere) under ``root``; returns the ``--wallet.path`` flags."""
    alice = Wallet(name="alice", hotkey="default", path=root)
    alice.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    alice.create_hotkey_from_uri("//Alice", suppress=True)
    qa = Wallet(name="qa", hotkey="default", path=root)
    qa.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    qa.create_hotkey_from_uri("//QA", suppress=True)
    return ["--wallet.path", root]
