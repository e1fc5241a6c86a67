"""Password sources: the environment, the terminal (asked twice to encrypt), never a silent block."""

from __future__ import annotations

import pytest

from bt_llm.errors import PasswordError
from bt_llm.wallet import passwords


def test_env_var_name_and_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    assert passwords.env_var_name("default") == "BT_COLD_PW_DEFAULT"
    assert passwords.env_var_name("my-wallet") == "BT_COLD_PW_MY_WALLET"
    assert passwords.password_from_env("my-wallet") is None
    monkeypatch.setenv("BT_COLD_PW_MY_WALLET", "pw1")
    assert passwords.password_from_env("my-wallet") == "pw1"
    monkeypatch.setenv("BT_COLD_PW_DEFAULT", "")
    assert passwords.password_from_env("default") == ""  # set but empty is still set


def _terminal(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(passwords, "can_prompt", lambda: True)

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(passwords.getpass, "getpass", fake_getpass)
    return asked


def test_encrypt_asks_twice_until_match(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _terminal(monkeypatch, ["a", "b", "c", "c"])
    assert passwords.ask_password_to_encrypt("the coldkey of wallet 'w'") == "c"
    assert len(asked) == 4 and "the coldkey of wallet 'w'" in asked[0] and "Retype" in asked[1]


def test_encrypt_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    _terminal(monkeypatch, ["a", "b"] * 3)
    with pytest.raises(PasswordError, match="did not match"):
        passwords.ask_password_to_encrypt("k")


def test_env_wins_over_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _terminal(monkeypatch, [])
    monkeypatch.setenv("BT_COLD_PW_W", "from-env")
    assert passwords.ask_password_to_encrypt("k", env_wallet="w") == "from-env"
    assert passwords.ask_password_to_decrypt("k", env_wallet="w") == "from-env"
    assert asked == []


def test_decrypt_asks_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _terminal(monkeypatch, ["pw"])
    assert passwords.ask_password_to_decrypt("the coldkey of wallet 'w'", env_wallet="w") == "pw"
    assert asked == ["Enter password to unlock the coldkey of wallet 'w': "]


def test_no_terminal_no_env_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "can_prompt", lambda: False)
    with pytest.raises(PasswordError, match="set BT_COLD_PW_W"):
        passwords.ask_password_to_decrypt("k", env_wallet="w")
    with pytest.raises(PasswordError, match="pass password="):
        passwords.ask_password_to_encrypt("k")
