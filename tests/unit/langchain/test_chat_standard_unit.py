"""langchain-tests' standard unit suite for ``ChatBittensor`` (construction only: no network)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from bt_llm.langchain import ChatBittensor

# Any well-formed ss58 address: the unit suite never sends a request.
DELEGATE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


class TestChatBittensorUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatBittensor]:
        return ChatBittensor

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"network": "ws://127.0.0.1:9944", "hotkey": DELEGATE, "netuid": 1}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "json_schema"}

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return False
