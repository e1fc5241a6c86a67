"""The OpenAI-compatible HTTP API: protocol (pydantic models), serving (logic), router (FastAPI)."""
