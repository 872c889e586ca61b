"""``/futures/data/*``: open-interest history and long/short ratios (weight 0, own pool).

Shared rules (USD-M docs pages plus what the live host does):

* ``symbol`` and ``period`` (5m 15m 30m 1h 2h 4h 6h 12h 1d) mandatory; ``limit`` default 30,
  max 500; ``startTime``/``endTime`` optional. IP pool: 1000 requests per 5 minutes.
* Only the last 30 days exist. A ``startTime`` older than that is refused with
  ``{"msg":"parameter 'startTime' is invalid.","code":-1130}``.
* Results are the most recent ``limit`` points within ``[startTime, endTime]`` (end defaulting
  to now), ascending: like the real endpoints, a lone ``startTime`` does not page forward from
  it. To walk history, send both bounds spanning at most ``limit`` periods.
* ``timestamp`` is a JSON number, as live responses carry it; the documentation examples show
  strings, which ``string_timestamps`` reproduces so clients can be tested against both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from simulator.binance_futures.errors import BinanceError
from simulator.binance_futures.instruments import Instrument
from simulator.binance_futures.params import Params
from simulator.http import json_response
from simulator.intervals import DAY_MS, HOUR_MS, MINUTE_MS
from simulator.market import I64, Market, format_units
from simulator.state import SimState

__all__ = [
    "PERIODS",
    "global_long_short_account_ratio",
    "open_interest_hist",
    "top_long_short_account_ratio",
    "top_long_short_position_ratio",
]

PERIODS: dict[str, int] = {
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
}
RETENTION_MS = 30 * DAY_MS
MAX_LIMIT = 500


def _invalid(param: str) -> BinanceError:
    return BinanceError(-1130, f"parameter '{param}' is invalid.", msg_first=True)


def _timestamps(params: Params, inst: Instrument, now_ms: int) -> I64:
    period_name = params.required("period")
    period = PERIODS.get(period_name)
    if period is None:
        raise _invalid("period")
    raw_limit = params.integer("limit", 30)
    assert raw_limit is not None
    if not 1 <= raw_limit <= MAX_LIMIT:
        raise _invalid("limit")
    start, end = params.time_range()
    oldest = now_ms - RETENTION_MS
    if start is not None and start < oldest:
        raise _invalid("startTime")
    latest = now_ms // period * period
    hi = latest if end is None else min(end, latest)
    lo = max(oldest, inst.onboard_date, start if start is not None else oldest)
    first = -(-lo // period)
    last = hi // period
    if last < first:
        return np.empty(0, dtype=np.int64)
    first = max(first, last - raw_limit + 1)
    times: I64 = np.arange(first, last + 1, dtype=np.int64) * period
    return times


def _stamp(state: SimState, times: I64) -> list[Any]:
    values = times.tolist()
    return [str(t) for t in values] if state.string_timestamps else values


def _oi_rows(market: Market, inst: Instrument, times: I64) -> list[tuple[str, str]]:
    drift = market.smooth(times, HOUR_MS, 10, "oi", inst.symbol)
    amount = inst.open_interest * np.exp(0.2 * drift)
    qd = inst.quantity_precision
    units = np.rint(amount * 10**qd).astype(np.int64)
    marks = np.rint(market.price(inst.spec, times) * 1e8).astype(np.int64)
    amounts = format_units(units * 10 ** (8 - qd), 8)
    # Exact value = amount * mark price, at 8 decimals.
    half = 10**qd // 2
    values = format_units(
        [(u * m + half) // 10**qd for u, m in zip(units.tolist(), marks.tolist(), strict=True)],
        8,
    )
    return list(zip(amounts, values, strict=True))


def _ratio_rows(
    market: Market, inst: Instrument, times: I64, series: str, centre: float
) -> list[tuple[str, str, str]]:
    share = np.clip(centre + 0.08 * market.smooth(times, HOUR_MS, 8, series, inst.symbol), 0.2, 0.8)
    long_units = np.rint(share * 10_000).astype(np.int64)
    short_units = 10_000 - long_units
    ratio_units = np.rint(long_units / short_units * 10_000).astype(np.int64)
    return list(
        zip(
            format_units(ratio_units, 4),
            format_units(long_units, 4),
            format_units(short_units, 4),
            strict=True,
        )
    )


def open_interest_hist(request: Request, state: SimState, params: Params) -> Response:
    """``GET /futures/data/openInterestHist``.

    Shape of tests/fixtures/binance_futures/futures_data_openInterestHist_DOCS_EXAMPLE.json::

        {"symbol": "BTCUSDT", "sumOpenInterest": "20403.63700000",
         "sumOpenInterestValue": "150570784.07809979", "timestamp": "1583127900000"}

    (timestamp a number unless ``string_timestamps``).
    """
    now = state.clock.now_ms()
    inst = params.symbol(now)
    assert inst is not None
    times = _timestamps(params, inst, now)
    stamps = _stamp(state, times)
    return json_response(
        [
            {
                "symbol": inst.symbol,
                "sumOpenInterest": amount,
                "sumOpenInterestValue": value,
                "timestamp": ts,
            }
            for (amount, value), ts in zip(_oi_rows(state.market, inst, times), stamps, strict=True)
        ]
    )


def _ratio_endpoint(
    series: str, centre: float
) -> Callable[[Request, SimState, Params], Response]:
    def handler(request: Request, state: SimState, params: Params) -> Response:
        now = state.clock.now_ms()
        inst = params.symbol(now)
        assert inst is not None
        times = _timestamps(params, inst, now)
        rows = _ratio_rows(state.market, inst, times, series, centre)
        return json_response(
            [
                {
                    "symbol": inst.symbol,
                    "longShortRatio": ratio,
                    "longAccount": long_share,
                    "shortAccount": short_share,
                    "timestamp": ts,
                }
                for (ratio, long_share, short_share), ts in zip(
                    rows, _stamp(state, times), strict=True
                )
            ]
        )

    return handler


_top_account = _ratio_endpoint("top_account", 0.58)
_top_position = _ratio_endpoint("top_position", 0.52)
_global_account = _ratio_endpoint("global_account", 0.62)


def top_long_short_account_ratio(request: Request, state: SimState, params: Params) -> Response:
    """``GET /futures/data/topLongShortAccountRatio``.

    As tests/fixtures/binance_futures/futures_data_topLongShortAccountRatio_DOCS_EXAMPLE.json::

        {"symbol": "BTCUSDT", "longShortRatio": "1.8105", "longAccount": "0.6442",
         "shortAccount": "0.3558", "timestamp": "1583139600000"}
    """
    return _top_account(request, state, params)


def top_long_short_position_ratio(request: Request, state: SimState, params: Params) -> Response:
    """``GET /futures/data/topLongShortPositionRatio``.

    As tests/fixtures/binance_futures/futures_data_topLongShortPositionRatio_DOCS_EXAMPLE.json::

        {"symbol": "BTCUSDT", "longShortRatio": "1.4342", "longAccount": "0.5891",
         "shortAccount": "0.4108", "timestamp": "1583139600000"}
    """
    return _top_position(request, state, params)


def global_long_short_account_ratio(
    request: Request, state: SimState, params: Params
) -> Response:
    """``GET /futures/data/globalLongShortAccountRatio``.

    As tests/fixtures/binance_futures/futures_data_globalLongShortAccountRatio_DOCS_EXAMPLE.json::

        {"symbol": "BTCUSDT", "longShortRatio": "0.1960", "longAccount": "0.6622",
         "shortAccount": "0.3378", "timestamp": "1583139600000"}
    """
    return _global_account(request, state, params)
