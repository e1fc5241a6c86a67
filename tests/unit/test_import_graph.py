"""The import graph of ``bt_llm`` has no cycles, including those an import inside a function would hide."""

from __future__ import annotations

import grimp

# Cycles known today, each a set of modules (none: a new one fails the test).
KNOWN_CYCLES: list[set[str]] = []


def import_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(component)
    return cycles


def test_no_import_cycles_but_the_known_ones() -> None:
    graph = grimp.build_graph("bt_llm", cache_dir=None)
    assert [c for c in import_cycles(graph) if c not in KNOWN_CYCLES] == []


def test_cycle_finder_sees_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert import_cycles(graph) == [{"pkg.a", "pkg.b"}]


def test_the_scale_core_depends_on_nothing_but_the_errors() -> None:
    graph = grimp.build_graph("bt_llm", cache_dir=None)
    assert graph.find_modules_directly_imported_by("bt_llm.scale") == {"bt_llm.errors"}
    for user in ("bt_llm.wallet.keypair", "bt_llm.localnet.codec", "bt_llm.localnet.node.extrinsic"):
        chain = {m for m in graph.find_upstream_modules(user) if m.startswith("bt_llm.chain")}
        assert chain == set(), f"{user} imports the chain client: {sorted(chain)}"
