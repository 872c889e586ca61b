"""PostgreSQL without Dagster: the migrated connection, the storage mode, the instruments.

:class:`~resources.database.resource.PostgresResource` is the Dagster face of this module. The
write path imports only this one, so that the command line can start an import before it has
imported Dagster (see :mod:`resources.database.prestage`).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import psycopg

import sql
from resources.database import bootstrap
from resources.database.migrate import migrate
from resources.database.records import Instrument

__all__ = ["Database", "InstrumentConflict", "Postgres", "StorageMode", "ready_url",
           "storage_mode", "upsert_instrument"]


class StorageMode(enum.Enum):
    POSTGRESQL = "postgresql"
    TIMESCALEDB = "timescaledb"


class InstrumentConflict(ValueError):
    """The same venue symbol was normalized differently before."""


class Database(Protocol):
    """What the write path needs of a database: its URL and connections to it."""

    def resolved_url(self) -> str: ...

    def connect(self, *, autocommit: bool = False
                ) -> AbstractContextManager[psycopg.Connection[Any]]: ...


_ready: dict[str, str] = {}  # requested URL (or "") -> resolved URL, once migrated in this process
_ready_lock = threading.Lock()


def ready_url(url: str | None, application_name: str = "tickvault") -> str:
    """The URL to connect to (see :mod:`bootstrap`), its schema migrated once per process."""
    key = url or ""
    with _ready_lock:
        if key not in _ready:
            resolved = bootstrap.resolve_url(url)
            with psycopg.connect(resolved, application_name=application_name) as conn:
                migrate(conn)
            _ready[key] = resolved
        return _ready[key]


def mark_ready(url: str | None, resolved: str) -> None:
    """Record that ``resolved`` (asked for as ``url``) has just been migrated."""
    with _ready_lock:
        _ready[url or ""] = resolved


class Postgres:
    """A :class:`Database` given by URL (unset: as :mod:`bootstrap` resolves it)."""

    def __init__(self, url: str | None = None, application_name: str = "tickvault") -> None:
        self.url = url
        self.application_name = application_name

    def resolved_url(self) -> str:
        return ready_url(self.url, self.application_name)

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A new connection, closed on exit (committed if the block ends normally)."""
        with psycopg.connect(self.resolved_url(), autocommit=autocommit,
                             application_name=self.application_name) as conn:
            yield conn


def storage_mode(conn: psycopg.Connection[Any]) -> StorageMode:
    row = conn.execute(sql.load("select_setting"), {"key": "storage_mode"}).fetchone()
    return StorageMode(row[0]) if row else StorageMode.POSTGRESQL


def upsert_instrument(conn: psycopg.Connection[Any], instrument: Instrument) -> int:
    """The instrument's id, creating it on first sight. A changed normalization is an error."""
    row = conn.execute(
        sql.load("upsert_instrument"),
        {
            "venue": instrument.venue,
            "venue_symbol": instrument.venue_symbol,
            "base": instrument.base,
            "quote": instrument.quote,
            "kind": instrument.kind,
            "attributes": psycopg.types.json.Jsonb(instrument.attributes),
        },
    ).fetchone()
    assert row is not None
    instrument_id, base, quote, kind = row
    if (base, quote, kind) != (instrument.base, instrument.quote, instrument.kind):
        raise InstrumentConflict(
            f"{instrument.venue} {instrument.venue_symbol} is stored as {base}/{quote} ({kind}) "
            f"but was now read as {instrument.pair} ({instrument.kind})"
        )
    return int(instrument_id)
