"""btcli: the command-line interface (built on click, output with rich)."""
