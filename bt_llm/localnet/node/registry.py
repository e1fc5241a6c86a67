"""A scale-info portable type registry built from type strings.

Metadata V14 names every type by an integer id into one table (the "portable registry"). This module
turns the type strings of our schema ("u16", "Vec<(AccountId, Compact<u64>)>", "[u8; 32]",
"Option<AxonInfo>", a named struct or enum of a scalecodec-style registry dict) into entries of that
table, assigning ids on first use and reusing them afterwards.

Example:
    >>> table = TypeTable({"Pair": {"type": "struct", "type_mapping": [["a", "u16"], ["b", "bool"]]}})
    >>> table.id("Vec<Pair>")
    0
    >>> table.types[0]["type"]["def"]
    {'sequence': {'type': 1}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PRIMITIVES = frozenset(
    {"bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "u256", "i8", "i16", "i32", "i64", "i128", "i256"}
)

# Type names that are spelled differently in Substrate code but mean the same thing here.
ALIASES: dict[str, str] = {
    "Balance": "u64",
    "BalanceOf": "u64",
    "T::Balance": "u64",
    "BlockNumber": "u32",
    "T::BlockNumber": "u32",
    "Index": "u32",
    "Nonce": "u32",
    "RefCount": "u32",
    "Bytes": "Vec<u8>",
    "String": "Vec<u8>",
    "Text": "str",
    "Hash": "H256",
    "T::Hash": "H256",
    "BlockHash": "H256",
    "AccountId32": "AccountId",
    "T::AccountId": "AccountId",
    "Null": "()",
}

# Named types with a fixed Substrate path, so scalecodec picks its special decoders for them.
PATHED: dict[str, tuple[list[str], dict[str, Any]]] = {
    "AccountId": (["sp_core", "crypto", "AccountId32"], {"composite": [(None, "[u8; 32]")]}),
    "H256": (["primitive_types", "H256"], {"composite": [(None, "[u8; 32]")]}),
}


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split ``text`` on ``sep`` outside of <>, (), [] brackets; parts are stripped, empty ones dropped."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    tail = "".join(current).strip()
    if tail:
        parts.append(tail)
    return parts


def normalise(type_string: str) -> str:
    """Canonical spelling of a type string: single spaces after commas, aliases resolved at the top."""
    text = " ".join(type_string.replace("\n", " ").split())
    text = text.replace("< ", "<").replace(" >", ">").replace("( ", "(").replace(" )", ")")
    return ALIASES.get(text, text)


class TypeTable:
    """Assigns portable-registry ids to type strings, adding their definitions on first use.

    Args:
        named: a scalecodec-style registry: ``name -> alias string`` or
            ``{"type": "struct", "type_mapping": [[field, type], ...]}`` or
            ``{"type": "enum", "type_mapping": [[variant, type | "Null"], ...]}`` or
            ``{"type": "enum", "value_list": [variant, ...]}``; an optional ``"path"`` list names it.
    """

    def __init__(self, named: Mapping[str, Any] | None = None) -> None:
        self.named: dict[str, Any] = dict(named or {})
        self.types: list[dict[str, Any]] = []
        self._ids: dict[str, int] = {}

    # -- building -----------------------------------------------------------------------------------
    def reserve(self, key: str) -> int:
        """Reserve an id for ``key`` whose definition is filled later with :meth:`define` (recursive types)."""
        if key in self._ids:
            return self._ids[key]
        type_id = len(self.types)
        self.types.append({"id": type_id, "type": {"path": [], "params": [], "def": {"tuple": []}, "docs": []}})
        self._ids[key] = type_id
        return type_id

    def define(self, key: str, definition: dict[str, Any], *, path: Sequence[str] = (),
               params: Sequence[tuple[str, int | None]] = (), docs: Sequence[str] = ()) -> int:
        """Set (or add) the definition registered under ``key`` and return its id."""
        type_id = self.reserve(key)
        self.types[type_id]["type"] = {
            "path": list(path),
            "params": [{"name": name, "type": ty} for name, ty in params],
            "def": definition,
            "docs": list(docs),
        }
        return type_id

    def fields(self, mapping: Sequence[tuple[str | None, str]]) -> list[dict[str, Any]]:
        """Field entries for a composite or variant from ``(name, type string)`` pairs."""
        return [
            {"name": name, "type": self.id(ty), "typeName": normalise(ty), "docs": []} for name, ty in mapping
        ]

    def composite(self, key: str, mapping: Sequence[tuple[str | None, str]], *, path: Sequence[str] = (),
                  params: Sequence[tuple[str, int | None]] = ()) -> int:
        """Define a struct (named fields) or tuple struct (unnamed fields) under ``key``."""
        self.reserve(key)
        return self.define(key, {"composite": {"fields": self.fields(mapping)}}, path=path, params=params)

    def variant(self, key: str, variants: Sequence[tuple[str, int, Sequence[tuple[str | None, str]], Sequence[str]]],
                *, path: Sequence[str] = (), params: Sequence[tuple[str, int | None]] = ()) -> int:
        """Define an enum under ``key`` from ``(name, index, fields, docs)`` variants."""
        self.reserve(key)
        entries = [
            {"name": name, "fields": self.fields(fields), "index": index, "docs": list(docs)}
            for name, index, fields, docs in variants
        ]
        return self.define(key, {"variant": {"variants": entries}}, path=path, params=params)

    # -- lookup -------------------------------------------------------------------------------------
    def id(self, type_string: str) -> int:
        """The id of ``type_string``, adding its definition (and those of its parts) when new."""
        key = normalise(type_string)
        if key in self._ids:
            return self._ids[key]
        return self._build(key)

    def _build(self, key: str) -> int:
        if key in PRIMITIVES:
            return self.define(key, {"primitive": key})
        if key == "()":
            return self.define(key, {"tuple": []})
        if key in PATHED:
            path, spec = PATHED[key]
            return self.composite(key, spec["composite"], path=path)
        if key.startswith("(") and key.endswith(")"):
            members = split_top_level(key[1:-1])
            if len(members) == 1:
                return self.id(members[0])
            self.reserve(key)
            return self.define(key, {"tuple": [self.id(m) for m in members]})
        if key.startswith("[") and key.endswith("]"):
            inner, length = key[1:-1].rsplit(";", 1)
            self.reserve(key)
            return self.define(key, {"array": {"len": int(length.strip()), "type": self.id(inner)}})
        if "<" in key and key.endswith(">"):
            return self._generic(key)
        if key in self.named:
            return self._named(key, self.named[key])
        raise KeyError(f"unknown type {key!r}: add it to the schema's type registry")

    def _generic(self, key: str) -> int:
        outer, inner = key.split("<", 1)
        inner = inner[:-1]
        outer = outer.strip()
        if outer in ("Vec", "BoundedVec", "WeakBoundedVec"):
            self.reserve(key)
            return self.define(key, {"sequence": {"type": self.id(split_top_level(inner)[0])}})
        if outer == "Compact":
            self.reserve(key)
            return self.define(key, {"compact": {"type": self.id(inner)}})
        if outer == "Option":
            self.reserve(key)
            some = self.id(inner)
            return self.define(
                key,
                {"variant": {"variants": [
                    {"name": "None", "fields": [], "index": 0, "docs": []},
                    {"name": "Some", "fields": [{"name": None, "type": some, "typeName": normalise(inner),
                                                 "docs": []}], "index": 1, "docs": []},
                ]}},
                path=["Option"], params=[("T", some)],
            )
        if outer in ("Box", "T::Box"):
            return self.id(inner)
        if outer in self.named:
            return self._named(key, self.named[outer])
        raise KeyError(f"unknown generic type {key!r}")

    def _named(self, key: str, spec: Any) -> int:
        if isinstance(spec, str):
            type_id = self.id(spec)
            self._ids[key] = type_id
            return type_id
        path = spec.get("path") or [key]
        kind = spec.get("type")
        if kind == "struct":
            return self.composite(key, [(name, ty) for name, ty in spec["type_mapping"]], path=path)
        if kind == "enum":
            if "value_list" in spec:
                values = spec["value_list"]
                pairs = values.items() if isinstance(values, Mapping) else [(v, i) for i, v in enumerate(values)]
                return self.variant(key, [(name, int(index), [], []) for name, index in pairs], path=path)
            variants = []
            for index, (name, ty) in enumerate(spec["type_mapping"]):
                if ty in (None, "Null", "()"):
                    fields: list[tuple[str | None, str]] = []
                elif isinstance(ty, Mapping):
                    fields = list(ty.items())
                else:
                    fields = [(None, ty)]
                variants.append((name, index, fields, []))
            return self.variant(key, variants, path=path)
        raise KeyError(f"type {key!r}: unsupported registry entry {spec!r}")
