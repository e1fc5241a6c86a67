"""The bridge's live dashboard: ``/dashboard`` (a page) and ``/dashboard/data`` (what it shows, as JSON).

The page is rendered by the bridge with the current data in it, then polls ``/dashboard/data`` every
two seconds: the subnet's metagraph (uid, hotkey, stake, incentive, dividends, emission, trust), each
miner's latency, tokens/s and score over time (plots), the API's requests per second, and the weights
the bridge set and when. Plots are drawn by uPlot (MIT, ``bridge/static/uplot/``), served by the bridge
itself: the page loads nothing from elsewhere, for networks without internet.

Like ``/metrics`` and ``/scores``, the dashboard is an operator's view and sits outside the OpenAI
API's key check: it shows what the chain makes public and the bridge's own counters, no prompt or answer.
Everything comes from memory (the metagraph of the last refresh, :class:`~bridge.history.History`):
a poll never reaches the chain or a miner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from importlib import resources
from string import Template
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bt_llm.bridge.history import History
from bt_llm.seams import Metagraph

__all__ = ["DashboardSource", "build_dashboard_router", "metagraph_rows"]

POLL_MS = 2000
STATIC = {  # the files the page loads: name -> media type (nothing else under static/ is served)
    "uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "uPlot.min.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}


def _static(name: str) -> bytes:
    folder = resources.files("bridge") / "static"
    path = folder / "uplot" / name if name.startswith("uPlot") else folder / name
    return path.read_bytes()


def metagraph_rows(metagraph: Metagraph) -> list[dict[str, Any]]:
    """One row per uid of a (lite) metagraph: uid, hotkey, coldkey, stake (τ), incentive, dividends,
    emission (τ per epoch), trust, validator permit and whether its axon serves."""
    if metagraph is None:
        return []
    rows = []
    for i in range(int(metagraph.n)):
        axon = metagraph.axons[i] if i < len(metagraph.axons) else None
        rows.append({
            "uid": int(metagraph.uids[i]), "hotkey": metagraph.hotkeys[i], "coldkey": metagraph.coldkeys[i],
            "stake": float(metagraph.S[i]), "incentive": float(metagraph.I[i]), "dividends": float(metagraph.D[i]),
            "emission": float(metagraph.E[i]), "trust": float(metagraph.T[i]),
            "validator_permit": bool(metagraph.validator_permit[i]),
            "serving": bool(axon is not None and axon.is_serving),
        })
    return rows


class DashboardSource:
    """Gathers the dashboard's data from the bridge's parts (all read from memory)."""

    def __init__(self, *, netuid: int, hotkey: str, history: History, metagraph: Callable[[], Any],
                 scores: Callable[[], dict[str, Any]], health: Callable[[], Any] | None = None) -> None:
        self.netuid = netuid
        self.hotkey = hotkey
        self.history = history
        self._metagraph = metagraph
        self._scores = scores
        self._health = health

    def data(self) -> dict[str, Any]:
        metagraph = self._metagraph()
        scores = self._scores()
        by_uid = {row["uid"]: row for row in scores.get("miners", [])}
        weights = self.history.weights()
        last_weights = dict(zip(weights[0].uids, weights[0].weights, strict=True)) if weights else {}
        rows = metagraph_rows(metagraph)
        for row in rows:
            scored = by_uid.get(row["uid"])
            row["role"] = ("bridge" if row["hotkey"] == self.hotkey
                           else "miner" if scored is not None and scored["hotkey"] == row["hotkey"] else "other")
            row["score"] = scored.get("score") if row["role"] == "miner" and scored else None
            row["latency_s"] = scored.get("latency_s") if row["role"] == "miner" and scored else None
            row["weight"] = last_weights.get(row["uid"])
        seconds, counts = self.history.requests_per_second()
        ready = None
        if self._health is not None:
            checks = list(self._health())
            ready = {"ok": all(c.ok for c in checks), "failing": [c.name for c in checks if not c.ok]}
        return {
            "netuid": self.netuid, "time": time.time(), "block": int(metagraph.block) if metagraph is not None else None,
            "bridge_hotkey": self.hotkey, "ready": ready, "metagraph": rows, "scores": scores,
            "series": self.history.per_miner(), "requests": {"t": seconds, "per_second": counts},
            "weights": [{"time": w.time, "block": w.block, "uids": list(w.uids), "weights": list(w.weights)}
                        for w in weights],
        }


_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bt-llm bridge: subnet $netuid</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/static/uPlot.min.css">
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
td.text, th.text { text-align: left; font-family: monospace; }
#status.bad { color: #b00; } .charts { display: flex; flex-wrap: wrap; gap: 1em; }
</style>
</head>
<body>
<h1>bt-llm bridge: subnet <span id="netuid">$netuid</span></h1>
<p id="status">block <span id="block">-</span>, updated <span id="updated">-</span></p>
<h2>Metagraph</h2>
<table id="metagraph">
<thead><tr><th>uid</th><th class="text">hotkey</th><th class="text">role</th><th>stake τ</th><th>incentive</th>
<th>dividends</th><th>emission τ</th><th>trust</th><th>score</th><th>latency</th><th>weight set</th></tr></thead>
<tbody></tbody>
</table>
<h2>Miners over time</h2>
<div class="charts"><div id="chart-latency_s"></div><div id="chart-tokens_per_s"></div><div id="chart-score"></div></div>
<h2>Requests per second</h2>
<div class="charts"><div id="chart-requests"></div></div>
<h2>Weights set by the bridge</h2>
<table id="weights"><thead><tr><th class="text">when</th><th>block</th><th class="text">uid: weight</th></tr></thead>
<tbody></tbody></table>
<script id="initial" type="application/json">$initial</script>
<script src="/dashboard/static/uPlot.iife.min.js"></script>
<script src="/dashboard/static/dashboard.js" data-poll-ms="$poll_ms"></script>
</body>
</html>
""")


def _embedded_json(data: dict[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can end it)."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_dashboard_router(source: DashboardSource) -> APIRouter:
    router = APIRouter(prefix="/dashboard")

    @router.get("")
    async def page() -> HTMLResponse:
        html = _PAGE.substitute(netuid=source.netuid, initial=_embedded_json(source.data()), poll_ms=POLL_MS)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @router.get("/data")
    async def data() -> JSONResponse:
        return JSONResponse(source.data(), headers={"Cache-Control": "no-store"})

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        media_type = STATIC.get(name)
        if media_type is None:  # answered as OpenAI's error object, like any unknown path
            raise HTTPException(404, f"No dashboard file named {name!r}.")
        return Response(_static(name), media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    return router
