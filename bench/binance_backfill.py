"""Benchmark: a 30-day 1m BTCUSDT backfill through the real klines asset, against the simulator
at Binance's full weight budget (2,400 per minute, on both sides).

Run: ``.venv/bin/python bench/binance_backfill.py [--days 30] [--symbol BTCUSDT]``

Everything is real except the exchange: the simulator (``tickvault sim``, its own process, as
the exchange would be) serves Binance's REST API over HTTP on loopback, candles go into a fresh
PostgreSQL database, the run is a Dagster run on a temporary instance (as ``tickvault binance
backfill-klines`` makes it). Prints candles per second and the 429s the simulator answered
(the target is 0).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("TICKVAULT_TEST_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--interval", default="1m")
    parser.add_argument("--page-limit", type=int, default=None,
                        help="klines per request (default: tickvault's, 1000)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="tickvault-bench-"))
    name = f"tickvault_bench_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(ADMIN_URL, dbname=name)
    config = scratch / "tickvault.yaml"
    config.write_text("binance: {pairs: []}\n")
    os.environ.update({
        "TICKVAULT_DATABASE_URL": url, "TICKVAULT_DATA_DIR": str(scratch / "data"),
        "DAGSTER_HOME": str(scratch / "dagster_home"), "TICKVAULT_CONFIG": str(config),
    })
    (scratch / "dagster_home").mkdir()
    try:
        run(args)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for database in (name, f"{name}_dagster"):
                conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(database)))
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def simulator_process(now: datetime, weight_limit: int) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # a ticking clock (shifted to ``now``): a frozen one would never end a weight minute
    offset = now.timestamp() - time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "sim", "--port", str(port), "--now-offset",
         f"{offset:.3f}", "--weight-limit", str(weight_limit)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the simulator did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(args: argparse.Namespace) -> None:
    from assets.binance_futures import KLINE_SERIES, binance_futures_klines, kline_partition_key
    from orchestration import runner
    from orchestration.resources import SHARED
    from resources.binance_futures import BinanceFuturesResource

    end = datetime(2024, 5, 1, tzinfo=UTC)
    start = end - timedelta(days=args.days)
    series = f"{args.symbol}-{args.interval}"
    with simulator_process(end + timedelta(seconds=30), 2400) as base_url:
        binance = BinanceFuturesResource(base_url=base_url, weight_limit=2400,
                                         page_limit=args.page_limit,
                                         pairs=[f"{args.symbol}/{args.interval}"])
        instance = runner.instance()
        instance.add_dynamic_partitions(KLINE_SERIES.name or "", [series])
        SHARED["database"].migrate()
        first = str(kline_partition_key(series, start))
        last = str(kline_partition_key(series, end - timedelta(milliseconds=1)))
        started = time.perf_counter()
        result = runner.run_assets(
            [binance_futures_klines],
            resources={"binance_futures": binance, "database": SHARED["database"]},
            partition_range=(first, last), dagster_instance=instance,
            run_config={"ops": {"binance_futures__klines": {"config": {
                "start": start.isoformat(), "end": end.isoformat()}}}})
        elapsed = time.perf_counter() - started
        if not result.success:
            raise SystemExit(f"the run failed: {result.run_id}")
        stats = httpx.get(f"{base_url}/_sim/stats").json()
    reports = [
        {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    ]
    candles = sum(int(r["rows_inserted"]) for r in reports)
    requests = sum(int(r["requests"]) for r in reports)
    weight = sum(int(r["weight"]) for r in reports)
    asset_seconds = sum(float(r["seconds"]) for r in reports)
    print(f"backfill {series} {start:%Y-%m-%d} .. {end:%Y-%m-%d} ({args.days} days), "
          f"weight budget 2400/min")
    print(f"  candles stored      {candles:>12,}")
    print(f"  requests            {requests:>12,}   (weight {weight:,})")
    print(f"  fetch+store time    {asset_seconds:>12.2f} s   "
          f"{candles / asset_seconds:>10,.0f} candles/s")
    print(f"  whole Dagster run   {elapsed:>12.2f} s   {candles / elapsed:>10,.0f} candles/s")
    print(f"  429 answers         {stats['responses_429']:>12}")
    print(f"  418 answers         {stats['responses_418']:>12}")


if __name__ == "__main__":
    main()
