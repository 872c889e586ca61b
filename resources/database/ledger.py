"""The ingest ledger, read without Dagster: what the command line's no-op check needs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import psycopg

import sql

__all__ = ["unchanged_paths"]


def unchanged_paths(url: str, dataset: str, files: Iterable[tuple[Path, int, int]]) -> set[Path]:
    """Of ``(path, size, mtime_ns)``, the files whose last import was complete and which have
    not changed since (same size and mtime). A database without a ledger yet has none."""
    wanted = {str(path): (path, size, mtime) for path, size, mtime in files}
    if not wanted:
        return set()
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            rows = conn.execute(sql.load("select_ledger_entries"),
                                {"dataset": dataset, "paths": list(wanted)}).fetchall()
    except psycopg.errors.UndefinedTable:
        return set()
    same = set()
    for source_path, size, mtime, complete in rows:
        path, want_size, want_mtime = wanted[source_path]
        if complete and (size, mtime) == (want_size, want_mtime):
            same.add(path)
    return same
