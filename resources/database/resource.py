"""The database resource: one per deployment, shared by every asset, sensor and command."""

from __future__ import annotations

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
from resources.database.postgres import (
    InstrumentConflict,
    Postgres,
    StorageMode,
    mark_ready,
    ready_url,
    storage_mode,
    upsert_instrument,
)
from resources.database.records import Instrument

__all__ = ["DbStatus", "Instrument", "InstrumentConflict", "PostgresResource", "StorageMode"]


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
        return ready_url(self.url, self.application_name)

    def display_url(self) -> str:
        return _redact(self.resolved_url())

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A new connection, closed on exit (committed if the block ends normally)."""
        with Postgres(self.url, self.application_name).connect(autocommit=autocommit) as conn:
            yield conn

    def migrate(self) -> MigrationResult:
        url = bootstrap.resolve_url(self.url)
        with psycopg.connect(url, application_name=self.application_name) as conn:
            result = migrate(conn)
        mark_ready(self.url, url)
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

