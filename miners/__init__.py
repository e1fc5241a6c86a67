"""Runnable miner templates (``bt_llm.miners``; ``miners`` until the next release)."""

if __name__ == "miners":  # imported under its old name (until the next release)
    from bt_llm.old_names import old_name

    old_name(__name__)
