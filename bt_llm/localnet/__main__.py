"""``python -m bt_llm.localnet [--port 9944] [--state DIR] [--block_time 1] [--manual-seal]``: run the node."""

from __future__ import annotations

import sys

from bt_llm.cli.localnet_commands import node_command

if __name__ == "__main__":
    sys.exit(node_command.main(prog_name="python -m bt_llm.localnet"))
