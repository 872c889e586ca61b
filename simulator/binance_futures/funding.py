"""``GET /fapi/v1/fundingRate``: funding every 8 hours (00:00, 08:00, 16:00 UTC)."""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from simulator.binance_futures.instruments import Instrument, instruments
from simulator.binance_futures.params import Params
from simulator.http import json_response
from simulator.market import I64, Market, format_units
from simulator.state import SimState

__all__ = ["FUNDING_INTERVAL_MS", "funding_rate", "funding_records"]

FUNDING_INTERVAL_MS = 8 * 3_600_000
FUNDING_MAX_LIMIT = 1000
# The live API answers markPrice "" for funding events before about 2022-01-01 (measured: both
# 2019-09 and 2022-01-01 requests answered ""); clients must accept an empty mark price.
MARK_PRICE_SINCE_MS = 1640995200000


def _rates(market: Market, inst: Instrument, times: I64) -> list[str]:
    idx = times // FUNDING_INTERVAL_MS
    regime = market.smooth(times, FUNDING_INTERVAL_MS, 6, "funding", inst.symbol, "regime")
    jitter = market.draw_normal(idx, "funding", inst.symbol, "jitter")
    calm = market.draw_uniform(idx, "funding", inst.symbol, "calm") < 0.4
    rate = np.where(calm, 1e-4, 1e-4 + 2.5e-4 * regime + 5e-5 * jitter)
    units = np.rint(np.clip(rate, -0.003, 0.003) * 1e8).astype(np.int64)
    return format_units(units, 8)


def funding_records(
    market: Market,
    inst: Instrument,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
    now_ms: int,
) -> list[dict[str, Any]]:
    if not inst.is_perpetual:
        return []
    first = -(-inst.onboard_date // FUNDING_INTERVAL_MS)
    last = now_ms // FUNDING_INTERVAL_MS
    if start_ms is not None:
        first = max(first, -(-start_ms // FUNDING_INTERVAL_MS))
    if end_ms is not None:
        last = min(last, end_ms // FUNDING_INTERVAL_MS)
    if last < first:
        return []
    if start_ms is not None:
        last = min(last, first + limit - 1)
    else:
        first = max(first, last - limit + 1)
    times = np.arange(first, last + 1, dtype=np.int64) * FUNDING_INTERVAL_MS
    rates = _rates(market, inst, times)
    marks = market.price(inst.spec, times).tolist()
    return [
        {
            "symbol": inst.symbol,
            "fundingTime": t,
            "fundingRate": r,
            "markPrice": f"{m:.8f}" if t >= MARK_PRICE_SINCE_MS else "",
        }
        for t, r, m in zip(times.tolist(), rates, marks, strict=True)
    ]


def funding_rate(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/fundingRate`` (own pool: 500 requests / 5 min / IP; no weight).

    Records in the field order of
    tests/fixtures/binance_futures/fapi_v1_fundingRate_DOCS_EXAMPLE_with_markPrice.json::

        {"symbol": "BTCUSDT", "fundingTime": 1698768000000,
         "fundingRate": "0.00010000", "markPrice": "34287.54619963"}

    ``symbol`` optional (all perpetuals if absent); limit default 100, max 1000. With
    ``startTime`` the first ``limit`` records from it, otherwise the most recent ``limit``
    records up to ``endTime``; ascending. Delivery contracts have no funding: ``[]``.
    """
    now = state.clock.now_ms()
    inst = params.symbol(now, required=False)
    limit = params.limit(100, FUNDING_MAX_LIMIT)
    start, end = params.time_range()
    chosen = [inst] if inst is not None else list(instruments(now).values())
    records: list[dict[str, Any]] = []
    for i in chosen:
        records.extend(funding_records(state.market, i, start, end, limit, now))
    records.sort(key=lambda r: (r["fundingTime"], r["symbol"]))
    records = records[:limit] if start is not None else records[-limit:]
    return json_response(records)
