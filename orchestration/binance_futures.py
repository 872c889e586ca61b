"""Binance USD-M futures: assets, jobs, schedules, the series sensor and resources.

* ``binance_kline_series_sensor`` (every 2 min): registers the configured series as partitions
  and starts the backfill of a new one (from the configured start to now).
* ``binance_klines_schedule`` (hourly, minute 2): one run per series over its months from the
  oldest not yet materialized (at least the previous month) to the current one; months already
  complete cost no request.
* ``binance_stats_schedule`` (every 6 hours): funding, open interest, long/short ratios. Binance
  keeps 30 days of the last four: 6 hours leaves a month of slack for outages.
* ``binance_fees_schedule`` (daily 00:15 UTC) and ``binance_instruments_schedule`` (daily 00:05).

Every schedule skips its tick while Binance has this IP banned (HTTP 418), saying until when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from assets.binance_futures import (
    KLINE_SERIES,
    STATS_ASSETS,
    binance_futures_fees,
    binance_futures_instruments,
    binance_futures_kline_archives,
    binance_futures_klines,
    kline_partition_key,
)
from assets.binance_futures.partitions import FIRST_MONTH
from assets.partition_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from orchestration.component import Component
from orchestration.resources import SHARED
from resources.binance_futures import BinanceFuturesResource, BinancePublicDataResource
from resources.binance_futures.config import BinanceConfig, ConfigError

__all__ = [
    "COMPONENT",
    "RANGE_END_TAG",
    "RANGE_START_TAG",
    "binance_kline_series_sensor",
    "binance_klines_job",
    "binance_klines_schedule",
    "binance_stats_job",
    "kline_run_request",
    "months_to_pull",
]

RANGE_START_TAG = PARTITION_RANGE_START_TAG  # the names this module's users import
RANGE_END_TAG = PARTITION_RANGE_END_TAG

binance_klines_job = define_asset_job(
    "binance_klines_job", selection=[binance_futures_klines],
    description="Binance USD-M klines: one run per series over a range of months.")
binance_stats_job = define_asset_job(
    "binance_stats_job", selection=list(STATS_ASSETS),
    description="Funding rates, open interest and the long/short ratios of the configured "
                "symbols.")
binance_fees_job = define_asset_job(
    "binance_fees_job", selection=[binance_futures_fees],
    description="Today's maker/taker fees of the configured symbols (needs an API key).")
binance_instruments_job = define_asset_job(
    "binance_instruments_job", selection=[binance_futures_instruments],
    description="The USD-M contract list from exchangeInfo.")
binance_kline_archives_job = define_asset_job(
    "binance_kline_archives_job", selection=[binance_futures_kline_archives],
    description="Import Binance public-data kline archives from a directory (run config: "
                "directory).")


def _month(when: datetime) -> datetime:
    return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months(first: datetime, last: datetime) -> list[datetime]:
    months, current = [], _month(first)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def months_to_pull(series: str, config: BinanceConfig, materialized: Iterable[str],
                   now: datetime) -> tuple[datetime, datetime]:
    """(first, last) month of a series' incremental run: from the oldest month since the
    configured start that is not materialized yet (at least the previous month, whose last
    candles may have closed after its last run) to the current month."""
    pair = config.pair(series)
    start = config.start_for(pair) or datetime.fromisoformat(FIRST_MONTH).replace(tzinfo=UTC)
    current = _month(now)
    previous = _month(current - timedelta(days=1))
    done = set(materialized)
    first = previous if start < previous else _month(start)
    for month in _months(start, previous):
        if str(kline_partition_key(series, month)) not in done:
            first = month
            break
    return first, current


def kline_run_request(series: str, first: datetime, last: datetime, run_key: str | None,
                      trigger: str) -> RunRequest:
    return RunRequest(
        run_key=run_key,
        asset_selection=[binance_futures_klines.key],
        tags={RANGE_START_TAG: str(kline_partition_key(series, first)),
              RANGE_END_TAG: str(kline_partition_key(series, last)),
              "tickvault/trigger": trigger, "tickvault/series": series},
    )


def _banned(binance: BinanceFuturesResource) -> str | None:
    try:
        status = binance.budget().status()
    except ConfigError as exc:
        return f"configuration error: {exc}"
    if status.banned_until > datetime.now(UTC).timestamp():
        until = datetime.fromtimestamp(status.banned_until, UTC).isoformat(timespec="seconds")
        return f"Binance has banned this IP until {until} (HTTP 418); no request before then"
    return None


@sensor(
    name="binance_kline_series_sensor",
    job=binance_klines_job,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.STOPPED,
    description="Registers the configured kline series (symbol-interval) as partitions and "
                "starts the backfill of each new one.",
)
def binance_kline_series_sensor(context: SensorEvaluationContext,
                                binance_futures: BinanceFuturesResource) -> SensorResult:
    try:
        config = binance_futures.settings()
    except ConfigError as exc:
        return SensorResult(skip_reason=SkipReason(f"configuration error: {exc}"),
                            cursor=context.cursor)
    wanted = [pair.series for pair in config.pairs]
    cursor = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()[:24]
    known = set(context.instance.get_dynamic_partitions(KLINE_SERIES.name or ""))
    new = [s for s in wanted if s not in known]
    if not new:
        return SensorResult(skip_reason=SkipReason(
            f"{len(wanted)} configured series, all registered"), cursor=cursor)
    now = datetime.now(UTC)
    requests = []
    for series in new:
        first, last = months_to_pull(series, config, (), now)
        requests.append(kline_run_request(series, first, last, f"new-series:{series}",
                                          "binance_kline_series_sensor"))
    context.log.info(f"registering {len(new)} new kline series: {', '.join(new)}")
    return SensorResult(run_requests=requests,
                        dynamic_partitions_requests=[KLINE_SERIES.build_add_request(new)],
                        cursor=cursor)


@schedule(
    name="binance_klines_schedule",
    cron_schedule="2 * * * *",
    job=binance_klines_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Hourly incremental kline pull for every configured series.",
)
def binance_klines_schedule(context: ScheduleEvaluationContext,
                            binance_futures: BinanceFuturesResource
                            ) -> Sequence[RunRequest] | SkipReason:
    if reason := _banned(binance_futures):
        return SkipReason(reason)
    config = binance_futures.settings()
    known = set(context.instance.get_dynamic_partitions(KLINE_SERIES.name or ""))
    series = [p.series for p in config.pairs if p.series in known]
    if not series:
        return SkipReason("no registered kline series (configure pairs; the series sensor "
                          "registers them)")
    materialized = context.instance.get_materialized_partitions(binance_futures_klines.key)
    now = context.scheduled_execution_time or datetime.now(UTC)
    tick = now.strftime("%Y-%m-%dT%H:%M")
    return [kline_run_request(s, *months_to_pull(s, config, materialized, now),
                              f"{s}:{tick}", "binance_klines_schedule")
            for s in series]


def _simple_schedule(name: str, cron: str, job_name: str, description: str,
                     partitioned: bool = False) -> ScheduleDefinition:
    @schedule(name=name, cron_schedule=cron, job_name=job_name, execution_timezone="UTC",
              default_status=DefaultScheduleStatus.STOPPED, description=description)
    def _schedule(context: ScheduleEvaluationContext,
                  binance_futures: BinanceFuturesResource) -> RunRequest | SkipReason:
        if reason := _banned(binance_futures):
            return SkipReason(reason)
        now = context.scheduled_execution_time or datetime.now(UTC)
        tick = now.strftime("%Y-%m-%dT%H:%M")
        if partitioned:
            return RunRequest(run_key=tick, partition_key=now.strftime("%Y-%m-%d"))
        return RunRequest(run_key=tick)

    return _schedule


binance_stats_schedule = _simple_schedule(
    "binance_stats_schedule", "17 */6 * * *", "binance_stats_job",
    "Funding, open interest and long/short ratios every 6 hours (Binance keeps 30 days).")
binance_fees_schedule = _simple_schedule(
    "binance_fees_schedule", "15 0 * * *", "binance_fees_job",
    "Daily fee snapshot (skipped without an API key).", partitioned=True)
binance_instruments_schedule = _simple_schedule(
    "binance_instruments_schedule", "5 0 * * *", "binance_instruments_job",
    "Daily refresh of the USD-M contract list.")

binance_futures = BinanceFuturesResource()
binance_public_data = BinancePublicDataResource()

COMPONENT = Component(
    assets=[binance_futures_klines, *STATS_ASSETS, binance_futures_fees,
            binance_futures_instruments, binance_futures_kline_archives],
    jobs=[binance_klines_job, binance_stats_job, binance_fees_job, binance_instruments_job,
          binance_kline_archives_job],
    schedules=[binance_klines_schedule, binance_stats_schedule, binance_fees_schedule,
               binance_instruments_schedule],
    sensors=[binance_kline_series_sensor],
    resources={"database": SHARED["database"], "binance_futures": binance_futures,
               "binance_public_data": binance_public_data},
)
