"""The control API under ``/_sim``: stats, faults, clock, options, maintenance windows.

* ``GET /_sim/health`` -> ``{"ok": true}``
* ``GET /_sim/stats`` -> counters (below); ``POST /_sim/reset`` clears them and all weight
  windows, back-offs and bans.
* ``GET /_sim/faults`` -> ``{"faults": [rule, ...]}`` (``count`` = what is left);
  ``POST /_sim/faults`` with ``{"faults": [rule, ...], "append": false}`` replaces (or appends
  to) them; ``DELETE /_sim/faults`` removes them all.
* ``GET /_sim/clock`` -> ``{"now": ms, "mode": "real"|"offset"|"fixed", "offset_ms": n}``;
  ``POST /_sim/clock`` with ``{"now": ms|ISO|null, "frozen": true}``, ``{"advance_ms": n}`` or
  ``{"offset_ms": n}``.
* ``GET /_sim/options``; ``POST /_sim/options`` with any of weight_limit, ban_seconds,
  funding_limit, futures_data_limit, api_key, api_secret, string_timestamps.
* ``GET /_sim/maintenance?venue=binance&startTime=&endTime=`` -> ``{"windows": [[s, e], ...]}``.

A rule is ``{"kind": "error"|"delay"|"drop"|"truncate"|"cut_json", "path": "/fapi/v1/klines",
"count": 3, "rate": 1.0, "status": 503, "delay": 0.5}`` (all but kind optional; see faults).
Stats: ``{"requests_total", "requests": {endpoint: n}, "statuses": {"200": n, ...},
"statuses_by_endpoint", "responses_429", "responses_418", "faults": {kind: n},
"weight": {"limit", "used_current_minute", "used_total"}}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.clock import to_ms
from simulator.http import json_response
from simulator.state import SimState

__all__ = ["routes", "stats_snapshot"]


def stats_snapshot(state: SimState) -> dict[str, Any]:
    snapshot = state.stats.snapshot()
    snapshot["weight"] = {
        "limit": state.limiter.weight_limit,
        "used_current_minute": state.limiter.used_weight(),
        "used_total": state.limiter.total_weight,
    }
    return snapshot


def apply_clock(state: SimState, body: dict[str, Any]) -> None:
    if "advance_ms" in body:
        state.clock.advance(int(body["advance_ms"]))
    elif "offset_ms" in body:
        state.clock.set_offset(int(body["offset_ms"]))
    elif "now" in body:
        if body["now"] is None:
            state.clock.real()
        elif body.get("frozen", True):
            state.clock.freeze(to_ms(body["now"]))
        else:
            state.clock.run_from(to_ms(body["now"]))
    else:
        raise ValueError("expected one of now, advance_ms, offset_ms")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def routes(state: SimState) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return json_response({"ok": True})

    async def stats(request: Request) -> Response:
        return json_response(stats_snapshot(state))

    async def reset(request: Request) -> Response:
        state.reset()
        return json_response({"ok": True})

    def fault_list() -> Response:
        return json_response({"faults": [r.to_json() for r in state.faults.rules()]})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            try:
                body = await _body(request)
                rules = body.get("faults", [])
                if not isinstance(rules, list):
                    raise ValueError("faults must be a list")
                if body.get("append"):
                    for rule in rules:
                        state.faults.add(rule)
                else:
                    state.faults.set(rules)
            except (ValueError, KeyError, TypeError) as err:
                return json_response({"error": str(err)}, 400)
        return fault_list()

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                apply_clock(state, await _body(request))
            except (ValueError, TypeError) as err:
                return json_response({"error": str(err)}, 400)
        return json_response(state.clock.describe())

    async def options(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.set_options(**await _body(request))
            except (ValueError, TypeError) as err:
                return json_response({"error": str(err)}, 400)
        return json_response(state.options())

    async def maintenance(request: Request) -> Response:
        q = request.query_params
        now = state.clock.now_ms()
        try:
            start = int(q.get("startTime", now - 30 * 86_400_000))
            end = int(q.get("endTime", now))
        except ValueError as err:
            return json_response({"error": str(err)}, 400)
        windows = state.market.maintenance(q.get("venue", "binance"), start, end)
        return json_response({"windows": [list(w) for w in windows]})

    return [
        Route("/health", health, methods=["GET"]),
        Route("/stats", stats, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/options", options, methods=["GET", "POST"]),
        Route("/maintenance", maintenance, methods=["GET"]),
    ]
