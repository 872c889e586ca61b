"""Real Dagster materializations of the Kraken dump assets, one run per partition range."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DagsterEventType, MultiPartitionKey

from assets.kraken_dumps import KRAKEN_PAIRS, kraken_ohlcvt, kraken_trades
from orchestration.runner import run_assets
from simulator.kraken_dump import generate_dump


def _materializations(instance, asset) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    records = instance.fetch_materializations(AssetKey(asset.key.path), limit=1000,
                                              ascending=True).records
    out = {}
    for record in records:  # oldest first: the latest materialization of a partition wins
        mat = record.event_log_entry.asset_materialization
        out[str(mat.partition)] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_multi_partition_backfill_is_one_run_with_per_partition_metadata(
        tmp_path, instance, make_resources):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=3, days=1, trades=False, intervals=(60, 240))
    pairs = ["XBTUSD", "XBTEUR", "ETHUSD"]
    instance.add_dynamic_partitions(KRAKEN_PAIRS.name, pairs)
    result = run_assets([kraken_ohlcvt], resources=make_resources(str(dump)),
                        partition_range=("60|XBTUSD", "240|ETHUSD"), dagster_instance=instance)
    assert result.success
    assert len(instance.get_runs()) == 1
    mats = _materializations(instance, kraken_ohlcvt)
    assert len(mats) == 6
    for pair in pairs:
        for interval in (60, 240):
            key = str(MultiPartitionKey({"interval": str(interval), "pair": pair}))
            meta = mats[key]
            assert meta["rows_inserted"] == _lines(dump / f"{pair}_{interval}.csv")
            assert meta["rows_already_present"] == 0 and meta["status"] == "imported"
            assert isinstance(meta["rows_per_second"], float)
            assert meta["last_ts_unix"] >= meta["first_ts_unix"]


def test_a_bad_file_fails_its_partition_and_only_it(tmp_path, instance, make_resources):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=3, days=1, ohlcvt=False, trades_per_pair=3_000)
    bad = dump / "XBTEUR.csv"
    lines = bad.read_text().splitlines()
    lines[1200] = lines[1200].split(",")[0] + ",-5.0,0.1"
    bad.write_text("\n".join(lines) + "\n")
    instance.add_dynamic_partitions(KRAKEN_PAIRS.name, ["XBTUSD", "XBTEUR", "ETHUSD"])
    resources = make_resources(str(dump))
    result = run_assets([kraken_trades], resources=resources,
                        partition_range=("XBTUSD", "ETHUSD"), dagster_instance=instance)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    message = str(failure.step_failure_data.error)
    assert "XBTEUR.csv" in message and "line 1201" in message and "-5.0" in message
    mats = _materializations(instance, kraken_trades)
    assert set(mats) == {"XBTUSD", "ETHUSD"}
    assert mats["XBTUSD"]["rows_inserted"] == _lines(dump / "XBTUSD.csv")
    first_line = (dump / "XBTUSD.csv").read_text().split("\n", 1)[0]
    assert mats["XBTUSD"]["first_ts_unix"] == float(first_line.split(",")[0])
    assert instance.get_materialized_partitions(AssetKey("kraken_trades")) == {"XBTUSD", "ETHUSD"}
    with resources["database"].connect() as conn:
        stored = dict(conn.execute(
            "SELECT i.venue_symbol, count(*) FROM trades t JOIN instruments i "
            "ON i.id = t.instrument_id GROUP BY 1").fetchall())
    assert stored == {"XBTUSD": _lines(dump / "XBTUSD.csv"),
                      "ETHUSD": _lines(dump / "ETHUSD.csv")}
    # Fixing the file and running again imports it; the others are unchanged.
    lines[1200] = lines[1200].replace("-5.0", "5.0")
    bad.write_text("\n".join(lines) + "\n")
    again = run_assets([kraken_trades], resources=resources,
                       partition_range=("XBTUSD", "ETHUSD"), dagster_instance=instance)
    assert again.success
    mats = _materializations(instance, kraken_trades)
    assert mats["XBTEUR"]["rows_inserted"] == len(lines)
    assert mats["XBTUSD"]["status"] == "unchanged"


def test_a_partition_without_a_file_is_reported_absent(tmp_path, instance, make_resources):
    (tmp_path / "dump").mkdir()
    instance.add_dynamic_partitions(KRAKEN_PAIRS.name, ["XBTUSD"])
    result = run_assets([kraken_trades], resources=make_resources(str(tmp_path / "dump")),
                        partition_key="XBTUSD", dagster_instance=instance)
    assert result.success
    assert _materializations(instance, kraken_trades)["XBTUSD"]["status"] == "absent"
