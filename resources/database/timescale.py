"""TimescaleDB specifics of the write path (all guarded: plain PostgreSQL never gets here).

Writes to hypertables use the generic merge (binary COPY for new rows, a staging table and
``INSERT ... ON CONFLICT DO NOTHING`` for rows that may exist). From TimescaleDB 2.11 on, both
work on compressed chunks. Older versions refuse ``ON CONFLICT`` on a compressed chunk, so the
chunks a merge touches are decompressed first; the compression policy compresses them again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import psycopg

import sql

__all__ = ["NATIVE_COMPRESSED_DML", "prepare_merge", "timescaledb_version"]

log = logging.getLogger(__name__)

NATIVE_COMPRESSED_DML = (2, 11)  # INSERT ... ON CONFLICT into compressed chunks


def timescaledb_version(conn: psycopg.Connection[Any]) -> tuple[int, ...] | None:
    row = conn.execute(sql.load("select_timescaledb_version")).fetchone()
    if row is None:
        return None
    return tuple(int(part) for part in str(row[0]).split("-")[0].split(".") if part.isdigit())


def prepare_merge(conn: psycopg.Connection[Any], table: str, first: datetime,
                  last: datetime) -> int:
    """Make the chunks of ``table`` between ``first`` and ``last`` accept the merge.

    Returns the number of chunks decompressed (0 on plain PostgreSQL and recent TimescaleDB).
    """
    version = timescaledb_version(conn)
    if version is None or version >= NATIVE_COMPRESSED_DML:
        return 0
    chunks = [r[0] for r in conn.execute(sql.load("select_compressed_chunks_in_range"),
                                         {"table": table, "first": first, "last": last})]
    for chunk in chunks:
        log.info("decompressing %s for a merge (TimescaleDB %s predates DML on compressed "
                 "chunks)", chunk, ".".join(map(str, version)))
        conn.execute("SELECT decompress_chunk(%s::regclass, if_compressed => true)", (chunk,))
    return len(chunks)
