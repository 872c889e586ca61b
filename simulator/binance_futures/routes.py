"""The USD-M route table: paths, weights and rate-limit pools."""


from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.binance_futures import funding, futures_data, rest
from simulator.binance_futures.archive import ARCHIVE_ROUTE, archive_file
from simulator.binance_futures.endpoint import Handler, binance_endpoint, klines_weight
from simulator.binance_futures.params import Params
from simulator.state import SimState

__all__ = ["routes"]


def routes(state: SimState) -> list[BaseRoute]:
    def endpoint(
        path: str,
        handler: Handler,
        weight: int | Callable[[Params], int] = 1,
        pool: str | None = None,
    ) -> Route:
        wrapped = binance_endpoint(state, handler, weight=weight, pool=pool)
        return Route(path, wrapped, methods=["GET"])

    async def archive(request: Request) -> Response:
        return archive_file(request, state)

    return [
        endpoint("/fapi/v1/ping", rest.ping),
        endpoint("/fapi/v1/time", rest.server_time),
        endpoint("/fapi/v1/exchangeInfo", rest.exchange_info),
        endpoint("/fapi/v1/klines", rest.klines, weight=klines_weight),
        endpoint("/fapi/v1/fundingRate", funding.funding_rate, weight=0, pool="funding"),
        endpoint("/fapi/v1/commissionRate", rest.commission_rate, weight=20),
        endpoint(
            "/futures/data/openInterestHist",
            futures_data.open_interest_hist,
            weight=0,
            pool="futures_data",
        ),
        endpoint(
            "/futures/data/topLongShortAccountRatio",
            futures_data.top_long_short_account_ratio,
            weight=0,
            pool="futures_data",
        ),
        endpoint(
            "/futures/data/topLongShortPositionRatio",
            futures_data.top_long_short_position_ratio,
            weight=0,
            pool="futures_data",
        ),
        endpoint(
            "/futures/data/globalLongShortAccountRatio",
            futures_data.global_long_short_account_ratio,
            weight=0,
            pool="futures_data",
        ),
        Route(ARCHIVE_ROUTE, archive, methods=["GET"]),
    ]
