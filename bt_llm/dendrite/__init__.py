"""The dendrite: an HTTP client that signs synapses and sends them to axons.

``from bt_llm.dendrite.client import Dendrite`` (or ``bt.dendrite``); the seed's
``bt.text_prompting(keypair=..., axon=...)`` lives in :mod:`.text_prompting`.
"""

from __future__ import annotations

from bt_llm.aliases import stand_in

stand_in(__name__, "bt_llm.dendrite.client:Dendrite")  # bt.dendrite(...) builds an Dendrite
