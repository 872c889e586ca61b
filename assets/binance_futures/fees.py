"""Fee snapshots of the configured symbols from ``/fapi/v1/commissionRate`` (signed).

(No ``from __future__ import annotations`` here: Dagster reads the asset signature at runtime.)

One partition per UTC day; a snapshot can only be taken of today's fees (or yesterday's, for a
run that started late). Without an API key the asset is skipped, saying why.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    asset,
)

from assets.binance_futures.klines import POOL
from assets.binance_futures.partitions import FEE_PARTITIONS
from resources.binance_futures.budget import BannedError
from resources.binance_futures.parsers import parse_commission_rate
from resources.binance_futures.resource import BinanceFuturesResource
from resources.binance_futures.store import upsert_fee
from resources.database import PostgresResource

__all__ = ["FEE_SOURCE", "binance_futures_fees"]

FEE_SOURCE = "binance-futures:/fapi/v1/commissionRate"


@asset(
    key=AssetKey(["binance_futures", "exchange_fees"]),
    partitions_def=FEE_PARTITIONS,
    pool=POOL,
    group_name="binance_futures",
    kinds={"postgres"},
    output_required=False,
    description="Maker/taker fees (basis points) of the configured symbols for this API key, "
                "one snapshot per day, in exchange_fees. Skipped without an API key.",
)
def binance_futures_fees(context: AssetExecutionContext, binance_futures: BinanceFuturesResource,
                         database: PostgresResource
                         ) -> Iterator[MaterializeResult]:  # type: ignore[type-arg]
    if not binance_futures.has_credentials():
        context.log.warning(
            f"Binance fee snapshot skipped: no API key configured (set "
            f"{binance_futures.api_key_env} and {binance_futures.api_secret_env}; a read-only "
            "key is enough). Nothing was stored for this day.")
        return
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC)
    settings = binance_futures.settings()
    symbols = settings.fee_symbol_list()
    counts = {"inserted": 0, "unchanged": 0, "updated": 0}
    failures: list[str] = []
    with binance_futures.client(log=context.log, config=settings) as client:
        today = datetime.fromtimestamp(client.sync_time() / 1000, UTC).replace(
            hour=0, minute=0, second=0, microsecond=0)
        if not today - timedelta(days=1) <= day <= today:
            raise Failure(description=(
                f"fees can only be snapshotted as of now: partition {context.partition_key} is "
                f"not today ({today:%Y-%m-%d}) or yesterday"))
        for symbol in symbols:
            try:
                rate = parse_commission_rate(client.commission_rate(symbol), symbol=symbol)
            except BannedError:
                raise
            except Exception as exc:  # one refused symbol does not lose the others
                failures.append(f"{symbol}: {exc}")
                context.log.error(f"fees {symbol}: {exc}")
                continue
            with database.connect() as conn:
                outcome = upsert_fee(
                    conn, symbol=symbol, ts=day, maker_bps=rate.maker_bps,
                    taker_bps=rate.taker_bps, source=FEE_SOURCE,
                    note=f"makerCommissionRate {rate.maker_rate}, "
                         f"takerCommissionRate {rate.taker_rate}")
            counts[outcome] += 1
            if outcome == "updated":
                context.log.warning(f"fees {symbol}: changed since today's first snapshot; "
                                    f"now maker {rate.maker_bps} bp, taker {rate.taker_bps} bp")
    if failures:
        raise Failure(description=f"{len(failures)} of {len(symbols)} symbols failed:\n"
                      + "\n".join(failures))
    yield MaterializeResult(metadata={
        "symbols": len(symbols),
        "snapshots_inserted": counts["inserted"],
        "snapshots_unchanged": counts["unchanged"],
        "snapshots_changed": counts["updated"],
        "requests": client.stats.requests,
        "weight": client.stats.weight,
    })
