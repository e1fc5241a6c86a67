"""The OpenAI-compatible bridge: a validator and delegate endpoint (``bt_llm.bridge``; ``bridge`` until
the next release)."""

if __name__ == "bridge":  # imported under its old name (until the next release)
    from bt_llm.old_names import old_name

    old_name(__name__)
