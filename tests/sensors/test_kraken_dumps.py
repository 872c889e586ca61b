"""The dump-directory sensors: register pairs, request few runs, never the same files twice."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance, SensorResult, build_sensor_context

from assets.kraken_dumps import KRAKEN_PAIRS, kraken_trades
from orchestration.runner import run_assets
from resources.database import PostgresResource
from resources.database.io_manager import MarketDataIOManager
from resources.kraken_dumps.resource import KrakenDumpDirectory
from sensors.kraken_dumps import kraken_ohlcvt_sensor, kraken_trades_sensor, partition_runs
from simulator.kraken_dump import generate_dump


def _age(*paths: Path) -> None:
    for path in paths:  # older than the settle time
        for file in path.rglob("*.csv") if path.is_dir() else [path]:
            os.utime(file, ns=(file.stat().st_mtime_ns - 60 * 10**9,) * 2)


def _evaluate(sensor, instance, resources, cursor=None) -> SensorResult:  # type: ignore[no-untyped-def]
    context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    result = sensor(context)
    assert isinstance(result, SensorResult)
    # apply partition requests the way the daemon does
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_partition_runs_are_contiguous_ranges():
    order = ["A", "B", "C", "D", "E"]
    assert partition_runs(order, {"B", "C", "E"}) == [("B", "C"), ("E", "E")]
    assert partition_runs(order, set(order)) == [("A", "E")]


def test_sensor_registers_pairs_requests_ranges_and_then_only_changes(tmp_path, fresh_database_url):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=4, days=1, trades_per_pair=500, intervals=(60, 1440))
    (dump / "README.csv").write_text("not a dump file\n")
    _age(dump)
    database = PostgresResource(url=fresh_database_url)
    resources = {"kraken_dump": KrakenDumpDirectory(directory=str(dump)), "database": database}
    with DagsterInstance.ephemeral() as instance:
        trades = _evaluate(kraken_trades_sensor, instance, resources)
        assert sorted(instance.get_dynamic_partitions(KRAKEN_PAIRS.name)) == \
            ["ETHUSD", "XBTEUR", "XBTUSD", "XDGUSD"]
        assert len(trades.run_requests) == 1  # a whole new dump: one run, not one per file
        tags = trades.run_requests[0].tags
        assert (tags["dagster/asset_partition_range_start"],
                tags["dagster/asset_partition_range_end"]) == ("ETHUSD", "XDGUSD")
        ohlcvt = _evaluate(kraken_ohlcvt_sensor, instance, resources)
        ranges = sorted((r.tags["dagster/asset_partition_range_start"],
                         r.tags["dagster/asset_partition_range_end"]) for r in ohlcvt.run_requests)
        assert ranges == [("1440|ETHUSD", "1440|XDGUSD"), ("60|ETHUSD", "60|XDGUSD")]

        # Same listing: skipped by cursor, no database query needed.
        again = _evaluate(kraken_trades_sensor, instance, resources, cursor=trades.cursor)
        assert again.run_requests == [] and again.skip_reason is not None

        # Import the trades, then change one file: only that pair is requested.
        run_assets([kraken_trades], dagster_instance=instance,
                   partition_range=("ETHUSD", "XDGUSD"),
                   resources={**resources,
                              "market_data_io_manager": MarketDataIOManager(database=database)})
        with open(dump / "XBTEUR.csv", "a") as f:
            f.write("1704500000,1.0,1.0\n")
        _age(dump / "XBTEUR.csv")
        changed = _evaluate(kraken_trades_sensor, instance, resources, cursor=trades.cursor)
        assert [(r.tags["dagster/asset_partition_range_start"],
                 r.tags["dagster/asset_partition_range_end"])
                for r in changed.run_requests] == [("XBTEUR", "XBTEUR")]


def test_files_still_being_written_wait_for_the_next_tick(tmp_path, fresh_database_url):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=1, days=1, trades_per_pair=100, ohlcvt=False)
    resources = {"kraken_dump": KrakenDumpDirectory(directory=str(dump)),
                 "database": PostgresResource(url=fresh_database_url)}
    with DagsterInstance.ephemeral() as instance:
        fresh = _evaluate(kraken_trades_sensor, instance, resources)
        assert fresh.run_requests == []
        _age(dump)
        assert len(_evaluate(kraken_trades_sensor, instance, resources,
                             cursor=fresh.cursor).run_requests) == 1
