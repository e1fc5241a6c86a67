"""``btcli bridge serve`` and ``python -m bt_llm.bridge``: run the bridge until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

import click

from bt_llm.bridge.config import BridgeConfig
from bt_llm.cli.options import subtensor_options, wallet_options
from bt_llm.cli.shared import SharedOptionsGroup


@click.group(name="bridge", cls=SharedOptionsGroup)
def bridge_group() -> None:
    """Run the OpenAI-compatible bridge (a validator and delegate endpoint)."""


@bridge_group.command(name="serve")
@click.option("--config", "config_file", default=None, metavar="FILE", help="YAML or TOML config file (default: none).")
@click.option("--netuid", type=int, default=None, help="The subnet to serve (default 1).")
@wallet_options
@subtensor_options
@click.option("--host", default=None, help="HTTP address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="HTTP port (default 8000).")
@click.option("--axon.port", "axon_port", type=int, default=None, help="Delegate axon port (default 8092; miners use 8091).")
@click.option("--axon.ip", "axon_ip", default=None, help="Delegate axon address (default 127.0.0.1).")
@click.option("--api_keys_file", default=None, metavar="FILE", help="Bearer API keys, one per line (default: none: no key needed).")
@click.option("--rate_limit", "rate_limit_per_minute", type=float, default=None, help="Requests/min per caller (default 600; 0: no limit).")
@click.option("--k", type=int, default=None, help="Miners asked per prompt (default 8).")
@click.option("--timeout", type=float, default=None, help="Deadline for miners, seconds (default 12).")
@click.option("--weights_interval", type=int, default=None, help="Blocks between set_weights (default 100).")
@click.option("--scorer", type=click.Choice(["embedding", "lexical"]), default=None, help="Reward model (default embedding).")
@click.option("--verify/--no-verify", "verify", default=None,
              help="Recompute a sample of answers with the claimed model (default on).")
@click.option("--verify.rate", "verify_rate", type=float, default=None, help="Share of answers checked (default 0.1).")
@click.option("--verify.penalty", "verify_penalty", type=float, default=None,
              help="Seconds a failed check zeroes a miner (default 600).")
@click.option("--unverified_weight", type=float, default=None, help="Worth of an unverifiable answer (default 0.02).")
@click.option("--challenge_interval", type=float, default=None, help="Seconds between own prompts (default 60; 0: none).")
@click.option("--logging.debug", "debug", is_flag=True, default=False, help="Debug logging.")
def serve_command(config_file: str | None, wallet_name: str | None, wallet_hotkey: str | None,
                  wallet_path: str | None, subtensor_network: str | None, subtensor_chain_endpoint: str | None,
                  debug: bool, **settings: object) -> None:
    """Serve the bridge: fan prompts out to the subnet's miners, score them, set weights."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not debug:  # one line per request at most: not every HTTP call the bridge makes
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    config = BridgeConfig.from_sources(
        config_file, wallet_name=wallet_name, wallet_hotkey=wallet_hotkey, wallet_path=wallet_path,
        network=subtensor_network, chain_endpoint=subtensor_chain_endpoint, **settings,
    )
    from bt_llm.bridge.service import BridgeService

    service = BridgeService(config).start()
    for line in service.describe():
        click.echo(line)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        done.wait()
    finally:
        click.echo("bridge: stopping")
        service.stop()


@bridge_group.command(name="scores")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The bridge's HTTP address.")
@click.option("--json", "as_json", is_flag=True, default=False, help="Print the bridge's report as JSON.")
def scores_command(url: str, as_json: bool) -> None:
    """Show how the bridge scores each miner: running score, verification checks, last score's parts."""
    import httpx
    from rich.console import Console
    from rich.table import Table

    try:
        report = httpx.get(url.rstrip("/") + "/scores", timeout=10.0).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise click.ClickException(f"cannot read the scores at {url}: {exc}") from exc
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
        return
    share = report.get("share_verified")
    title = f"subnet {report.get('netuid')}: " + (f"{share:.0%} of answers verified" if share is not None
                                                  else "verification off")
    table = Table(title=title)
    for column in ("uid", "hotkey", "score", "model", "checks", "failed", "correct", "complete", "speed", "last"):
        table.add_column(column, overflow="fold")
    for row in report.get("miners", []):
        parts = row.get("parts") or {}

        def number(value: object) -> str:
            return f"{value:.3f}" if isinstance(value, (int, float)) else "-"

        last = str(row.get("last") or "")
        if row.get("penalized_s"):
            last = f"penalized {row['penalized_s']:.0f} s; {last}"
        table.add_row(str(row["uid"]), row["hotkey"][:10] + "…", number(row.get("score")), str(row.get("model") or "-"),
                      str(row.get("checks", "-")), str(row.get("failures", "-")), number(parts.get("correctness")),
                      number(parts.get("completeness")), number(parts.get("speed")), last[:80])
    Console().print(table)
