"""The database resource: one per deployment, shared by every asset, sensor and command."""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from dagster import ConfigurableResource
from psycopg import sql as pgsql
from pydantic import Field

import sql
from resources.database import bootstrap
from resources.database.migrate import MigrationResult, migrate
from resources.database.records import Instrument

__all__ = ["DbStatus", "Instrument", "InstrumentConflict", "PostgresResource", "StorageMode"]


class StorageMode(enum.Enum):
    POSTGRESQL = "postgresql"
    TIMESCALEDB = "timescaledb"


class InstrumentConflict(ValueError):
    """The same venue symbol was normalized differently before."""


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int
    exact: bool


@dataclass(frozen=True)
class DbStatus:
    url: str
    mode: StorageMode
    timescaledb_available: bool
    migrations: list[tuple[str, str, str, datetime]]
    counts: list[TableCount]


_ready: dict[str, str] = {}  # requested URL (or "") -> resolved URL, once migrated in this process
_ready_lock = threading.Lock()


def _redact(url: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    if "password" in params:
        params["password"] = "***"
    return psycopg.conninfo.make_conninfo("", **{k: v for k, v in params.items() if v is not None})


class PostgresResource(ConfigurableResource):  # type: ignore[type-arg]  # Dagster's own idiom
    """PostgreSQL (with or without TimescaleDB).

    The URL comes from ``url`` if set, else the environment variable ``TICKVAULT_DATABASE_URL``
    (read when first connecting, never at import, never logged with its password), else the local
    default described in :mod:`resources.database.bootstrap`. The schema is migrated before the
    first connection is handed out.
    """

    url: str | None = Field(
        default=None,
        description="postgresql:// URL; unset means $TICKVAULT_DATABASE_URL, then localhost.",
    )
    application_name: str = "tickvault"

    def resolved_url(self) -> str:
        key = self.url or ""
        with _ready_lock:
            if key not in _ready:
                resolved = bootstrap.resolve_url(self.url)
                with psycopg.connect(resolved, application_name=self.application_name) as conn:
                    migrate(conn)
                _ready[key] = resolved
            return _ready[key]

    def display_url(self) -> str:
        return _redact(self.resolved_url())

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A new connection, closed on exit (committed if the block ends normally)."""
        with psycopg.connect(
            self.resolved_url(), autocommit=autocommit, application_name=self.application_name
        ) as conn:
            yield conn

    def migrate(self) -> MigrationResult:
        url = bootstrap.resolve_url(self.url)
        with psycopg.connect(url, application_name=self.application_name) as conn:
            result = migrate(conn)
        with _ready_lock:
            _ready[self.url or ""] = url
        return result

    def upsert_instrument(self, instrument: Instrument) -> int:
        with self.connect() as conn:
            return upsert_instrument(conn, instrument)

    def status(self) -> DbStatus:
        with self.connect() as conn:
            mode = storage_mode(conn)
            available = conn.execute(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"
            ).fetchone()
            migrations = [tuple(r) for r in conn.execute(sql.load("select_schema_migrations"))]
            tables = [r[0] for r in conn.execute(sql.load("select_tickvault_tables"))]
            counts = []
            for table in tables:
                # Counting 200M trades takes a while: above a million rows the planner's
                # statistics are close enough for a status page (and say they are estimates).
                row = conn.execute(sql.load("select_estimated_rows"), {"table": table}).fetchone()
                estimate = int(row[0]) if row and row[0] is not None else 0
                if estimate > 1_000_000:
                    counts.append(TableCount(table, estimate, False))
                    continue
                query = pgsql.SQL("SELECT count(*) FROM {}").format(pgsql.Identifier(table))
                row = conn.execute(query).fetchone()
                counts.append(TableCount(table, int(row[0]) if row else 0, True))
        return DbStatus(
            url=self.display_url(),
            mode=mode,
            timescaledb_available=bool(available and available[0]),
            migrations=migrations,
            counts=counts,
        )


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
