"""Dump files on disk: names, header/BOM/CRLF, and segments cut and split on second boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from resources.kraken_dumps.files import CsvDump, DumpKind, NotADumpFile, classify
from resources.kraken_dumps.source import DumpSource
from simulator.kraken_dump import DEFAULT_PAIRS, write_trades


def _rows(source: DumpSource, segment) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = []
    for batch in source.batches(segment):
        out += list(zip(*(batch.column(c).to_pylist() for c in ("ts", "seq", "price", "line")),
                        strict=True))
    return out


@pytest.mark.parametrize(("name", "kind", "pair", "interval"), [
    ("XBTUSD.csv", DumpKind.TRADES, "XBTUSD", None),
    ("XBTUSD_1440.csv", DumpKind.OHLCVT, "XBTUSD", 1440),
    ("ETH2.SETH_5.csv", DumpKind.OHLCVT, "ETH2.SETH", 5),
    ("XXBTZUSD_1.csv", DumpKind.OHLCVT, "XXBTZUSD", 1),
])
def test_classify(tmp_path, name, kind, pair, interval):
    path = tmp_path / name
    path.write_text("")
    file = classify(path)
    assert (file.kind, file.pair, file.interval_min) == (kind, pair, interval)


@pytest.mark.parametrize("name", ["XBTUSD_2.csv", "README.csv", "xbtusd.csv", "XBTUSD_1_1.csv",
                                  "FOO_60.csv"])
def test_names_that_are_not_dump_files(tmp_path, name):
    path = tmp_path / name
    path.write_text("")
    with pytest.raises(NotADumpFile):
        classify(path)


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"timestamp,price,volume\n",
                                    b"\xef\xbb\xbftime,price,volume\r\n"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_header_bom_and_crlf_are_accepted(tmp_path, prefix, newline):
    path = tmp_path / "XBTUSD.csv"
    body = newline.join([b"1700000000,1.5,0.1", b"1700000000,1.6,0.2", b"1700000001,1.7,0.3"])
    path.write_bytes(prefix + body + newline)
    source = DumpSource(CsvDump(classify(path)))
    rows = _rows(source, source.whole())
    header = 1 if b"time" in prefix else 0
    assert [int(r[0].timestamp()) for r in rows] == [1700000000, 1700000000, 1700000001]
    assert [(r[1], r[2], r[3]) for r in rows] == [(0, "1.5", 1 + header), (1, "1.6", 2 + header),
                                                  (0, "1.7", 3 + header)]


def test_the_dump_root_is_absolute_whatever_the_working_directory(tmp_path, monkeypatch):
    from resources.kraken_dumps.names import dump_root

    monkeypatch.chdir(tmp_path)
    assert dump_root("dump") == tmp_path.resolve() / "dump"


def test_empty_file_has_no_rows(tmp_path):
    path = tmp_path / "XBTUSD.csv"
    path.write_bytes(b"")
    source = DumpSource(CsvDump(classify(path)))
    assert _rows(source, source.whole()) == []
    assert source.last_ts(source.whole()) is None


@pytest.fixture
def big(tmp_path: Path) -> DumpSource:
    path = tmp_path / "XBTUSD.csv"
    write_trades(path, DEFAULT_PAIRS[0], rows=60_000, start=1_700_000_000, seed=3)
    return DumpSource(CsvDump(classify(path), block_size=64 << 10))


def test_split_parts_cover_every_row_once_and_start_on_a_new_second(big):
    whole = _rows(big, big.whole())
    parts = big.split(big.whole(), 4)
    assert len(parts) == 4
    joined = []
    for part in parts:
        rows = _rows(big, part)
        assert rows[0][1] == 0, "a part starts on a second boundary"
        joined += rows
    assert joined == whole
    assert [r[3] for r in whole] == list(range(1, len(whole) + 1))


def test_cut_at_a_second_divides_rows_before_and_from_it(big):
    whole = _rows(big, big.whole())
    pivot = whole[len(whole) // 3][0]
    before, after = big.cut(big.whole(), int(pivot.timestamp()))
    left, right = _rows(big, before), _rows(big, after)
    assert left + right == whole
    assert all(r[0] < pivot for r in left) and all(r[0] >= pivot for r in right)
    first_second = [r for r in whole if r[0] == pivot]
    assert right[: len(first_second)] == first_second
    nothing, everything = big.cut(big.whole(), 0)
    assert nothing.nbytes == 0 and everything == big.whole()


def test_head_keeps_the_first_rows(big):
    head = big.dump.head(big.whole(), 100)
    assert len(_rows(big, head)) == 100


def test_a_line_with_the_wrong_column_count_is_named(tmp_path):
    path = tmp_path / "XBTUSD.csv"
    path.write_text("1700000000,1,1\n1700000001,1,1\n1700000002,1\n")
    source = DumpSource(CsvDump(classify(path)))
    with pytest.raises(ValueError, match="line 3: expected 3 columns, got 2"):
        _rows(source, source.whole())
