"""The TimescaleDB guard, against stand-ins for its catalog view and decompress_chunk().

TimescaleDB cannot be installed on our machines: these stand-ins have the shape of
``timescaledb_information.chunks`` and ``decompress_chunk(regclass, if_compressed)``, so the
guard's own SQL and logic run for real; the extension itself is exercised on a real
TimescaleDB elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from resources.database import timescale


@pytest.fixture
def conn(fresh_database_url):  # type: ignore[no-untyped-def]
    with psycopg.connect(fresh_database_url) as c:
        c.execute("CREATE SCHEMA timescaledb_information")
        c.execute("CREATE TABLE timescaledb_information.chunks (hypertable_schema name, "
                  "hypertable_name name, chunk_schema name, chunk_name name, "
                  "is_compressed boolean, range_start timestamptz, range_end timestamptz)")
        c.execute("CREATE TABLE decompressed (chunk text)")
        c.execute("CREATE TABLE _hyper_1_1_chunk (x int)")
        c.execute("CREATE TABLE _hyper_1_2_chunk (x int)")
        c.execute("CREATE FUNCTION decompress_chunk(chunk regclass, if_compressed boolean) "
                  "RETURNS regclass LANGUAGE sql AS "
                  "$$ INSERT INTO decompressed VALUES (chunk::text) RETURNING chunk $$")
        c.execute("INSERT INTO timescaledb_information.chunks VALUES "
                  "('public', 'trades', 'public', '_hyper_1_1_chunk', true, "
                  " '2024-01-01', '2024-01-08'), "
                  "('public', 'trades', 'public', '_hyper_1_2_chunk', true, "
                  " '2024-01-08', '2024-01-15'), "
                  "('public', 'candles', 'public', '_hyper_1_2_chunk', true, "
                  " '2024-01-01', '2024-01-08')")
        yield c


def _ts(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


def test_old_timescaledb_decompresses_only_the_chunks_a_merge_touches(conn, monkeypatch):
    monkeypatch.setattr(timescale, "timescaledb_version", lambda c: (2, 10, 1))
    assert timescale.prepare_merge(conn, "trades", _ts(3), _ts(5)) == 1
    assert conn.execute("SELECT chunk FROM decompressed").fetchall() == [("_hyper_1_1_chunk",)]
    assert timescale.prepare_merge(conn, "trades", _ts(7), _ts(9)) == 2


def test_recent_timescaledb_and_plain_postgres_touch_nothing(conn, monkeypatch):
    assert timescale.timescaledb_version(conn) is None  # no extension here
    assert timescale.prepare_merge(conn, "trades", _ts(1), _ts(20)) == 0
    monkeypatch.setattr(timescale, "timescaledb_version", lambda c: (2, 17, 0))
    assert timescale.prepare_merge(conn, "trades", _ts(1), _ts(20)) == 0
    assert conn.execute("SELECT count(*) FROM decompressed").fetchone() == (0,)
