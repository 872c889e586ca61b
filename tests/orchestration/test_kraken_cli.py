"""The ``tickvault kraken`` and ``tickvault export`` commands, end to end, as a user runs them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dagster import DagsterInstance

from simulator.kraken_dump import generate_dump


def _summary(output: str) -> dict[str, int]:
    values = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in {"files", "skipped", "failed"}:
            values[parts[0]] = int(parts[1].replace(",", ""))
        if line.strip().startswith("rows created"):
            values["created"] = int(parts[2].replace(",", ""))
        if line.strip().startswith("rows already present"):
            values["present"] = int(parts[3].replace(",", ""))
    return values


def test_ingest_export_roundtrip_and_idempotent_rerun(tickvault, tmp_path, env):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=10, days=1, trades_per_pair=2_000, intervals=(1, 1440))
    first = tickvault(env, "kraken", "ingest-ohlcv", "--directory", str(dump))
    lines = sum(len(p.read_text().splitlines()) for p in dump.glob("*_*.csv"))
    assert _summary(first.stdout) == {"files": 20, "created": lines, "present": 0, "skipped": 0,
                                      "failed": 0}
    assert "SHIBEUR 1440" in first.stderr and "ETA" in first.stderr  # a line per file
    again = tickvault(env, "kraken", "ingest-ohlcv", "--directory", str(dump))
    assert _summary(again.stdout)["skipped"] == 20 and _summary(again.stdout)["created"] == 0

    # e-notation in, plain decimals out, the same values
    out = tmp_path / "shib.csv"
    tickvault(env, "export", "candles", "--venue", "kraken", "--pair", "SHIBEUR",
              "--interval", "1", "--output", str(out))
    exported = out.read_text().splitlines()
    assert exported[0] == "timestamp,open,high,low,close,volume,trade_count"
    source = (dump / "SHIBEUR_1.csv").read_text().splitlines()
    assert "e-" in source[0] and "e-" not in exported[1]
    assert [[Decimal(v) for v in r.split(",")] for r in exported[1:]] == \
        [[Decimal(v) for v in r.split(",")] for r in source]

    tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), "--pair", "BTC/USD")
    trades = tickvault(env, "export", "trades", "--venue", "kraken", "--pair", "XXBTZUSD",
                       "--start", "2024-01-01", "--end", "2024-01-05T00:00:00Z")
    assert trades.stdout.splitlines()[1:] == (dump / "XXBTZUSD.csv").read_text().splitlines()

    parquet = tmp_path / "shib.parquet"
    tickvault(env, "export", "candles", "--venue", "kraken", "--pair", "SHIBEUR",
              "--interval", "1m", "--format", "parquet", "--output", str(parquet))
    import pyarrow.parquet as pq

    table = pq.read_table(parquet).to_pylist()
    assert [[Decimal(str(r[k])) for k in ("timestamp", "open", "high", "low", "close", "volume",
                                          "trade_count")] for r in table] == \
        [[Decimal(v) for v in r.split(",")] for r in source]

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert len(instance.get_runs()) >= 3  # the CLI's runs are real, persistent runs


def test_failures_are_listed_and_exit_nonzero(tickvault, tmp_path, env):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=3, days=1, trades_per_pair=1_000, ohlcvt=False)
    (dump / "XBTEUR.csv").write_text("1704067200,1.0,0.5\n1704067201,abc,0.5\n")
    (dump / "NOTAPAIR.csv").write_text("1704067200,1.0,0.5\n")
    result = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), check=False)
    assert result.returncode == 1
    summary = _summary(result.stdout)
    assert summary["failed"] == 1 and summary["skipped"] == 1
    assert "XBTEUR.csv" in result.stdout and "line 2" in result.stdout and "'abc'" in result.stdout
    assert "NOTAPAIR.csv" in result.stderr
    listed = tickvault(env, "export", "trades", "--venue", "kraken", "--pair", "XBTUSD")
    assert len(listed.stdout.splitlines()) - 1 == len((dump / "XBTUSD.csv").read_text()
                                                      .splitlines())


def test_dry_run_skip_existing_and_limit(tickvault, tmp_path, env):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=2, days=1, trades_per_pair=3_000, ohlcvt=False)
    dry = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), "--dry-run")
    assert "rows that would be read" in dry.stdout
    limited = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump),
                        "--limit-per-file", "100", "--batch-size", "5000")
    assert _summary(limited.stdout)["created"] == 200
    skip = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), "--skip-existing")
    assert _summary(skip.stdout)["skipped"] == 2
    full = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), "--drop-indexes")
    total = sum(len(p.read_text().splitlines()) for p in dump.glob("*.csv"))
    assert _summary(full.stdout)["created"] == total - 200
    assert "--drop-indexes" in full.stderr


@pytest.mark.parametrize("ahead", ["1", "0"])
def test_one_file_is_imported_ahead_and_committed_by_its_run(tickvault, tmp_path, env, ahead):
    dump = tmp_path / "dump"
    dump.mkdir()
    from simulator.kraken_dump import DEFAULT_PAIRS, write_trades

    write_trades(dump / "XBTUSD.csv", DEFAULT_PAIRS[0], rows=50_000, start=1_700_000_000, seed=3)
    result = tickvault({**env, "TICKVAULT_IMPORT_AHEAD": ahead}, "kraken", "ingest-trades",
                       "--directory", str(dump))
    assert _summary(result.stdout)["created"] == 50_000
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
        messages = [e.user_message for e in instance.all_logs(run.run_id)]
    claimed = [m for m in messages if "started this import" in m]
    assert len(claimed) == (1 if ahead == "1" else 0)
    import psycopg

    with psycopg.connect(env["TICKVAULT_DATABASE_URL"]) as conn:
        assert conn.execute("SELECT run_id, rows_inserted FROM ingest_ledger").fetchall() == \
            [(run.run_id, 50_000)]
        listed = conn.execute("SELECT extract(epoch FROM ts)::bigint, price::text, volume::text "
                              "FROM trades ORDER BY ts, seq").fetchall()
    assert [",".join(map(str, r)) for r in listed] == \
        (dump / "XBTUSD.csv").read_text().splitlines()


def test_a_bad_file_imported_ahead_fails_its_partition_with_the_line(tickvault, tmp_path, env):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "XBTUSD.csv").write_text("1704067200,1.0,0.5\n1704067201,abc,0.5\n")
    result = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump), check=False)
    assert result.returncode == 1
    assert "line 2" in result.stdout and "'abc'" in result.stdout
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
        assert any("started this import" in e.user_message
                   for e in instance.all_logs(run.run_id))
