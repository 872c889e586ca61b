"""USD-M contracts from ``/fapi/v1/exchangeInfo`` into the shared instruments table.

(No ``from __future__ import annotations`` here: Dagster reads the asset signature at runtime.)
"""

from collections import Counter

from dagster import AssetExecutionContext, AssetKey, asset

from assets.binance_futures.klines import POOL
from resources.binance_futures.parsers import parse_exchange_info
from resources.binance_futures.resource import BinanceFuturesResource
from resources.binance_futures.store import find_instrument_id
from resources.database import PostgresResource
from resources.database.postgres import upsert_instrument

__all__ = ["binance_futures_instruments"]


@asset(
    key=AssetKey(["binance_futures", "instruments"]),
    pool=POOL,
    group_name="binance_futures",
    kinds={"postgres"},
    description="Every USD-M contract (perpetuals and delivery futures) with its contract type, "
                "status and onboard date, in the shared instruments table.",
)
def binance_futures_instruments(context: AssetExecutionContext,
                                binance_futures: BinanceFuturesResource,
                                database: PostgresResource) -> None:
    with binance_futures.client(log=context.log) as client:
        info = parse_exchange_info(client.exchange_info())
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    new = 0
    with database.connect() as conn:  # one transaction: all of exchangeInfo or nothing
        for instrument in info.instruments:
            if find_instrument_id(conn, instrument.venue_symbol) is None:
                new += 1
            upsert_instrument(conn, instrument)
            kinds[instrument.kind] += 1
            statuses[str(instrument.attributes.get("status", ""))] += 1
    weight_limit = next((r.get("limit") for r in info.rate_limits
                         if r.get("rateLimitType") == "REQUEST_WEIGHT"), None)
    context.log.info(f"{len(info.instruments)} USD-M contracts ({new} new): "
                     + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    metadata = {
        "instruments": len(info.instruments),
        "new": new,
        "perpetual": kinds.get("perpetual", 0),
        "future": kinds.get("future", 0),
        "trading": statuses.get("TRADING", 0),
    }
    if isinstance(weight_limit, int):
        metadata["server_weight_limit_1m"] = weight_limit
    context.add_output_metadata(metadata)
