"""Fuzzing the node's JSON-RPC server over HTTP POST and WebSocket, bounded: a seeded generator, a few
hundred messages, a few seconds.

What goes in: malformed JSON, wrong JSON-RPC shapes (batches, missing or odd ids and methods, params of
the wrong type or count), huge numbers, JSON nested thousands deep, bytes that are not UTF-8, lone
surrogates, unknown methods, the real methods with garbage (``chain_getBlockHash``, ``state_call``,
``state_getStorage``, ``author_submitExtrinsic`` with junk and with mutated signed extrinsics, the custom
readers, ``system_*``).

What must come out: never an HTTP 5xx nor a dropped connection; every answer a well-formed JSON-RPC
result or error object whose code is one the node means to use (never -32603, the node's "a handler
raised something nobody mapped"); no ERROR record or traceback in the node's log; and afterwards the
node still serves reads and includes a real transfer.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import time
from dataclasses import dataclass
from typing import Any

import pytest
from substrateinterface import Keypair
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bt_llm.localnet.node import rpc as rpcmod
from bt_llm.localnet.node.app import LocalnetNode
from bt_llm.localnet.node.custom_rpc import CUSTOM_RPC_READERS, RUNTIME_API_READERS, SPECIAL_APIS
from bt_llm.localnet.storage import storage_key
from tests.integration.node.signing import ChainParams, signed_transfer

SEED = 0xB17_11A
CASES = 360  # each one goes over HTTP and over WebSocket
SYNC_EVERY = 25  # WebSocket: a marker request every N cases, answered within SYNC_TIMEOUT or the test fails
SYNC_TIMEOUT = 15.0
TIME_BUDGET_S = 60.0  # generous for 2 busy cores; a quiet machine takes a few seconds

ALICE = Keypair.create_from_uri("//Alice")
# What the node may answer: the JSON-RPC 2.0 codes for bad requests, and the Substrate-style codes it
# already uses (verification 1002, pool 1010..1014, "Client error" 4003, subscriptions unsupported -32090).
ALLOWED_CODES = {
    rpcmod.PARSE_ERROR, rpcmod.INVALID_REQUEST, rpcmod.METHOD_NOT_FOUND, rpcmod.INVALID_PARAMS,
    rpcmod.SUBSCRIPTIONS_UNSUPPORTED, 1002, 1010, 1011, 1012, 1013, 1014, 4003,
}
NOTIFICATION_METHODS = {"chain_newHead", "chain_finalizedHead", "state_storage", "author_extrinsicUpdate"}
# Methods called with random parameters; sealing takes a count (up to 10,000 blocks) so it gets fixed cases.
SKIP_RANDOM = {"localnet_sealBlocks"}


class NodeLog(logging.Handler):
    """Keeps the node's ERROR records and anything logged with a traceback (the server runs in-process)."""

    LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.asgi", "asyncio", "bt_llm")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.bad.append(f"{record.name} {record.levelname}: {record.getMessage()}\n{self.format(record)}")

    def __enter__(self) -> NodeLog:
        for name in self.LOGGERS:  # uvicorn's loggers do not propagate to the root
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)


# -- the generator ----------------------------------------------------------------------------------


@dataclass
class Case:
    kind: str
    payload: bytes
    expect_ids: tuple[Any, ...] = ()  # unique ids the answer must carry (a batch: several)
    silent: bool = False  # notifications only: no answer expected

    def describe(self) -> str:
        return f"{self.kind}: {self.payload[:160]!r}{'...' if len(self.payload) > 160 else ''}"


class Fuzzer:
    def __init__(self, rng: random.Random, methods: list[str], valid_xt: bytes) -> None:
        self.rng = rng
        self.methods = [m for m in methods if m not in SKIP_RANDOM]
        self.valid_xt = valid_xt
        self.next_id = 1_000_000

    # values -------------------------------------------------------------------------------------
    def hexstr(self, n: int | None = None) -> str:
        n = self.rng.choice([0, 1, 2, 31, 32, 33, 64, 300]) if n is None else n
        return "0x" + self.rng.randbytes(n).hex()

    def string(self) -> str:
        r = self.rng
        return r.choice([
            "", "0x", "0x0", "0xzz", "0x" + "g" * 64, "0x" + "00" * 32, self.hexstr(), self.hexstr(), "-1", "1",
            "0x" + "f" * 40, "9" * 30, ALICE.ss58_address, ALICE.ss58_address[:-1] + "x", "5" * 48,
            "\ud800", "\udfff", "0x\ud800", "a\udc80b", "\U0001f600", "\x00", "x" * r.choice([100, 5000]),
            "".join(chr(r.randrange(0x20, 0x7F)) for _ in range(r.randrange(0, 20))),
        ])

    def number(self) -> Any:
        return self.rng.choice([
            0, 1, -1, 2, 255, 256, 65535, 65536, 2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**63, 2**64, -(2**63),
            10**30, 10**400, -(10**400), 0.5, -0.0, 1e308, 5e-324, 3.0,
        ])

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        choice = r.randrange(10 if depth < 3 else 6)
        if choice == 0:
            return None
        if choice == 1:
            return r.choice([True, False])
        if choice in (2, 3):
            return self.number()
        if choice in (4, 5):
            return self.string()
        if choice == 6:
            return [r.randrange(256) for _ in range(r.choice([0, 1, 31, 32, 33]))]
        if choice == 7:
            return [self.value(depth + 1) for _ in range(r.randrange(4))]
        if choice == 8:
            return [[r.randrange(256) for _ in range(32)]] * r.randrange(1, 3)
        return {self.string()[:10]: self.value(depth + 1) for _ in range(r.randrange(3))}

    def params(self) -> Any:
        r = self.rng
        if r.random() < 0.1:
            return r.choice([None, 1, "x", True, {}, {"a": 1}, {"hash": self.hexstr(32)}])
        return [self.value() for _ in range(r.choice([0, 1, 1, 2, 2, 3, 5]))]

    # messages -----------------------------------------------------------------------------------
    def regressions(self) -> list[Case]:
        """Inputs that once made the node fail (a 500, a -32603 with a traceback, NaN in an answer), kept
        on every run whatever the seed draws."""
        def call(method: str, params: Any) -> Case:
            return self.call_case("regression", method, params)

        return [
            Case("regression", b"[" * 1500 + b"]" * 1500),  # RecursionError out of json.loads: HTTP 500
            Case("regression", b'{"jsonrpc":"2.0","method":"state_call","id":1,"params":'
                               + b"[" * 1200 + b"]" * 1200 + b"}"),
            Case("regression", b'{"jsonrpc":"2.0","method":"system_name","id":' + b"[" * 990 + b"]" * 990 + b"}"),
            Case("regression", b'{"jsonrpc":"2.0","method":"system_name","id":NaN}'),  # echoed as NaN
            Case("regression", b'{"jsonrpc":"2.0","method":"system_name","id":1e400}'),  # echoed as Infinity
            call("chain_getBlockHash", [2**64]),  # OverflowError from SQLite
            call("chain_getBlockHash", ["0x" + "f" * 40]),
            call("chain_getBlockHash", [[0, 10**30]]),
            call("system_accountNextIndex", ["0x" + "g" * 64]),  # ValueError from bytes.fromhex
            call("stakeInfo_getStakeInfoForColdkeys", [[5]]),  # bytes(5): an int taken for a length
            call("stakeInfo_getStakeInfoForColdkeys", [[[1] * 31]]),
            Case("regression", b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}'),  # a CESU-8 lone surrogate
        ]

    def fresh_id(self) -> Any:
        self.next_id += 1
        return self.next_id if self.rng.random() < 0.5 else f"req-{self.next_id}"

    def request(self, method: Any, params: Any, *, track: bool = True) -> tuple[dict[str, Any], Any]:
        request_id = self.fresh_id()
        return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, (request_id if track else None)

    def encode(self, obj: Any) -> bytes:
        # ensure_ascii escapes lone surrogates as \ud800; otherwise send them as raw (CESU-8) bytes
        if self.rng.random() < 0.7:
            return json.dumps(obj).encode()
        return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")

    def call_case(self, kind: str, method: Any, params: Any) -> Case:
        message, request_id = self.request(method, params)
        return Case(kind, self.encode(message), (request_id,))

    def case(self) -> Case:
        r = self.rng
        kind = r.choices(
            ["method", "method", "method", "submit", "state_call", "storage", "block_hash", "custom", "system",
             "unknown", "shape", "batch", "malformed", "huge", "deep", "utf8", "notification", "seal"],
            weights=[3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 3, 2, 3, 1, 2, 2, 1, 1],
        )[0]
        return getattr(self, f"case_{kind}")()

    def case_method(self) -> Case:
        return self.call_case("method", self.rng.choice(self.methods), self.params())

    def case_system(self) -> Case:
        method = self.rng.choice([m for m in self.methods if m.startswith("system_")])
        return self.call_case("system", method, self.params())

    def case_custom(self) -> Case:
        r = self.rng
        method = r.choice(sorted(CUSTOM_RPC_READERS))
        account = [r.randrange(256) for _ in range(32)]
        odd = r.choice([[5], [300], [-1], [1.5], ["a"], [[1]] * 32, account[:31], [*account, 0], [None] * 32])
        params = r.choice([self.params(), [odd], [[odd]], [[account, odd]], [1, odd], [odd, self.hexstr(32)],
                           [account], [[account]], [r.choice([1, 0, 65536, -1]), r.choice([0, 1, 2**16])]])
        return self.call_case("custom", method, params)

    def case_block_hash(self) -> Case:
        r = self.rng
        value = r.choice([self.number(), self.string(), [self.number() for _ in range(r.randrange(4))],
                          [0] * 1001, None, {"n": 1}])
        params = r.choice([[value], [value, value], [], [value, None, 1]])
        return self.call_case("block_hash", r.choice(["chain_getBlockHash", "chain_getHeader", "chain_getBlock"]),
                              params)

    def case_storage(self) -> Case:
        r = self.rng
        method = r.choice(["state_getStorage", "state_getStorageAt", "state_getStorageHash", "state_getStorageSize",
                           "state_getKeysPaged", "state_getKeys", "state_queryStorageAt", "state_getMetadata",
                           "state_getRuntimeVersion"])
        params = [r.choice([self.hexstr(), self.string(), self.number(), None, [self.hexstr(32)]])
                  for _ in range(r.randrange(5))]
        return self.call_case("storage", method, params)

    def case_state_call(self) -> Case:
        r = self.rng
        api = r.choice([*RUNTIME_API_READERS, *SPECIAL_APIS, "NoSuchApi_method", self.string(), 7, None])
        data = r.choice([self.hexstr(), self.hexstr(), "0x" + self.valid_xt.hex() + "00000000",
                         "0x" + self.mutated_xt().hex(), self.string(), self.number()])
        params = r.choice([[api, data], [api, data, self.hexstr(32)], [api], [api, data, None, 1], []])
        return self.call_case("state_call", "state_call", params)

    def mutated_xt(self) -> bytes:
        r = self.rng
        raw = bytearray(self.valid_xt)
        how = r.randrange(5)
        if how == 0:
            for _ in range(r.randrange(1, 4)):
                raw[r.randrange(len(raw))] ^= 1 << r.randrange(8)
        elif how == 1:
            raw = raw[: r.randrange(len(raw))]
        elif how == 2:
            raw += r.randbytes(r.randrange(1, 40))
        elif how == 3:
            raw[r.randrange(len(raw))] = r.randrange(256)
        else:
            raw = bytearray(r.randbytes(r.randrange(0, 200)))
        return bytes(raw)

    def case_submit(self) -> Case:
        r = self.rng
        xt = r.choice(["0x" + self.mutated_xt().hex(), self.hexstr(), self.string(), "0x" + "ff" * 300,
                       self.number(), None, ["0x00"]])
        method = r.choice(["author_submitExtrinsic", "author_submitExtrinsic", "author_submitAndWatchExtrinsic",
                           "payment_queryInfo"])
        return self.call_case("submit", method, r.choice([[xt], [xt, xt], [], [xt, self.hexstr(32)]]))

    def case_unknown(self) -> Case:
        r = self.rng
        method = r.choice(["", "nope", "system_nope", "chain_getBlockHash ", "CHAIN_GETHEAD", "rpc.methods",
                           "\ud800", "x" * 1000, "__init__", "methods", "state_call\x00"])
        return self.call_case("unknown", method, self.params())

    def case_notification(self) -> Case:
        r = self.rng
        message = {"jsonrpc": "2.0", "method": r.choice([*self.methods, "nope"]),
                   "params": [self.value() for _ in range(r.randrange(3))]}
        return Case("notification", self.encode(message), silent=True)

    def case_seal(self) -> Case:
        r = self.rng
        count = r.choice([0, -1, 10_001, 1.5, "1", None, True, 2**64, [1]])
        return self.call_case("seal", "localnet_sealBlocks", r.choice([[count], [count, 1]]))

    def case_shape(self) -> Case:
        r = self.rng
        shapes: list[Any] = [
            1, "x", None, True, [], {}, [1], [[]], {"id": 1}, {"method": None, "id": 2}, {"method": 5, "id": 3},
            {"method": ["chain_getHead"], "id": 4}, {"method": {"m": 1}, "id": 5},
            {"jsonrpc": "1.0", "id": 6, "method": "chain_getHead"}, {"id": 7, "method": "chain_getHead"},
            {"jsonrpc": "2.0", "id": [1], "method": "chain_getHead"}, {"jsonrpc": "2.0", "id": {"a": 1},
                                                                        "method": "chain_getHead"},
            {"jsonrpc": "2.0", "id": True, "method": "chain_getHead"}, {"jsonrpc": "2.0", "id": 10**300,
                                                                       "method": "chain_getHead"},
            {"jsonrpc": "2.0", "id": 1.5, "method": "chain_getHead"}, {"jsonrpc": "2.0", "id": "\ud800",
                                                                      "method": "system_name"},
            {"jsonrpc": "2.0", "id": 8, "method": "chain_getHead", "params": "x"},
            {"jsonrpc": "2.0", "id": 9, "method": "chain_getHead", "params": 5},
            {"jsonrpc": "2.0", "id": 10, "method": "chain_getBlockHash", "params": {"number": 0}},
            {"jsonrpc": "2.0", "id": 11, "method": "system_health", "extra": [1, 2]},
        ]
        return Case("shape", self.encode(r.choice(shapes)))

    def case_batch(self) -> Case:
        r = self.rng
        items: list[Any] = []
        expect = []
        for _ in range(r.choice([1, 2, 5, 20])):
            pick = r.randrange(4)
            if pick == 0:
                message, request_id = self.request(r.choice(self.methods), self.params())
                expect.append(request_id)
                items.append(message)
            elif pick == 1:
                items.append(r.choice([1, "x", None, [], [{"id": 1, "method": "chain_getHead"}], {}]))
            elif pick == 2:
                items.append({"jsonrpc": "2.0", "method": "system_health"})  # a notification inside
            else:
                message, _ = self.request(r.choice([*self.methods, "nope"]), self.params(), track=False)
                items.append(message)
        notifications_only = all(isinstance(i, dict) and "id" not in i and "method" in i for i in items)
        return Case("batch", self.encode(items), tuple(expect), silent=notifications_only)

    def case_malformed(self) -> Case:
        r = self.rng
        good = json.dumps(self.request("chain_getHead", [])[0]).encode()
        options = [
            b"", b" ", b"{", b"}", b"[", b"]", b"nul", b"tru", b'"', b"{'a': 1}", b"{\"id\":1,}", b"[1,]",
            b"NaN", b"Infinity", b"-Infinity", b'{"jsonrpc":"2.0","id":NaN,"method":"system_name"}',
            b'{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":[Infinity]}',
            good[: r.randrange(1, len(good))], good + b"garbage", good + good, b"\x00" * 10, r.randbytes(64),
            b'{"jsonrpc":"2.0","id":1,"method":"chain_getHead"' + b" " * 1000, b"\xef\xbb\xbf" + good,
            bytes(b ^ 0x20 if r.random() < 0.05 else b for b in good),
        ]
        return Case("malformed", r.choice(options))

    def case_huge(self) -> Case:
        r = self.rng
        digits = r.choice([b"9" * 5000, b"-" + b"9" * 5000, b"1e400", b"-1e400", b"1" + b"0" * 300, b"1e-400",
                           b"0." + b"1" * 5000, b"123456789" * 100])
        where = r.randrange(3)
        if where == 0:
            body = b'{"jsonrpc":"2.0","id":' + digits + b',"method":"system_name"}'
        elif where == 1:
            body = b'{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":[' + digits + b"]}"
        else:
            body = b'{"jsonrpc":"2.0","id":1,"method":"localnet_sealBlocks","params":[' + digits + b"]}"
        return Case("huge", body)

    def case_deep(self) -> Case:
        r = self.rng
        depth = r.choice([900, 990, 1000, 1001, 1500, 5000, 50_000])
        opener, closer = r.choice([(b"[", b"]"), (b'{"a":', b"}")])
        nested = opener * depth + b"1" + closer * depth
        where = r.randrange(4)
        if where == 0:
            body = nested
        elif where == 1:
            body = b'{"jsonrpc":"2.0","id":1,"method":"state_call","params":[' + nested + b"]}"
        elif where == 2:
            body = b'{"jsonrpc":"2.0","id":' + nested + b',"method":"chain_getHead"}'
        else:
            body = b'{"jsonrpc":"2.0","id":1,"method":"stakeInfo_getStakeInfoForColdkeys","params":[' + nested + b"]}"
        return Case("deep", body)

    def case_utf8(self) -> Case:
        r = self.rng
        bad = r.choice([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf",
                        b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80"])
        body = r.choice([
            b'{"jsonrpc":"2.0","id":1,"method":"' + bad + b'"}',
            b'{"jsonrpc":"2.0","id":1,"method":"system_accountNextIndex","params":["' + bad + b'"]}',
            b'{"jsonrpc":"2.0","id":1,"method":"state_getStorage","params":["0x' + bad + b'"]}',
            b'{"jsonrpc":"2.0","id":"' + bad + b'","method":"system_name"}',
            bad + b'{"jsonrpc":"2.0","id":1,"method":"system_name"}',
            b"\xff\xfe" + '{"id":1}'.encode("utf-16-le"),
            '{"jsonrpc":"2.0","id":1,"method":"system_name"}'.encode("utf-16"),
            '{"jsonrpc":"2.0","id":1,"method":"system_name"}'.encode("utf-32-le"),
        ])
        return Case("utf8", body)


# -- checking answers -------------------------------------------------------------------------------


def _strict_loads(text: str | bytes) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} in an answer is not JSON")

    return json.loads(text, parse_constant=no_constants)


def check_message(obj: Any, where: str, *, websocket: bool) -> list[Any]:
    """Assert one answer (object or batch) is well-formed JSON-RPC; returns the ids it answers."""
    if isinstance(obj, list):
        assert obj, f"{where}: an empty batch answer"
        ids: list[Any] = []
        for item in obj:
            assert isinstance(item, dict), f"{where}: a batch answer holds {item!r}"
            assert "method" not in item, f"{where}: a notification inside a batch answer"
            ids += check_message(item, where, websocket=websocket)
        return ids
    assert isinstance(obj, dict), f"{where}: answer is {obj!r}"
    assert obj.get("jsonrpc") == "2.0", f"{where}: {obj!r}"
    if "method" in obj and "id" not in obj:
        assert websocket, f"{where}: a notification over HTTP: {obj!r}"
        assert obj["method"] in NOTIFICATION_METHODS, f"{where}: {obj!r}"
        assert isinstance(obj.get("params"), dict) and "subscription" in obj["params"], f"{where}: {obj!r}"
        return []
    assert "id" in obj, f"{where}: no id in {obj!r}"
    assert ("result" in obj) != ("error" in obj), f"{where}: needs exactly one of result/error: {obj!r}"
    if "error" in obj:
        error = obj["error"]
        assert isinstance(error, dict) and isinstance(error.get("message"), str), f"{where}: {obj!r}"
        code = error.get("code")
        assert isinstance(code, int) and code in ALLOWED_CODES, f"{where}: unexpected error code: {obj!r}"
    return [obj["id"]]


# -- transports -------------------------------------------------------------------------------------


class Http:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


class Ws:
    """One WebSocket connection; answers may come in any order (each request runs on its own)."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen_ids: list[Any] = []
        self.syncs = 0

    def send(self, case: Case, binary: bool) -> None:
        try:
            text = case.payload.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or binary:
            self.conn.send(case.payload)  # a binary frame: the node decodes it itself
        else:
            self.conn.send(text)

    def sync(self, where: str, *, also: list[Any] | tuple[Any, ...] = ()) -> None:
        """Send a marker request and read (and check) everything until its answer, and those to ``also``
        (requests run concurrently: an earlier one may be answered after the marker)."""
        self.syncs += 1
        marker = f"sync-{self.syncs}"
        self.conn.send(json.dumps({"jsonrpc": "2.0", "id": marker, "method": "system_health", "params": []}))
        deadline = time.monotonic() + SYNC_TIMEOUT
        waiting = {marker, *also} - set(self.seen_ids)
        while waiting:
            left = deadline - time.monotonic()
            assert left > 0, f"{where}: no answer to {sorted(map(str, waiting))[:10]} within {SYNC_TIMEOUT} s"
            try:
                raw = self.conn.recv(timeout=left)
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                raise AssertionError(f"{where}: the node dropped the WebSocket: {exc}") from exc
            ids = check_message(_strict_loads(raw), where, websocket=True)
            self.seen_ids += ids
            waiting -= set(ids)



# -- the test ---------------------------------------------------------------------------------------


@pytest.fixture
def node():
    with LocalnetNode(port=0, manual_seal=True, instant_seal=True) as running:
        running.seal(3)
        yield running


@pytest.mark.timeout(180)
def test_rpc_fuzz_over_http_and_websocket(node) -> None:
    started = time.monotonic()
    chain = ChainParams.from_rpc(node.rpc)
    valid_xt = signed_transfer(ALICE, bytes([9]) * 32, 10**9, 10**6, chain)  # a future nonce: stays pooled
    methods = node.rpc("rpc_methods")["methods"]
    fuzzer = Fuzzer(random.Random(SEED), methods, valid_xt)
    cases = fuzzer.regressions() + [fuzzer.case() for _ in range(CASES)]
    kinds = {case.kind for case in cases}
    assert {"deep", "utf8", "huge", "batch", "submit", "state_call", "malformed"} <= kinds

    http_client = Http(node.server.port)
    expected_ids: list[Any] = []
    with NodeLog() as node_log, connect(node.url, max_size=None, open_timeout=10, close_timeout=5) as conn:
        ws = Ws(conn)
        try:
            for index, case in enumerate(cases):
                where = f"case {index} ({case.describe()})"
                # over HTTP: one answer per message, checked on the spot
                try:
                    status, body = http_client.post(case.payload)
                except (OSError, http.client.HTTPException) as exc:
                    raise AssertionError(f"{where}: HTTP connection failed: {exc!r}") from exc
                assert status == 200, f"{where}: HTTP {status}: {body[:300]!r}"
                if case.silent:
                    assert body == b"" or "error" in _strict_loads(body), f"{where}: {body[:300]!r}"
                else:
                    assert body, f"{where}: no answer"
                    ids = check_message(_strict_loads(body), f"{where} [http]", websocket=False)
                    missing = [i for i in case.expect_ids if i not in ids]
                    assert not missing, f"{where}: no answer for ids {missing} (answered {ids})"
                # over WebSocket: answers are collected at each marker
                ws.send(case, binary=fuzzer.rng.random() < 0.2)
                expected_ids += case.expect_ids
                if index % SYNC_EVERY == SYNC_EVERY - 1:
                    ws.sync(f"after {where} [ws]")
            ws.sync("end [ws]", also=expected_ids)  # every tracked request answered

            # A text frame that is not UTF-8 closes that connection (1007), and only that one.
            with connect(node.url, open_timeout=10, close_timeout=5) as bad:
                bad.send(b'{"id":1,"method":"\xff"}', text=True)
                with pytest.raises(ConnectionClosed) as closed:
                    bad.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
            ws.sync("after a bad frame on another connection [ws]")

            # A body over the limit is refused from its Content-Length alone: 413, not a 5xx.
            with socket.create_connection(("127.0.0.1", node.server.port), timeout=10) as raw:
                raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 99999999999\r\n\r\n")
                assert raw.recv(200).startswith(b"HTTP/1.1 413 ")

            # Still healthy: reads over both transports, and a real transfer is included.
            assert node.rpc("system_health")["isSyncing"] is False
            header = node.rpc("chain_getHeader")
            ws.conn.send(json.dumps({"jsonrpc": "2.0", "id": "head", "method": "chain_getHeader", "params": []}))
            ws.sync("health [ws]", also=["head"])
            dest = bytes([42]) * 32
            nonce = node.rpc("system_accountNextIndex", [ALICE.ss58_address])
            node.rpc("author_submitExtrinsic", ["0x" + signed_transfer(ALICE, dest, 7 * 10**9, nonce, chain).hex()])
            deadline = time.monotonic() + 10  # instant seal: a block follows at once
            while int(node.rpc("chain_getHeader")["number"], 16) == int(header["number"], 16):
                assert time.monotonic() < deadline, "no block for the transfer after the fuzz"
                time.sleep(0.02)
            assert node.rpc("state_getStorage", ["0x" + storage_key("System", "Account", dest).hex()]), \
                "the transfer after the fuzz was not included"
        finally:
            http_client.close()
    assert not node_log.bad, "the node logged errors:\n" + "\n".join(node_log.bad[:5])
    elapsed = time.monotonic() - started
    assert elapsed < TIME_BUDGET_S, f"the fuzz took {elapsed:.1f} s"
