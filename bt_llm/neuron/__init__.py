"""The shared miner runtime: flags, registration check, axon, metagraph sync, policy, request logs.

A template subclasses :class:`Miner`, parses flags with :func:`parse_config` and calls
:func:`run_miner`. Importing this package loads neither torch nor an HTTP server.

Example:
    >>> from bt_llm.neuron import Miner, NeuronConfig
    >>> NeuronConfig(netuid=2).netuid
    2
"""

from __future__ import annotations

from bt_llm.aliases import lazy

_LAZY: dict[str, str] = {
    "Caller": "bt_llm.neuron.policy:Caller",
    "CallerPolicy": "bt_llm.neuron.policy:CallerPolicy",
    "Miner": "bt_llm.neuron.miner:Miner",
    "Neuron": "bt_llm.neuron.runtime:Neuron",
    "NeuronConfig": "bt_llm.neuron.config:NeuronConfig",
    "SamplingParams": "bt_llm.models.sampling:SamplingParams",
    "add_args": "bt_llm.neuron.config:add_args",
    "build_handlers": "bt_llm.neuron.handlers:build_handlers",
    "parse_config": "bt_llm.neuron.config:parse_config",
    "run_miner": "bt_llm.neuron.app:run_miner",
    "setup_logging": "bt_llm.neuron.app:setup_logging",
}


__getattr__ = lazy(__name__, _LAZY)


__all__ = sorted(_LAZY)
