"""The miner wire protocol: synapses, terminal infos, axon endpoints, signing and versions.

Everything here is pure (no I/O) and light to import (pydantic only); ``bt_llm.axon`` serves it and
``bt_llm.dendrite`` calls it.
"""

from __future__ import annotations

from bt_llm.protocol.axon_info import AxonInfo
from bt_llm.protocol.synapse import StreamingSynapse, Synapse, TerminalInfo
from bt_llm.protocol.synapses import Embedding, StreamingTextPrompting, TextPrompting, TextPromptingBackward
from bt_llm.protocol.version import PROTOCOL_VERSION, version_as_int

__all__ = [
    "PROTOCOL_VERSION",
    "AxonInfo",
    "Embedding",
    "StreamingSynapse",
    "StreamingTextPrompting",
    "Synapse",
    "TerminalInfo",
    "TextPrompting",
    "TextPromptingBackward",
    "version_as_int",
]
