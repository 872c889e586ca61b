"""Binance public-data kline archives from a directory into the shared ``candles`` table.

(No ``from __future__ import annotations`` here: Dagster reads the asset signature at runtime.)

Every file is verified against its ``.CHECKSUM`` (when there is one; ``require_checksum`` makes
one mandatory), then written in one transaction with its ledger row and the resume pointer of
the month it covers, so REST runs do not fetch again what an archive holds. A bad file (checksum,
format, a candle differing from the stored one) fails alone, named with its line; the others
are imported. Months an archive completes show as materialized partitions of the klines asset.
"""

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    Config,
    Failure,
    MetadataValue,
    asset,
)
from pydantic import Field

import sql
from assets.binance_futures.klines import binance_futures_klines
from assets.binance_futures.partitions import KLINE_SERIES, kline_partition_key, month_window
from resources import progress
from resources.binance_futures.archives import (
    ArchiveError,
    ArchiveFile,
    find_archives,
    iter_batches,
    parse_archive_csv,
    read_archive,
    sha256_of,
    verify_checksum,
)
from resources.binance_futures.store import Coverage, record_coverage, resolve_instrument_id
from resources.database import PostgresResource
from resources.database.loader import LoadResult, merge_batches
from resources.database.tables import CANDLES
from resources.intervals import parse_interval

__all__ = ["ARCHIVE_DATASET", "ArchiveImportConfig", "binance_futures_kline_archives"]

ARCHIVE_DATASET = "binance_futures_kline_archives"


class ArchiveImportConfig(Config):
    directory: str = Field(description="Directory searched (recursively) for kline archives "
                           "(SYMBOL-INTERVAL-YYYY-MM[-DD].zip or .csv)")
    require_checksum: bool = Field(default=False, description="Refuse files without a "
                                   ".CHECKSUM beside them")
    force: bool = Field(default=False, description="Read files the ledger says are unchanged")


@dataclass
class _Outcome:
    status: str  # imported | unchanged
    result: LoadResult = field(default_factory=LoadResult)
    verified: bool = False
    complete_month: bool = False


def _dt(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def import_archive(database: PostgresResource, file: ArchiveFile, *, require_checksum: bool,
                   force: bool, run_id: str | None) -> _Outcome:
    path = file.path
    stat = path.stat()
    with database.connect() as conn:
        row = conn.execute(sql.load("select_ledger_entry"),
                           {"dataset": ARCHIVE_DATASET, "source_path": str(path)}).fetchone()
    if (row is not None and not force and bool(row[3])
            and (int(row[0]), int(row[1])) == (stat.st_size, stat.st_mtime_ns)):
        return _Outcome("unchanged", verified=file.checksum_path is not None)
    digest = sha256_of(path)
    if file.checksum_path is not None:
        verify_checksum(path, file.checksum_path, digest)
    elif require_checksum:
        raise ArchiveError(f"{path}: no {path.name}.CHECKSUM beside it (required)")
    if row is not None and not force and bool(row[3]) and row[2] == digest:
        with database.connect() as conn:  # touched, not changed
            conn.execute(sql.load("update_ledger_mtime"), {
                "dataset": ARCHIVE_DATASET, "source_path": str(path),
                "mtime_ns": stat.st_mtime_ns})
        return _Outcome("unchanged", verified=file.checksum_path is not None)
    batch = parse_archive_csv(read_archive(path), source=str(path))
    period_start, period_end = _dt(file.period_start), _dt(file.period_end)
    if batch.num_rows:
        opens = batch.column("ts").cast("int64").to_numpy()
        outside = (opens < int(period_start.timestamp() * 1000)) | (
            opens >= int(period_end.timestamp() * 1000))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ArchiveError(f"{path} line {batch.column('line')[i].as_py()}: a candle "
                               f"opening at {batch.column('ts')[i].as_py():%Y-%m-%d %H:%M} is "
                               f"outside the file's period")
    interval_s = parse_interval(file.interval)
    window_start, window_end = month_window(period_start)
    with database.connect() as conn:  # candles, ledger and resume pointer: all or nothing
        instrument_id = resolve_instrument_id(conn, file.symbol)
        try:
            result = merge_batches(conn, CANDLES, {"instrument_id": instrument_id,
                                                   "interval_s": interval_s},
                                   iter_batches(batch))
        except ValueError as exc:  # ConflictError / RowError: say which file
            raise ArchiveError(f"{path} {exc}") from None
        last_open = result.last_ts
        coverage = record_coverage(
            conn, instrument_id=instrument_id, interval_s=interval_s,
            window_start=window_start, window_end=window_end,
            fetched=Coverage(period_start, min(period_end, window_end)),
            last_open=last_open, requests=0, run_id=run_id)
        conn.execute(sql.load("upsert_ledger_entry"), {
            "dataset": ARCHIVE_DATASET, "source_path": str(path),
            "instrument_id": instrument_id, "interval_s": interval_s,
            "size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest,
            "rows_read": result.rows_read, "rows_inserted": result.rows_inserted,
            "rows_present": result.rows_present, "complete": True,
            "first_ts": result.first_ts, "last_ts": result.last_ts, "run_id": run_id})
    complete = (coverage.covered_from, coverage.covered_until) == (window_start, window_end)
    return _Outcome("imported", result, file.checksum_path is not None, complete)


@asset(
    key=AssetKey(["binance_futures", "kline_archives"]),
    group_name="binance_futures",
    kinds={"postgres", "csv"},
    description="Binance public-data USD-M kline archives (zip or csv, with or without header) "
                "from a directory, checksums verified, into the shared candles table.",
)
def binance_futures_kline_archives(context: AssetExecutionContext, config: ArchiveImportConfig,
                                   database: PostgresResource) -> None:
    directory = Path(config.directory).expanduser()
    try:
        files, refused = find_archives(directory)
    except ArchiveError as exc:
        raise Failure(description=str(exc)) from None
    sink = progress.current()
    sink.planned(len(files), sum(os.path.getsize(f.path) for f in files))
    for path, reason in refused:
        context.log.warning(f"{path}: not imported: {reason}")
    counts = {"imported": 0, "unchanged": 0, "failed": 0, "unverified": 0}
    totals = LoadResult()
    failures: list[str] = []
    completed: dict[tuple[str, datetime], LoadResult] = {}
    for file in files:
        started = time.perf_counter()
        try:
            outcome = import_archive(database, file, require_checksum=config.require_checksum,
                                     force=config.force, run_id=context.run.run_id)
        except (ArchiveError, OSError) as exc:
            counts["failed"] += 1
            failures.append(str(exc))
            context.log.error(str(exc))
            sink.source_done(progress.FileProgress(
                dataset=ARCHIVE_DATASET, source=str(file.path), partition=file.series,
                status="failed", message=str(exc), bytes_done=file.path.stat().st_size))
            continue
        counts[outcome.status] += 1
        if not outcome.verified:
            counts["unverified"] += 1
            context.log.warning(f"{file.path}: no .CHECKSUM beside it; imported unverified")
        totals.add(outcome.result)
        if outcome.complete_month:
            completed[(file.series, month_window(_dt(file.period_start))[0])] = outcome.result
        r = outcome.result
        sink.source_done(progress.FileProgress(
            dataset=ARCHIVE_DATASET, source=str(file.path), partition=file.series,
            status=outcome.status, rows_read=r.rows_read, rows_inserted=r.rows_inserted,
            rows_present=r.rows_present, seconds=time.perf_counter() - started,
            first_ts=r.first_ts, last_ts=r.last_ts, bytes_done=file.path.stat().st_size))
    _report_kline_partitions(context, completed)
    metadata: dict[str, Any] = {
        "files": len(files),
        "files_imported": counts["imported"],
        "files_unchanged": counts["unchanged"],
        "files_failed": counts["failed"],
        "files_unverified": counts["unverified"],
        "files_refused": len(refused),
        "rows_read": totals.rows_read,
        "rows_inserted": totals.rows_inserted,
        "rows_already_present": totals.rows_present,
        "directory": MetadataValue.path(str(directory)),
    }
    if failures:
        raise Failure(
            description=f"{len(failures)} of {len(files)} archive files failed (the others "
                        "were imported):\n" + "\n".join(failures),
            metadata={**metadata, "failed": MetadataValue.md(
                "\n".join(f"- {line}" for line in failures))})
    context.add_output_metadata(metadata)


def _report_kline_partitions(context: AssetExecutionContext,
                             completed: dict[tuple[str, datetime], LoadResult]) -> None:
    """Months the archives completed: materializations of the klines asset's partitions."""
    if not completed:
        return
    series = sorted({s for s, _ in completed})
    known = set(context.instance.get_dynamic_partitions(KLINE_SERIES.name or ""))
    missing = [s for s in series if s not in known]
    if missing:
        context.instance.add_dynamic_partitions(KLINE_SERIES.name or "", missing)
    for (name, month), result in sorted(completed.items()):
        metadata: dict[str, Any] = {"source": "archive", "rows_fetched": result.rows_read,
                                    "rows_inserted": result.rows_inserted}
        context.log_event(AssetMaterialization(
            asset_key=binance_futures_klines.key, partition=kline_partition_key(name, month),
            metadata=metadata))
