"""``tickvault binance`` end to end, as a user runs it: real processes, real HTTP to the
simulator on loopback, the real database, real Dagster runs in a DAGSTER_HOME."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter

import simulator

KLINES = AssetKey(["binance_futures", "klines"])


@pytest.fixture
def sim() -> Iterator[simulator.Simulator]:
    with simulator.serve(seed=42, now="2024-05-01T12:00:30Z") as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, fresh_database_url: str, sim: simulator.Simulator) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = tmp_path / "tickvault.yaml"
    # a configured start after the commands' --start: theirs wins
    config.write_text("binance:\n  pairs: []\n  start: 2024-04-30\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TICKVAULT_BINANCE")}
    return {**clean, "TICKVAULT_DATABASE_URL": fresh_database_url, "DAGSTER_HOME": str(home),
            "TICKVAULT_DATA_DIR": str(tmp_path / "data"), "TICKVAULT_CONFIG": str(config),
            "TICKVAULT_BINANCE_FAPI_URL": sim.base_url, "TICKVAULT_BINANCE_DATA_URL":
            sim.base_url}


def query(env: dict[str, str], text: str) -> list[tuple[object, ...]]:
    with psycopg.connect(env["TICKVAULT_DATABASE_URL"]) as conn:
        return [tuple(r) for r in conn.execute(text)]  # type: ignore[call-overload]


def summary(output: str) -> dict[str, int]:
    values = {}
    for line in output.splitlines():
        for name in ("files", "rows created", "failed"):
            if line.strip().startswith(name + " "):
                values[name] = int(line.strip()[len(name):].split()[0].replace(",", ""))
    return values


def expected_minutes(sim: simulator.Simulator, start: str, end: str) -> int:
    lo = int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp() * 1000)
    hi = int(datetime.fromisoformat(end).replace(tzinfo=UTC).timestamp() * 1000)
    windows = sim.maintenance_windows(lo - 60_000, hi + 60_000)
    return sum(1 for t in range(lo, hi, 60_000)
               if not any(s <= t and t + 60_000 <= e for s, e in windows))


def test_backfill_klines_is_a_dagster_run_and_resumes(tickvault, env: dict[str, str],
                                                      sim: simulator.Simulator) -> None:
    first = tickvault(env, "binance", "backfill-klines", "--symbol", "BTCUSDT", "--interval",
                      "1m", "--start", "2024-04-28", "--end", "2024-05-01T06:00",
                      "--progress")
    expected = expected_minutes(sim, "2024-04-28", "2024-05-01T06:00")
    assert f"{expected:,} new candles in " in first.stdout
    assert "requests" in first.stderr and "ETA" in first.stderr and "weight" in first.stderr
    assert query(env, "SELECT count(*), count(DISTINCT ts) FROM candles") == [(expected,
                                                                               expected)]
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    materialized = instance.get_materialized_partitions(KLINES)
    assert materialized == {"2024-04-01|BTCUSDT-1m", "2024-05-01|BTCUSDT-1m"}

    # the generic export reads Binance candles too, with Binance's extra columns on request
    exported = tickvault(env, "export", "candles", "--venue", "binance-futures", "--pair",
                         "BTCUSDT", "--interval", "1m", "--start", "2024-04-30",
                         "--end", "2024-05-01", "--all-columns").stdout.splitlines()
    assert exported[0] == ("timestamp,open,high,low,close,volume,trade_count,quote_volume,"
                           "taker_buy_base_volume,taker_buy_quote_volume")
    stored = query(env, "SELECT extract(epoch FROM ts)::bigint, close::text, "
                        "quote_volume::text FROM candles WHERE ts >= '2024-04-30' "
                        "AND ts < '2024-05-01' ORDER BY ts")
    assert len(exported) - 1 == len(stored) > 1000
    first = exported[1].split(",")
    assert (int(first[0]), first[4], first[7]) == stored[0]

    # later start: resumes from the pointer, fetches nothing twice
    again = tickvault(env, "binance", "backfill-klines", "--symbol", "BTCUSDT", "--interval",
                      "1m", "--start", "2024-04-29", "--end", "2024-05-01T09:00")
    later = expected_minutes(sim, "2024-05-01T06:00", "2024-05-01T09:00")
    assert f"{later} new candles in 1 requests" in again.stdout
    bad = tickvault(env, "binance", "backfill-klines", "--symbol", "BTCUSDT", "--interval",
                    "7m", "--start", "2024-04-29", check=False)
    assert bad.returncode == 2 and "'7m' is not a Binance kline interval" in bad.stderr
    unknown = tickvault(env, "binance", "backfill-klines", "--symbol", "NOPEUSDT", "--interval",
                        "1h", "--start", "2024-04-29", check=False)
    assert unknown.returncode == 1
    assert "Binance refused GET /fapi/v1/klines for NOPEUSDT: HTTP 400 -1121" in unknown.stderr


def test_a_run_killed_at_a_random_point_resumes_to_exactly_once(tickvault,
        env: dict[str, str], sim: simulator.Simulator) -> None:
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).randrange(3, 180)  # kline requests served before the kill
    env = {**env, "TICKVAULT_BINANCE_PAGE_LIMIT": "240"}  # 180 pages for the month
    args = ["binance", "backfill-klines", "--symbol", "ETHUSDT", "--interval", "1m",
            "--start", "2024-03-01", "--end", "2024-03-31"]
    process = subprocess.Popen([*tickvault.command, *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while sim.stats()["requests"].get("/fapi/v1/klines", 0) < kill_after:
            assert process.poll() is None, f"finished before the kill (seed {seed})"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    served = sim.stats()["requests"]["/fapi/v1/klines"]
    stored = query(env, "SELECT count(*) FROM candles")[0][0]
    assert isinstance(stored, int) and stored <= 240 * served

    rerun = tickvault(env, *args)
    expected = expected_minutes(sim, "2024-03-01", "2024-03-31")
    assert query(env, "SELECT count(*), count(DISTINCT ts), min(ts), max(ts) FROM candles") == [
        (expected, expected, datetime(2024, 3, 1, tzinfo=UTC),
         datetime(2024, 3, 30, 23, 59, tzinfo=UTC))], f"seed {seed}"
    resumed = sim.stats()["requests"]["/fapi/v1/klines"] - served
    assert resumed <= 180 - stored // 240 + 1, f"seed {seed}: started over"
    assert query(env, "SELECT covered_from, covered_until FROM binance_kline_cursors") == [
        (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 31, tzinfo=UTC))]
    # the killed run is marked failed (freeing its pool slot), the rerun succeeded
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    runs = instance.get_runs(RunsFilter(tags={"tickvault/trigger": "cli:binance backfill-klines"}))
    assert sorted(r.status.value for r in runs) == sorted([DagsterRunStatus.FAILURE.value,
                                                           DagsterRunStatus.SUCCESS.value])
    assert "new candles" in rerun.stdout


def test_two_processes_share_one_weight_budget(tickvault, env: dict[str, str],
                                               sim: simulator.Simulator) -> None:
    """Two backfills at once in two processes, 40 weight per 2.5 s between them, needing
    several times that: the server (here a weight minute passes every 2 s) never sees more
    than its limit, so it never answers 429."""
    sim.set_options(weight_limit=40)
    env = {**env, "TICKVAULT_BINANCE_WEIGHT_LIMIT": "40", "TICKVAULT_BINANCE_WEIGHT_WINDOW_S":
           "2.5", "TICKVAULT_BINANCE_PAGE_LIMIT": "400"}
    stop = threading.Event()

    def minutes_pass() -> None:
        while not stop.wait(2.0):
            sim.advance(60_000)

    tickvault(env, "binance", "instruments")  # the Dagster home exists before two runs start
    sim.reset()
    ticker = threading.Thread(target=minutes_pass, daemon=True)
    ticker.start()
    try:
        processes = [subprocess.Popen(
            [*tickvault.command, "binance", "backfill-klines", "--symbol", symbol,
             "--interval", "1m", "--start", "2024-04-23", "--end", "2024-05-01"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for symbol in ("BTCUSDT", "XRPUSDT")]
        outputs = [p.communicate(timeout=240) for p in processes]
    finally:
        stop.set()
        ticker.join()
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out + err
    stats = sim.stats()
    assert stats["responses_429"] == 0 and stats["responses_418"] == 0
    assert stats["requests"]["/fapi/v1/klines"] >= 2 * 29  # 11,520 candles each: 232 weight
    assert query(env, "SELECT count(DISTINCT instrument_id) FROM candles") == [(2,)]


def test_download_then_import_archives(tickvault, env: dict[str, str],
                                       sim: simulator.Simulator,
                                       tmp_path: Path) -> None:
    target = tmp_path / "archives"
    downloaded = tickvault(env, "binance", "download-archives", "--symbol", "BNBUSDT",
                           "--interval", "1h", "--start", "2024-03-01", "--end", "2024-04-03",
                           "--directory", str(target))
    assert "3 downloaded, 0 already present, 0 not published, 0 failed" in downloaded.stdout
    imported = tickvault(env, "binance", "import-archives", "--directory", str(target),
                         "--require-checksum")
    stored = query(env, "SELECT count(*) FROM candles")[0][0]
    assert stored == 31 * 24 + 2 * 24 - sum(
        1 for s, e in sim.maintenance_windows(1709251200000, 1712102400000)
        for t in range(s - s % 3_600_000, e, 3_600_000) if s <= t and t + 3_600_000 <= e)
    assert summary(imported.stdout) == {"files": 3, "rows created": stored, "failed": 0}
    assert "BNBUSDT-1h" in imported.stderr  # a line per file
    again = tickvault(env, "binance", "import-archives", "--directory", str(target))
    assert "(3 unchanged since last import)" in again.stdout
    assert summary(again.stdout)["rows created"] == 0


def test_status_says_so_while_banned(tickvault, env: dict[str, str],
                                     sim: simulator.Simulator) -> None:
    from resources.binance_futures import BinanceFuturesResource

    resource = BinanceFuturesResource(base_url=sim.base_url, state_dir=str(
        Path(env["TICKVAULT_DATA_DIR"]) / "binance_futures"))
    resource.budget(resource.settings()).ban(time.time() + 600, "GET /fapi/v1/klines")
    status = tickvault(env, "binance", "status")
    assert "BANNED by Binance (HTTP 418) until" in status.stdout
    refused = tickvault(env, "binance", "backfill-klines", "--symbol", "BTCUSDT", "--interval",
                        "1h", "--start", "2024-04-29", check=False)
    assert refused.returncode == 1 and "Binance has banned this IP until" in refused.stderr
    assert sim.stats()["requests_total"] == 0
