"""The entry point a miner template calls: logging, the neuron, a clean exit code.

Example (a whole template)::

    from bt_llm.neuron import Miner, parse_config, run_miner

    class Hello(Miner):
        def forward(self, messages, params):
            return "hello im a chat bot."

    if __name__ == "__main__":
        config, _ = parse_config()
        raise SystemExit(run_miner(Hello, config))
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from bt_llm.errors import BtLlmError
from bt_llm.neuron.config import NeuronConfig
from bt_llm.neuron.miner import Miner
from bt_llm.neuron.runtime import Neuron

__all__ = ["run_miner", "setup_logging"]

_QUIET = ("httpx", "httpcore", "websocket", "substrateinterface", "uvicorn", "urllib3", "filelock")


class _DropRpcDumps(logging.Filter):
    """substrate-interface logs every JSON-RPC message on the root logger at debug level; drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "root" and "substrateinterface" in record.pathname)


def setup_logging(debug: bool = False) -> None:
    """One line per record on stderr; debug level with ``--logging.debug``. For templates, not the library."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_DropRpcDumps())
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, handlers=[handler], force=True)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)


def run_miner(make_miner: Callable[[], Miner], config: NeuronConfig, **neuron_kwargs: object) -> int:
    """Check registration, build the miner (``make_miner()``), serve until SIGINT/SIGTERM; return an exit code.

    Errors bt-llm raises on purpose (not registered, bad flags, chain unreachable) are logged as one
    clear message and give exit code 1; anything else propagates with its traceback.
    """
    setup_logging(config.logging_debug)
    log = logging.getLogger("bt_llm.neuron")
    try:
        # The factory runs inside start(), after the registration check: an unregistered hotkey is
        # reported at once instead of after a model has loaded.
        Neuron(make_miner, config, **neuron_kwargs).run()  # type: ignore[arg-type]
    except BtLlmError as exc:
        log.error("%s", exc)
        return 1
    return 0
