"""Every setting bt-llm reads from the environment, in one place: the variables' names and one reader.

Flags and config files win over these; each reader takes the environment as a mapping (default
``os.environ``) so that tests and callers can pass their own.

Example:
    >>> get(WALLET_PATH, {"BT_WALLET_PATH": "~/w"}), get(WALLET_PATH, {"BT_WALLET_PATH": ""})
    ('~/w', None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

WALLET_PATH = "BT_WALLET_PATH"  # where wallets live (default ~/.bittensor/wallets/)
COLDKEY_PASSWORD_PREFIX = "BT_COLD_PW_"  # + the wallet's name: its coldkey password
SUBTENSOR_NETWORK = "BT_SUBTENSOR_NETWORK"  # the default network (a name or URL)
CHAIN_ENDPOINT = "BT_SUBTENSOR_CHAIN_ENDPOINT"  # an explicit node URL
METAGRAPH_DIR = "BT_METAGRAPH_DIR"  # where metagraphs are saved (default ~/.bittensor/metagraphs)
CACHE_DIR = "BT_LLM_CACHE"  # converted model files (default ~/.cache/bt-llm)
PROMPT_HOTKEY = "BT_PROMPT_HOTKEY"  # the delegate bt.prompt asks when none is given
DEBUG = "BT_LLM_DEBUG"  # btcli prints tracebacks
FIXTURES = "BT_LLM_FIXTURES"  # the recorded finney answers the replay node serves
UPSTREAM_API_KEYS = ("UPSTREAM_API_KEY", "OPENAI_API_KEY")  # the openai_upstream miner's key, first set wins


def get(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of ``name``; None when it is unset or empty."""
    return (os.environ if env is None else env).get(name) or None


def get_exact(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of ``name`` as set, an empty one included (a password may be empty); None when unset."""
    return (os.environ if env is None else env).get(name)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The bt-llm cache root (converted models, delegate memory): ``$BT_LLM_CACHE`` or ``~/.cache/bt-llm``."""
    value = get(CACHE_DIR, env)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "bt-llm"
