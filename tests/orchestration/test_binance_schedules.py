"""The Binance jobs, schedules and the series sensor, evaluated against a real instance."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    RunRequest,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from assets.binance_futures import KLINE_SERIES
from orchestration.binance_futures import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    binance_fees_schedule,
    binance_kline_series_sensor,
    binance_klines_schedule,
    binance_stats_schedule,
    months_to_pull,
)
from resources.binance_futures import BinanceFuturesResource
from resources.binance_futures.config import BinanceConfig, Pair


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as local:
        yield local


@pytest.fixture
def binance(tmp_path: Path) -> BinanceFuturesResource:
    config = tmp_path / "tickvault.yaml"
    config.write_text("pairs: [BTCUSDT/1m, ETHUSDT-4h]\nstart: 2024-03-15\n")
    return BinanceFuturesResource(config_path=str(config), base_url="http://127.0.0.1:9",
                                  state_dir=str(tmp_path / "state"))


def test_definitions_hold_the_binance_jobs_and_schedules() -> None:
    from orchestration.definitions import defs

    for job in ("binance_klines_job", "binance_stats_job", "binance_fees_job",
                "binance_instruments_job", "binance_kline_archives_job"):
        assert defs.resolve_job_def(job) is not None
    schedules = {s.name: s.cron_schedule for s in defs.get_repository_def().schedule_defs}
    assert schedules["binance_klines_schedule"] == "2 * * * *"
    assert schedules["binance_stats_schedule"] == "17 */6 * * *"  # well inside 30 days


def test_months_to_pull() -> None:
    config = BinanceConfig(pairs=(Pair("BTCUSDT", "1m"),), start=at("2024-01-10"))
    now = at("2024-05-10T12:00")
    done = {"2024-01-01|BTCUSDT-1m", "2024-02-01|BTCUSDT-1m"}
    assert months_to_pull("BTCUSDT-1m", config, done, now) == (at("2024-03-01"),
                                                               at("2024-05-01"))
    everything = done | {"2024-03-01|BTCUSDT-1m", "2024-04-01|BTCUSDT-1m"}
    assert months_to_pull("BTCUSDT-1m", config, everything, now) == (at("2024-04-01"),
                                                                     at("2024-05-01"))
    recent = BinanceConfig(pairs=(Pair("BTCUSDT", "1m"),), start=at("2024-05-02"))
    assert months_to_pull("BTCUSDT-1m", recent, (), now) == (at("2024-05-01"), at("2024-05-01"))


def test_the_sensor_registers_new_series_and_starts_their_backfill(
        instance: DagsterInstance, binance: BinanceFuturesResource) -> None:
    context = build_sensor_context(instance=instance, resources={"binance_futures": binance})
    result = binance_kline_series_sensor(context)
    assert isinstance(result, SensorResult)
    assert result.dynamic_partitions_requests is not None
    assert [list(r.partition_keys) for r in result.dynamic_partitions_requests] == [
        ["BTCUSDT-1m", "ETHUSDT-4h"]]
    requests = {r.tags["tickvault/series"]: r for r in result.run_requests or []}
    assert requests["BTCUSDT-1m"].tags[RANGE_START_TAG] == "2024-03-01|BTCUSDT-1m"
    assert requests["ETHUSDT-4h"].tags[RANGE_END_TAG].endswith("|ETHUSDT-4h")
    instance.add_dynamic_partitions(KLINE_SERIES.name or "", ["BTCUSDT-1m", "ETHUSDT-4h"])
    again = binance_kline_series_sensor(build_sensor_context(
        instance=instance, resources={"binance_futures": binance}, cursor=result.cursor))
    assert isinstance(again, SensorResult) and again.skip_reason is not None
    assert again.run_requests == []


def test_the_hourly_schedule_pulls_every_registered_series(
        instance: DagsterInstance, binance: BinanceFuturesResource) -> None:
    instance.add_dynamic_partitions(KLINE_SERIES.name or "", ["BTCUSDT-1m", "ETHUSDT-4h"])
    context = build_schedule_context(instance=instance, resources={"binance_futures": binance},
                                     scheduled_execution_time=at("2024-05-10T13:02"))
    requests = binance_klines_schedule(context)
    assert isinstance(requests, list) and len(requests) == 2
    btc = next(r for r in requests if r.tags["tickvault/series"] == "BTCUSDT-1m")
    assert isinstance(btc, RunRequest)
    assert (btc.tags[RANGE_START_TAG], btc.tags[RANGE_END_TAG]) == (
        "2024-03-01|BTCUSDT-1m", "2024-05-01|BTCUSDT-1m")
    assert btc.run_key == "BTCUSDT-1m:2024-05-10T13:02"


def test_schedules_skip_while_banned(instance: DagsterInstance,
                                     binance: BinanceFuturesResource) -> None:
    binance.budget().ban(time.time() + 300, "GET /fapi/v1/klines")
    for schedule in (binance_klines_schedule, binance_stats_schedule, binance_fees_schedule):
        context = build_schedule_context(instance=instance,
                                         resources={"binance_futures": binance},
                                         scheduled_execution_time=at("2024-05-10T13:02"))
        outcome = schedule(context)
        assert isinstance(outcome, SkipReason), schedule.name
        assert "banned this IP until" in (outcome.skip_message or "")


def test_the_fee_schedule_snapshots_today(instance: DagsterInstance,
                                          binance: BinanceFuturesResource) -> None:
    context = build_schedule_context(instance=instance, resources={"binance_futures": binance},
                                     scheduled_execution_time=at("2024-05-10T00:15"))
    request = binance_fees_schedule(context)
    assert isinstance(request, RunRequest) and request.partition_key == "2024-05-10"
