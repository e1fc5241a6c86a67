"""``python -m bt_llm.bridge [options]``: the same as ``btcli bridge serve``."""

from __future__ import annotations

import sys

from bt_llm.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bridge", "serve", *sys.argv[1:]]))
