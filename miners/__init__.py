"""Runnable miner templates (issue 7)."""
