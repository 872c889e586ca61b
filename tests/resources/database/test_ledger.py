"""The ledger's no-op check: psycopg and libpq give the same answer, or libpq gives none."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo
from psycopg import sql as pgsql

from resources import settings
from resources.database.ledger import unchanged_paths, unchanged_paths_quick
from resources.database.migrate import migrate

DATASET = "kraken_trades"
# (path, size, mtime_ns, complete) as recorded; the files "now" are (path, 100, 7)
RECORDED = [
    ("/dump/XBTUSD.csv", 100, 7, True),  # unchanged
    ("/dump/ETHUSD.csv", 101, 7, True),  # size changed
    ("/dump/SOLUSD.csv", 100, 8, True),  # mtime changed
    ("/dump/DOTUSD.csv", 100, 7, False),  # partial import (--limit-per-file)
    ("/dump/a,b {c} \"d\" \\e'f NULL ünï.csv", 100, 7, True),  # unchanged, awkward name
    ("/dump/x\\\"y.csv", 100, 7, True),  # unchanged
    ("/dump/x.csv", 100, 7, True),  # recorded but not asked about
]
ASKED = [(Path(p), 100, 7) for p, *_ in RECORDED[:6]] + [(Path("/dump/NEW.csv"), 100, 7)]
UNCHANGED = {Path(RECORDED[i][0]) for i in (0, 4, 5)}


@pytest.fixture
def ledger_url(fresh_database_url: str) -> str:
    with psycopg.connect(fresh_database_url) as conn:
        migrate(conn)
        (instrument,) = conn.execute(
            "INSERT INTO instruments (venue, venue_symbol, base, quote, kind) "
            "VALUES ('kraken', 'XBTUSD', 'BTC', 'USD', 'spot') RETURNING id").fetchone()
        for path, size, mtime, complete in RECORDED:
            for dataset in (DATASET, "kraken_ohlcvt"):
                conn.execute(
                    "INSERT INTO ingest_ledger (dataset, source_path, instrument_id, size_bytes, "
                    "mtime_ns, sha256, rows_read, rows_inserted, rows_present, complete) "
                    "VALUES (%s, %s, %s, %s, %s, '', 0, 0, 0, %s)",
                    (dataset, path, instrument, size if dataset == DATASET else 1, mtime,
                     complete))
    return fresh_database_url


@pytest.fixture
def empty_url(admin_url: str) -> Iterator[str]:
    """A database without tickvault's tables."""
    name = f"tickvault_empty_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        yield conninfo.make_conninfo(admin_url, dbname=name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(name)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_both_checks_agree(ledger_url, monkeypatch):
    monkeypatch.setenv(settings.DATABASE_URL_ENV, ledger_url)
    assert unchanged_paths(ledger_url, DATASET, ASKED) == UNCHANGED
    assert unchanged_paths_quick(DATASET, ASKED) == UNCHANGED
    assert unchanged_paths_quick("kraken_ohlcvt", ASKED) == set()  # sizes differ there
    assert unchanged_paths_quick(DATASET, []) == set()


def test_quick_check_uses_the_default_database_when_no_url_is_set(ledger_url, monkeypatch):
    params = conninfo.conninfo_to_dict(ledger_url)
    monkeypatch.delenv(settings.DATABASE_URL_ENV)
    monkeypatch.setattr(settings, "DEFAULT_DATABASE", str(params["dbname"]))
    if params.get("user"):
        monkeypatch.setenv("PGUSER", str(params["user"]))
    if str(params.get("host", "127.0.0.1")) not in {"127.0.0.1", "localhost"}:
        pytest.skip("the test server is not on 127.0.0.1")
    monkeypatch.setenv(settings.LOCAL_PORT_ENV, str(params.get("port") or 5432))
    assert unchanged_paths_quick(DATASET, ASKED) == UNCHANGED


def test_quick_check_answers_none_when_it_cannot_tell(ledger_url, empty_url, monkeypatch):
    nowhere = f"postgresql://127.0.0.1:{_free_port()}/tickvault?connect_timeout=2"
    missing = conninfo.make_conninfo(ledger_url, dbname="tickvault_no_such_database")
    dbname = str(conninfo.conninfo_to_dict(ledger_url)["dbname"])  # libpq: a name; psycopg: no
    for url in (nowhere, missing, empty_url, dbname):  # no server, no database, no ledger...
        monkeypatch.setenv(settings.DATABASE_URL_ENV, url)
        assert unchanged_paths_quick(DATASET, ASKED) is None, url
    monkeypatch.delenv(settings.DATABASE_URL_ENV)
    monkeypatch.setenv(settings.LOCAL_PORT_ENV, str(_free_port()))
    assert unchanged_paths_quick(DATASET, ASKED) is None
    # a file name that cannot be sent as UTF-8: psycopg fails too; the quick check says nothing
    monkeypatch.setenv(settings.DATABASE_URL_ENV, ledger_url)
    odd = Path(b"/dump/caf\xe9.csv".decode("utf-8", "surrogateescape"))
    assert unchanged_paths_quick(DATASET, [*ASKED, (odd, 1, 1)]) is None
