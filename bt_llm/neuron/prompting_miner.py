"""``BasePromptingMiner``: bittensor 5.x's base class of a text-prompting miner, on bt-llm's runtime.

A 5.x miner keeps its shape::

    class MyMiner(bt.BasePromptingMiner):
        @classmethod
        def add_args(cls, parser): parser.add_argument("--my.flag", default=1)
        @classmethod
        def check_config(cls, config): ...
        def forward(self, messages): return "an answer"

    MyMiner().run()   # or MyMiner(config=MyMiner.config()).run()

``forward(messages)`` (5.x's one argument) is also called with the request's sampling parameters by
bt-llm's runtime; they are dropped for a 5.x ``forward``. ``config()`` parses the command line with
the miner's flags, 5.x's ``--neuron.max_batch_size``/``--neuron.max_sequence_len`` and bt-llm's
neuron flags (``--netuid``, ``--wallet.*``, ``--subtensor.*``, ``--axon.*``).
"""

from __future__ import annotations

import argparse
import functools
import inspect
from typing import Any

from bt_llm.neuron.miner import Miner

__all__ = ["BasePromptingMiner"]


class BasePromptingMiner(Miner):
    """Subclass with ``forward(self, messages) -> str`` (and optionally ``add_args``/``check_config``)."""

    name = "prompting"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is None or len(inspect.signature(forward).parameters) != 2:
            return  # not 5.x's forward(self, messages)

        @functools.wraps(forward)
        def adapted(self: Any, messages: list[dict[str, Any]], params: Any = None) -> Any:
            return forward(self, messages)

        cls.forward = adapted  # type: ignore[method-assign]

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser) -> None:
        """The miner's own flags (none by default)."""

    @classmethod
    def check_config(cls, config: Any) -> None:
        """Check the parsed config (nothing by default)."""

    @classmethod
    def add_super_args(cls, parser: argparse.ArgumentParser) -> None:
        cls.add_args(parser)
        parser.add_argument("--neuron.max_batch_size", type=int, default=-1,
                            help="The maximum batch size for forward requests. (default: -1, none)")
        parser.add_argument("--neuron.max_sequence_len", type=int, default=-1,
                            help="The maximum sequence length for forward requests. (default: -1, none)")

    @classmethod
    def config(cls, args: list[str] | None = None) -> Any:
        """5.x's ``config()``: the command line parsed with the miner's, 5.x's and bt-llm's neuron flags."""
        from bt_llm.compat import config
        from bt_llm.neuron.config import add_args

        parser = argparse.ArgumentParser()
        cls.add_super_args(parser)
        add_args(parser)
        return config(parser, args=args)

    def __init__(self, config: Any = None) -> None:
        super().__init__()
        self.config = config

    def forward(self, messages: list[dict[str, Any]], params: Any = None) -> str:  # type: ignore[override]
        """Answer ``messages`` (``[{"role", "content"}]``): what a subclass writes."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, messages) -> str")

    def run(self, args: list[str] | None = None) -> int:
        """Serve until SIGINT/SIGTERM with the flags of ``self.config`` (default: the command line)."""
        from bt_llm.neuron.app import run_miner
        from bt_llm.neuron.config import parse_config

        parser = argparse.ArgumentParser()
        type(self).add_super_args(parser)
        if self.config is None:
            self.config = type(self).config(args)
        type(self).check_config(self.config)
        neuron_config, _ = parse_config(args, parser)
        return run_miner(lambda: self, neuron_config)
