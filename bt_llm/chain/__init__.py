"""The chain client: ``Subtensor`` (a narrow facade over substrate-interface), ``Metagraph`` and chain data.

Nothing is imported here eagerly; use ``bt_llm.chain.subtensor.Subtensor`` and
``bt_llm.chain.metagraph.Metagraph`` (or ``bt.subtensor`` / ``bt.metagraph``).
"""
