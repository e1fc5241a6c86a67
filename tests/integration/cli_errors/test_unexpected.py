"""An error outside bt-llm's hierarchy (a bug) still ends btcli with one line, not a traceback."""

from __future__ import annotations

import click
import pytest

from bt_llm.cli import main as cli_main


@pytest.fixture
def broken_command(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command(name="update")
    def boom() -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli_main, "update_command", boom)


def test_a_bug_is_one_line_with_the_debug_hint(broken_command: None, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli_main.DEBUG_ENV, raising=False)
    assert cli_main.main(["update"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected ZeroDivisionError" in err and "BT_LLM_DEBUG=1" in err
    assert "Traceback" not in err


def test_debug_env_shows_the_traceback(broken_command: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli_main.DEBUG_ENV, "1")
    with pytest.raises(ZeroDivisionError):
        cli_main.main(["update"])
