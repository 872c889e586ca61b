"""Wraps USD-M handlers with weight accounting, 429/418 answers and error rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from simulator.binance_futures.errors import BinanceError
from simulator.binance_futures.params import Params
from simulator.http import client_ip, json_response
from simulator.limits import Admission
from simulator.state import SimState

__all__ = ["WEIGHT_HEADER", "Handler", "binance_endpoint", "klines_weight"]

# Binance names it X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter); HTTP header names are
# case-insensitive, so "-1m" and "-1M" are one header and only one is sent.
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"

Handler = Callable[[Request, SimState, Params], Response | Awaitable[Response]]


def klines_weight(params: Params) -> int:
    """[1,100) -> 1, [100,500) -> 2, [500,1000] -> 5, > 1000 -> 10 (documented bands)."""
    raw = params.values.get("limit", "")
    limit = int(raw) if raw.isdigit() else 500
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10


def _rate_limited(adm: Admission, ip: str) -> Response:
    if adm.status == 418:
        msg = (
            f"Way too many requests; IP({ip}) banned until {adm.ban_until_ms}. "
            "Please use the websocket for live updates to avoid bans."
        )
    else:
        per = "5 minutes" if adm.pool is not None else "minute"
        msg = (
            f"Too many requests; current limit of IP({ip}) is {adm.limit} requests per {per}. "
            "Please use the websocket for live updates to avoid polling the API."
        )
    headers = {"Retry-After": str(adm.retry_after)}
    return json_response({"code": -1003, "msg": msg}, adm.status, headers)


def binance_endpoint(
    state: SimState,
    handler: Handler,
    *,
    weight: int | Callable[[Params], int] = 1,
    pool: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ip = client_ip(request.client)
        params: Params | None = None
        parse_error: BinanceError | None = None
        try:
            params = Params(request.scope["query_string"])
        except BinanceError as err:
            parse_error = err
        # A request too malformed to read still costs the endpoint's weight (at least 1).
        cost = weight if isinstance(weight, int) else (weight(params) if params else 1)
        adm = state.limiter.admit(ip, cost, pool)
        response: Response
        if not adm.admitted:
            response = _rate_limited(adm, ip)
        elif params is None:
            assert parse_error is not None
            response = parse_error.response()
        else:
            try:
                result = handler(request, state, params)
                response = result if isinstance(result, Response) else await result
            except BinanceError as err:
                response = err.response()
        response.headers[WEIGHT_HEADER] = str(adm.used_weight)
        return response

    return endpoint
