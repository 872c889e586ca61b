"""Importing one source file: ledger check, then the right write path, atomically.

The ledger (``ingest_ledger``) remembers each imported file's fingerprint. A file whose size and
mtime match its last complete import is not read again; one that was only touched (same size,
same SHA-256) is not either. Anything else is read and written idempotently: rows already stored
are counted as present, new rows inserted, and a stored row that differs is an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import sql as pgsql

import sql
from resources.database.loader import (
    LoadResult,
    TableSpec,
    advisory_lock,
    bulk_session,
    encode,
    merge_batches,
)
from resources.database.postgres import Database, StorageMode, storage_mode, upsert_instrument
from resources.database.records import Instrument
from resources.database.sources import Segment, SegmentedSource
from resources.database.tables import TRADES
from resources.database.trades_store import TradesStore
from resources.progress import ProgressSink

__all__ = ["ImportOptions", "Outcome", "SourceFile", "import_file"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    skip_existing: bool = False  # skip a file whose instrument (and interval) has rows already
    force: bool = False  # read the file even if the ledger says it is unchanged
    limit_rows: int | None = None  # import only the first N rows (the import is then partial)
    workers: int = 2  # parallel loaders for a new time range of trades


@dataclass(frozen=True)
class SourceFile:
    """A file to import, as the asset hands it to the IO manager."""

    path: Path
    size: int
    mtime_ns: int
    source: SegmentedSource
    head: Callable[[Segment, int], Segment]  # the segment cut after N rows (for limit_rows)
    sha256: Callable[[], str]


@dataclass
class Outcome:
    status: str  # imported | unchanged | skipped | checked | failed
    result: LoadResult = field(default_factory=LoadResult)
    message: str = ""


def _ledger_entry(conn: psycopg.Connection[Any], dataset: str, path: Path
                  ) -> tuple[int, int, str, bool] | None:
    row = conn.execute(sql.load("select_ledger_entry"),
                       {"dataset": dataset, "source_path": str(path)}).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]), bool(row[3]))


def _has_rows(conn: psycopg.Connection[Any], table: TableSpec, scope: dict[str, object]) -> bool:
    where = pgsql.SQL(" AND ").join(
        pgsql.SQL("{} = {}").format(pgsql.Identifier(k), pgsql.Placeholder(k)) for k in scope)
    row = conn.execute(pgsql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {})").format(
        pgsql.Identifier(table.name), where), scope).fetchone()
    return bool(row and row[0])


class _Hasher(threading.Thread):
    """SHA-256 of the file, computed alongside the import (it reads the file from cache)."""

    def __init__(self, compute: Callable[[], str]) -> None:
        super().__init__(daemon=True, name="sha256")
        self._compute = compute
        self.value = ""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self._compute()
        except BaseException as exc:  # re-raised by result()
            self.error = exc

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise self.error
        return self.value


def import_file(
    db: Database,
    *,
    dataset: str,
    table: TableSpec,
    instrument: Instrument,
    interval_s: int,
    file: SourceFile,
    options: ImportOptions,
    progress: ProgressSink,
    run_id: str | Callable[[], str | None] | None = None,
    conn: psycopg.Connection[Any] | None = None,
) -> Outcome:
    """Import one file; errors (bad rows, conflicts) propagate with the file's rows unwritten.

    ``conn`` (idle, not in a transaction) is reused when given: a run imports thousands of
    small files, and a connection per file would cost more than many of the files.

    ``run_id`` may be a callable, called just before the import commits: an import started
    ahead of its run (:mod:`resources.database.prestage`) waits there for the run to claim it,
    and rolls back if the callable raises.
    """
    if conn is None:
        with db.connect() as own:
            bulk_session(own)
            own.commit()
            return import_file(db, dataset=dataset, table=table, instrument=instrument,
                               interval_s=interval_s, file=file, options=options,
                               progress=progress, run_id=run_id, conn=own)
    try:
        return _import(db, conn, dataset, table, instrument, interval_s, file, options,
                       progress, run_id)
    except BaseException:
        conn.rollback()
        raise


def _import(db: Database, conn: psycopg.Connection[Any], dataset: str,
            table: TableSpec, instrument: Instrument, interval_s: int, file: SourceFile,
            options: ImportOptions, progress: ProgressSink,
            run_id: str | Callable[[], str | None] | None) -> Outcome:
    started = time.perf_counter()
    instrument_id = upsert_instrument(conn, instrument)
    conn.commit()
    scope: dict[str, object] = {"instrument_id": instrument_id}
    if "interval_s" in table.scope:
        scope["interval_s"] = interval_s
    entry = None if options.force else _ledger_entry(conn, dataset, file.path)
    mode = storage_mode(conn)
    if entry is not None and entry[3] and options.limit_rows is None:
        size, mtime_ns, digest, _ = entry
        if (size, mtime_ns) == (file.size, file.mtime_ns):
            conn.commit()
            return Outcome("unchanged", message="unchanged since its last import")
        if size == file.size and digest == file.sha256():
            conn.execute(sql.load("update_ledger_mtime"), {
                "dataset": dataset, "source_path": str(file.path), "mtime_ns": file.mtime_ns})
            conn.commit()
            return Outcome("unchanged", message="touched, content unchanged")
    if options.skip_existing and _has_rows(conn, table, scope):
        conn.commit()
        return Outcome("skipped", message="instrument already has rows (--skip-existing)")
    conn.commit()
    segment = file.source.whole()
    complete = True
    if options.limit_rows is not None:
        limited = file.head(segment, options.limit_rows)
        complete = limited.end >= segment.end
        segment = limited
    if options.dry_run:
        return _dry_run(table, scope, file, segment, progress)

    hasher = _Hasher(file.sha256)
    hasher.start()

    def _record(target: psycopg.Connection[Any], result: LoadResult) -> None:
        owner = run_id() if callable(run_id) else run_id
        target.execute(sql.load("upsert_ledger_entry"), {
            "dataset": dataset, "source_path": str(file.path), "instrument_id": instrument_id,
            "interval_s": interval_s, "size_bytes": file.size, "mtime_ns": file.mtime_ns,
            "sha256": hasher.result(), "rows_read": result.rows_read,
            "rows_inserted": result.rows_inserted, "rows_present": result.rows_present,
            "complete": complete, "first_ts": result.first_ts, "last_ts": result.last_ts,
            "run_id": owner,
        })

    if table is TRADES and mode is StorageMode.POSTGRESQL:
        store = TradesStore(db.resolved_url(), workers=options.workers,
                            on_rows=lambda rows, nbytes: progress.advance(rows, nbytes))
        result = store.load(instrument_id, file.source, segment, _record)
    else:
        advisory_lock(conn, table.name, scope)
        result = merge_batches(conn, table, scope,
                               _advancing(file.source.batches(segment), progress),
                               lock=False)
        _record(conn, result)
        conn.commit()
    result.seconds = time.perf_counter() - started
    return Outcome("imported", result)


def _advancing(batches: Iterator[pa.RecordBatch], progress: ProgressSink
               ) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield batch
        progress.advance(batch.num_rows, 0)


def _dry_run(table: TableSpec, scope: dict[str, object], file: SourceFile, segment: Segment,
             progress: ProgressSink) -> Outcome:
    """Parse and encode every row (so bad values are found), write nothing."""
    result = LoadResult()
    started = time.perf_counter()
    for batch in _advancing(file.source.batches(segment), progress):
        encode(batch, table.columns, scope)
        result.rows_read += batch.num_rows
        if batch.num_rows:
            ts = batch.column(table.time_column)
            first, last = ts[0].as_py(), ts[-1].as_py()
            result.add(LoadResult(first_ts=first, last_ts=last))
    result.seconds = time.perf_counter() - started
    return Outcome("checked", result, "dry run: nothing written")

