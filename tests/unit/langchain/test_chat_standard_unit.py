"""langchain-tests' standard unit suite for ``ChatBittensor`` (construction only: no network)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from tests.langchain_standard import ChatBittensorFlags

# Any well-formed ss58 address: the unit suite never sends a request.
DELEGATE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


class TestChatBittensorUnit(ChatBittensorFlags, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"network": "ws://127.0.0.1:9944", "hotkey": DELEGATE, "netuid": 1}
