"""``btcli localnet node``: run the embedded localnet as a Substrate JSON-RPC node.

Example::

    btcli localnet node --port 9944 --state ~/.bittensor/localnet --block_time 1
    btcli localnet node --manual-seal --instant-seal     # blocks only on demand (tests, demos)
"""

from __future__ import annotations

from pathlib import Path

import click

from bt_llm.errors import ConfigError


@click.group(name="localnet", help="Run the embedded localnet node.")
def localnet_group() -> None:
    """The embedded localnet."""


@click.command(name="node")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=9944, show_default=True, type=click.IntRange(0, 65535),
              help="WebSocket and HTTP JSON-RPC port (0: a free one).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="State directory (SQLite, kept across restarts); in memory when absent.")
@click.option("--block_time", "--block-time", "block_time", default=1.0, show_default=True,
              type=click.FloatRange(min=0.01), help="Seconds between blocks.")
@click.option("--manual-seal", "--manual_seal", "manual_seal", is_flag=True,
              help="Make blocks only on the engine_createBlock RPC.")
@click.option("--instant-seal", "--instant_seal", "instant_seal", is_flag=True,
              help="Also make a block as soon as an extrinsic arrives.")
@click.option("--genesis", "genesis_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Genesis config (TOML or YAML) for a new chain.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def node_command(host: str, port: int, state_dir: Path | None, block_time: float, manual_seal: bool,
                 instant_seal: bool, genesis_file: Path | None, log_level: str) -> None:
    """Serve the localnet chain on ws://HOST:PORT (HTTP JSON-RPC on the same port)."""
    from bt_llm.localnet.node.app import LocalnetNode

    genesis = None
    if genesis_file is not None:
        from bt_llm.localnet.genesis import GenesisConfig

        genesis = GenesisConfig.load(genesis_file)
    if state_dir is not None:
        try:
            state_dir.expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the state directory {state_dir}: {exc}") from exc
        state_dir = state_dir.expanduser()
    node = LocalnetNode(state_dir=state_dir, host=host, port=port, block_time=block_time,
                        manual_seal=manual_seal, instant_seal=instant_seal, genesis=genesis, log_level=log_level)
    sealing = "manual" if manual_seal else f"every {block_time:g} s"
    if instant_seal:
        sealing += " + on each extrinsic"
    click.echo(f"localnet node on {node.url} (HTTP {node.http_url}); blocks: {sealing}; "
               f"state: {state_dir or 'in memory'}")
    node.serve_forever()


localnet_group.add_command(node_command)
