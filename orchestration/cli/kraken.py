"""``tickvault kraken``: import Kraken's downloadable dumps (the old ``ingest_kraken_*`` commands).

Both ingest commands execute the project's Dagster assets in-process, one run per contiguous
range of partitions, against the persistent instance: their runs, partitions and metadata show
in the UI (``dagster dev`` with the same ``DAGSTER_HOME``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from dagster import AssetsDefinition, DagsterInstance

from assets.kraken_dumps import KRAKEN_PAIRS, kraken_ohlcvt, kraken_trades
from orchestration import runner
from orchestration.cli.progress import CliProgress
from orchestration.resources import SHARED
from resources import progress
from resources.database import PostgresResource
from resources.database.indexes import secondary_indexes_dropped
from resources.intervals import KRAKEN_INTERVALS
from resources.kraken_dumps.files import DumpFile, DumpKind
from resources.kraken_dumps.pairs import parse_pair
from resources.kraken_dumps.resource import DumpScan, KrakenDumpDirectory
from sensors.kraken_dumps import partition_runs
from simulator.kraken_dump import generate_dump

AVERAGE_LINE_BYTES = {DumpKind.TRADES: 32, DumpKind.OHLCVT: 64}


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


def _matches_pair(file_pair: str, wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    instrument = parse_pair(file_pair)
    return any(w.upper() in {file_pair.upper(), instrument.pair.upper()} for w in wanted)


@dataclass
class _Plan:
    files: list[DumpFile]
    runs: list[tuple[str, str]]  # (first partition key, last partition key), rectangles


def _register(instance: DagsterInstance, scan_files: Sequence[DumpFile]) -> list[str]:
    name = KRAKEN_PAIRS.name or "kraken_pairs"
    known = list(instance.get_dynamic_partitions(name))
    new = sorted({f.pair for f in scan_files} - set(known))
    if new:
        instance.add_dynamic_partitions(name, new)
    return known + new


def _plan(kind: DumpKind, files: list[DumpFile], order: list[str],
          intervals: list[int]) -> _Plan:
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


def import_dump(kind: DumpKind, *, directory: Path | None, pairs: Sequence[str] = (),
                intervals: Sequence[int] = KRAKEN_INTERVALS, batch_size: int | None = None,
                dry_run: bool = False, skip_existing: bool = False, drop_indexes: bool = False,
                force: bool = False, limit_per_file: int | None = None, workers: int = 2,
                quiet: bool = False) -> CliProgress:
    """Run the import assets over a dump directory's files (in as few runs as possible)."""
    dump = KrakenDumpDirectory(directory=str(directory) if directory else None)
    root = dump.root()
    if not root.is_dir():
        raise click.ClickException(f"dump directory {root} does not exist")
    scan = dump.scan()
    files = [f for f in scan.files if f.kind is kind and _matches_pair(f.pair, pairs)
             and (kind is DumpKind.TRADES or f.interval_min in intervals)]
    rejected = [(p, why) for p, why in scan.rejected]
    sink = CliProgress(len(files), sum(f.size for f in files), quiet=quiet)
    for path, why in rejected:
        sink.console.print(f"skipped {path}: {why}", markup=False, soft_wrap=True)
        sink.summary.skipped += 1
    if not files:
        click.echo(f"no {kind.value} files to import in {root}", err=True)
        return sink
    instance = runner.instance()
    order = _register(instance, files)
    plan = _plan(kind, files, order, list(intervals))
    block = max(64 << 10, (batch_size or 0) * AVERAGE_LINE_BYTES[kind]) if batch_size else 4 << 20
    resources: dict[str, Any] = {
        **SHARED, "kraken_dump": KrakenDumpDirectory(directory=str(root), block_size_bytes=block)}
    asset: AssetsDefinition = kraken_trades if kind is DumpKind.TRADES else kraken_ohlcvt
    config = {"dry_run": dry_run, "skip_existing": skip_existing, "force": force,
              "limit_per_file": limit_per_file, "workers": workers}
    database: PostgresResource = SHARED["database"]
    tables = ["trades"] if kind is DumpKind.TRADES else ["candles"]
    with secondary_indexes_dropped(database, tables, enabled=drop_indexes and not dry_run,
                                   log=lambda m: sink.console.print(m, markup=False)), \
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
        click.option("--dry-run", is_flag=True, help="Read and validate everything; write nothing."),
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
    dump = KrakenDumpDirectory(directory=str(directory) if directory else None)
    found: DumpScan = dump.scan()
    instance = runner.instance()
    order = _register(instance, found.files)
    database: PostgresResource = SHARED["database"]
    changed = 0
    with database.connect() as conn:
        for f in found.files:
            dataset = "kraken_ohlcvt" if f.kind is DumpKind.OHLCVT else "kraken_trades"
            row = conn.execute(
                "SELECT size_bytes, mtime_ns, complete FROM ingest_ledger "
                "WHERE dataset = %s AND source_path = %s", (dataset, str(f.path))).fetchone()
            changed += row != (f.size, f.mtime_ns, True)
    trades = sum(f.kind is DumpKind.TRADES for f in found.files)
    click.echo(f"{dump.root()}: {len(found.files)} files ({trades} trades, "
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
    written = generate_dump(directory, pairs=pairs, days=days, trades_per_pair=trades_per_pair,
                            seed=seed)
    click.echo(f"wrote {len(written)} files to {directory}")


__all__ = ["import_dump", "kraken"]
