"""Importing dump files into the real database: trades (partitioned path) and candles (merge).

Every assertion compares what is stored with what the file says, row for row.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from resources.database import PostgresResource
from resources.database.imports import ImportOptions, import_file
from resources.database.loader import ConflictError, RowError
from resources.database.tables import CANDLES, TRADES
from resources.kraken_dumps.files import classify
from resources.kraken_dumps.pairs import parse_pair
from resources.kraken_dumps.source import source_file
from resources.progress import _Silent
from simulator.kraken_dump import DEFAULT_PAIRS, write_ohlcvt, write_trades


def _import(db: PostgresResource, path: Path, **options: object):  # type: ignore[no-untyped-def]
    file = classify(path)
    table = TRADES if file.interval_min is None else CANDLES
    return import_file(db, dataset="test_" + table.name, table=table,
                       instrument=parse_pair(file.pair), interval_s=file.interval_s,
                       file=source_file(file, block_size=64 << 10),
                       options=ImportOptions(**options), progress=_Silent())  # type: ignore[arg-type]


def _stored_trades(db: PostgresResource, pair: str) -> list[tuple[int, str, str]]:
    with db.connect() as conn:
        return [(int(ts), str(p), str(v)) for ts, p, v in conn.execute(
            "SELECT extract(epoch FROM t.ts)::bigint, t.price::text, t.volume::text FROM trades t "
            "JOIN instruments i ON i.id = t.instrument_id WHERE i.venue_symbol = %s "
            "ORDER BY t.ts, t.seq", (pair,))]


def _file_trades(*paths: Path) -> list[tuple[int, str, str]]:
    rows = []
    for path in paths:
        for line in path.read_text().splitlines():
            ts, price, volume = line.split(",")
            rows.append((int(ts), price, volume))
    return rows


@pytest.fixture
def db(fresh_database_url: str) -> PostgresResource:
    return PostgresResource(url=fresh_database_url)


def _leaves(db: PostgresResource) -> list[str]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relname ~ '^trades_i[0-9]+_[0-9]+$' ORDER BY 1")]


@pytest.mark.parametrize("workers", [1, 3])
def test_fresh_import_keeps_every_trade_in_order_and_reimport_changes_nothing(db, tmp_path,
                                                                              workers):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=30_000, start=1_700_000_000, seed=5)
    outcome = _import(db, path, workers=workers)
    assert outcome.status == "imported"
    assert (outcome.result.rows_read, outcome.result.rows_inserted) == (30_000, 30_000)
    assert _stored_trades(db, "XBTUSD") == _file_trades(path)
    rows = _file_trades(path)
    assert (int(outcome.result.first_ts.timestamp()), int(outcome.result.last_ts.timestamp())) \
        == (rows[0][0], rows[-1][0])
    with db.connect() as conn:
        ledger = conn.execute("SELECT extract(epoch FROM first_ts)::bigint, "
                              "extract(epoch FROM last_ts)::bigint FROM ingest_ledger").fetchone()
    assert ledger == (rows[0][0], rows[-1][0])
    with db.connect() as conn:
        keys = conn.execute("SELECT count(*), count(DISTINCT (ts, seq)) FROM trades").fetchone()
        pk = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND "
                          "conrelid::regclass::text LIKE 'trades_i%'").fetchone()[0]
    assert keys == (30_000, 30_000)
    assert pk >= 2  # the instrument's partitioned key and each leaf's
    again = _import(db, path, workers=workers)
    assert again.status == "unchanged"
    forced = _import(db, path, workers=workers, force=True)
    assert (forced.status, forced.result.rows_inserted, forced.result.rows_present) == \
        ("imported", 0, 30_000)
    assert _stored_trades(db, "XBTUSD") == _file_trades(path)


def test_parallel_parts_become_leaves_split_on_second_boundaries(db, tmp_path, monkeypatch):
    from resources.database import trades_store

    monkeypatch.setattr(trades_store.TradesStore, "__init__",
                        _with_defaults(trades_store.TradesStore.__init__, min_part_bytes=1))
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=20_000, start=1_700_000_000, seed=6)
    _import(db, path, workers=3)
    assert _leaves(db) == ["trades_i1_1", "trades_i1_2", "trades_i1_3"]
    assert _stored_trades(db, "XBTUSD") == _file_trades(path)


def _with_defaults(init, **overrides):  # type: ignore[no-untyped-def]
    def patched(self, url, **kwargs):  # type: ignore[no-untyped-def]
        init(self, url, **{**kwargs, **overrides})
    return patched


def test_incremental_dump_inserts_exactly_the_new_rows(db, tmp_path):
    full, incremental = tmp_path / "full" / "XBTUSD.csv", tmp_path / "q" / "XBTUSD.csv"
    full.parent.mkdir()
    incremental.parent.mkdir()
    write_trades(full, DEFAULT_PAIRS[0], rows=20_000, start=1_700_000_000, seed=7)
    lines = full.read_text().splitlines(keepends=True)
    # The full dump ends at a second boundary; the quarterly file repeats its last 500 trades
    # (whole seconds) and adds newer ones, as an overlapping incremental download would.
    cut = len(lines) - 3000
    while lines[cut].split(",")[0] == lines[cut - 1].split(",")[0]:
        cut += 1
    overlap = cut - 500
    while lines[overlap].split(",")[0] == lines[overlap - 1].split(",")[0]:
        overlap += 1
    full.write_text("".join(lines[:cut]))
    incremental.write_text("".join(lines[overlap:]))
    first = _import(db, full)
    second = _import(db, incremental)
    assert first.result.rows_inserted == cut
    assert second.result.rows_inserted == len(lines) - cut
    assert second.result.rows_present == cut - overlap
    assert _stored_trades(db, "XBTUSD") == [
        (int(a), b, c.strip()) for a, b, c in (line.split(",") for line in lines)]
    assert len(_leaves(db)) == 2  # the appended range loaded as a new leaf


def test_a_changed_trade_under_an_existing_key_is_an_error_and_writes_nothing(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    path.write_text("1700000000,100.0,1.0\n1700000000,101.0,2.0\n1700000005,102.0,3.0\n")
    _import(db, path)
    changed = tmp_path / "again" / "XBTUSD.csv"
    changed.parent.mkdir()
    changed.write_text("1700000000,100.0,1.0\n1700000000,999.0,2.0\n1700000009,103.0,1.0\n")
    with pytest.raises(ConflictError) as info:
        _import(db, changed)
    assert info.value.line == 2
    assert _stored_trades(db, "XBTUSD") == _file_trades(path)
    assert _leaves(db) == ["trades_i1_1"]


def test_a_bad_row_late_in_a_big_file_leaves_no_trace(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=20_000, start=1_700_000_000, seed=8)
    lines = path.read_text().splitlines(keepends=True)
    ts = lines[15_000].split(",")[0]
    lines[15_000] = f"{ts},12x.5,0.1\n"
    path.write_text("".join(lines))
    with pytest.raises(RowError) as info:
        _import(db, path, workers=3)
    assert info.value.line == 15_001 and info.value.value == "12x.5"
    assert _leaves(db) == []
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ingest_ledger").fetchone() == (0,)


def test_candles_exact_roundtrip_incremental_and_conflict(db, tmp_path):
    write_ohlcvt(tmp_path, DEFAULT_PAIRS[-1], start=1_700_000_000, days=2, seed=9,
                 intervals=(1,))  # SHIBEUR: e-notation prices
    path = tmp_path / "SHIBEUR_1.csv"
    lines = path.read_text().splitlines()
    head = tmp_path / "head" / "SHIBEUR_1.csv"
    head.parent.mkdir()
    head.write_text("\n".join(lines[:-100]) + "\n")
    assert _import(db, head).result.rows_inserted == len(lines) - 100
    outcome = _import(db, path)
    assert (outcome.result.rows_inserted, outcome.result.rows_present) == (100, len(lines) - 100)
    with db.connect() as conn:
        stored = conn.execute(
            "SELECT extract(epoch FROM ts)::bigint, open, high, low, close, volume, trade_count "
            "FROM candles ORDER BY ts").fetchall()
    from decimal import Decimal
    expected = [(int(f[0]), *map(Decimal, f[1:6]), int(f[6]))
                for f in (line.split(",") for line in lines)]
    assert [tuple(r) for r in stored] == expected
    bad = tmp_path / "bad" / "SHIBEUR_1.csv"
    bad.parent.mkdir()
    fields = lines[5].split(",")
    fields[4] = "1.0"
    bad.write_text(",".join(fields) + "\n")
    with pytest.raises(ConflictError, match="line 1"):
        _import(db, bad)


def test_limit_skip_existing_and_dry_run(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=5_000, start=1_700_000_000, seed=10)
    dry = _import(db, path, dry_run=True)
    assert (dry.status, dry.result.rows_read) == ("checked", 5_000)
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (0,)
    limited = _import(db, path, limit_rows=1_000)
    assert limited.result.rows_inserted == 1_000
    # a partial import is not "unchanged": the next full import completes it
    rest = _import(db, path)
    assert (rest.status, rest.result.rows_inserted) == ("imported", 4_000)
    os.utime(path, ns=(1, 1))  # touched only: the content hash says unchanged
    assert _import(db, path).status == "unchanged"
    assert _import(db, path, skip_existing=True, force=True).status == "skipped"


def test_unattached_leaves_from_a_crash_are_cleaned_up(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    path.write_text("1700000000,1,1\n")
    _import(db, path)
    with db.connect() as conn:
        # where a crash leaves them: numbered right after the attached ones, and further on
        conn.execute("CREATE TABLE trades_i1_2 (LIKE trades)")
        conn.execute("CREATE TABLE trades_i1_7 (LIKE trades)")
    more = tmp_path / "more" / "XBTUSD.csv"
    more.parent.mkdir()
    more.write_text("1700000000,1,1\n1700000100,2,2\n")
    _import(db, more)
    assert _leaves(db) == ["trades_i1_1", "trades_i1_8"]
    assert len(_stored_trades(db, "XBTUSD")) == 2


def test_two_imports_of_one_pair_at_once_are_serialized(db, tmp_path):
    import threading

    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=20_000, start=1_700_000_000, seed=11)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _import(db, path, force=True)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _stored_trades(db, "XBTUSD") == _file_trades(path)
    with psycopg.connect(db.resolved_url()) as conn:
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (20_000,)
