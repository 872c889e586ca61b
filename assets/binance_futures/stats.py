"""Binance USD-M statistics: funding rate history, open interest and the three long/short ratios.

(No ``from __future__ import annotations`` here: Dagster reads the asset signatures at runtime.)

Each asset walks the configured symbols and resumes after the newest stored row. Funding history
goes back to the listing; open interest and the ratios exist upstream for the last 30 days only,
so their schedule runs often enough (every 6 hours) never to lose any. Pages are time windows of
at most ``limit`` periods with both bounds sent, which reads the same rows whether the endpoint
pages forward from ``startTime`` or back from ``endTime``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MetadataValue,
    asset,
)

from assets.binance_futures.klines import POOL
from resources.binance_futures.budget import BannedError
from resources.binance_futures.client import BinanceFuturesClient
from resources.binance_futures.parsers import (
    parse_funding_rates,
    parse_long_short_ratios,
    parse_open_interest_hist,
)
from resources.binance_futures.resource import BinanceFuturesResource
from resources.binance_futures.store import find_instrument_id, resolve_instrument_id
from resources.binance_futures.tables import FUNDING_RATES, LONG_SHORT_TABLES, OPEN_INTEREST
from resources.database import PostgresResource
from resources.database.loader import LoadResult, TableSpec, merge_batches, newest
from resources.intervals import parse_interval

__all__ = [
    "FIRST_FUNDING_MS",
    "STATS_ASSETS",
    "binance_futures_funding_rates",
    "binance_futures_open_interest",
]

FIRST_FUNDING_MS = 1_567_296_000_000  # 2019-09-01: before the first USD-M listing
RETENTION_MS = 30 * 86_400_000  # /futures/data keeps 30 days
RETENTION_MARGIN_MS = 5 * 60_000  # start a little inside them: the server refuses older starts
FUNDING_LIMIT = 1000
FUTURES_DATA_LIMIT = 500


@dataclass
class _Totals:
    symbols: int = 0
    rows_fetched: int = 0
    rows_inserted: int = 0
    requests: int = 0
    weight: int = 0
    last_ts: datetime | None = None

    def add(self, result: LoadResult) -> None:
        self.rows_fetched += result.rows_read
        self.rows_inserted += result.rows_inserted
        if result.last_ts is not None:
            self.last_ts = result.last_ts if self.last_ts is None else max(self.last_ts,
                                                                           result.last_ts)


def _write(database: PostgresResource, table: TableSpec, symbol: str, scope: dict[str, int],
           batch: pa.RecordBatch) -> LoadResult:
    with database.connect() as conn:
        instrument_id = resolve_instrument_id(conn, symbol)
        return merge_batches(conn, table, {"instrument_id": instrument_id, **scope}, [batch])


def _newest_ms(database: PostgresResource, table: TableSpec, symbol: str,
               scope: dict[str, int]) -> int | None:
    with database.connect() as conn:
        instrument_id = find_instrument_id(conn, symbol)
        if instrument_id is None:
            return None
        stored = newest(conn, table, {"instrument_id": instrument_id, **scope})
    return int(stored.timestamp() * 1000) if stored is not None else None


def _run_per_symbol(context: AssetExecutionContext, binance: BinanceFuturesResource,
                    what: str, fetch: Callable[[BinanceFuturesClient, str, int, _Totals], None]
                    ) -> dict[str, Any]:
    """Call ``fetch`` for each configured symbol; a failing symbol does not stop the others."""
    settings = binance.settings()
    symbols = settings.stats_symbol_list()
    totals = _Totals()
    failures: list[str] = []
    started = time.perf_counter()
    if not symbols:
        context.log.warning(f"{what}: no symbols configured (pairs or stats_symbols in "
                            f"{settings.source}); nothing fetched")
    with binance.client(log=context.log, config=settings) as client:
        now_ms = client.sync_time() if symbols else 0
        for symbol in symbols:
            before = client.stats.snapshot()
            try:
                fetch(client, symbol, now_ms, totals)
                totals.symbols += 1
            except (BannedError, psycopg.OperationalError):
                raise
            except Exception as exc:
                failures.append(f"{symbol}: {type(exc).__name__}: {exc}")
                context.log.error(f"{what} {symbol}: {exc}")
            finally:
                totals.requests += client.stats.requests - before.requests
                totals.weight += client.stats.weight - before.weight
    metadata: dict[str, Any] = {
        "symbols": totals.symbols,
        "symbols_failed": len(failures),
        "rows_fetched": totals.rows_fetched,
        "rows_inserted": totals.rows_inserted,
        "rows_already_present": totals.rows_fetched - totals.rows_inserted,
        "requests": totals.requests,
        "weight": totals.weight,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if totals.last_ts is not None:
        metadata["last_ts"] = MetadataValue.timestamp(totals.last_ts)
        metadata["last_ts_unix"] = totals.last_ts.timestamp()
    if failures:
        raise Failure(description=f"{what}: {len(failures)} of {len(symbols)} symbols failed:\n"
                      + "\n".join(failures), metadata=metadata)
    return metadata


@asset(
    key=AssetKey(["binance_futures", "funding_rates"]),
    pool=POOL,
    group_name="binance_futures",
    kinds={"postgres"},
    description="Funding rate history of the configured USD-M perpetuals "
                "(binance_funding_rates), from listing on.",
)
def binance_futures_funding_rates(context: AssetExecutionContext,
                                  binance_futures: BinanceFuturesResource,
                                  database: PostgresResource) -> None:
    settings = binance_futures.settings()
    configured_start = int(settings.start.timestamp() * 1000) if settings.start else 0

    def fetch(client: BinanceFuturesClient, symbol: str, now_ms: int, totals: _Totals) -> None:
        stored = _newest_ms(database, FUNDING_RATES, symbol, {})
        start = max(FIRST_FUNDING_MS, configured_start)
        if stored is not None:
            start = max(start, stored + 1)
        while start <= now_ms:
            payload = client.funding_rates(symbol, start, now_ms, FUNDING_LIMIT)
            batch = parse_funding_rates(payload, symbol=symbol)
            if batch.num_rows:
                totals.add(_write(database, FUNDING_RATES, symbol, {}, batch))
            if batch.num_rows < FUNDING_LIMIT:
                break
            start = int(batch.column("ts")[-1].value) + 1

    context.add_output_metadata(
        _run_per_symbol(context, binance_futures, "funding rates", fetch))


def _futures_data_fetch(database: PostgresResource, table: TableSpec, dataset: str,
                        period: str, parse: Callable[[object, str], pa.RecordBatch]
                        ) -> Callable[[BinanceFuturesClient, str, int, _Totals], None]:
    period_ms = parse_interval(period) * 1000
    scope = {"period_s": period_ms // 1000}

    def fetch(client: BinanceFuturesClient, symbol: str, now_ms: int, totals: _Totals) -> None:
        oldest = now_ms - RETENTION_MS + RETENTION_MARGIN_MS
        stored = _newest_ms(database, table, symbol, scope)
        start = oldest if stored is None else max(oldest, stored + 1)
        while start <= now_ms:
            end = min(now_ms, start + period_ms * FUTURES_DATA_LIMIT - 1)
            payload = client.futures_data(dataset, symbol, period, start, end, FUTURES_DATA_LIMIT)
            batch = parse(payload, symbol)
            if batch.num_rows:
                totals.add(_write(database, table, symbol, scope, batch))
            start = end + 1

    return fetch


@asset(
    key=AssetKey(["binance_futures", "open_interest"]),
    pool=POOL,
    group_name="binance_futures",
    kinds={"postgres"},
    description="Open interest history (binance_open_interest) at the configured stats period; "
                "Binance serves only the last 30 days.",
)
def binance_futures_open_interest(context: AssetExecutionContext,
                                  binance_futures: BinanceFuturesResource,
                                  database: PostgresResource) -> None:
    period = binance_futures.settings().stats_period
    fetch = _futures_data_fetch(
        database, OPEN_INTEREST, "openInterestHist", period,
        lambda payload, symbol: parse_open_interest_hist(payload, symbol=symbol))
    context.add_output_metadata(
        _run_per_symbol(context, binance_futures, "open interest", fetch))


def _long_short_asset(dataset: str, name: str, what: str) -> AssetsDefinition:
    table = LONG_SHORT_TABLES[dataset]

    @asset(
        name=name,
        key_prefix=["binance_futures"],
        pool=POOL,
        group_name="binance_futures",
        kinds={"postgres"},
        description=f"{what} ({table.name}) at the configured stats period; Binance serves "
                    "only the last 30 days.",
    )
    def _asset(context: AssetExecutionContext, binance_futures: BinanceFuturesResource,
               database: PostgresResource) -> None:
        period = binance_futures.settings().stats_period
        fetch = _futures_data_fetch(
            database, table, dataset, period,
            lambda payload, symbol: parse_long_short_ratios(payload, symbol=symbol,
                                                            dataset=dataset))
        context.add_output_metadata(_run_per_symbol(context, binance_futures, what, fetch))

    return _asset


binance_futures_top_long_short_account_ratio = _long_short_asset(
    "topLongShortAccountRatio", "top_long_short_account_ratio",
    "Top traders' long/short account ratio")
binance_futures_top_long_short_position_ratio = _long_short_asset(
    "topLongShortPositionRatio", "top_long_short_position_ratio",
    "Top traders' long/short position ratio")
binance_futures_global_long_short_account_ratio = _long_short_asset(
    "globalLongShortAccountRatio", "global_long_short_account_ratio",
    "Global long/short account ratio")

STATS_ASSETS = (
    binance_futures_funding_rates,
    binance_futures_open_interest,
    binance_futures_top_long_short_account_ratio,
    binance_futures_top_long_short_position_ratio,
    binance_futures_global_long_short_account_ratio,
)
