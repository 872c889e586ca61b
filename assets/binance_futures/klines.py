"""Binance USD-M klines into the shared ``candles`` table, resumable page by page.

(No ``from __future__ import annotations`` here: Dagster reads the asset signature at runtime.)

Each partition is one calendar month of one series. A run walks its months page by page
(``/fapi/v1/klines`` with ``startTime``: the candles opening at or after it), storing each page
and advancing the month's resume pointer in one transaction. Only candles whose close time has
passed on the server's clock are stored; the one still open never is.
"""

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    BackfillPolicy,
    Config,
    Failure,
    MetadataValue,
    asset,
)
from pydantic import Field

from assets.binance_futures.partitions import KLINE_PARTITIONS, month_window, parse_kline_partition
from resources.binance_futures import progress
from resources.binance_futures.budget import BannedError
from resources.binance_futures.client import BinanceFuturesClient
from resources.binance_futures.config import BinanceConfig, Pair, parse_time
from resources.binance_futures.parsers import Klines, PayloadError, parse_klines
from resources.binance_futures.resource import BinanceFuturesResource
from resources.binance_futures.store import (
    Coverage,
    find_instrument_id,
    read_coverage,
    record_coverage,
    resolve_instrument_id,
)
from resources.database import PostgresResource
from resources.database.loader import LoadResult, merge_batches
from resources.database.tables import CANDLES

__all__ = ["POOL", "KlinesConfig", "WindowReport", "binance_futures_klines", "sync_window"]

POOL = "binance_futures_api"
_DAY_MS = 86_400_000
_NEAR_NOW_MS = 3_600_000  # a page ending this close to "now" re-reads the server clock


class KlinesConfig(Config):
    start: str | None = Field(default=None, description="ISO date/time: fetch from the later of "
                              "this (default: the configured start) and the resume pointer")
    end: str | None = Field(default=None, description="ISO date/time (exclusive); default: now")
    repair: bool = Field(default=False, description="Re-fetch the whole window, ignoring the "
                         "resume pointers (fills gaps; a differing stored candle is an error)")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _length_bounds_ms(pair: Pair) -> tuple[int, int]:
    """Shortest and longest candle of the interval (calendar months vary)."""
    if pair.interval == "1M":
        return 28 * _DAY_MS, 31 * _DAY_MS
    return pair.interval_s * 1000, pair.interval_s * 1000


@dataclass
class WindowReport:
    partition_key: str
    series: str
    window_start: datetime
    status: str = "fetched"  # fetched | complete | nothing to fetch | failed
    rows_fetched: int = 0
    rows_inserted: int = 0
    requests: int = 0
    weight: int = 0
    retries: int = 0
    rate_limited: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    covered_from: datetime | None = None
    covered_until: datetime | None = None
    seconds: float = 0.0
    error: str = ""

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "status": self.status,
            "rows_fetched": self.rows_fetched,
            "rows_inserted": self.rows_inserted,
            "rows_already_present": self.rows_fetched - self.rows_inserted,
            "requests": self.requests,
            "weight": self.weight,
            "retries": self.retries,
            "http_429": self.rate_limited,
            "seconds": round(self.seconds, 3),
        }
        for name in ("first_ts", "last_ts", "covered_until"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                meta[name] = MetadataValue.timestamp(value)
                meta[f"{name}_unix"] = value.timestamp()  # a plain number the UI can plot
        return meta


@dataclass
class _Page:
    start_ms: int
    end_ms: int  # coverage end: every closed candle opening in [start_ms, end_ms) is in it
    klines: Klines
    requests: int
    weight: int
    retries: int
    rate_limited: int
    used_weight_1m: int | None
    last: bool


@dataclass
class _Plan:
    pair: Pair
    window_start: datetime
    window_end: datetime
    fetch_from: datetime
    fetch_until: datetime
    stored: Coverage | None


def _pages(client: BinanceFuturesClient, plan: _Plan, *, page_limit: int, repair: bool,
           grace_ms: int, stop: threading.Event) -> Iterator[_Page | int]:
    """Fetch the window's pages in order. Yields a page, or an int: a stored stretch skipped
    (the new fetch position). Pure HTTP and parsing: no database."""
    symbol, interval = plan.pair.symbol, plan.pair.interval
    shortest, longest = _length_bounds_ms(plan.pair)
    start, end = _ms(plan.fetch_from), _ms(plan.fetch_until)
    stored = plan.stored
    closed_before = client.server_now_ms() - grace_ms
    while start < end and not stop.is_set():
        if not repair and stored is not None and stored.contains(_dt(start)):
            start = _ms(stored.covered_until)
            yield start
            continue
        if start + shortest - 1 >= closed_before:
            return  # no candle opening this late can have closed yet
        before = client.stats.snapshot()
        payload = client.klines(symbol, interval, start, end - 1, page_limit)
        page = parse_klines(payload, symbol=symbol)
        if len(page) and (page.open_ms[0] < start or page.open_ms[-1] > end - 1):
            raise PayloadError("/fapi/v1/klines", symbol,
                               f"candles outside the requested [{start}, {end - 1}]")
        if len(page) and page.close_ms[-1] >= closed_before - _NEAR_NOW_MS:
            closed_before = client.sync_time() - grace_ms  # the tail: ask the server's clock
        closed = page.closed_before(closed_before)
        closed_bound = closed_before - longest + 1  # every candle opening before it has closed
        if len(closed) < len(page):
            stop_at, last = int(page.open_ms[len(closed)]), True
        elif len(page) >= page_limit:
            stop_at, last = int(page.open_ms[-1]) + 1, False
        else:
            # Fewer than asked for and none still open: nothing more exists before ``end``,
            # unless ``end`` is recent and the exchange merely has not served the newest
            # closed candles yet; then only what was seen counts as stored.
            reached = min(end, closed_bound)
            if reached > closed_before - _NEAR_NOW_MS:
                reached = int(page.open_ms[-1]) + 1 if len(page) else start
            stop_at = max(int(page.open_ms[-1]) + 1, reached) if len(page) else reached
            last = True
        after = client.stats
        yield _Page(start, max(stop_at, start), closed, after.requests - before.requests,
                    after.weight - before.weight, after.retries - before.retries,
                    after.rate_limited - before.rate_limited, after.used_weight_1m, last)
        if last or stop_at <= start:
            return
        start = stop_at


def _prefetched(pages: Iterator[_Page | int], depth: int = 2) -> Iterator[_Page | int]:
    """Fetch the next pages on a thread while the caller writes the current one."""
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in pages:
                items.put(("item", item))
            items.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            items.put(("error", exc))

    worker = threading.Thread(target=produce, name="binance-klines-fetch", daemon=True)
    worker.start()
    while True:
        kind, value = items.get()
        if kind == "end":
            return
        if kind == "error":
            raise value
        yield value


def sync_window(
    client: BinanceFuturesClient,
    database: PostgresResource,
    plan: _Plan,
    report: WindowReport,
    *,
    page_limit: int,
    repair: bool,
    grace_ms: int,
    run_id: str | None,
    sink: progress.KlineProgress,
) -> WindowReport:
    """Fetch and store one window; each page commits with its resume pointer."""
    started = time.perf_counter()
    series, interval_s = plan.pair.series, plan.pair.interval_s
    fetch_from_ms = _ms(plan.fetch_from)
    sink.planned(series, _ms(plan.fetch_until) - fetch_from_ms)
    position = fetch_from_ms
    stop = threading.Event()
    instrument_id: int | None = None
    pages = _prefetched(_pages(client, plan, page_limit=page_limit, repair=repair,
                               grace_ms=grace_ms, stop=stop))
    try:
        with database.connect() as conn:
            for item in pages:
                if isinstance(item, int):  # resumed past a stored stretch
                    sink.skipped(series, item - position)
                    position = item
                    continue
                page = item
                with conn.transaction():
                    # Candles and pointer commit together, so losing the last commits in a
                    # server crash only moves the pointer back: no need to wait for the WAL flush.
                    conn.execute("SET LOCAL synchronous_commit = off")
                    if instrument_id is None:  # created with the first page, if new
                        instrument_id = resolve_instrument_id(conn, plan.pair.symbol)
                    result = LoadResult()
                    if len(page.klines):
                        result = merge_batches(
                            conn, CANDLES, {"instrument_id": instrument_id,
                                            "interval_s": interval_s}, [page.klines.batch])
                    last_open = _dt(int(page.klines.open_ms[-1])) if len(page.klines) else None
                    coverage = record_coverage(
                        conn, instrument_id=instrument_id, interval_s=interval_s,
                        window_start=plan.window_start, window_end=plan.window_end,
                        fetched=Coverage(_dt(fetch_from_ms), _dt(page.end_ms)),
                        last_open=last_open, requests=page.requests, run_id=run_id)
                report.rows_fetched += result.rows_read
                report.rows_inserted += result.rows_inserted
                report.requests += page.requests
                report.weight += page.weight
                report.retries += page.retries
                report.rate_limited += page.rate_limited
                for ts in (result.first_ts, result.last_ts):
                    if ts is not None:
                        report.first_ts = ts if report.first_ts is None else min(report.first_ts,
                                                                                 ts)
                        report.last_ts = ts if report.last_ts is None else max(report.last_ts, ts)
                report.covered_from, report.covered_until = (coverage.covered_from,
                                                             coverage.covered_until)
                sink.page(series, candles=result.rows_inserted, covered_ms=page.end_ms - position,
                          requests=page.requests, weight=page.weight,
                          used_weight_1m=page.used_weight_1m)
                position = page.end_ms
    finally:
        stop.set()
        try:
            for _ in pages:  # let the fetch thread finish its current request and exit
                pass
        except Exception:  # already failing; the first error is the one to report
            pass
    report.seconds = time.perf_counter() - started
    if report.requests == 0:
        report.status = "complete" if plan.stored is not None else "nothing to fetch"
    return report


def _plan_window(database: PostgresResource, config: BinanceConfig, key: str,
                 run_config: KlinesConfig) -> tuple[_Plan | None, WindowReport]:
    series, month = parse_kline_partition(key)
    pair = config.pair(series)
    window_start, window_end = month_window(month)
    report = WindowReport(partition_key=str(key), series=series, window_start=window_start)
    # an explicit start (the command line's --start) replaces the configured one
    start = parse_time(run_config.start) if run_config.start else config.start_for(pair)
    starts = [window_start] + ([start] if start else [])
    ends = [window_end]
    if run_config.end:
        ends.append(parse_time(run_config.end))
    fetch_from, fetch_until = max(starts), min(ends)
    stored = None
    with database.connect() as conn:
        instrument_id = find_instrument_id(conn, pair.symbol)
        if instrument_id is not None:
            stored = read_coverage(conn, instrument_id, pair.interval_s, window_start)
    if fetch_from >= fetch_until:
        report.status = "nothing to fetch"
        return None, report
    return _Plan(pair, window_start, window_end, fetch_from, fetch_until, stored), report


@asset(
    key=AssetKey(["binance_futures", "klines"]),
    partitions_def=KLINE_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    pool=POOL,
    group_name="binance_futures",
    kinds={"postgres"},
    description="Binance USD-M klines (closed candles only) in the shared candles table, with "
                "quote volume and taker-buy volumes; one partition per series and month.",
)
def binance_futures_klines(context: AssetExecutionContext, config: KlinesConfig,
                           binance_futures: BinanceFuturesResource,
                           database: PostgresResource) -> None:
    settings = binance_futures.settings()
    sink = progress.current()
    keys = sorted(context.partition_keys,
                  key=lambda k: (parse_kline_partition(k)[0], parse_kline_partition(k)[1]))
    reports: list[WindowReport] = []
    failed_series: dict[str, str] = {}
    fatal: str | None = None
    with binance_futures.client(log=context.log, config=settings) as client:
        for key in keys:
            plan, report = _plan_window(database, settings, key, config)
            reports.append(report)
            if fatal is not None or report.series in failed_series:
                # after a ban nothing is tried; after a failed month, not the later ones
                report.status = "failed"
                report.error = fatal or f"not tried: {failed_series[report.series]}"
                continue
            if plan is None:
                continue
            try:
                sync_window(client, database, plan, report, page_limit=settings.page_limit,
                            repair=config.repair, grace_ms=binance_futures.closed_grace_ms,
                            run_id=context.run.run_id, sink=sink)
            except Exception as exc:  # one bad series fails its partitions, not the others
                report.status = "failed"
                report.error = str(exc) if isinstance(exc, BannedError) else (
                    f"{type(exc).__name__}: {exc}")
                failed_series[report.series] = report.error
                context.log.error(f"{report.series} {report.window_start:%Y-%m}: {report.error}")
                if isinstance(exc, psycopg.Error):
                    raise  # the database itself: nothing else can succeed either
                if isinstance(exc, BannedError):
                    fatal = f"not tried: {exc}"
                continue
            context.log.info(_summary(report))
    failures = [r for r in reports if r.status == "failed"]
    if not failures:
        for report in reports:
            context.add_asset_metadata(report.metadata(), partition_key=report.partition_key)
        return
    # Dagster records a step's partitions only if the step succeeds: record the good ones here.
    for report in reports:
        if report.status != "failed":
            context.log_event(AssetMaterialization(
                asset_key=context.asset_key, partition=report.partition_key,
                metadata=report.metadata()))
    lines = [f"{r.series} {r.window_start:%Y-%m}: {r.error}" for r in failures]
    banned = next((r.error for r in failures if r.error.startswith("Binance has banned")), None)
    raise Failure(
        description=(f"{banned}\n" if banned else "")
        + f"{len(failures)} of {len(reports)} partitions failed:\n" + "\n".join(lines),
        metadata={"failed": MetadataValue.md("\n".join(f"- {line}" for line in lines))},
    )


def _summary(report: WindowReport) -> str:
    text = (f"{report.series} {report.window_start:%Y-%m}: {report.status}, "
            f"{report.rows_inserted:,} new candles of {report.rows_fetched:,} in "
            f"{report.requests} requests (weight {report.weight})")
    if report.covered_until is not None:
        text += f", stored until {report.covered_until:%Y-%m-%d %H:%M}"
    return text

