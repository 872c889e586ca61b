"""``/fapi/v1/*`` handlers: general, market data and the signed commission rate."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from simulator.binance_futures import errors, signing
from simulator.binance_futures.instruments import instruments
from simulator.binance_futures.klines import INTERVALS, kline_rows, select_candles
from simulator.binance_futures.params import Params
from simulator.http import client_ip, json_response
from simulator.state import SimState

__all__ = ["commission_rate", "exchange_info", "klines", "ping", "server_time"]

KLINES_MAX_LIMIT = 1500


def ping(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/ping`` (weight 1): ``{}``."""
    return json_response({})


def server_time(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/time`` (weight 1): ``{"serverTime":1790770782215}``.

    The simulator clock, so a frozen clock shows here too.
    """
    return json_response({"serverTime": state.clock.now_ms()})


def exchange_info(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/exchangeInfo`` (weight 1).

    Same top-level keys, order and symbol layout as the live capture in
    tests/fixtures/binance_futures/fapi_v1_exchangeInfo_full_2021-07-22.json::

        {"timezone":"UTC","serverTime":1626858243909,"futuresType":"U_MARGINED",
         "rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE",
         "intervalNum":1,"limit":2400},...],"exchangeFilters":[],"assets":[...],
         "symbols":[{"symbol":"BTCUSDT","pair":"BTCUSDT","contractType":"PERPETUAL",...}]}

    The REQUEST_WEIGHT limit shows the simulator's configured budget.
    """
    now = state.clock.now_ms()
    return json_response(
        {
            "timezone": "UTC",
            "serverTime": now,
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": state.limiter.weight_limit,
                },
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
            ],
            "exchangeFilters": [],
            "assets": [
                {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
                {"asset": "BTC", "marginAvailable": True, "autoAssetExchange": "-0.00100000"},
                {"asset": "BNB", "marginAvailable": False, "autoAssetExchange": "0"},
                {"asset": "ETH", "marginAvailable": True, "autoAssetExchange": "-5"},
                {"asset": "BUSD", "marginAvailable": True, "autoAssetExchange": "-10000"},
            ],
            "symbols": [i.exchange_info() for i in instruments(now).values()],
        }
    )


def klines(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/klines`` (weight 1/2/5/10 by ``limit``; default 500, max 1500).

    Rows are the 12-element arrays of tests/fixtures/binance_futures/
    fapi_v1_klines_DOCS_EXAMPLE.json::

        [1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100",
         "148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397",
         "28.46694368","17928899.62484339"]

    with prices at the symbol's pricePrecision, volumes at its quantityPrecision and
    ``"0"`` as the ignored last field (what USD-M sends; the example is spot's). The last row
    may be the still-open candle (close time in the future), as on the real API.
    Errors: missing symbol/interval -1102, bad symbol -1121, bad interval -1120 (``1s`` too),
    limit outside 1..1500 -1130, startTime > endTime -1023.
    """
    now = state.clock.now_ms()
    inst = params.symbol(now)
    assert inst is not None
    interval = INTERVALS.get(params.required("interval"))
    if interval is None:
        raise errors.bad_interval()
    limit = params.limit(500, KLINES_MAX_LIMIT)
    start, end = params.time_range()
    candles = select_candles(state.market, inst, interval, start, end, limit, now)
    return json_response(kline_rows(candles))


async def commission_rate(request: Request, state: SimState, params: Params) -> Response:
    """``GET /fapi/v1/commissionRate`` (USER_DATA, signed; weight 20).

    Body as tests/fixtures/binance_futures/fapi_v1_commissionRate_BTCUSDT_nautilus.json::

        {"symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0005"}

    Needs ``X-MBX-APIKEY``, ``timestamp`` and ``signature`` (see ``signing``).
    """
    now = state.clock.now_ms()
    body = (await request.body()).decode() if request.method == "POST" else ""
    signing.verify(
        api_key_header=request.headers.get("X-MBX-APIKEY"),
        query_string=request.scope["query_string"].decode("latin-1"),
        body=body,
        params=params,
        api_key=state.api_key,
        api_secret=state.api_secret,
        now_ms=now,
        client_ip=client_ip(request.client),
    )
    inst = params.symbol(now)
    assert inst is not None
    return json_response(
        {
            "symbol": inst.symbol,
            "makerCommissionRate": "0.0002",
            "takerCommissionRate": "0.0005",
        }
    )
