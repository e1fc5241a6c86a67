"""The dendrite: an HTTP client that signs synapses and sends them to axons.

``from bt_llm.dendrite.client import Dendrite`` (or ``bt.dendrite``); the seed's
``bt.text_prompting(keypair=..., axon=...)`` lives in :mod:`.text_prompting`.
"""

from __future__ import annotations
