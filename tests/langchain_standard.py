"""What ``ChatBittensor`` declares to langchain-tests' standard chat suites: shared by the unit suite
(construction only) and the integration suite against SmolLM2 (tests/integration/langchain)."""

from __future__ import annotations

from typing import Any

from bt_llm.langchain import ChatBittensor


class ChatBittensorFlags:
    """Tools, tool choice, structured output (``json_schema``) and JSON mode, usage metadata; no model
    override (the network picks the model)."""

    @property
    def chat_model_class(self) -> type[ChatBittensor]:
        return ChatBittensor

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
