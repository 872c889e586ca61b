"""``tickvault kraken``: import Kraken's downloadable dumps (the old ``ingest_kraken_*`` commands).

Both ingest commands execute the project's Dagster assets in-process, one run per contiguous
range of partitions, against the persistent instance: their runs, partitions and metadata show
in the UI (``dagster dev`` with the same ``DAGSTER_HOME``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestration.cli.progress import CliProgress, Summary
from orchestration.cli.unchanged import selected, unchanged_lines
from resources.database.ledger import unchanged_paths, unchanged_paths_quick
from resources.intervals import KRAKEN_INTERVALS
from resources.kraken_dumps.names import DumpFile, DumpKind, DumpScan, dump_root, scan_directory

if TYPE_CHECKING:
    from dagster import DagsterInstance

# Dagster, the assets, the write path, psycopg (bootstrap) and rich are imported only when there
# is something to import: a re-run over an unchanged dump is answered from the ledger through
# libpq directly (before click loads, in its plain form: orchestration.cli.unchanged). Keep the
# imports above that light.

AVERAGE_LINE_BYTES = {DumpKind.TRADES: 32, DumpKind.OHLCVT: 64}
IMPORT_AHEAD_ENV = "TICKVAULT_IMPORT_AHEAD"  # "0": no import starts before its run


@click.group()
def kraken() -> None:
    """Kraken historical dumps (OHLCVT and trade-history CSVs)."""


def _intervals(text: str | None) -> list[int]:
    if not text:
        return list(KRAKEN_INTERVALS)
    chosen = []
    for part in text.split(","):
        value = int(part.strip())
        if value not in KRAKEN_INTERVALS:
            raise click.BadParameter(f"{value} is not a Kraken interval "
                                     f"({', '.join(map(str, KRAKEN_INTERVALS))})")
        chosen.append(value)
    return sorted(set(chosen), key=KRAKEN_INTERVALS.index)


@dataclass
class _Plan:
    files: list[DumpFile]
    runs: list[tuple[str, str]]  # (first partition key, last partition key), rectangles


def _register(instance: DagsterInstance, scan_files: Sequence[DumpFile]) -> list[str]:
    name = "kraken_pairs"  # assets.kraken_dumps.KRAKEN_PAIRS
    known = list(instance.get_dynamic_partitions(name))
    new = sorted({f.pair for f in scan_files} - set(known))
    if new:
        instance.add_dynamic_partitions(name, new)
    return known + new


def _plan(kind: DumpKind, files: list[DumpFile], order: list[str],
          intervals: list[int]) -> _Plan:
    from sensors.kraken_dumps import partition_runs

    if kind is DumpKind.TRADES:
        return _Plan(files, partition_runs(order, {f.pair for f in files}))
    runs: list[tuple[str, str]] = []
    by_interval = {i: {f.pair for f in files if f.interval_min == i} for i in intervals}
    # Adjacent intervals with the same pair ranges share one rectangle (one run).
    pending: list[tuple[int, int, tuple[str, str]]] = []  # (first interval, last, pair range)
    for interval in intervals:
        for pair_range in partition_runs(order, by_interval[interval]):
            merged = False
            for k, (i0, i1, pr) in enumerate(pending):
                if pr == pair_range and KRAKEN_INTERVALS.index(i1) + 1 == \
                        KRAKEN_INTERVALS.index(interval):
                    pending[k] = (i0, interval, pr)
                    merged = True
                    break
            if not merged:
                pending.append((interval, interval, pair_range))
    for i0, i1, (p0, p1) in pending:
        runs.append((f"{i0}|{p0}", f"{i1}|{p1}"))
    return _Plan(files, runs)


def _database_url() -> str:
    from resources.database import bootstrap  # psycopg: kept off the no-op path

    return bootstrap.resolve_url(None)


def import_dump(kind: DumpKind, *, directory: Path | None, pairs: Sequence[str] = (),
                intervals: Sequence[int] = KRAKEN_INTERVALS, batch_size: int | None = None,
                dry_run: bool = False, skip_existing: bool = False, drop_indexes: bool = False,
                force: bool = False, limit_per_file: int | None = None, workers: int = 2,
                quiet: bool = False) -> CliProgress:
    """Run the import assets over a dump directory's files (in as few runs as possible)."""
    root = dump_root(str(directory) if directory else None)
    if not root.is_dir():
        raise click.ClickException(f"dump directory {root} does not exist")
    scan = scan_directory(root)
    files = selected(scan, kind, pairs, intervals)
    summary = Summary()
    for path, why in scan.rejected:
        click.echo(f"skipped {path}: {why}", err=True)
        summary.skipped += 1
    if not files:
        click.echo(f"no {kind.value} files to import in {root}", err=True)
        return CliProgress(0, 0, quiet=quiet, summary=summary)
    fingerprints = [(f.path, f.size, f.mtime_ns) for f in files]
    check = not (force or dry_run or limit_per_file)
    # Asked through libpq first: no psycopg, no database set-up. None: it could not tell, and
    # the full path (which may create the database or start the private cluster) asks again.
    same = unchanged_paths_quick(kind.dataset, fingerprints) if check else None
    url = None
    if check and same is None:
        url = _database_url()
        same = unchanged_paths(url, kind.dataset, fingerprints)
    if same is not None and len(same) == len(files):
        for line in unchanged_lines(files, quiet=quiet):
            click.echo(line, err=True)
        summary.files = summary.unchanged = len(files)
        return CliProgress(0, 0, quiet=True, summary=summary)
    if url is None:
        url = _database_url()
    return _run_imports(kind, root, files, intervals, summary, batch_size=batch_size,
                        dry_run=dry_run, skip_existing=skip_existing, drop_indexes=drop_indexes,
                        force=force, limit_per_file=limit_per_file, workers=workers, quiet=quiet,
                        database_url=url)


def _run_imports(kind: DumpKind, root: Path, files: list[DumpFile], intervals: Sequence[int],
                 summary: Summary, *, batch_size: int | None, dry_run: bool,
                 skip_existing: bool, drop_indexes: bool, force: bool,
                 limit_per_file: int | None, workers: int, quiet: bool,
                 database_url: str) -> CliProgress:
    from resources.database import prestage

    sink = CliProgress(len(files), sum(f.size for f in files), quiet=quiet, summary=summary)
    block = max(64 << 10, batch_size * AVERAGE_LINE_BYTES[kind]) if batch_size else 1 << 20
    config = {"dry_run": dry_run, "skip_existing": skip_existing, "force": force,
              "limit_per_file": limit_per_file, "workers": workers}
    if not (dry_run or drop_indexes) and prestage.available() \
            and os.environ.get(IMPORT_AHEAD_ENV, "1") != "0":
        _start_ahead(kind, files, config, block, sink)
    try:
        return _run(kind, root, files, intervals, sink, config, block, drop_indexes,
                    database_url)
    finally:
        prestage.cancel_all()


def _start_ahead(kind: DumpKind, files: list[DumpFile], config: dict[str, Any], block: int,
                 sink: CliProgress) -> None:
    """Begin the first file's import while Dagster starts (see resources.database.prestage).

    Only when the files make one partition: then the run's first file is known without the
    instance (whose partition order decides which of several partitions comes first)."""
    from resources.database import prestage
    from resources.database.imports import ImportOptions
    from resources.database.postgres import Postgres
    from resources.kraken_dumps.files import oldest_first
    from resources.kraken_dumps.source import dump_target, source_file

    if len({(f.pair, f.interval_min) for f in files}) != 1:
        return
    first = oldest_first(files)[0]
    target = dump_target(kind, first.pair, first.interval_min)
    # (KrakenImportConfig.options() builds the same, but importing it would import Dagster)
    options = ImportOptions(dry_run=config["dry_run"], skip_existing=config["skip_existing"],
                            force=config["force"], limit_rows=config["limit_per_file"],
                            workers=config["workers"])
    prestage.start(Postgres(), dataset=target.dataset, table=target.table,
                   instrument=target.instrument, interval_s=target.interval_s,
                   file=source_file(first, block_size=block), options=options, progress=sink)


def _run(kind: DumpKind, root: Path, files: list[DumpFile], intervals: Sequence[int],
         sink: CliProgress, config: dict[str, Any], block: int, drop_indexes: bool,
         database_url: str) -> CliProgress:
    from assets.kraken_dumps import kraken_ohlcvt, kraken_trades
    from orchestration import runner
    from orchestration.resources import SHARED
    from resources import progress
    from resources.database.indexes import secondary_indexes_dropped
    from resources.kraken_dumps.resource import KrakenDumpDirectory

    instance = runner.instance(database_url)
    order = _register(instance, files)
    plan = _plan(kind, files, order, list(intervals))
    resources: dict[str, Any] = {
        **SHARED, "kraken_dump": KrakenDumpDirectory(directory=str(root), block_size_bytes=block)}
    asset = kraken_trades if kind is DumpKind.TRADES else kraken_ohlcvt
    tables = ["trades"] if kind is DumpKind.TRADES else ["candles"]
    with secondary_indexes_dropped(SHARED["database"], tables,
                                   enabled=drop_indexes and not config["dry_run"],
                                   log=lambda m: click.echo(m, err=True)), \
            progress.reporting_to(sink), sink:
        for first, last in plan.runs:
            runner.run_assets(
                [asset], resources=resources,
                partition_key=first if first == last else None,
                partition_range=None if first == last else (first, last),
                run_config={"ops": {asset.op.name: {"config": config}}},
                tags={"tickvault/trigger": "cli"}, dagster_instance=instance)
    return sink


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--pair", "pairs", multiple=True,
                     help="A pair as in the file name (XBTUSD) or normalized (BTC/USD); "
                          "repeatable. Default: all."),
        click.option("--directory", type=click.Path(path_type=Path, file_okay=False),
                     help="The dump directory (default: $TICKVAULT_KRAKEN_DUMP_DIR, then "
                          "<data dir>/kraken_dump). Searched recursively."),
        click.option("--batch-size", type=click.IntRange(min=1000),
                     help="Rows per batch read and written (approximate)."),
        click.option("--dry-run", is_flag=True,
                     help="Read and validate everything; write nothing."),
        click.option("--skip-existing", is_flag=True,
                     help="Skip files whose pair (and interval) already has rows."),
        click.option("--drop-indexes", is_flag=True,
                     help="Drop secondary indexes of the target table during the import and "
                          "rebuild them after (keys stay: they make imports idempotent)."),
        click.option("--force", is_flag=True,
                     help="Re-read files the ledger says are unchanged (still idempotent)."),
        click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
                     help="Parallel loaders for a new time range of trades."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _finish(sink: CliProgress, dry_run: bool) -> None:
    sink.echo_summary(dry_run)
    if sink.summary.failed:
        sys.exit(1)


@kraken.command("ingest-ohlcv")
@click.option("--intervals", help="Comma-separated minutes, e.g. 1,60,1440. Default: all.")
@_common
def ingest_ohlcv(intervals: str | None, **options: Any) -> None:
    """Import OHLCVT files ({PAIR}_{INTERVAL}.csv) into the candles table."""
    sink = import_dump(DumpKind.OHLCVT, intervals=_intervals(intervals), **options)
    _finish(sink, options["dry_run"])


@kraken.command("ingest-trades")
@click.option("--limit-per-file", type=click.IntRange(min=1),
              help="Import only the first N trades of each file (a partial import).")
@_common
def ingest_trades(limit_per_file: int | None, **options: Any) -> None:
    """Import trade-history files ({PAIR}.csv) into the trades table, every trade kept."""
    sink = import_dump(DumpKind.TRADES, limit_per_file=limit_per_file, **options)
    _finish(sink, options["dry_run"])


@kraken.command()
@click.option("--directory", type=click.Path(path_type=Path, file_okay=False))
def scan(directory: Path | None) -> None:
    """List the dump directory, register its pairs as partitions, say what would be imported."""
    from orchestration import runner
    from resources.database import bootstrap

    root = dump_root(str(directory) if directory else None)
    found: DumpScan = scan_directory(root)
    url = bootstrap.resolve_url(None)
    order = _register(runner.instance(url), found.files)
    changed = 0
    for kind in DumpKind:
        files = [(f.path, f.size, f.mtime_ns) for f in found.files if f.kind is kind]
        changed += len(files) - len(unchanged_paths(url, kind.dataset, files))
    trades = sum(f.kind is DumpKind.TRADES for f in found.files)
    click.echo(f"{root}: {len(found.files)} files ({trades} trades, "
               f"{len(found.files) - trades} OHLCVT), {len(found.pairs())} pairs; "
               f"{changed} new or changed since their last import")
    click.echo(f"{len(order)} pairs registered as partitions of kraken_pairs")
    for path, why in found.rejected:
        click.echo(f"skipped {path}: {why}")


@kraken.command("generate-dump")
@click.option("--directory", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--pairs", type=click.IntRange(1, 2000), default=6, show_default=True)
@click.option("--days", type=float, default=3.0, show_default=True)
@click.option("--trades-per-pair", type=int, default=20_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
def generate(directory: Path, pairs: int, days: float, trades_per_pair: int, seed: int) -> None:
    """Write a realistic synthetic Kraken dump (for demos and tests)."""
    from simulator.kraken_dump import generate_dump  # the simulator package loads a web server

    written = generate_dump(directory, pairs=pairs, days=days, trades_per_pair=trades_per_pair,
                            seed=seed)
    click.echo(f"wrote {len(written)} files to {directory}")


__all__ = ["import_dump", "kraken"]
