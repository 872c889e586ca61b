"""Kraken import benchmark: tickvault against the `psql \\copy` limit and the old write path.

    .venv/bin/python bench/kraken_import.py [--rows 5000000] [--rss-rows 20000000] ...

One run, one PostgreSQL server, each measurement in a fresh database:

1. generates a trades file of N rows with same-second bursts, a 10% incremental file, and an
   OHLCVT dump (pairs x 8 intervals);
2. times `tickvault kraken ingest-trades` on the fresh file, end to end (process start to rows
   committed, keys in place);
3. times the limit: `psql \\copy` of the same file into an unindexed (ts bigint, price numeric,
   volume numeric) table;
4. times the old write path (multi-row INSERT ... ON CONFLICT DO NOTHING in batches, as Django's
   bulk_create(ignore_conflicts=True) issues, into a table with the old unique key
   (asset, timestamp, source) and four indexes) on a slice, and counts the rows it kept;
5. times re-importing the unchanged file, and importing the incremental file;
6. times the OHLCVT dump through one Dagster backfill run and reports the orchestration
   overhead (wall time minus the time inside the write path, from materialization metadata);
7. records peak memory (the summed PSS of the command's processes; also on a --rss-rows file)
   and the --drop-indexes path;
8. prints rows/s and ratios, and writes bench/RESULTS.md.

Ratios are computed against the limit measured in the same run, never against fixed numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import conninfo
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.kraken_dump import DEFAULT_PAIRS, generate_dump, write_trades  # noqa: E402

# The console script users run (what `./run setup` installs), else the module.
_SCRIPT = Path(sys.executable).parent / "tickvault"
TICKVAULT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "orchestration.cli"]


@dataclass
class Row:
    name: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work).resolve()
        self.admin = args.admin_url
        self.rows: dict[str, Row] = {}
        self.databases: list[str] = []
        self.home = self.work / "dagster_home"
        self._seen_runs: set[str] = set()

    # -- plumbing -----------------------------------------------------------------------------

    def database(self, name: str) -> str:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for stale in (name, f"{name}_dagster"):  # and the Dagster storage the CLI makes
                conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(stale)))
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        self.databases.append(name)
        return conninfo.make_conninfo(self.admin, dbname=name)

    def cleanup(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for name in self.databases:
                for database in (name, f"{name}_dagster"):
                    conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        pgsql.Identifier(database)))

    def settle(self) -> None:
        """Start each timed command from the same server state: the previous command's dirty
        pages flushed (a checkpoint), the OS's too. Otherwise whichever command runs next pays
        for the previous one's writes."""
        os.sync()
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    def tickvault(self, url: str, *args: str, env: dict[str, str] | None = None
                  ) -> tuple[float, int, str]:
        """Run the CLI; returns (wall seconds, peak memory in MB, stdout).

        The memory figure is the peak, over the command's run, of the summed proportional set
        size (PSS) of all its processes: a fresh import runs in two (the command, and the
        import it starts ahead of its Dagster run), which share their libraries. The largest
        single process's RSS is kept in ``self.max_rss`` for the notes."""
        self.settle()
        env = {**os.environ, "TICKVAULT_DATABASE_URL": url, "DAGSTER_HOME": str(self.home),
               "TICKVAULT_DATA_DIR": str(self.work / "data"), **(env or {})}
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            process = subprocess.Popen([*TICKVAULT, *args], env=env, stdout=out, stderr=err)
            sampler = _TreeMemory(process.pid)
            sampler.start()
            process.wait()
            wall = time.perf_counter() - started
            sampler.stop()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if process.returncode != 0:
            raise SystemExit(f"tickvault {' '.join(args)} failed:\n{stdout}\n{stderr[-3000:]}")
        self.max_rss = sampler.max_rss_mb
        return wall, max(sampler.peak_pss_mb, 1), stdout

    def count(self, url: str, query: str) -> int:
        with psycopg.connect(url) as conn:
            row = conn.execute(query).fetchone()  # type: ignore[arg-type]  # fixed bench queries
        return int(row[0]) if row else 0

    def _metadata_seconds(self, asset: str) -> float:
        """Sum of the per-partition 'seconds' metadata over the runs of the last command."""
        from dagster import DagsterEventType, DagsterInstance

        with DagsterInstance.from_config(str(self.home)) as instance:
            total = 0.0
            for run in instance.get_runs(limit=50):
                if run.run_id in self._seen_runs:
                    continue
                self._seen_runs.add(run.run_id)
                for entry in instance.all_logs(run.run_id,
                                               of_type=DagsterEventType.ASSET_MATERIALIZATION):
                    mat = entry.asset_materialization
                    if mat is not None and mat.asset_key.to_user_string() == asset:
                        total += float(mat.metadata["seconds"].value)
            return total

    # -- the measurements ---------------------------------------------------------------------

    def generate(self) -> None:
        a = self.args
        self.full = self.work / "full"
        self.incr = self.work / "incremental"
        self.ohlcvt = self.work / "ohlcvt"
        self.big = self.work / "big"
        self.tiny = self.work / "tiny"
        for folder in (self.full, self.incr, self.ohlcvt, self.big, self.tiny):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        started = time.perf_counter()
        spec = DEFAULT_PAIRS[0]
        total = a.rows + a.rows // 10
        both = self.work / "both.csv"
        write_trades(both, spec, rows=total, start=1_500_000_000, seed=a.seed)
        with open(both, "rb") as src, open(self.full / "XBTUSD.csv", "wb") as first, \
                open(self.incr / "XBTUSD.csv", "wb") as rest:
            previous = b""
            for i, line in enumerate(src):
                second = line.split(b",", 1)[0]
                # the split falls between two seconds, as Kraken's quarterly cut does
                target = first if i < a.rows or second == previous else rest
                target.write(line)
                if target is first:
                    previous = second
        both.unlink()
        self.full_rows = _lines(self.full / "XBTUSD.csv")
        self.incr_rows = _lines(self.incr / "XBTUSD.csv")
        with open(self.incr / "XBTUSD.csv", "rb") as handle:  # a small file after both
            handle.seek(-64, os.SEEK_END)
            last = int(handle.read().splitlines()[-1].split(b",")[0])
        write_trades(self.tiny / "XBTUSD.csv", spec, rows=1_000, start=last + 3600, seed=a.seed)
        generate_dump(self.ohlcvt, pairs=a.pairs, days=a.days, trades=False, seed=a.seed)
        if a.rss_rows:
            write_trades(self.big / "XBTUSD.csv", spec, rows=a.rss_rows, start=1_500_000_000,
                         seed=a.seed + 1)
        self.ohlcvt_rows = sum(_lines(p) for p in self.ohlcvt.glob("*.csv"))
        print(f"generated in {time.perf_counter() - started:.1f}s: trades {self.full_rows:,} + "
              f"incremental {self.incr_rows:,}; OHLCVT {len(list(self.ohlcvt.glob('*.csv')))} "
              f"files, {self.ohlcvt_rows:,} rows", flush=True)

    def fresh_and_limit(self) -> None:
        """Fresh import and the limit, alternated --repeat times (medians): this machine's
        timings vary by 10-20% from one minute to the next, and the ratio must compare like
        with like. Each attempt also times the import without starting it ahead of its run
        (TICKVAULT_IMPORT_AHEAD=0), to show what that overlap is worth."""
        fresh: list[float] = []
        serial: list[float] = []
        limits: list[float] = []
        memory: list[int] = []
        largest: list[int] = []
        writes: list[float] = []
        # A first command creates the Dagster instance's storage (once per DAGSTER_HOME); every
        # later command, like each timed one below, finds it ready.
        self.tickvault(self.database("bench_warmup"), "kraken", "scan", "--directory",
                       str(self.full))
        for attempt in range(self.args.repeat):
            limits.append(self._limit_once(attempt))
            url = self.database(f"bench_fresh_{attempt}")
            wall, peak, _ = self.tickvault(url, "kraken", "ingest-trades", "--directory",
                                           str(self.full))
            self._check_fresh(url)
            fresh.append(wall)
            memory.append(peak)
            largest.append(self.max_rss)
            writes.append(self._metadata_seconds("kraken_trades"))
            self.fresh_url = url
            other = self.database(f"bench_serial_{attempt}")
            serial.append(self.tickvault(other, "kraken", "ingest-trades", "--directory",
                                         str(self.full), env={"TICKVAULT_IMPORT_AHEAD": "0"})[0])
            self._check_fresh(other)
            self._metadata_seconds("kraken_trades")  # (marks its run as seen)
            print(f"  attempt {attempt + 1}: limit {limits[-1]:.2f}s, tickvault {wall:.2f}s "
                  f"(write path {writes[-1]:.2f}s; without the import ahead "
                  f"{serial[-1]:.2f}s)", flush=True)
        self.rows["limit"] = Row("limit: psql \\copy into unindexed 3-column table (median)",
                                 self.full_rows, statistics.median(limits),
                                 "runs: " + ", ".join(f"{s:.2f}" for s in limits) + " s")
        self.rows["fresh"] = Row("tickvault fresh import (CLI start → committed, keys built; "
                                 "median)", self.full_rows, statistics.median(fresh),
                                 "runs: " + ", ".join(f"{s:.2f}" for s in fresh)
                                 + f" s; peak memory {max(memory)} MB (PSS of its 2 processes; "
                                 f"largest single RSS {max(largest)} MB)")
        self.rows["fresh_write"] = Row("  of which inside the write path (median)",
                                       self.full_rows, statistics.median(writes),
                                       "the import's own time, without waiting for its run")
        self.rows["fresh_serial"] = Row("  the same without the import ahead of the run "
                                        "(TICKVAULT_IMPORT_AHEAD=0; median)", self.full_rows,
                                        statistics.median(serial),
                                        "runs: " + ", ".join(f"{s:.2f}" for s in serial) + " s")
        self.rss = {"fresh": max(memory)}

    def _check_fresh(self, url: str) -> None:
        stored = self.count(url, "SELECT count(*) FROM trades")
        assert stored == self.full_rows, (stored, self.full_rows)
        keyed = self.count(url, "SELECT count(*) FROM pg_constraint WHERE contype = 'p' "
                                "AND conrelid::regclass::text LIKE 'trades_i%'")
        assert keyed >= 2, "keys in place"

    def _limit_once(self, attempt: int) -> float:
        url = self.database(f"bench_limit_{attempt}")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE lim (ts bigint, price numeric, volume numeric)")
        self.settle()
        started = time.perf_counter()
        subprocess.run(["psql", url, "-q", "-c",
                        f"\\copy lim FROM '{self.full / 'XBTUSD.csv'}' WITH (FORMAT csv)"],
                       check=True)
        wall = time.perf_counter() - started
        assert self.count(url, "SELECT count(*) FROM lim") == self.full_rows
        return wall

    def reimport_and_incremental(self) -> None:
        url = self.fresh_url
        wall, _, _ = self.tickvault(url, "kraken", "ingest-trades", "--directory",
                                    str(self.full))
        self.rows["reimport"] = Row("re-import of the unchanged file (CLI, end to end)",
                                    self.full_rows, wall, "nothing read: ledger fingerprint")
        wall, _, _ = self.tickvault(url, "kraken", "ingest-trades", "--directory",
                                    str(self.incr))
        total = self.count(url, "SELECT count(*) FROM trades")
        assert total == self.full_rows + self.incr_rows, (total, self.full_rows, self.incr_rows)
        self.rows["incremental"] = Row("incremental file, +10% (CLI, end to end)",
                                       self.incr_rows, wall)
        write = self._metadata_seconds("kraken_trades")
        self.rows["incremental_write"] = Row("  of which inside the write path", self.incr_rows,
                                             write)

    def write_path_rates(self) -> None:
        """Fresh, incremental and a 1,000-row import through the write path alone, in this
        (warm) process: the function the asset's IO manager calls, without a command's start-up,
        so the rates compare like with like (medians of --repeat rounds, a database each). The
        small file shows the fixed cost of one import; the incremental file's marginal rate is
        its rows over its time less that cost."""
        from resources.database.imports import ImportOptions, import_file
        from resources.database.postgres import Postgres
        from resources.kraken_dumps.names import scan_directory
        from resources.kraken_dumps.source import dump_target, source_file
        from resources.progress import current

        times: dict[str, list[float]] = {"fresh": [], "incremental": [], "small": []}
        rows: dict[str, int] = {}
        for attempt in range(self.args.repeat):
            db = Postgres(self.database(f"bench_inproc_{attempt}"))
            db.resolved_url()  # migrated before the clock starts, as a command's database is
            for name, folder in (("fresh", self.full), ("incremental", self.incr),
                                 ("small", self.tiny)):
                [file] = scan_directory(folder).files
                target = dump_target(file.kind, file.pair, file.interval_min)
                self.settle()
                started = time.perf_counter()
                outcome = import_file(db, dataset=target.dataset, table=target.table,
                                      instrument=target.instrument, interval_s=target.interval_s,
                                      file=source_file(file), options=ImportOptions(),
                                      progress=current())
                times[name].append(time.perf_counter() - started)
                rows[name] = outcome.result.rows_inserted
                assert rows[name] == _lines(file.path), outcome
        median = {name: statistics.median(values) for name, values in times.items()}
        runs = {name: "runs: " + ", ".join(f"{t:.3f}" for t in values) + " s"
                for name, values in times.items()}
        self.rows["inproc_fresh"] = Row("  fresh file through the write path alone "
                                        "(in-process, warm; median)", rows["fresh"],
                                        median["fresh"], runs["fresh"])
        marginal = rows["incremental"] / (median["incremental"] - median["small"])
        self.rows["inproc_incremental"] = Row(
            "  incremental file through the write path alone (in-process, warm; median)",
            rows["incremental"], median["incremental"],
            f"{runs['incremental']}; {marginal:,.0f} rows/s once the fixed cost of an import "
            "is taken out")
        self.rows["inproc_small"] = Row("  a 1,000-row file through the write path alone: the "
                                        "fixed cost of an import (median)", rows["small"],
                                        median["small"], runs["small"])
        self.marginal_rate = marginal

    def old_path(self) -> None:
        url = self.database("bench_old")
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in (
                "CREATE TABLE market_trade (id bigserial PRIMARY KEY, asset_id integer NOT NULL,"
                " timestamp timestamptz NOT NULL, price numeric(24, 10) NOT NULL,"
                " volume numeric(24, 2) NOT NULL, source varchar(32) NOT NULL,"
                " CONSTRAINT market_trade_uniq UNIQUE (asset_id, timestamp, source))",
                "CREATE INDEX market_trade_asset_id ON market_trade (asset_id)",
                "CREATE INDEX market_trade_timestamp ON market_trade (timestamp)",
                "CREATE INDEX market_trade_source ON market_trade (source)",
            ):
                conn.execute(statement)  # type: ignore[arg-type]
        self.settle()
        limit = self.args.old_rows
        batch = self.args.old_batch
        rows = []
        with open(self.full / "XBTUSD.csv") as src:
            for i, line in enumerate(src):
                if i >= limit:
                    break
                ts, price, volume = line.rstrip().split(",")
                rows.append((1, datetime.fromtimestamp(int(ts), UTC), Decimal(price),
                             Decimal(volume), "kraken"))
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            for start in range(0, len(rows), batch):
                chunk = rows[start:start + batch]
                values = pgsql.SQL(", ").join(pgsql.SQL("(%s, %s, %s, %s, %s)") for _ in chunk)
                query = pgsql.SQL(
                    "INSERT INTO market_trade (asset_id, timestamp, price, volume, source) "
                    "VALUES {} ON CONFLICT DO NOTHING").format(values)
                conn.execute(query, [v for row in chunk for v in row])
        wall = time.perf_counter() - started
        kept = self.count(url, "SELECT count(*) FROM market_trade")
        self.rows["old"] = Row(f"old write path (INSERT … ON CONFLICT DO NOTHING, {batch}-row "
                               f"batches, 5 indexes)", len(rows), wall,
                               f"kept {kept:,} of {len(rows):,} rows ({kept / len(rows):.0%})")
        self.old_kept = kept / len(rows)

    def ohlcvt_backfill(self) -> None:
        url = self.database("bench_ohlcvt")
        wall, rss, _ = self.tickvault(url, "kraken", "ingest-ohlcv", "--directory",
                                        str(self.ohlcvt))
        stored = self.count(url, "SELECT count(*) FROM candles")
        assert stored == self.ohlcvt_rows, (stored, self.ohlcvt_rows)
        write = self._metadata_seconds("kraken_ohlcvt")
        files = len(list(self.ohlcvt.glob("*.csv")))
        self.rows["ohlcvt"] = Row(f"OHLCVT dump, {files} files = {files} partitions in one "
                                  f"Dagster run (CLI, end to end)", stored, wall,
                                  f"peak memory {rss} MB")
        self.rows["ohlcvt_write"] = Row("  of which inside the write path", stored, write)
        self.overhead = (wall - write) / wall
        self.rows["ohlcvt"].note += (f"; {files} files averaging {stored // files:,} rows; "
                                     f"Dagster {1000 * (wall - write) / files:.1f} ms/partition "
                                     "(incl. process start)")

    def big_file(self) -> None:
        if not self.args.rss_rows:
            return
        url = self.database("bench_big")
        wall, rss, _ = self.tickvault(url, "kraken", "ingest-trades", "--directory",
                                      str(self.big))
        stored = self.count(url, "SELECT count(*) FROM trades")
        assert stored == self.args.rss_rows
        self.rows["big"] = Row(f"fresh import of a {stored / 1e6:.0f}M-row file", stored, wall,
                               f"peak memory {rss} MB")
        self.rss["big"] = rss

    def drop_indexes(self) -> None:
        url = self.database("bench_drop")
        from resources.database import PostgresResource

        PostgresResource(url=url).migrate()
        with psycopg.connect(url, autocommit=True) as conn:  # a user's index, for the flag
            conn.execute("CREATE INDEX trades_price_idx ON trades (price)")
        wall, rss, _ = self.tickvault(url, "kraken", "ingest-trades", "--directory",
                                      str(self.full), "--drop-indexes")
        stored = self.count(url, "SELECT count(*) FROM trades")
        self.rows["drop"] = Row("fresh import with --drop-indexes (a secondary index on price "
                                "dropped, rebuilt after)", stored, wall, f"peak memory {rss} MB")

    # -- report -------------------------------------------------------------------------------

    def report(self) -> str:
        r = self.rows
        limit = r["limit"].rate
        lines = [
            "# Kraken import benchmark",
            "",
            f"Command: `{' '.join(['.venv/bin/python', 'bench/kraken_import.py', *sys.argv[1:]])}`",
            f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}; machine: {platform.node()}, "
            f"{os.cpu_count()} cores, {_cpu()}, {_memory()}; "
            f"PostgreSQL {_pg_version(self.admin)}; Python {platform.python_version()}.",
            "",
            "| measurement | rows | seconds | rows/s | vs limit | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in r.values():
            lines.append(f"| {row.name} | {row.rows:,} | {row.seconds:.2f} | {row.rate:,.0f} | "
                         f"{row.rate / limit:.2f} | {row.note} |")
        fresh = r["fresh"]
        checks = [
            ("fresh import ≥ 0.55 x limit (end to end)", fresh.rate / limit, 0.55, "≥"),
            ("fresh import ≥ 15 x old write path", fresh.rate / r["old"].rate, 15.0, "≥"),
            ("rows kept: tickvault 100%, old path", self.old_kept, 1.0, "info"),
            ("re-import ≤ 2% of fresh import time (end to end)",
             r["reimport"].seconds / fresh.seconds, 0.02, "≤"),
            # "at the fresh rate": within 15%, this VM's run-to-run spread
            ("incremental rate / fresh rate (write path alone, in-process)",
             r["inproc_incremental"].rate / r["inproc_fresh"].rate, 0.85, "≥"),
            ("incremental marginal rate / fresh rate (fixed cost of an import taken out)",
             self.marginal_rate / r["inproc_fresh"].rate, 1.0, "info"),
            ("incremental rate / fresh rate (write path, in the CLI's runs)",
             r["incremental_write"].rate / r["fresh_write"].rate, 1.0, "info"),
            ("incremental rate / fresh rate (end to end)",
             r["incremental"].rate / fresh.rate, 1.0, "info"),
            ("peak memory MB (PSS, all processes), fresh import", self.rss["fresh"], 400, "≤"),
            ("Dagster overhead share of the OHLCVT backfill wall time", self.overhead, 0.15, "≤"),
        ]
        if "big" in self.rss:
            checks.insert(-1, (f"peak memory MB, {self.args.rss_rows / 1e6:.0f}M-row file",
                               self.rss["big"], 400, "≤"))
        lines += ["", "| target | measured | target | met |", "|---|---:|---:|---|"]
        for name, value, target, op in checks:
            met = {"≥": value >= target, "≤": value <= target}.get(op)
            shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
            lines.append(f"| {name} | {shown} | {op} {target} | "
                         f"{'yes' if met else ('no' if met is False else '—')} |")
        return "\n".join(lines) + "\n"


class _TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and its descendants (10 Hz: cheap next to the
    import)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_pss_mb = 0
        self.max_rss_mb = 0
        self._stop_event = threading.Event()

    def _descendants(self) -> list[int]:
        found, queue = [self.root], [self.root]
        while queue:
            pid = queue.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                queue.append(child)
        return found

    def run(self) -> None:
        while not self._stop_event.wait(0.1):
            total_kb = 0
            for pid in self._descendants():
                try:
                    total_kb += _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
                    # VmHWM: the process's own peak RSS (its exec reset what the bench had)
                    self.max_rss_mb = max(self.max_rss_mb,
                                          _proc_kb(f"/proc/{pid}/status", "VmHWM:") // 1024)
                except OSError:
                    continue
            self.peak_pss_mb = max(self.peak_pss_mb, total_kb // 1024)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _proc_kb(path: str, field: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "unknown RAM"


def _pg_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="trades in the fresh file")
    parser.add_argument("--rss-rows", type=int, default=20_000_000,
                        help="trades in the file for the memory check (0: skip)")
    parser.add_argument("--pairs", type=int, default=200, help="pairs in the OHLCVT dump")
    parser.add_argument("--days", type=float, default=365,
                        help="days of 1-minute history per pair in the OHLCVT dump")
    parser.add_argument("--repeat", type=int, default=5,
                        help="alternate the fresh import and the limit this many times")
    parser.add_argument("--old-rows", type=int, default=500_000, help="slice for the old path")
    parser.add_argument("--old-batch", type=int, default=1_000,
                        help="rows per INSERT in the old path")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", default=str(ROOT / "bench" / "work"))
    parser.add_argument("--admin-url", default=os.environ.get(
        "TICKVAULT_TEST_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    bench = Bench(args)
    bench.work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(bench.home, ignore_errors=True)
    bench.home.mkdir(parents=True)
    try:
        bench.generate()
        for step in (bench.fresh_and_limit, bench.reimport_and_incremental,
                     bench.write_path_rates, bench.old_path,
                     bench.ohlcvt_backfill, bench.drop_indexes, bench.big_file):
            started = time.perf_counter()
            step()
            print(f"{step.__name__}: {time.perf_counter() - started:.1f}s", flush=True)
        text = bench.report()
    finally:
        bench.cleanup()
    print(text)
    Path(args.results).write_text(text)


if __name__ == "__main__":
    main()
