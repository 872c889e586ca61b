"""Idempotent bulk writes: binary COPY for what is new, a verified merge for what may exist.

Every load has a *scope* (the key columns fixed for the whole load, e.g. one instrument and one
interval). Rows later than the newest stored row of the scope cannot conflict, so they are
COPYed straight into the table; earlier rows go through a temporary staging table and
``INSERT ... ON CONFLICT DO NOTHING``, after which every conflicting row is compared with what is
stored: a key that already holds *different* values is an error naming the source row, never a
silent skip. The caller owns the transaction, so a ledger row commits with the data it describes.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql as pgsql

from resources.database.binary_copy import (
    COPY_HEADER,
    COPY_TRAILER,
    Column,
    EncodeError,
    PgType,
    encode_batch,
)
from resources.database.timescale import prepare_merge

__all__ = [
    "BULK_SESSION",
    "LINE_COLUMN",
    "ConflictError",
    "LoadResult",
    "RowError",
    "TableSpec",
    "advisory_lock",
    "bulk_session",
    "copy_batches",
    "merge_batches",
]

LINE_COLUMN = "line"  # optional batch column: the source line of each row, for error messages

# Session settings of every bulk-loading connection. synchronous_commit: data and its ledger row
# commit together, so a commit lost in a machine crash only means the file is imported again
# (and the trades leaves' WAL is flushed by the synchronous commit that attaches them).
# Leaves are keyed two at a time already: parallel index workers only oversubscribe the cores
# (measured slower).
BULK_SESSION = (
    "SET synchronous_commit = off",
    "SET maintenance_work_mem = '256MB'",
    "SET max_parallel_maintenance_workers = 0",
)


def bulk_session(conn: psycopg.Connection[Any]) -> None:
    for statement in BULK_SESSION:
        conn.execute(statement)


@dataclass(frozen=True)
class TableSpec:
    """A table the loader writes: all columns in COPY order, the key, the per-load scope."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    scope: tuple[str, ...]
    time_column: str = "ts"

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.name not in self.key)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass
class LoadResult:
    rows_read: int = 0
    rows_inserted: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    seconds: float = 0.0

    @property
    def rows_present(self) -> int:
        return self.rows_read - self.rows_inserted

    def add(self, other: LoadResult) -> None:
        self.rows_read += other.rows_read
        self.rows_inserted += other.rows_inserted
        self.seconds += other.seconds
        for ts in (other.first_ts, other.last_ts):
            if ts is not None:
                self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
                self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)


class RowError(ValueError):
    """A bad value in a source row. ``line`` is the source's line number (1-based) when known."""

    def __init__(self, line: int | None, column: str, value: object, reason: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{reason} in column {column!r}: {value!r}")
        self.line = line
        self.column = column
        self.value = value
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by an import run in another process
        return type(self), (self.line, self.column, self.value, self.reason)


class ConflictError(ValueError):
    """A key already stored with different values."""

    def __init__(self, table: str, line: int | None, key: dict[str, Any], stored: dict[str, Any],
                 incoming: dict[str, Any]) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(
            f"{where}{table} already holds {key} with {stored}; the source has {incoming}. "
            "Nothing from this source was written."
        )
        self.line = line
        self.key = key
        self._args = (table, line, key, stored, incoming)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by an import run in another process
        return type(self), self._args


def advisory_lock(conn: psycopg.Connection[Any], table: str, scope: Mapping[str, object]) -> None:
    """Serialize writers of one scope (transaction-scoped)."""
    scope_key = zlib.crc32(repr(sorted(scope.items())).encode()) - 2**31
    table_key = zlib.crc32(table.encode()) - 2**31
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (table_key, scope_key))


def _scope_filter(scope: Mapping[str, object]) -> tuple[pgsql.Composable, dict[str, object]]:
    parts = [pgsql.SQL("{} = {}").format(pgsql.Identifier(k), pgsql.Placeholder(k)) for k in scope]
    return pgsql.SQL(" AND ").join(parts), dict(scope)


def newest(conn: psycopg.Connection[Any], spec: TableSpec, scope: Mapping[str, object]
           ) -> datetime | None:
    where, params = _scope_filter(scope)
    query = pgsql.SQL("SELECT max({ts}) FROM {table} WHERE {where}").format(
        ts=pgsql.Identifier(spec.time_column), table=pgsql.Identifier(spec.name), where=where)
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _column_list(columns: Sequence[Column]) -> pgsql.Composable:
    return pgsql.SQL(", ").join(pgsql.Identifier(c.name) for c in columns)


def copy_batches(conn: psycopg.Connection[Any], table: str | pgsql.Composable,
                 columns: Sequence[Column], batches: Iterable[pa.RecordBatch],
                 constants: Mapping[str, object], *, freeze: bool = False) -> int:
    """Binary COPY of ``batches`` into ``table``; returns the number of rows sent."""
    target = pgsql.Identifier(table) if isinstance(table, str) else table
    options = pgsql.SQL("FORMAT BINARY, FREEZE") if freeze else pgsql.SQL("FORMAT BINARY")
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN ({})").format(
        target, _column_list(columns), options)
    sent = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(COPY_HEADER)
        for batch in batches:
            if batch.num_rows:
                copy.write(encode(batch, columns, constants))
                sent += batch.num_rows
        copy.write(COPY_TRAILER)
    return sent


def encode(batch: pa.RecordBatch, columns: Sequence[Column], constants: Mapping[str, object]
           ) -> bytes | memoryview:
    """``encode_batch``, with a bad value reported against its source line when known."""
    try:
        return encode_batch(batch, columns, constants)
    except EncodeError as exc:
        line = None
        if batch.schema.get_field_index(LINE_COLUMN) >= 0:
            line = int(batch.column(LINE_COLUMN)[exc.row].as_py())
        raise RowError(line, exc.column, exc.value, exc.reason) from None


def _time_bounds(batch: pa.RecordBatch, column: str) -> tuple[datetime, datetime] | None:
    if batch.num_rows == 0:
        return None
    bounds = pc.min_max(batch.column(column))
    return bounds["min"].as_py(), bounds["max"].as_py()


class _Router:
    """Splits each batch into rows newer than ``newest`` (direct) and the rest (staging)."""

    def __init__(self, spec: TableSpec, newest: datetime | None) -> None:
        self.spec = spec
        self.cutoff = None if newest is None else pa.scalar(newest, pa.timestamp("us", tz="UTC"))

    def split(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.RecordBatch | None]:
        if self.cutoff is None:
            return batch, None
        ts = batch.column(self.spec.time_column)
        newer = pc.greater(ts, self.cutoff.cast(ts.type))
        if pc.all(newer).as_py():
            return batch, None
        return batch.filter(newer), batch.filter(pc.invert(newer))


def merge_batches(
    conn: psycopg.Connection[Any],
    spec: TableSpec,
    scope: Mapping[str, object],
    batches: Iterable[pa.RecordBatch],
    *,
    lock: bool = True,
) -> LoadResult:
    """Write ``batches`` into ``spec.name`` for one scope, idempotently, inside the caller's
    transaction. Batches carry every non-scope column (and optionally ``line``)."""
    started = time.perf_counter()
    if lock:
        advisory_lock(conn, spec.name, scope)
    result = LoadResult()
    cutoff = newest(conn, spec, scope)
    router = _Router(spec, cutoff)
    staging = pgsql.Identifier(f"_staging_{spec.name}")
    staged_rows = 0
    staged_bounds: list[datetime] = []
    direct_rows = 0
    staging_ready = False
    has_line = False

    def _stage(batch: pa.RecordBatch) -> None:
        nonlocal staging_ready, staged_rows, has_line
        if not staging_ready:
            conn.execute(pgsql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {s} (LIKE {t}) ON COMMIT DROP").format(
                    s=staging, t=pgsql.Identifier(spec.name)))
            conn.execute(pgsql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} bigint").format(
                staging, pgsql.Identifier(LINE_COLUMN)))
            conn.execute(pgsql.SQL("TRUNCATE {}").format(staging))
            staging_ready = True
        if batch.schema.get_field_index(LINE_COLUMN) < 0:
            # no source lines (an API page, say): number the staged rows instead
            ordinal = np.arange(staged_rows + 1, staged_rows + batch.num_rows + 1, dtype=np.int64)
            batch = batch.append_column(LINE_COLUMN, pa.array(ordinal))
        else:
            has_line = True
        columns = [*spec.columns, Column(LINE_COLUMN, PgType.INT8)]
        staged_rows += copy_batches(conn, staging, columns, [batch], scope)
        bounds = _time_bounds(batch, spec.time_column)
        if bounds:
            staged_bounds.extend(bounds)

    pending_direct: list[pa.RecordBatch] = []
    pending_rows = 0

    def _flush_direct() -> None:
        nonlocal direct_rows, pending_rows
        if pending_direct:
            direct_rows += copy_batches(conn, spec.name, spec.columns, pending_direct, scope)
            pending_direct.clear()
            pending_rows = 0

    for batch in batches:
        if batch.num_rows == 0:
            continue
        result.rows_read += batch.num_rows
        bounds = _time_bounds(batch, spec.time_column)
        if bounds:
            result.add(LoadResult(first_ts=bounds[0], last_ts=bounds[1]))
        direct, old = router.split(batch)
        if old is not None and old.num_rows:
            _flush_direct()  # one COPY at a time per connection: finish the direct stream first
            _stage(old)
        if direct.num_rows:
            pending_direct.append(direct)
            pending_rows += direct.num_rows
            if pending_rows >= 200_000:
                _flush_direct()
    _flush_direct()
    inserted = direct_rows
    if staged_rows:
        prepare_merge(conn, spec.name, min(staged_bounds), max(staged_bounds))
        inserted += _merge_staging(conn, spec, staging, has_line)
    result.rows_inserted = inserted
    result.seconds = time.perf_counter() - started
    return result


def _merge_staging(conn: psycopg.Connection[Any], spec: TableSpec, staging: pgsql.Identifier,
                   has_line: bool) -> int:
    table = pgsql.Identifier(spec.name)
    cols = _column_list(spec.columns)
    key = pgsql.SQL(", ").join(pgsql.Identifier(k) for k in spec.key)
    inserted = conn.execute(pgsql.SQL(
        "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} ORDER BY {line} "
        "ON CONFLICT ({key}) DO NOTHING").format(
            t=table, cols=cols, s=staging, key=key, line=pgsql.Identifier(LINE_COLUMN))).rowcount
    values = spec.value_columns
    if not values:
        return int(inserted)
    join = pgsql.SQL(" AND ").join(
        pgsql.SQL("s.{k} = t.{k}").format(k=pgsql.Identifier(k)) for k in spec.key)
    s_vals = pgsql.SQL(", ").join(pgsql.SQL("s.{}").format(pgsql.Identifier(v)) for v in values)
    t_vals = pgsql.SQL(", ").join(pgsql.SQL("t.{}").format(pgsql.Identifier(v)) for v in values)
    keys_out = pgsql.SQL(", ").join(pgsql.SQL("s.{}").format(pgsql.Identifier(k)) for k in spec.key)
    row = conn.execute(pgsql.SQL(
        "SELECT s.{line}, {keys}, {sv}, {tv} FROM {s} s JOIN {t} t ON {join} "
        "WHERE ({sv}) IS DISTINCT FROM ({tv}) ORDER BY s.{line} LIMIT 1").format(
            line=pgsql.Identifier(LINE_COLUMN), keys=keys_out, sv=s_vals, tv=t_vals, s=staging,
            t=table, join=join)).fetchone()
    if row is not None:
        nkey, nval = len(spec.key), len(values)
        key_values = dict(zip(spec.key, row[1:1 + nkey], strict=True))
        incoming = dict(zip(values, row[1 + nkey:1 + nkey + nval], strict=True))
        stored = dict(zip(values, row[1 + nkey + nval:], strict=True))
        raise ConflictError(spec.name, int(row[0]) if has_line else None, key_values,
                            {k: _plain(v) for k, v in stored.items()},
                            {k: _plain(v) for k, v in incoming.items()})
    return int(inserted)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value) if value is not None else None

