"""Imports started ahead of their run, in a forked process, against the real database.

Each test checks what readers see before and after the claim (or the cancel), row for row.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from resources.database import PostgresResource, prestage
from resources.database.imports import ImportOptions
from resources.database.loader import RowError
from resources.database.tables import TRADES
from resources.kraken_dumps.files import classify
from resources.kraken_dumps.source import dump_target, source_file
from resources.progress import FileProgress
from simulator.kraken_dump import DEFAULT_PAIRS, write_trades


class _Rows:
    def __init__(self) -> None:
        self.rows = 0

    def planned(self, total_sources: int, total_bytes: int) -> None:
        pass

    def source_done(self, progress: FileProgress) -> None:
        pass

    def advance(self, rows: int, nbytes: int) -> None:
        self.rows += rows


@pytest.fixture
def db(fresh_database_url: str) -> PostgresResource:
    return PostgresResource(url=fresh_database_url)


def _start(db: PostgresResource, path: Path, sink: _Rows | None = None,
           **options: object) -> prestage.Prestaged:
    file = classify(path)
    target = dump_target(file.kind, file.pair, file.interval_min)
    return prestage.start(db, dataset=target.dataset, table=target.table,
                          instrument=target.instrument, interval_s=target.interval_s,
                          file=source_file(file, block_size=64 << 10),
                          options=ImportOptions(**options),  # type: ignore[arg-type]
                          progress=sink or _Rows())


def _key(db: PostgresResource, path: Path, **options: object) -> prestage.PrestageKey:
    file = classify(path)
    target = dump_target(file.kind, file.pair, file.interval_min)
    return prestage.PrestageKey(
        url=db.resolved_url(), dataset=target.dataset, table=target.table.name, path=file.path,
        size=file.size, mtime_ns=file.mtime_ns, instrument=target.instrument,
        interval_s=target.interval_s, options=ImportOptions(**options))  # type: ignore[arg-type]


def _state(db: PostgresResource) -> tuple[int, list[str], list[tuple[str | None, int]]]:
    """(trades readers see, trade tables of any kind, ledger (run id, rows))."""
    with db.connect() as conn:
        count = conn.execute("SELECT count(*) FROM trades").fetchone()[0]
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relname ~ '^trades_i' AND relkind IN ('r', 'p') "
            "ORDER BY 1")]
        ledger = [(r[0], r[1]) for r in conn.execute(
            "SELECT run_id, rows_inserted FROM ingest_ledger")]
    return count, tables, ledger


def _wait_for_leaves(db: PostgresResource) -> None:
    """Until the child has committed its unattached leaves (it is then waiting for a claim)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.connect() as conn:
            keyed = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND "
                                 "conrelid::regclass::text ~ '^trades_i[0-9]+_'").fetchone()[0]
        if keyed:
            return
        time.sleep(0.05)
    raise AssertionError("the import ahead never loaded its leaves")


def test_nothing_is_visible_until_a_run_claims_the_import(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=40_000, start=1_700_000_000, seed=11)
    sink = _Rows()
    staged = _start(db, path, sink)
    _wait_for_leaves(db)
    count, tables, ledger = _state(db)
    assert (count, ledger) == (0, [])
    assert tables == ["trades_i1_1"]  # loaded and keyed, but not attached: no reader sees it

    assert prestage.claim(_key(db, path)) is staged
    outcome = staged.claim("run-1")
    assert (outcome.status, outcome.result.rows_inserted) == ("imported", 40_000)
    assert _state(db) == (40_000, ["trades_i1", "trades_i1_1"], [("run-1", 40_000)])
    assert sink.rows == 40_000  # the child's progress reached this process


def test_an_unclaimed_import_rolls_back_and_leaves_nothing(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=20_000, start=1_700_000_000, seed=12)
    _start(db, path)
    _wait_for_leaves(db)
    prestage.cancel_all()
    assert _state(db) == (0, [], [])
    assert prestage.claim(_key(db, path)) is None


def test_a_run_wanting_other_options_cancels_the_import_ahead(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=5_000, start=1_700_000_000, seed=13)
    _start(db, path, workers=2)
    assert prestage.claim(_key(db, path, workers=1)) is None  # cancelled: its lock is released
    assert _state(db) == (0, [], [])


def test_another_file_of_the_same_instrument_cancels_the_import_ahead(db, tmp_path):
    first, second = tmp_path / "a" / "XBTUSD.csv", tmp_path / "b" / "XBTUSD.csv"
    for path in (first, second):
        path.parent.mkdir()
    write_trades(first, DEFAULT_PAIRS[0], rows=5_000, start=1_700_000_000, seed=14)
    write_trades(second, DEFAULT_PAIRS[0], rows=5_000, start=1_800_000_000, seed=14)
    _start(db, first)
    assert prestage.claim(_key(db, second)) is None
    assert prestage.claim(_key(db, first)) is None  # cancelled by the claim above
    assert _state(db) == (0, [], [])


def test_a_bad_line_is_raised_at_the_claim_with_its_type_and_line(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    path.write_text("1700000000,100.0,1.0\n1700000001,1O1.0,2.0\n")
    staged = _start(db, path)
    with pytest.raises(RowError) as caught:
        prestage.claim(_key(db, path)).claim("run-2")  # type: ignore[union-attr]
    assert caught.value.line == 2
    assert "1O1.0" in str(caught.value)
    assert staged.pid > 0
    assert _state(db) == (0, [], [])


def test_the_table_is_part_of_the_key(db, tmp_path):
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=1_000, start=1_700_000_000, seed=15)
    key = _key(db, path)
    assert key.table == TRADES.name
    _start(db, path)
    other = prestage.PrestageKey(**{**key.__dict__, "table": "candles"})
    assert prestage.claim(other) is None
    assert _state(db) == (0, [], [])


def test_a_killed_import_process_is_an_error_and_the_next_import_cleans_up(db, tmp_path):
    import os
    import signal

    from resources.database.imports import import_file
    from resources.progress import _Silent

    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=40_000, start=1_700_000_000, seed=16)
    staged = _start(db, path)
    _wait_for_leaves(db)  # its leaves are committed, unattached
    os.kill(staged.pid, signal.SIGKILL)
    with pytest.raises(prestage.ImportProcessDied, match=r"XBTUSD\.csv"):
        prestage.claim(_key(db, path)).claim("run-3")  # type: ignore[union-attr]
    assert _state(db)[0] == 0  # nothing visible
    file = classify(path)
    target = dump_target(file.kind, file.pair, file.interval_min)
    outcome = import_file(db, dataset=target.dataset, table=target.table,
                          instrument=target.instrument, interval_s=target.interval_s,
                          file=source_file(file), options=ImportOptions(), progress=_Silent())
    assert outcome.result.rows_inserted == 40_000
    assert _state(db) == (40_000, ["trades_i1", "trades_i1_2"], [(None, 40_000)])
