"""The binary COPY encoder against the real server: what goes in comes back, value for value."""

from __future__ import annotations

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from resources.database.binary_copy import (
    COPY_HEADER,
    COPY_TRAILER,
    Column,
    EncodeError,
    PgType,
    encode_batch,
)

LITERALS = [
    "30008.8", "1.916e-05", "1e5", ".5", "5.", "+5", "1.50", "0", "0.00000000", "1E-3", "-2.5",
    "123456789012.123456789", "1.5E+3", "99999999999999999999.99999999999",
    "0.000000000000000000001234", "12345678901234567890123456789012345678901234567890", "-0.0",
    "10000", "9999.9999", "1e-30", "18446744073709551615", "18446744073709551616",
]
COLUMNS = [
    Column("instrument_id", PgType.INT4),
    Column("ts", PgType.TIMESTAMPTZ),
    Column("seq", PgType.INT4),
    Column("price", PgType.NUMERIC),
    Column("volume", PgType.NUMERIC, nullable=True),
    Column("note", PgType.TEXT, nullable=True),
]


def _roundtrip(conn: psycopg.Connection, batch: pa.RecordBatch,
               columns: list[Column]) -> list[tuple]:
    conn.execute("CREATE TEMP TABLE rt (instrument_id int, ts timestamptz, seq int, price numeric,"
                 " volume numeric, note text)")
    names = ", ".join(c.name for c in columns)
    with conn.cursor().copy(f"COPY rt ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(COPY_HEADER + encode_batch(batch, columns, {"instrument_id": 7}) + COPY_TRAILER)
    return conn.execute("SELECT seq, instrument_id, extract(epoch FROM ts)::bigint, price::text,"
                        " volume::text, note FROM rt ORDER BY seq").fetchall()


@pytest.mark.parametrize("with_text", [False, True])
def test_numeric_literals_are_stored_exactly_as_postgres_parses_them(database_url, with_text):
    n = len(LITERALS)
    data = {
        "ts": pa.array(np.arange(n) + 1_600_000_000, pa.timestamp("s", tz="UTC")),
        "seq": pa.array(np.arange(n, dtype=np.int32)),
        "price": pa.array(LITERALS),
        "volume": pa.array([None if i % 3 == 0 else v for i, v in enumerate(LITERALS)]),
    }
    columns = COLUMNS[:5]
    if with_text:
        data["note"] = pa.array([None if i % 2 else f"n{i}" for i in range(n)])
        columns = COLUMNS
    with psycopg.connect(database_url) as conn:
        got = _roundtrip(conn, pa.record_batch(data), columns)
        want = conn.execute(
            "SELECT v::numeric::text, i FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, i)",
            (LITERALS,)).fetchall()
    assert [row[3] for row in got] == [w[0] for w in want]
    assert [row[4] for row in got] == [None if i % 3 == 0 else w[0] for i, w in enumerate(want)]
    assert {row[1] for row in got} == {7}
    assert [row[2] for row in got] == list(range(1_600_000_000, 1_600_000_000 + n))
    if with_text:
        assert [row[5] for row in got] == [None if i % 2 else f"n{i}" for i in range(n)]


@pytest.mark.parametrize("bad", ["abc", "nan", "1.2.3", " 1.5", "", "inf", "1e"])
def test_invalid_decimal_names_the_row(bad):
    batch = pa.record_batch({
        "ts": pa.array([1, 2], pa.timestamp("s", tz="UTC")),
        "seq": pa.array([0, 0], pa.int32()),
        "price": pa.array(["1.5", bad]),
        "volume": pa.array(["1", "1"]),
    })
    with pytest.raises(EncodeError) as info:
        encode_batch(batch, COLUMNS[:5], {"instrument_id": 1})
    assert info.value.row == 1 and info.value.column == "price"


def test_naive_timestamps_are_refused():
    batch = pa.record_batch({"ts": pa.array([1], pa.timestamp("s")),
                             "seq": pa.array([0], pa.int32()),
                             "price": pa.array(["1"]), "volume": pa.array(["1"])})
    with pytest.raises(TypeError, match="tz-aware"):
        encode_batch(batch, COLUMNS[:5], {"instrument_id": 1})
