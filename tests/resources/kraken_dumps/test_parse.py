"""The pure parsers: normalization, same-second numbering, and every bad-row case by line."""

from __future__ import annotations

import pyarrow as pa
import pytest

from resources.kraken_dumps.parse import (
    DumpRowError,
    OhlcvtCarry,
    TradeCarry,
    parse_ohlcvt_batch,
    parse_trades_batch,
)


def _raw(rows: list[list[str]], columns: tuple[str, ...]) -> pa.RecordBatch:
    return pa.record_batch({c: pa.array([r[i] for r in rows], pa.string())
                            for i, c in enumerate(columns)})


TR = ("time", "price", "volume")
OH = ("time", "open", "high", "low", "close", "volume", "count")


def test_trades_in_one_second_are_numbered_in_file_order_across_batches():
    first = _raw([["1700000000", "1.0", "0.1"], ["1700000001", "2.0", "0.2"],
                  ["1700000001", "3.0", "0.3"]], TR)
    second = _raw([["1700000001", "4.0", "0.4"], ["1700000002", "5.0", "0.5"]], TR)
    a, carry = parse_trades_batch(first, 1, TradeCarry())
    b, carry = parse_trades_batch(second, 4, carry)
    assert a.column("seq").to_pylist() == [0, 0, 1]
    assert b.column("seq").to_pylist() == [2, 0]
    assert b.column("line").to_pylist() == [4, 5]
    assert carry == TradeCarry(1700000002, 1)
    assert str(a.schema.field("ts").type) == "timestamp[s, tz=UTC]"
    assert a.column("price").to_pylist() == ["1.0", "2.0", "3.0"]  # exactly as printed


def test_a_whole_batch_inside_one_second_continues_its_count():
    one = _raw([["1700000000", "1", "1"]] * 3, TR)
    _, carry = parse_trades_batch(one, 1, TradeCarry())
    b, carry = parse_trades_batch(one, 4, carry)
    assert b.column("seq").to_pylist() == [3, 4, 5]
    assert carry == TradeCarry(1700000000, 6)


def test_blank_lines_are_skipped_but_line_numbers_stay_physical():
    raw = _raw([["1700000000", "1", "1"], ["", "", ""], ["1700000005", "2", "2"]], TR)
    batch, _ = parse_trades_batch(raw, 10, TradeCarry())
    assert batch.column("line").to_pylist() == [10, 12]


@pytest.mark.parametrize(("row", "column", "reason"), [
    (["abc", "1", "1"], "time", "not an integer unix time"),
    (["1700000000.5", "1", "1"], "time", "not an integer unix time"),
    (["1700000000000", "1", "1"], "time", "out of range"),  # milliseconds
    (["12", "1", "1"], "time", "out of range"),
    (["1700000000", "-1.5", "1"], "price", "negative"),
    (["1700000000", "1.5", "-0.1"], "volume", "negative"),
])
def test_bad_trade_rows_name_line_column_and_value(row, column, reason):
    raw = _raw([["1700000000", "1", "1"], row], TR)
    with pytest.raises(DumpRowError) as info:
        parse_trades_batch(raw, 7, TradeCarry())
    assert info.value.line == 8 and info.value.column == column
    assert reason in info.value.reason
    assert "line 8" in str(info.value) and repr(info.value.value) in str(info.value)


def test_trades_going_back_in_time_are_an_error():
    raw = _raw([["1700000005", "1", "1"], ["1700000004", "1", "1"]], TR)
    with pytest.raises(DumpRowError, match="line 2: timestamp goes back in time"):
        parse_trades_batch(raw, 1, TradeCarry())
    with pytest.raises(DumpRowError, match="line 1: timestamp out of order"):
        parse_trades_batch(_raw([["1700000004", "1", "1"]], TR), 1, TradeCarry(1700000005, 1))


def test_ohlcvt_keeps_e_notation_literals_and_counts():
    raw = _raw([["1637452800", "3.99e-05", "4.09e-05", "1.916e-05", "3.674e-05",
                 "17540062315.6", "2866"]], OH)
    batch, carry = parse_ohlcvt_batch(raw, 1, OhlcvtCarry())
    assert batch.column("low").to_pylist() == ["1.916e-05"]
    assert batch.column("trade_count").to_pylist() == [2866]
    assert carry.last_ts == 1637452800


@pytest.mark.parametrize(("rows", "line", "reason"), [
    ([["1700000000", "1", "2", "1", "1", "1", "1"], ["1700000000", "1", "2", "1", "1", "1", "1"]],
     2, "repeated timestamp"),
    ([["1700000060", "1", "2", "1", "1", "1", "1"], ["1700000000", "1", "2", "1", "1", "1", "1"]],
     2, "timestamp out of order"),
    ([["1700000000", "1", "0.5", "0.9", "1", "1", "1"]], 1, "high below low"),
    ([["1700000000", "1", "1.000000000000000001", "1.000000000000000002", "1", "1", "1"]], 1,
     "high below low"),  # equal as floats: decided exactly
    ([["1700000000", "1", "2", "1", "1", "1", "x"]], 1, "not an integer trade count"),
    ([["1700000000", "1", "2", "1", "1", "1", "-3"]], 1, "negative"),
    ([["1700000000", "-1", "2", "1", "1", "1", "3"]], 1, "negative"),
])
def test_bad_ohlcvt_rows(rows, line, reason):
    with pytest.raises(DumpRowError) as info:
        parse_ohlcvt_batch(_raw(rows, OH), 1, OhlcvtCarry())
    assert info.value.line == line and reason in info.value.reason


def test_ohlcvt_repeated_timestamp_across_batches():
    raw = _raw([["1700000000", "1", "2", "1", "1", "1", "1"]], OH)
    with pytest.raises(DumpRowError, match="repeated timestamp"):
        parse_ohlcvt_batch(raw, 9, OhlcvtCarry(1700000000))


def test_equal_high_and_low_are_fine():
    raw = _raw([["1700000000", "1.50", "1.5", "1.500", "1.5", "0", "0"]], OH)
    batch, _ = parse_ohlcvt_batch(raw, 1, OhlcvtCarry())
    assert batch.num_rows == 1
