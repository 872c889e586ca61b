"""A partition backfill of Kraken OHLCVT files launched the way the UI launches it.

    .venv/bin/python bench/kraken_backfill.py [--pairs 25] [--intervals 1,5] [--days 60]

Starts `dagster dev` (webserver and daemon) on a throwaway instance and database, registers the
dump's pairs (`tickvault kraken scan`), launches a backfill of every file's partition through the
webserver's GraphQL API (the UI's `launchPartitionBackfill`), waits for it to finish, and reports
the wall time from launch to completion, the number of runs the backfill policy made, and rows
stored. Prints a Markdown table; nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
from psycopg import conninfo
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.kraken_dump import generate_dump  # noqa: E402

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      status numPartitions timestamp
      runs(limit: 1000) { runId status creationTime startTime endTime }
    }
    ... on PythonError { message }
  }
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _graphql(port: int, query: str, variables: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # loopback only
        body = json.loads(response.read())
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=25)
    parser.add_argument("--intervals", default="1,5")
    parser.add_argument("--days", type=float, default=60)
    parser.add_argument("--work", default=str(ROOT / "bench" / "work" / "backfill"))
    parser.add_argument("--admin-url", default=os.environ.get(
        "TICKVAULT_TEST_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    intervals = tuple(int(i) for i in args.intervals.split(","))
    work = Path(args.work)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    dump, home = work / "dump", work / "dagster_home"
    home.mkdir(parents=True)
    files = generate_dump(dump, pairs=args.pairs, days=args.days, trades=False,
                          intervals=intervals)
    rows = sum(len(p.read_bytes().splitlines()) for p in files)
    name = "bench_backfill"
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        for database in (name, f"{name}_dagster"):
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(database)))
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    url = conninfo.make_conninfo(args.admin_url, dbname=name)
    env = {**os.environ, "TICKVAULT_DATABASE_URL": url, "DAGSTER_HOME": str(home),
           "TICKVAULT_DATA_DIR": str(work / "data"), "TICKVAULT_KRAKEN_DUMP_DIR": str(dump)}
    tickvault = [sys.executable, "-m", "orchestration.cli"]
    subprocess.run([*tickvault, "kraken", "scan", "--directory", str(dump)], env=env, check=True,
                   capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
         "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(120):
            try:
                _graphql(port, "{ version }", {})
                break
            except OSError:
                time.sleep(1)
        keys = [f"{f.stem.rsplit('_', 1)[1]}|{f.stem.rsplit('_', 1)[0]}" for f in files]
        started = time.perf_counter()
        launched = _graphql(port, LAUNCH, {"params": {
            "assetSelection": [{"path": ["kraken_ohlcvt"]}], "partitionNames": keys}})
        backfill = launched["launchPartitionBackfill"]
        if backfill.get("__typename") != "LaunchBackfillSuccess":  # type: ignore[union-attr]
            raise SystemExit(f"launch failed: {backfill}")
        backfill_id = backfill["backfillId"]  # type: ignore[index]
        while True:
            state = _graphql(port, STATUS, {"id": backfill_id})["partitionBackfillOrError"]
            status = state["status"]  # type: ignore[index]
            runs = state["runs"]  # type: ignore[index]
            if status in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED",
                          "CANCELED"} and all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"}
                                              for r in runs):
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT count(*) FROM candles").fetchone()[0]  # type: ignore[index]
    submitted = float(state["timestamp"])  # type: ignore[index]
    first_start = min(float(r["startTime"]) for r in runs)
    last_end = max(float(r["endTime"]) for r in runs)
    inside = sum(float(r["endTime"]) - float(r["startTime"]) for r in runs)
    print("| files (partitions) | runs | rows stored / in files | wall s (launch → done) | "
          "launch → first run start s | first start → last end s | sum of run durations s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(files)} | {len(runs)} | {stored:,} / {rows:,} | {wall:.1f} | "
          f"{first_start - submitted:.1f} | {last_end - first_start:.1f} | {inside:.1f} |")
    print(f"status: {status}")
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        for database in (name, f"{name}_dagster"):
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(database)))


if __name__ == "__main__":
    main()
