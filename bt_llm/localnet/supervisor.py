"""The supervisor behind ``btcli localnet up``: a detached process that runs and watches a whole network.

``python -m bt_llm.localnet.supervisor --state DIR [--miners N] [--model M] ...`` starts the localnet node
(chain state in ``DIR/chain``), funds the wallets (``DIR/wallets``) from the dev accounts, registers the
miners (the first by proof of work, the others by burn), starts them from ``miners/``, makes the bridge a
staked, nominated validator and starts it (``btcli bridge serve``). Then it watches them: a process that
exits is restarted, with backoff. SIGTERM (``btcli localnet down``) stops them all (SIGTERM, then SIGKILL
after a grace) and ends it. Each process logs to ``DIR/logs/NAME.log``; ``DIR/localnet.json`` says where
everything is (pids, ports, restarts, logs) for ``status``, ``logs`` and ``down``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bt_llm.chain.subtensor import Subtensor

STATUS_FILE = "localnet.json"
TAO = 10**9
GRACE_S = 10.0
MINER_COLDKEY = "//Alice"  # miners' coldkey: a dev account (funds the burns)
VALIDATOR_COLDKEY = "//Bob"
DEFAULT_PORTS = {"node": 9944, "bridge": 8000, "axon": 8091}

log = logging.getLogger("bt_llm.localnet.supervisor")


# ---- the status file (read by btcli localnet status/logs/down) ---------------------------------------
def status_path(state: Path) -> Path:
    return Path(state) / STATUS_FILE


def read_status(state: Path) -> dict[str, Any] | None:
    """The supervisor's last status, or None when there is none (or it is being rewritten)."""
    try:
        return json.loads(status_path(state).read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie (our own unreaped child) is not alive
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def running(state: Path) -> dict[str, Any] | None:
    """The status of the supervisor running on ``state``, or None when none runs."""
    status = read_status(state)
    if status and status.get("phase") != "stopped" and pid_alive(status.get("pid")):
        return status
    return None


def choose_port(preferred: int) -> int:
    """``preferred`` when it is free, else a free port."""
    from bt_llm.errors import ConfigError
    from bt_llm.net import free_port, listen_socket

    if preferred:
        try:
            listen_socket("127.0.0.1", preferred).close()
            return preferred
        except ConfigError:
            pass
    return free_port()


# ---- supervised processes ---------------------------------------------------------------------------
@dataclass
class Child:
    """A process the supervisor runs and restarts when it exits."""

    name: str
    command: list[str]
    log_path: Path
    port: int | None = None
    env: dict[str, str] | None = None
    process: Any = None
    restarts: int = 0
    next_start: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        import subprocess

        from bt_llm.bridge.devnet import REPO

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            cwd=REPO, env=self.env)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def describe(self) -> dict[str, Any]:
        return {"pid": self.process.pid if self.process else None, "port": self.port, "restarts": self.restarts,
                "log": str(self.log_path), "alive": self.alive, **self.extra}


class Supervisor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state = Path(args.state).expanduser().resolve()
        self.logs = self.state / "logs"
        self.children: dict[str, Child] = {}
        self.phase = "starting"
        self.error: str | None = None
        self.stopping = threading.Event()
        self.info: dict[str, Any] = {}
        self.subtensor: Subtensor | None = None

    # ---- status ----
    def write_status(self) -> None:
        status = {"pid": os.getpid(), "phase": self.phase, "error": self.error, "state": str(self.state),
                  "netuid": self.args.netuid, "updated": time.time(), **self.info,
                  "processes": {name: child.describe() for name, child in self.children.items()}}
        tmp = status_path(self.state).with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=1))
        tmp.replace(status_path(self.state))

    def check_stop(self) -> None:
        if self.stopping.is_set():
            raise _Stopped

    # ---- start ----
    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.write_status()
        try:
            self.start_all()
            self.phase = "ready"
            self.write_status()
            log.info("ready: %s", self.info.get("bridge", {}).get("openai_base_url"))
            self.watch()
        except _Stopped:
            pass
        except Exception as exc:  # reported in the status file and the log, in one line
            self.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            self.phase = "failed"
            log.error("failed: %s", self.error)
            self.write_status()
        finally:
            if self.subtensor is not None:  # before the node stops: no "close status: 1012" error in the log
                with contextlib.suppress(Exception):
                    self.subtensor.close()
            self.stop_all()
            self.phase = "failed" if self.error else "stopped"
            self.write_status()
        return 1 if self.error else 0

    def start_all(self) -> None:
        from bt_llm.bridge.devnet import child_env, dev_wallet, make_validator, miner_command, register

        args = self.args
        wallets = self.state / "wallets"
        env = child_env(quiet=True)
        # the node
        port = choose_port(args.port)
        genesis = self.state / "genesis.toml"
        genesis.write_text(f"[[subnets]]\nnetuid = {args.netuid}\ntempo = {args.tempo}\n")
        node = self.add(Child("node", [sys.executable, "-m", "bt_llm.localnet", "--port", str(port), "--state",
                                       str(self.state / "chain"), "--block_time", str(args.block_time),
                                       "--genesis", str(genesis)], self.logs / "node.log", port=port, env=env))
        url = f"ws://127.0.0.1:{port}"
        self.info["node"] = {"url": url}
        node.start()
        self.write_status()
        log.info("node: %s (state %s)", url, self.state / "chain")
        subtensor = self.subtensor = self._connect(url, node)
        if not subtensor.subnet_exists(args.netuid):
            raise RuntimeError(f"subnet {args.netuid} does not exist on the chain kept in {self.state / 'chain'}")
        # miners: wallets, registration (the first by proof of work), processes
        from bt_llm.bridge.devnet import serving_axons

        stale = serving_axons(subtensor, args.netuid)  # a kept chain still names the last run's addresses
        kinds = [self.miner_kind(model) for model in args.model.split(",")]
        miners = []
        for i in range(args.miners):
            self.check_stop()
            template, model_args = kinds[i % len(kinds)]
            wallet = dev_wallet(wallets, f"miner{i}", coldkey_uri=MINER_COLDKEY, hotkey_uri=f"//Alice/localnet/miner{i}")
            hotkey = wallet.hotkey.ss58_address
            uid = subtensor.get_uid_for_hotkey_on_subnet(hotkey, args.netuid)
            if uid is None and i == 0 and not args.no_pow:
                log.info("miner0: registering by proof of work")
                last = [0.0]

                def progress(*values: Any, _last: list[float] = last) -> None:
                    if time.monotonic() - _last[0] > 1.0:
                        _last[0] = time.monotonic()
                        log.info("miner0: proof of work %s", " ".join(str(v) for v in values)[:120])

                subtensor.register(wallet, args.netuid, wait_for_inclusion=True, processes=1, progress=progress,
                                   cancel=self.stopping)
            uid = register(subtensor, wallet, args.netuid)
            log.info("miner%d: uid %d hotkey %s", i, uid, hotkey)
            miners.append({"name": f"miner{i}", "uid": uid, "hotkey": hotkey})
            child = self.add(Child(f"miner{i}", miner_command(template, wallet, args.netuid, url, wallets, *model_args),
                                   self.logs / f"miner{i}.log", env=env, extra={"uid": uid, "hotkey": hotkey}))
            child.start()
        self.info["miners"] = miners
        self.write_status()
        self.wait_serving([m["hotkey"] for m in miners], stale)
        # the bridge: a staked, nominated validator
        self.check_stop()
        validator = dev_wallet(wallets, "validator", coldkey_uri=VALIDATOR_COLDKEY, hotkey_uri="//Bob/localnet/validator")
        uid = make_validator(subtensor, validator, args.netuid, args.stake)
        http_port, axon_port = choose_port(args.bridge_port), choose_port(args.axon_port)
        command = [sys.executable, "-m", "bt_llm.bridge", "--netuid", str(args.netuid), "--wallet.name", "validator",
                   "--wallet.hotkey", "default", "--wallet.path", str(wallets), "--subtensor.chain_endpoint", url,
                   "--port", str(http_port), "--axon.port", str(axon_port), "--scorer", "lexical",
                   "--weights_interval", str(args.tempo), "--challenge_interval", "0", "--no-verify"]
        http_url = f"http://127.0.0.1:{http_port}"
        self.info["bridge"] = {"url": http_url, "openai_base_url": http_url + "/v1", "axon_port": axon_port,
                               "uid": uid, "hotkey": validator.hotkey.ss58_address}
        bridge = self.add(Child("bridge", command, self.logs / "bridge.log", port=http_port, env=env,
                                extra={"uid": uid, "hotkey": validator.hotkey.ss58_address}))
        bridge.start()
        self.write_status()
        self.wait_ready(http_url, bridge, want_miners=bool(miners))

    def add(self, child: Child) -> Child:
        self.children[child.name] = child
        return child

    @staticmethod
    def miner_kind(model: str) -> tuple[str, list[str]]:
        """The miner template and its arguments for ``--model`` (template, a folder/file/package name)."""
        if model == "template":
            return "template", ["--template.reply", "Hello from the template miner."]
        args = ["--model.max_tokens", "32", "--model.device", "cpu"]
        if model and model != "smollm2":
            args = ["--model.path", model, *args]
        return "transformers", args

    def _connect(self, url: str, node: Child, timeout: float = 60.0) -> Any:
        from bt_llm.chain.subtensor import Subtensor

        deadline = time.monotonic() + timeout
        while True:
            self.check_stop()
            if not node.alive:
                raise RuntimeError(f"the node exited with {node.process.returncode}: {_tail(node.log_path)}")
            try:
                subtensor = Subtensor(chain_endpoint=url)
                subtensor.get_current_block()
                return subtensor
            except Exception:  # not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def wait_serving(self, hotkeys: list[str], stale: dict[str, tuple[str, int]], timeout: float = 600.0) -> None:
        """Wait until each miner serves its axon on chain: at a new address, or at its ``stale`` one
        (from before this start) once that accepts connections again."""
        from bt_llm.bridge.devnet import serving_axons

        deadline = time.monotonic() + timeout
        waiting = set(hotkeys)
        while waiting:
            self.check_stop()
            for child in self.children.values():
                if child.name.startswith("miner") and not child.alive:
                    raise RuntimeError(f"{child.name} exited with {child.process.returncode}: {_tail(child.log_path)}")
            served = serving_axons(self.subtensor, self.args.netuid)
            waiting -= {h for h in waiting if h in served and (served[h] != stale.get(h) or _accepts(*served[h]))}
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"{len(waiting)} miners did not serve their axons within {timeout:.0f} s")
            if waiting:
                time.sleep(0.5)

    def wait_ready(self, http_url: str, bridge: Child, *, want_miners: bool, timeout: float = 300.0) -> None:
        import httpx

        path = "/readyz" if want_miners else "/healthz"
        deadline = time.monotonic() + timeout
        while True:
            self.check_stop()
            if not bridge.alive:
                raise RuntimeError(f"the bridge exited with {bridge.process.returncode}: {_tail(bridge.log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(http_url + path, timeout=5.0).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bridge did not answer {path} within {timeout:.0f} s")
            time.sleep(0.5)

    # ---- watch ----
    def watch(self) -> None:
        while not self.stopping.wait(0.5):
            changed = False
            for child in self.children.values():
                if child.alive:
                    continue
                now = time.monotonic()
                if child.next_start == 0.0:
                    delay = min(30.0, 0.5 * 2 ** min(child.restarts, 6))
                    child.next_start = now + delay
                    log.warning("%s exited with %s; restarting in %.1f s", child.name, child.process.returncode, delay)
                elif now >= child.next_start:
                    child.restarts += 1
                    child.next_start = 0.0
                    child.start()
                    log.info("%s restarted (pid %d, restart %d)", child.name, child.process.pid, child.restarts)
                    changed = True
            if changed:
                self.write_status()

    # ---- stop ----
    def stop_all(self) -> None:
        self.phase = "stopping"
        with contextlib.suppress(OSError):
            self.write_status()
        order = [c for n, c in self.children.items() if n == "bridge"]
        order += [c for n, c in self.children.items() if n.startswith("miner")]
        order += [c for n, c in self.children.items() if n == "node"]
        for group in (order[:-1], order[-1:]):  # the node last: the others may still talk to it
            for child in group:
                child.signal(signal.SIGTERM)
            deadline = time.monotonic() + GRACE_S
            for child in group:
                while child.alive and time.monotonic() < deadline:
                    time.sleep(0.05)
                if child.alive:
                    log.warning("%s did not stop within %.0f s of SIGTERM: killed", child.name, GRACE_S)
                    child.signal(signal.SIGKILL)
                if child.process is not None:
                    with contextlib.suppress(Exception):
                        child.process.wait(timeout=5)


class _Stopped(Exception):
    """SIGTERM arrived while starting."""


def _accepts(ip: str, port: int) -> bool:
    """Whether something listens at ``ip:port``."""
    import socket

    try:
        socket.create_connection((ip, port), timeout=1.0).close()
        return True
    except OSError:
        return False


def _tail(path: Path, chars: int = 400) -> str:
    try:
        return path.read_text(errors="replace")[-chars:].strip().replace("\n", " | ")
    except OSError:
        return "(no log)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bt_llm.localnet.supervisor")
    parser.add_argument("--state", required=True)
    parser.add_argument("--miners", type=int, default=2)
    parser.add_argument("--model", default="smollm2", help="the miners' model; a comma-separated list is dealt out "
                        "in turn (smollm2,template: miner0 runs SmolLM2, miner1 the template)")
    parser.add_argument("--netuid", type=int, default=1)
    parser.add_argument("--tempo", type=int, default=10)
    parser.add_argument("--block_time", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=DEFAULT_PORTS["node"])
    parser.add_argument("--bridge_port", type=int, default=DEFAULT_PORTS["bridge"])
    parser.add_argument("--axon_port", type=int, default=DEFAULT_PORTS["axon"])
    parser.add_argument("--stake", type=float, default=100.0)
    parser.add_argument("--no_pow", action="store_true", help="register every miner by burn")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    for noisy in ("httpx", "httpcore", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return Supervisor(args).run()


if __name__ == "__main__":
    sys.exit(main())
