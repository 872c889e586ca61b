"""The ingest ledger, read without Dagster: what the command line's no-op check needs.

:func:`unchanged_paths` uses psycopg. :func:`unchanged_paths_quick` answers the same question
through :mod:`resources.database.libpq` in a few ms, for the command line's re-run over an
unchanged dump (importing psycopg alone costs more than the whole of that run); it answers only
when it can, and says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import sql
from resources import settings

__all__ = ["unchanged_paths", "unchanged_paths_quick"]

_Fingerprints = dict[str, tuple[Path, int, int]]  # str(path) -> (path, size, mtime_ns)


def _fingerprints(files: Iterable[tuple[Path, int, int]]) -> _Fingerprints:
    return {str(path): (path, size, mtime) for path, size, mtime in files}


def _same(wanted: _Fingerprints, rows: Iterable[tuple[str, int, int, bool]]) -> set[Path]:
    same = set()
    for source_path, size, mtime, complete in rows:
        path, want_size, want_mtime = wanted[source_path]
        if complete and (size, mtime) == (want_size, want_mtime):
            same.add(path)
    return same


def unchanged_paths(url: str, dataset: str, files: Iterable[tuple[Path, int, int]]) -> set[Path]:
    """Of ``(path, size, mtime_ns)``, the files whose last import was complete and which have
    not changed since (same size and mtime). A database without a ledger yet has none."""
    import psycopg

    wanted = _fingerprints(files)
    if not wanted:
        return set()
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            rows = psycopg.RawCursor(conn).execute(
                sql.load("select_ledger_entries"), (dataset, list(wanted))).fetchall()
    except psycopg.errors.UndefinedTable:
        return set()
    return _same(wanted, rows)


def _quick_conninfo() -> dict[str, str] | None:
    """libpq keywords for the database ``bootstrap.resolve_url(None)`` picks when it has nothing
    to create or start: ``$TICKVAULT_DATABASE_URL``, else the local default. Where that database
    does not exist or nothing answers, the connection fails and the caller falls back to
    ``resolve_url``, which creates the database or starts the private cluster. None for a URL
    that is neither a ``postgresql://`` URL nor ``key=value`` pairs (libpq would take it for a
    database name; psycopg rejects it)."""
    url = os.environ.get(settings.DATABASE_URL_ENV)
    if url and not (url.startswith(("postgresql://", "postgres://")) or "=" in url):
        return None
    params = {"dbname": url} if url else settings.local_database()
    return {**params, "connect_timeout": "10"}  # as unchanged_paths


def unchanged_paths_quick(dataset: str,
                          files: Sequence[tuple[Path, int, int]]) -> set[Path] | None:
    """:func:`unchanged_paths` for the database the command line would use, through libpq
    directly; None when that cannot be answered that way (no libpq, no server or database yet,
    no ledger yet, any error): the caller asks :func:`unchanged_paths` then."""
    from resources.database import libpq

    wanted = _fingerprints(files)
    if not wanted:
        return set()
    try:
        params = _quick_conninfo()
        if params is None:
            return None
        rows = libpq.fetch_all(params, sql.load("select_ledger_entries"),
                               [dataset, libpq.text_array(wanted)],
                               [libpq.TEXT_OID, libpq.TEXT_ARRAY_OID])
        parsed = []
        for path, size, mtime, complete in rows:
            if path is None or size is None or mtime is None or complete not in ("t", "f"):
                return None
            parsed.append((path, int(size), int(mtime), complete == "t"))
        return _same(wanted, parsed)
    except (libpq.LibpqError, KeyError, ValueError, OSError):  # ValueError: not 4 columns...
        return None
