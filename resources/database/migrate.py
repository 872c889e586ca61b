"""Ordered, idempotent schema migrations from ``sql/migrations``.

The storage mode (plain PostgreSQL or TimescaleDB) is chosen once, when the first migration runs,
and recorded; later runs keep it, so a database never ends up half hypertables, half partitions.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

import psycopg

import sql

log = logging.getLogger(__name__)

# Any fixed 64-bit number: serializes concurrent migrators across processes.
_MIGRATION_LOCK = 7_426_175_301_551
TIMESCALEDB_ENV = "TICKVAULT_TIMESCALEDB"  # "off" forces plain PostgreSQL


@dataclass(frozen=True)
class MigrationResult:
    mode: str
    applied: list[str]


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _timescaledb_usable(conn: psycopg.Connection) -> bool:
    if os.environ.get(TIMESCALEDB_ENV, "").lower() in {"off", "0", "false", "no"}:
        return False
    row = conn.execute(
        "SELECT installed_version FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if row is None:
        return False
    if row[0] is not None:
        return True
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error as exc:  # typically: not in shared_preload_libraries
        log.warning("TimescaleDB is available but cannot be enabled (%s); using plain PostgreSQL",
                    exc.diag.message_primary or exc)
        return False
    return True


def _mode(conn: psycopg.Connection) -> str:
    conn.execute(sql.load("create_settings_table"))
    row = conn.execute(sql.load("select_setting"), {"key": "storage_mode"}).fetchone()
    if row is not None:
        return str(row[0])
    mode = "timescaledb" if _timescaledb_usable(conn) else "postgresql"
    conn.execute(sql.load("insert_setting"), {"key": "storage_mode", "value": mode})
    return mode


def chosen_files(mode: str) -> list[tuple[str, str, str]]:
    """(version, name, SQL text) of every migration, in order, for a storage mode."""
    chosen = []
    for version, name, plain, variant in sql.migrations():
        source = variant if (mode == "timescaledb" and variant is not None) else plain
        chosen.append((version, name, source.read_text(encoding="utf-8")))
    return chosen


def migrate(conn: psycopg.Connection) -> MigrationResult:
    """Apply every pending migration, each in its own transaction. Safe to run concurrently."""
    conn.autocommit = False
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(sql.load("create_schema_migrations"))
        mode = _mode(conn)
        done = {
            version: checksum
            for version, checksum in conn.execute("SELECT version, checksum FROM schema_migrations")
        }
        applied: list[str] = []
        variants = {version for version, _, _, variant in sql.migrations() if variant}
        for version, name, text in chosen_files(mode):
            if version in done:
                if done[version] != _checksum(text):
                    log.warning("migration %s_%s changed since it was applied", version, name)
                continue
            with conn.transaction():
                conn.execute(text)  # file text, not user input
                conn.execute(
                    sql.load("insert_schema_migration"),
                    {"version": version, "name": name,
                     "variant": mode if version in variants else "postgresql",
                     "checksum": _checksum(text)},
                )
            applied.append(f"{version}_{name}")
    conn.commit()
    return MigrationResult(mode=mode, applied=applied)
