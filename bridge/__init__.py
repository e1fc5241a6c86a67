"""The OpenAI-compatible bridge: a validator and delegate endpoint (issue 9)."""
