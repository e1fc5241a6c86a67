"""The axon: an HTTP server that answers synapses (FastAPI + uvicorn, imported only when used).

The pipeline runs in the spec's order, one small module per step: :mod:`.parse` (404/400/413),
:mod:`.blacklist` (403), :mod:`.verify` (401), :mod:`.gate` (priority queue: 503/408),
:mod:`.forward` (408/500); :mod:`.app` wires them into an ASGI app and :mod:`.server` runs it.
``from bt_llm.axon.server import Axon`` (or ``bt.axon``).
"""

from __future__ import annotations

from bt_llm.aliases import stand_in

stand_in(__name__, "bt_llm.axon.server:Axon")  # bt.axon(...) builds an Axon
