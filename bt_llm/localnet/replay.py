"""A replay node: a loopback JSON-RPC WebSocket server that answers a real node's recorded exchanges.

The bittensor SDK records a finney node's answers per SDK method (``method name -> RPC method -> JSON of
its params -> answer``, see ``shared/fixtures/bittensor-recorded``). This server serves one such
recording, the *scenario*, chosen by the URL path (``ws://127.0.0.1:PORT/neurons_lite``) or by the
``scenario`` argument, with the runtime's metadata (V14 for ``state_getMetadata``, V15 for
``state_call("Metadata_metadata_at_version", 15)``). Any client that speaks the node's WebSocket
JSON-RPC (ours, the SDK's) can be pointed at it.

Lookup, in order: the exact params; the params with hex lower-cased and ``0x`` dropped; the same without
a trailing block hash (a record made at the head answers a read at that head's hash and vice versa);
for block-identity methods (``chain_getHead``, ``chain_getHeader``, ``state_getRuntimeVersion``...)
the scenario's head; a storage value (``state_getStorageAt``) another scenario recorded (the recordings
are of one network, taken at different blocks). ``author_submitExtrinsic`` is accepted and kept in :attr:`ReplayNode.submitted`
(nothing is executed). Anything else is answered with a JSON-RPC error that names the request, so a
client never waits on a missing record.

Example:
    >>> with ReplayNode.from_fixtures() as node:             # doctest: +SKIP
    ...     Subtensor(chain_endpoint=node.url("neurons_lite")).neurons_lite(23)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bt_llm import settings

FIXTURES = Path(settings.get(settings.FIXTURES) or Path(__file__).resolve().parents[3] / "shared" / "fixtures")  # beside the repo
RECORDING = FIXTURES / "bittensor-recorded" / "responses.json"
METADATA_V14 = FIXTURES / "subtensor-metadata" / "spec343-v14.hex"
METADATA_V15 = FIXTURES / "subtensor-metadata" / "spec343-v15-at-version.hex"
FINNEY_GENESIS = "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03"
PROPERTIES = {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}
# Methods whose params only name a block: every recorded block of a scenario is the same state.
_BLOCK_METHODS = ("chain_getHeader", "state_getRuntimeVersion", "chain_getRuntimeVersion", "chain_getBlock")
_HEAD_METHODS = ("chain_getHead", "chain_getFinalizedHead", "chain_getFinalisedHead")
ERROR_NO_RECORD = -32099


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        return value[2:].lower()
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _is_block_ref(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value.removeprefix("0x")) == 64)


def _keys(params: list[Any], method: str = "") -> list[str]:
    """Lookup keys of a params list, most specific first (a key page is found whatever its size)."""
    if method == "state_getKeysPaged" and len(params) >= 3:
        params = [params[0], params[2], *params[3:]]
    keys = [json.dumps(params), json.dumps(_norm(params))]
    if params and _is_block_ref(params[-1]):
        keys.append(json.dumps(_norm(params[:-1])))
    return keys


class Scenario:
    """One SDK method's recorded exchanges, indexed for lenient lookup."""

    def __init__(self, name: str, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.name = name
        self.records = records
        self._index: dict[tuple[str, str], Any] = {}
        for method, answers in records.items():
            for params_json, answer in answers.items():
                for key in _keys(json.loads(params_json), method):
                    self._index.setdefault((method, key), answer)
        self._cycles: dict[int, int] = {}
        self._lock = threading.Lock()

    def _take(self, answer: Any) -> Any:
        if isinstance(answer, dict) and "__cycle__" in answer:
            options = answer["__cycle__"]
            with self._lock:
                turn = self._cycles.get(id(answer), 0)
                self._cycles[id(answer)] = turn + 1
            return options[turn % len(options)]
        return answer

    def find(self, method: str, params: list[Any]) -> Any | None:
        for key in _keys(params, method):
            if (method, key) in self._index:
                return self._take(self._index[method, key])
        return None

    def head(self) -> str:
        """The recorded head; a stand-in hash (blake2 of the scenario's name) where none was recorded."""
        answer = next(iter(self.records.get("chain_getHead", {}).values()), None)
        if isinstance(answer, dict) and answer.get("result"):
            return str(answer["result"])
        return "0x" + hashlib.blake2b(f"replay-head-{self.name}".encode(), digest_size=32).hexdigest()

    def any_answer(self, method: str) -> Any | None:
        """The first successful recorded answer of ``method`` (whatever its params)."""
        for answer in self.records.get(method, {}).values():
            options = answer["__cycle__"] if isinstance(answer, dict) and "__cycle__" in answer else [answer]
            for option in options:
                if isinstance(option, dict) and "result" in option:
                    return option
        return None


class ReplayNode:
    """A threaded loopback WebSocket JSON-RPC server over recorded answers.

    Args:
        recording: ``{sdk method: {rpc method: {params json: answer}}}``.
        metadata_v14: hex of ``state_getMetadata``.
        metadata_v15: hex of ``state_call("Metadata_metadata_at_version", "0x0f000000")``.
        scenario: the default scenario (for URLs without a path).
        spec_version: reported when a scenario recorded no runtime version.
        absent_storage: answer storage no scenario recorded as absent (``null``), as a node answers an
            unset key; off by default, so a read the recording lacks fails loudly. ``chain_getBlockHash``
            of an unrecorded block then answers a stand-in hash (blake2 of the number).
    """

    def __init__(self, recording: Mapping[str, Any], metadata_v14: str, metadata_v15: str | None = None, *,
                 scenario: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 spec_version: int = 343, absent_storage: bool = False) -> None:
        self.scenarios = {name: Scenario(name, records) for name, records in recording.items()}
        self.metadata_v14 = metadata_v14.strip()
        self.metadata_v15 = metadata_v15.strip() if metadata_v15 else None
        self.default_scenario = scenario
        self.host, self.port = host, port
        self.spec_version = spec_version
        self.absent_storage = absent_storage
        self.requests: list[tuple[str, str, list[Any]]] = []  # (scenario, method, params)
        self.submitted: list[str] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._rpc_methods = next((s.any_answer("rpc_methods") for s in self.scenarios.values()
                                  if s.any_answer("rpc_methods")), None)

    @classmethod
    def from_fixtures(cls, **kwargs: Any) -> ReplayNode:
        """The finney recording and spec-343 metadata of ``/work/shared/fixtures``."""
        return cls(json.loads(RECORDING.read_text()), METADATA_V14.read_text(), METADATA_V15.read_text(), **kwargs)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> ReplayNode:
        from websockets.sync.server import serve

        # no keepalive pings: a synchronous client (websocket-client) answers them only while it reads
        self._server = serve(self._handle, self.host, self.port, max_size=None, compression=None,
                             ping_interval=None)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-node", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ReplayNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, scenario: str | None = None) -> str:
        """``ws://host:port/<scenario>`` (the default scenario when None)."""
        return f"ws://{self.host}:{self.port}/{scenario or ''}"

    # --- serving -----------------------------------------------------------------------------------

    def _handle(self, connection: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        path = connection.request.path.strip("/").split("?", 1)[0]
        name = path or self.default_scenario
        scenario = self.scenarios.get(name) if name else None
        if name and scenario is None:
            connection.close(4004, f"no scenario {name!r} in the recording")
            return
        try:
            for message in connection:
                request = json.loads(message)
                if isinstance(request, list):
                    reply: Any = [self._reply(scenario, item) for item in request]
                else:
                    reply = self._reply(scenario, request)
                connection.send(json.dumps(reply))
        except ConnectionClosed:
            pass

    def _reply(self, scenario: Scenario | None, request: dict[str, Any]) -> dict[str, Any]:
        method, params = request.get("method", ""), list(request.get("params") or [])
        self.requests.append((scenario.name if scenario else "", method, params))
        answer = self.answer(scenario, method, params)
        reply = {key: value for key, value in answer.items() if key in ("result", "error")}
        return {"jsonrpc": "2.0", "id": request.get("id"), **reply}

    def answer(self, scenario: Scenario | None, method: str, params: list[Any]) -> dict[str, Any]:
        """The answer object (``{"result": ...}`` or ``{"error": ...}``) to ``method(params)``."""
        if method == "state_getMetadata":
            return {"result": self.metadata_v14}
        if method == "state_call" and params and params[0] == "Metadata_metadata_at_version":
            return {"result": self.metadata_v15} if self.metadata_v15 else {"result": "0x00"}
        if method == "state_call" and params and params[0] == "Metadata_metadata_versions":
            return {"result": "0x080e0000000f000000" if self.metadata_v15 else "0x040e000000"}
        if scenario is not None:
            found = scenario.find(method, params)
            if found is not None:
                return found
        if method == "state_getStorageAt" and params:
            for other in self.scenarios.values():
                found = other.find(method, params[:1])
                if found is not None:
                    return found
        fallback = self._fallback(scenario, method, params)
        if fallback is not None:
            return fallback
        where = f"scenario {scenario.name!r}" if scenario else "no scenario"
        return {"error": {"code": ERROR_NO_RECORD,
                          "message": f"replay: no recorded answer to {method}({json.dumps(params)}) in {where}"}}

    def _fallback(self, scenario: Scenario | None, method: str, params: list[Any]) -> dict[str, Any] | None:
        head = scenario.head() if scenario else None
        if method in _HEAD_METHODS and head:
            return {"result": head}
        if method == "chain_getBlockHash":
            if params and params[0] == 0:
                return {"result": FINNEY_GENESIS}
            if (not params or params[0] is None) and head:
                return {"result": head}
        if method in _BLOCK_METHODS and scenario is not None:
            if method == "chain_getRuntimeVersion":
                method = "state_getRuntimeVersion"
            found = scenario.find(method, [head]) or scenario.any_answer(method) or self._default_version(method)
            if found is None and method == "chain_getHeader":
                found = {"result": {"parentHash": head, "number": "0x0", "stateRoot": head, "extrinsicsRoot": head,
                                    "digest": {"logs": []}}}
            return found
        if method in ("state_getRuntimeVersion", "chain_getRuntimeVersion"):
            return self._default_version(method)
        if method == "system_chain":
            return {"result": "Bittensor"}
        if method == "system_properties":
            return {"result": PROPERTIES}
        if method == "rpc_methods" and self._rpc_methods:
            return self._rpc_methods
        if method == "author_submitExtrinsic" and params:
            data = bytes.fromhex(str(params[0]).removeprefix("0x"))
            self.submitted.append(str(params[0]))
            return {"result": "0x" + hashlib.blake2b(data, digest_size=32).hexdigest()}
        if self.absent_storage and method == "state_getStorageAt":
            return {"result": None}
        if self.absent_storage and method == "chain_getBlockHash" and params and isinstance(params[0], int):
            return {"result": "0x" + hashlib.blake2b(str(params[0]).encode(), digest_size=32).hexdigest()}
        if method == "system_accountNextIndex":
            return {"result": 0}
        if method == "state_call" and params and params[0] == "AccountNonceApi_account_nonce":
            return {"result": "0x00000000"}
        return None

    def _default_version(self, method: str) -> dict[str, Any] | None:
        if method not in ("state_getRuntimeVersion", "chain_getRuntimeVersion"):
            return None
        return {"result": {"specName": "node-subtensor", "implName": "node-subtensor", "authoringVersion": 1,
                           "specVersion": self.spec_version, "implVersion": 1, "apis": [],
                           "transactionVersion": 1, "stateVersion": 1}}
