"""The generic merge loader: idempotent, appends directly, and never hides a conflict."""

from __future__ import annotations

import psycopg
import pyarrow as pa
import pytest

from resources.database import PostgresResource
from resources.database.loader import ConflictError, merge_batches
from resources.database.postgres import upsert_instrument
from resources.database.records import Instrument
from resources.database.tables import CANDLES

UTC_S = pa.timestamp("s", tz="UTC")


def _candles(start: int, count: int, *, close: str = "1.5", line0: int = 1) -> pa.RecordBatch:
    ts = [start + 60 * i for i in range(count)]
    return pa.record_batch({
        "ts": pa.array(ts, UTC_S),
        "open": pa.array(["1.0"] * count), "high": pa.array(["2.0"] * count),
        "low": pa.array(["0.5"] * count), "close": pa.array([close] * count),
        "volume": pa.array(["10.12345678901"] * count),
        "trade_count": pa.array([3] * count, pa.int64()),
        "line": pa.array(range(line0, line0 + count), pa.int64()),
    })


@pytest.fixture
def scope(db: PostgresResource) -> dict[str, int]:
    iid = db.upsert_instrument(Instrument("kraken", "LOADTESTUSD", "LOADTEST", "USD", "spot"))
    with db.connect() as conn:
        conn.execute("DELETE FROM candles WHERE instrument_id = %s", (iid,))
    return {"instrument_id": iid, "interval_s": 60}


def test_fresh_then_identical_then_appended(db, scope):
    with db.connect() as conn:
        first = merge_batches(conn, CANDLES, scope, [_candles(1_600_000_020, 100)])
    assert (first.rows_read, first.rows_inserted, first.rows_present) == (100, 100, 0)
    with db.connect() as conn:
        again = merge_batches(conn, CANDLES, scope, [_candles(1_600_000_020, 100)])
    assert (again.rows_inserted, again.rows_present) == (0, 100)
    with db.connect() as conn:  # overlaps the last 10, adds 20
        more = merge_batches(conn, CANDLES, scope, [_candles(1_600_000_020 + 60 * 90, 30)])
        count = conn.execute("SELECT count(*) FROM candles WHERE instrument_id = %s",
                             (scope["instrument_id"],)).fetchone()[0]
    assert (more.rows_inserted, more.rows_present, count) == (20, 10, 120)


def test_conflicting_value_is_an_error_and_writes_nothing(db, scope):
    with db.connect() as conn:
        merge_batches(conn, CANDLES, scope, [_candles(1_600_000_020, 10)])
    with pytest.raises(ConflictError) as info, db.connect() as conn:
        merge_batches(conn, CANDLES, scope, [_candles(1_600_000_020 + 60 * 5, 10, close="1.6",
                                                      line0=40)])
    assert info.value.line == 40
    with db.connect() as conn:
        rows = conn.execute("SELECT count(*), max(close) FROM candles WHERE instrument_id = %s",
                            (scope["instrument_id"],)).fetchone()
    assert (rows[0], str(rows[1])) == (10, "1.5")


def test_duplicate_key_within_new_rows_raises_unique_violation(db, scope):
    batch = _candles(1_600_000_020, 3)
    with pytest.raises(psycopg.errors.UniqueViolation), db.connect() as conn:
        merge_batches(conn, CANDLES, scope, [batch, batch])


def test_instrument_normalization_conflict_is_refused(db):
    with db.connect() as conn:
        upsert_instrument(conn, Instrument("kraken", "ODDPAIR", "ODD", "PAIR", "spot"))
        with pytest.raises(ValueError, match="stored as ODD/PAIR"):
            upsert_instrument(conn, Instrument("kraken", "ODDPAIR", "OD", "DPAIR", "spot"))
