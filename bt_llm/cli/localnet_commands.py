"""``btcli localnet node``: run the embedded localnet as a Substrate JSON-RPC node.

Example::

    btcli localnet node --port 9944 --state ~/.bittensor/localnet --block_time 1
    btcli localnet node --manual-seal --instant-seal     # blocks only on demand (tests, demos)
"""

from __future__ import annotations

from pathlib import Path

import click

from bt_llm.cli.shared import SharedOptionsGroup
from bt_llm.errors import ConfigError


@click.group(name="localnet", cls=SharedOptionsGroup, help="Run the embedded localnet node, or a whole network in the background.")
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


# ---- btcli localnet up / status / logs / down: a supervised network in the background ------------------
DEFAULT_STATE = "~/.bittensor/localnet"
_STATE_OPTION = click.option("--state", "state_dir", default=DEFAULT_STATE, show_default=True,
                             type=click.Path(file_okay=False, path_type=Path), help="State directory.")


def _state(state_dir: Path) -> Path:
    state = state_dir.expanduser().resolve()
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the state directory {state}: {exc}") from exc
    return state


def _next_steps(status: dict) -> list[str]:
    bridge = status.get("bridge") or {}
    node = status.get("node") or {}
    base = bridge.get("openai_base_url", "?")
    netuid = status.get("netuid", 1)
    return [
        f"node:    {node.get('url', '?')}",
        f"OpenAI:  {base}",
        f"  curl {base}/chat/completions -H 'Content-Type: application/json' "
        f"-d '{{\"model\": \"bittensor/subnet-{netuid}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hi\"}}]}}'",
        f"python:  import bt_llm as bt; print(bt.prompt('Hi', network='{node.get('url', '?')}'))",
        f"dashboard: {bridge.get('url', '?')}/dashboard   (metrics: {bridge.get('url', '?')}/metrics)",
        f"chain:   btcli overview --subtensor.chain_endpoint {node.get('url', '?')} --netuid {netuid}",
        f"status:  btcli localnet status --state {status.get('state')}   (logs, down: the same way)",
    ]


@click.command(name="up")
@click.option("--miners", default=2, show_default=True, type=click.IntRange(0, 64), help="Miners to run.")
@click.option("--model", default="smollm2", show_default=True,
              help="Miners' model: smollm2, a model folder/file/package, or 'template' (no model, fastest); "
                   "a comma-separated list is dealt out in turn (smollm2,template).")
@click.option("--netuid", default=1, show_default=True, type=click.IntRange(1, 65535), help="The subnet.")
@click.option("--block_time", "--block-time", "block_time", default=1.0, show_default=True,
              type=click.FloatRange(min=0.05), help="Seconds between blocks.")
@click.option("--tempo", default=10, show_default=True, type=click.IntRange(1, 1000), help="Blocks per epoch (new chain).")
@click.option("--port", default=9944, show_default=True, type=click.IntRange(0, 65535),
              help="Node port (a free one when taken).")
@click.option("--bridge.port", "bridge_port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Bridge HTTP port (a free one when taken).")
@click.option("--axon.port", "axon_port", default=8091, show_default=True, type=click.IntRange(0, 65535),
              help="Bridge delegate axon port (a free one when taken).")
@click.option("--no_pow", "--no-pow", "no_pow", is_flag=True, help="Register every miner by burn (no proof of work).")
@click.option("--timeout", default=900.0, show_default=True, type=float, help="Seconds to wait for the network.")
@_STATE_OPTION
def up_command(miners: int, model: str, netuid: int, block_time: float, tempo: int, port: int, bridge_port: int,
               axon_port: int, no_pow: bool, timeout: float, state_dir: Path) -> None:
    """Start node, miners and bridge in the background (supervised) and wait until the bridge is ready."""
    import subprocess
    import sys
    import time

    from bt_llm.localnet.supervisor import read_status, running

    state = _state(state_dir)
    current = running(state)
    if current is not None:
        click.echo(f"a localnet already runs on {state} (supervisor pid {current['pid']}, {current['phase']})")
        if current.get("phase") == "ready":
            for line in _next_steps(current):
                click.echo(line)
        return
    model = ",".join(str(Path(m).expanduser().resolve()) if m not in ("smollm2", "template")
                     and Path(m).expanduser().exists() else m for m in model.split(","))
    (state / "logs").mkdir(exist_ok=True)
    log_path = state / "logs" / "supervisor.log"
    log_path.write_bytes(b"")
    status_file = state / "localnet.json"
    status_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bt_llm.localnet.supervisor", "--state", str(state), "--miners", str(miners),
               "--model", model, "--netuid", str(netuid), "--block_time", str(block_time), "--tempo", str(tempo),
               "--port", str(port), "--bridge_port", str(bridge_port), "--axon_port", str(axon_port)]
    if no_pow:
        command.append("--no_pow")
    with log_path.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    click.echo(f"starting a localnet in {state} (supervisor pid {process.pid}, log {log_path})")
    deadline = time.monotonic() + timeout
    shown = 0
    while True:
        text = log_path.read_text(errors="replace")
        for line in text[shown:].splitlines(keepends=True):
            if line.endswith("\n"):
                click.echo("  " + line.rstrip())
                shown += len(line)
        status = read_status(state) or {}
        if status.get("phase") == "ready":
            break
        if status.get("phase") == "failed" or process.poll() is not None:
            raise ConfigError(f"the localnet did not start: {status.get('error') or 'see ' + str(log_path)}")
        if time.monotonic() > deadline:
            raise ConfigError(f"the localnet is not ready after {timeout:.0f} s (still starting; "
                              f"see {log_path}, stop it with btcli localnet down)")
        time.sleep(0.3)
    click.echo("the localnet is up:")
    for line in _next_steps(status):
        click.echo(line)


def _block_height(url: str) -> int | None:
    import httpx

    http = url.replace("ws://", "http://", 1)
    try:
        answer = httpx.post(http, json={"jsonrpc": "2.0", "id": 1, "method": "chain_getHeader", "params": []},
                            timeout=3.0).json()
        return int(answer["result"]["number"], 16)
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def _bridge_view(url: str) -> tuple[str, dict[int, dict]]:
    import httpx

    try:
        ready = httpx.get(url + "/readyz", timeout=3.0)
        health = "ready" if ready.status_code == 200 else f"not ready ({ready.status_code})"
    except httpx.HTTPError:
        return "down", {}
    try:
        report = httpx.get(url + "/scores", timeout=3.0).json()
        rows = {int(row["uid"]): row for row in report.get("miners", [])}
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        rows = {}
    return health, rows


@click.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@_STATE_OPTION
def status_command(as_json: bool, state_dir: Path) -> None:
    """Each process (pid, port, health, restarts), the block height and each miner's uid, hotkey and score."""
    import json

    from bt_llm.localnet.supervisor import pid_alive, read_status

    state = state_dir.expanduser().resolve()
    status = read_status(state)
    if status is None:
        raise ConfigError(f"no localnet in {state} (start one with btcli localnet up --state {state})")
    supervisor_alive = pid_alive(status.get("pid"))
    node_url = (status.get("node") or {}).get("url")
    height = _block_height(node_url) if node_url and supervisor_alive else None
    bridge_url = (status.get("bridge") or {}).get("url")
    bridge_health, scores = _bridge_view(bridge_url) if bridge_url and supervisor_alive else ("down", {})
    processes = status.get("processes", {})
    for name, proc in processes.items():
        alive = supervisor_alive and pid_alive(proc.get("pid"))
        if not alive:
            health = "down"
        elif name == "node":
            health = "ok" if height is not None else "not answering"
        elif name == "bridge":
            health = bridge_health
        else:
            health = "running"
        proc["health"] = health
        if name.startswith("miner") and proc.get("uid") in scores:
            row = scores[proc["uid"]]
            proc["score"] = row.get("score")
            proc["latency_s"] = row.get("latency_s")
            proc["last"] = row.get("last")
    summary = {"state": str(state), "supervisor": {"pid": status.get("pid"), "alive": supervisor_alive},
               "phase": status.get("phase") if supervisor_alive else "stopped", "error": status.get("error"),
               "block": height, "netuid": status.get("netuid"), "node": status.get("node"),
               "bridge": status.get("bridge"), "processes": processes}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"localnet in {state}: {summary['phase']} (supervisor pid {status.get('pid')})"
               + (f"; error: {status['error']}" if status.get("error") else ""))
    click.echo(f"block height: {height if height is not None else '-'}   node: {node_url or '-'}   "
               f"bridge: {bridge_url or '-'}")
    click.echo(f"{'name':<10} {'pid':>8} {'port':>6} {'health':<18} {'restarts':>8}  uid  hotkey      "
               "score  latency")
    for name, proc in processes.items():
        uid = proc.get("uid")
        score, latency = proc.get("score"), proc.get("latency_s")
        click.echo(f"{name:<10} {proc.get('pid') or '-':>8} {proc.get('port') or '-':>6} {proc['health']:<18} "
                   f"{proc.get('restarts', 0):>8}  {uid if uid is not None else '-':>3}  "
                   f"{(proc.get('hotkey') or '-')[:10]:<10}  {f'{score:.3f}' if isinstance(score, float) else '-':>5}  "
                   f"{f'{latency * 1000:.0f} ms' if isinstance(latency, float) else '-'}")


@click.command(name="logs")
@click.argument("name", required=False)
@click.option("-f", "--follow", is_flag=True, help="Keep printing what is appended.")
@click.option("-n", "--lines", default=50, show_default=True, type=click.IntRange(0), help="Last lines to show.")
@_STATE_OPTION
def logs_command(name: str | None, follow: bool, lines: int, state_dir: Path) -> None:
    """Show a process's log (node, bridge, minerN, supervisor); all of them when NAME is absent."""
    import time

    logs = state_dir.expanduser().resolve() / "logs"
    available = sorted(p.stem for p in logs.glob("*.log"))
    if not available:
        raise ConfigError(f"no logs in {logs} (start a localnet with btcli localnet up)")
    if name is not None and name not in available:
        raise ConfigError(f"no log named {name!r} (there are: {', '.join(available)})")
    paths = [logs / f"{n}.log" for n in ([name] if name else available)]
    offsets = {}
    for path in paths:
        data = path.read_text(errors="replace")
        tail = data.splitlines()[-lines:] if lines else []
        for line in tail:
            click.echo(line if name else f"{path.stem}| {line}")
        offsets[path] = len(data.encode())
    while follow:
        time.sleep(0.5)
        for path in paths:
            with path.open("rb") as handle:
                handle.seek(offsets[path])
                chunk = handle.read()
            offsets[path] += len(chunk)
            for line in chunk.decode(errors="replace").splitlines():
                click.echo(line if name else f"{path.stem}| {line}")


@click.command(name="down")
@click.option("--reset", is_flag=True, help="Also delete the state (chain, wallets, logs).")
@click.option("--timeout", default=60.0, show_default=True, type=float, help="Seconds to wait for a clean stop.")
@_STATE_OPTION
def down_command(reset: bool, timeout: float, state_dir: Path) -> None:
    """Stop every process of the localnet (the state is kept unless --reset)."""
    import contextlib
    import os
    import shutil
    import signal
    import time

    from bt_llm.localnet.supervisor import pid_alive, read_status

    state = state_dir.expanduser().resolve()
    status = read_status(state)
    pid = status.get("pid") if status else None
    if pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        click.echo(f"stopped the localnet in {state}")
    else:
        click.echo(f"no localnet runs in {state}")
    for proc in ((read_status(state) or status or {}).get("processes") or {}).values():
        if pid_alive(proc.get("pid")):  # left behind by a killed supervisor
            with contextlib.suppress(OSError):
                os.kill(proc["pid"], signal.SIGKILL)
    if reset and state.exists():
        shutil.rmtree(state)
        click.echo(f"deleted {state}")


for _command in (up_command, status_command, logs_command, down_command):
    localnet_group.add_command(_command)
