"""Serving endpoints (``serving.rs``): ``serve_axon`` and ``serve_prometheus``.

One deliberate difference: the localnet accepts loopback addresses (127.0.0.1 and ::1), which the
pallet rejects, because everything local lives there.
"""

from __future__ import annotations

from bt_llm.localnet.calls import registration
from bt_llm.localnet.calls.context import ST, Ctx, Origin, ensure, ensure_signed


def valid_ip(ip_type: int, ip: int) -> bool:
    if ip_type not in (4, 6) or ip == 0:
        return False
    if ip_type == 4 and ip >= 2**32 - 1:
        return False
    return not (ip_type == 6 and ip == 2**128 - 1)


def _passes_rate_limit(ctx: Ctx, netuid: int, last: int) -> bool:
    rate = ctx.state.get(ST, "ServingRateLimit", netuid)
    return rate == 0 or last == 0 or ctx.block - last >= rate


def _ensure_can_serve(
    ctx: Ctx, origin: Origin, item: str, netuid: int, ip_type: int, ip: int, port: int
) -> bytes:
    """The checks ``serve_axon`` and ``serve_prometheus`` share (``item``: where the endpoint is kept),
    in the pallet's order; returns the signing hotkey."""
    hotkey = ensure_signed(origin)
    st = ctx.state
    ensure(registration.registered_anywhere(st, hotkey), ST, "NotRegistered")
    ensure(ip_type in (4, 6), ST, "InvalidIpType")
    ensure(valid_ip(ip_type, ip), ST, "InvalidIpAddress")
    prev = st.get(ST, item, netuid, hotkey)
    ensure(_passes_rate_limit(ctx, netuid, prev["block"] if prev else 0), ST, "ServingRateLimitExceeded")
    ensure(port > 0, ST, "InvalidPort")
    return hotkey


def serve_axon(
    ctx: Ctx,
    origin: Origin,
    netuid: int,
    version: int,
    ip: int,
    port: int,
    ip_type: int,
    protocol: int,
    placeholder1: int,
    placeholder2: int,
) -> None:
    hotkey = _ensure_can_serve(ctx, origin, "Axons", netuid, ip_type, ip, port)
    axon = {
        "block": ctx.block,
        "version": version,
        "ip": ip,
        "port": port,
        "ip_type": ip_type,
        "protocol": protocol,
        "placeholder1": placeholder1,
        "placeholder2": placeholder2,
    }
    ctx.state.set(ST, "Axons", netuid, hotkey, axon)
    ctx.deposit(ST, "AxonServed", netuid, hotkey)


def serve_prometheus(
    ctx: Ctx, origin: Origin, netuid: int, version: int, ip: int, port: int, ip_type: int
) -> None:
    hotkey = _ensure_can_serve(ctx, origin, "Prometheus", netuid, ip_type, ip, port)
    info = {"block": ctx.block, "version": version, "ip": ip, "port": port, "ip_type": ip_type}
    ctx.state.set(ST, "Prometheus", netuid, hotkey, info)
    ctx.deposit(ST, "PrometheusServed", netuid, hotkey)


CALLS = {"serve_axon": serve_axon, "serve_prometheus": serve_prometheus}
