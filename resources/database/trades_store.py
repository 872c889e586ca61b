"""The trades write path on plain PostgreSQL: fresh leaves for new time ranges, in parallel.

``trades`` is LIST-partitioned by instrument; each instrument's table ``trades_i<id>`` is
RANGE-partitioned by time into leaves ``trades_i<id>_<n>``. The leaves of one instrument cover
``(-infinity, newest stored second + 1s)`` without gaps.

Importing a source:

1. rows before the instrument's upper bound may already be stored: they are merged through a
   staging table (``ON CONFLICT DO NOTHING``, then every conflicting row compared with the stored
   one) — in the main transaction;
2. rows from the upper bound on are new: they are split at second boundaries into parts, and each
   part is loaded by its own connection into a new, unattached leaf — ``COPY FREEZE`` into a table
   without keys, then the primary key is built once, which is several times cheaper than
   maintaining it row by row — while step 1 runs;
3. the main transaction attaches the new leaves (their CHECK constraints prove the partition
   bounds, so PostgreSQL skips the validation scan), records the import in the ledger, and
   commits: readers see the whole file or none of it.

A leaf committed by a worker but never attached (a crash between 2 and 3) is invisible to readers
and is dropped by the next import of that instrument.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
    copy_batches,
    merge_batches,
)
from resources.database.sources import Segment, SegmentedSource
from resources.database.tables import TRADES

__all__ = ["TradesStore", "instrument_table"]

log = logging.getLogger(__name__)



class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class _Leaf:
    name: str
    segment: Segment
    lower: datetime | None  # None: MINVALUE
    upper: datetime


def instrument_table(instrument_id: int) -> TableSpec:
    """The trades of one instrument as the merge loader sees them: its own partition and key."""
    return replace(TRADES, name=f"trades_i{instrument_id}", key=("ts", "seq"))


def _utc(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


class TradesStore:
    """Writes one source's trades for one instrument (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        workers: int = 2,
        min_part_bytes: int = 4 << 20,  # below this a second part costs more than it saves
        on_rows: Callable[[int, int], None] | None = None,
    ) -> None:
        self.url = url
        self.workers = max(1, workers)
        self.min_part_bytes = min_part_bytes
        self.on_rows = on_rows or (lambda rows, nbytes: None)

    def load(
        self,
        instrument_id: int,
        source: SegmentedSource,
        segment: Segment,
        before_commit: Callable[[psycopg.Connection[Any], LoadResult], None],
    ) -> LoadResult:
        started = time.perf_counter()
        parent = f"trades_i{instrument_id}"
        with psycopg.connect(self.url, application_name="tickvault-import") as conn:
            bulk_session(conn)
            advisory_lock(conn, TRADES.name, {"instrument_id": instrument_id})
            # Numbered before the orphans go: their names stay taken until this transaction
            # commits, and a crash leaves them exactly where the next leaves would be numbered.
            number = self._next_leaf_number(conn, parent)
            self._drop_orphans(conn, parent)
            exists = self._partition_exists(conn, parent)
            upper = self._upper_bound(conn, parent) if exists else None
            if upper is None:
                stored, fresh = Segment(segment.start, segment.start, segment.first_line), segment
            else:
                stored, fresh = source.cut(segment, int(upper.timestamp()))
            leaves = self._plan_leaves(source, fresh, upper, parent, number)
            result = LoadResult()
            cancel = threading.Event()
            pool = ThreadPoolExecutor(max_workers=max(1, len(leaves)),
                                      thread_name_prefix="trades-leaf")
            futures: list[Future[LoadResult]] = [
                pool.submit(self._load_leaf, instrument_id, leaf, source, cancel) for leaf in leaves
            ]
            try:
                if stored.nbytes:
                    merged = merge_batches(conn, instrument_table(instrument_id),
                                           {"instrument_id": instrument_id},
                                           self._counted(source.batches(stored), stored),
                                           lock=False)
                    result.add(merged)
                for future in futures:
                    result.add(future.result())
            except BaseException:
                cancel.set()
                pool.shutdown(wait=True)
                conn.rollback()
                self._drop(leaves)
                raise
            pool.shutdown(wait=True)
            try:
                if leaves:
                    self._attach(conn, parent, instrument_id, exists, leaves)
                result.seconds = time.perf_counter() - started
                before_commit(conn, result)
                conn.commit()
            except BaseException:
                # attached or not, uncommitted leaves are plain tables again after the rollback
                with suppress(psycopg.Error):
                    conn.rollback()
                self._drop(leaves)
                raise
        return result

    # -- planning -----------------------------------------------------------------------------

    @staticmethod
    def _partition_exists(conn: psycopg.Connection[Any], parent: str) -> bool:
        row = conn.execute(sql.load("select_attached_partition"),
                           {"parent": "trades", "child": parent}).fetchone()
        return row is not None

    @staticmethod
    def _upper_bound(conn: psycopg.Connection[Any], parent: str) -> datetime | None:
        row = conn.execute(pgsql.SQL("SELECT max(ts) FROM {}").format(
            pgsql.Identifier(parent))).fetchone()
        newest = row[0] if row else None
        return None if newest is None else newest + timedelta(seconds=1)

    @staticmethod
    def _drop_orphans(conn: psycopg.Connection[Any], parent: str) -> None:
        orphans = [r[0] for r in conn.execute(sql.load("select_orphan_leaves"),
                                               {"prefix": f"{parent}\\_%"})]
        for name in orphans:
            log.warning("dropping %s, left unattached by an interrupted import", name)
            conn.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(name)))

    @staticmethod
    def _next_leaf_number(conn: psycopg.Connection[Any], parent: str) -> int:
        row = conn.execute(sql.load("select_next_leaf_number"),
                           {"prefix": f"{parent}\\_%", "prefix_length": len(parent) + 2}).fetchone()
        return int(row[0]) if row else 1

    def _plan_leaves(self, source: SegmentedSource, fresh: Segment, upper: datetime | None,
                     parent: str, number: int) -> list[_Leaf]:
        if fresh.nbytes == 0 or source.last_ts(fresh) is None:
            return []
        parts = max(1, min(self.workers, fresh.nbytes // self.min_part_bytes))
        segments = source.split(fresh, parts) if parts > 1 else [fresh]
        leaves = []
        lower = upper
        for i, segment in enumerate(segments):
            if i + 1 < len(segments):
                nxt = source.first_ts(segments[i + 1])
                assert nxt is not None
                bound = _utc(nxt)
            else:
                last = source.last_ts(segment)
                assert last is not None
                bound = _utc(last + 1)
            leaves.append(_Leaf(f"{parent}_{number + i}", segment, lower, bound))
            lower = bound
        return leaves

    # -- the parallel part --------------------------------------------------------------------

    def _counted(self, batches: Iterable[pa.RecordBatch], segment: Segment
                 ) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield batch
            self.on_rows(batch.num_rows, 0)

    def _load_leaf(self, instrument_id: int, leaf: _Leaf, source: SegmentedSource,
                   cancel: threading.Event) -> LoadResult:
        result = LoadResult()

        def _batches() -> Iterator[pa.RecordBatch]:
            for batch in self._counted(source.batches(leaf.segment), leaf.segment):
                if cancel.is_set():
                    raise _Cancelled()
                if batch.num_rows:
                    # rows of a segment are in time order: its bounds are its ends
                    ts = batch.column(TRADES.time_column)
                    result.add(LoadResult(first_ts=ts[0].as_py(), last_ts=ts[-1].as_py()))
                result.rows_read += batch.num_rows
                yield batch

        with psycopg.connect(self.url, application_name="tickvault-import") as conn:
            bulk_session(conn)
            checks = [pgsql.SQL("instrument_id = {}").format(pgsql.Literal(instrument_id)),
                      pgsql.SQL("ts < {}").format(pgsql.Literal(leaf.upper))]
            if leaf.lower is not None:
                checks.append(pgsql.SQL("ts >= {}").format(pgsql.Literal(leaf.lower)))
            conn.execute(pgsql.SQL(
                "CREATE TABLE {leaf} (LIKE trades INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                "CONSTRAINT {bounds} CHECK ({checks}))").format(
                    leaf=pgsql.Identifier(leaf.name),
                    bounds=pgsql.Identifier(f"{leaf.name}_bounds"),
                    checks=pgsql.SQL(" AND ").join(checks)))
            copy_batches(conn, leaf.name, TRADES.columns, _batches(),
                         {"instrument_id": instrument_id}, freeze=True)
            conn.execute(pgsql.SQL("ALTER TABLE {} ADD PRIMARY KEY (ts, seq)")
                         .format(pgsql.Identifier(leaf.name)))
            conn.commit()
        result.rows_inserted = result.rows_read
        return result

    # -- attaching ----------------------------------------------------------------------------

    @staticmethod
    def _attach(conn: psycopg.Connection[Any], parent: str, instrument_id: int, exists: bool,
                leaves: list[_Leaf]) -> None:
        if not exists:
            conn.execute(pgsql.SQL(
                "CREATE TABLE IF NOT EXISTS {p} (LIKE trades INCLUDING DEFAULTS INCLUDING "
                "CONSTRAINTS, PRIMARY KEY (ts, seq)) PARTITION BY RANGE (ts)")
                .format(p=pgsql.Identifier(parent)))
        for leaf in leaves:
            lower = pgsql.SQL("MINVALUE") if leaf.lower is None else pgsql.Literal(leaf.lower)
            conn.execute(pgsql.SQL("ALTER TABLE {p} ATTACH PARTITION {leaf} "
                                   "FOR VALUES FROM ({lo}) TO ({hi})").format(
                p=pgsql.Identifier(parent), leaf=pgsql.Identifier(leaf.name), lo=lower,
                hi=pgsql.Literal(leaf.upper)))
        if not exists:
            conn.execute(pgsql.SQL("ALTER TABLE trades ATTACH PARTITION {p} FOR VALUES IN ({i})")
                         .format(p=pgsql.Identifier(parent), i=pgsql.Literal(instrument_id)))

    def _drop(self, leaves: list[_Leaf]) -> None:
        if not leaves:
            return
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                for leaf in leaves:
                    conn.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(
                        pgsql.Identifier(leaf.name)))
        except psycopg.Error as exc:  # the next import of this instrument drops them
            log.warning("could not drop unattached leaves now: %s", exc)
