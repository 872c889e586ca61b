"""Pure parsers: raw Kraken dump rows (Arrow string columns) to normalized record batches.

The raw batches come from :class:`resources.kraken_dumps.files.CsvDump`, every field a string, one
row per physical line (blank lines included, so row ``i`` of a batch is line ``first_line + i``).
Validation happens here, vectorized; every error names the line and the offending value.
Decimal *syntax* is checked when the batch is encoded for COPY — by the same exact cast that
writes it — and reported against the ``line`` column these parsers add.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resources.database.binary_copy import has_byte
from resources.database.loader import RowError
from resources.database.tables import CANDLE_SCHEMA, TRADE_SCHEMA, UTC_SECONDS
from resources.kraken_dumps.names import OHLCVT_COLUMNS, TRADE_COLUMNS

__all__ = [
    "OHLCVT_COLUMNS",
    "TRADE_COLUMNS",
    "DumpRowError",
    "OhlcvtCarry",
    "TradeCarry",
    "parse_ohlcvt_batch",
    "parse_trades_batch",
]

# Kraken opened in 2013; anything before Bitcoin's genesis block, or in the future, is not a
# trade time (a millisecond value, say).
EARLIEST = 1_230_940_800  # 2009-01-03


class DumpRowError(RowError):
    """A malformed row. ``line`` is the physical line in the file (1-based)."""

    line: int


@dataclass(frozen=True)
class TradeCarry:
    """What parsing the next batch of a trades file needs from the previous one."""

    last_ts: int = -1
    same_second: int = 0  # trades already seen in second ``last_ts``


@dataclass(frozen=True)
class OhlcvtCarry:
    last_ts: int = -1


def _latest() -> int:
    return int(time.time()) + 86_400


def _nonblank(raw: pa.RecordBatch) -> np.ndarray | None:
    """Rows that are not blank lines (a blank line parses as a row of empty strings), or None
    when every row has a first field (the usual case: one cheap pass)."""
    first = pc.binary_length(raw.column(0)).to_numpy(zero_copy_only=False)
    if first.all():
        return None
    lengths = [pc.binary_length(raw.column(i)).to_numpy(zero_copy_only=False)
               for i in range(raw.num_columns)]
    return np.asarray(np.sum(lengths, axis=0) > 0)


def _first_failure(values: pa.Array, ok: np.ndarray) -> tuple[int, object]:
    row = int(np.flatnonzero(~ok)[0])
    return row, values[row].as_py()


def _integers(raw: pa.RecordBatch, column: str, lines: np.ndarray, what: str) -> np.ndarray:
    values = raw.column(column)
    try:
        return np.asarray(pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ok = np.array([_is_int(v) for v in values.to_pylist()], dtype=bool)
        row, bad = _first_failure(values, ok)
        raise DumpRowError(int(lines[row]), column, bad, f"not {what}") from None


def _is_int(text: str | None) -> bool:
    return bool(text) and (text.isdigit() or (text[0] == "-" and text[1:].isdigit()))  # type: ignore[index,union-attr]


def _timestamps(raw: pa.RecordBatch, lines: np.ndarray, first_allowed: int) -> np.ndarray:
    ts = _integers(raw, "time", lines, "an integer unix time")
    bad = (ts < EARLIEST) | (ts > _latest())
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DumpRowError(int(lines[row]), "time", raw.column("time")[row].as_py(),
                           "timestamp out of range (unix seconds between 2009 and now)")
    if ts[0] < first_allowed:
        raise DumpRowError(int(lines[0]), "time", int(ts[0]),
                           "timestamp out of order (earlier than the rows before it)")
    return ts


def _no_negatives(raw: pa.RecordBatch, columns: tuple[str, ...], lines: np.ndarray) -> None:
    for column in columns:
        if not has_byte(raw.column(column), "-"):
            continue
        negative = pc.starts_with(raw.column(column), "-").to_numpy(zero_copy_only=False)
        if negative.any():
            row = int(np.flatnonzero(negative)[0])
            raise DumpRowError(int(lines[row]), column, raw.column(column)[row].as_py(),
                               "negative value")


def _line_numbers(raw: pa.RecordBatch, first_line: int) -> tuple[pa.RecordBatch, np.ndarray]:
    lines = np.arange(first_line, first_line + raw.num_rows, dtype=np.int64)
    keep = _nonblank(raw)
    if keep is not None:
        raw = raw.filter(pa.array(keep))
        lines = lines[keep]
    return raw, lines


def parse_trades_batch(
    raw: pa.RecordBatch, first_line: int, carry: TradeCarry, *, earliest: int = 0
) -> tuple[pa.RecordBatch, TradeCarry]:
    """Normalize raw trade rows; ``seq`` numbers the trades within each second in file order.

    A Kraken trades file (``XBTUSD.csv``) is ``unix seconds,price,volume``, oldest first, and
    many trades share a second, e.g. (tests/fixtures/kraken_dumps/XBTUSDT.csv, real trades)::

        1762795433,105433.60000,0.00027625
        1762795457,105410.10000,0.00005000
        1762795473,105383.80000,0.00012460
        1762795473,105383.80000,0.00885072

    Trades must not go back in time (a later line with an earlier second is an error: Kraken's
    files are chronological, and ``seq`` relies on it). ``earliest`` rejects rows before a bound.
    """
    raw, lines = _line_numbers(raw, first_line)
    if raw.num_rows == 0:
        return pa.record_batch([], schema=TRADE_SCHEMA), carry
    ts = _timestamps(raw, lines, max(carry.last_ts, earliest))
    backwards = ts[1:] < ts[:-1]
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0]) + 1
        raise DumpRowError(int(lines[row]), "time", int(ts[row]),
                           f"timestamp goes back in time (after {int(ts[row - 1])})")
    _no_negatives(raw, ("price", "volume"), lines)
    starts = np.empty(len(ts), dtype=bool)
    starts[0] = True
    np.not_equal(ts[1:], ts[:-1], out=starts[1:])
    start_index = np.flatnonzero(starts)
    seq = np.arange(len(ts), dtype=np.int64) - start_index[np.cumsum(starts) - 1]
    if ts[0] == carry.last_ts:  # the batch continues the previous batch's last second
        first_run_end = start_index[1] if len(start_index) > 1 else len(ts)
        seq[:first_run_end] += carry.same_second
    last_run = len(ts) - start_index[-1]
    same = last_run + (carry.same_second if len(start_index) == 1 and ts[0] == carry.last_ts else 0)
    batch = pa.record_batch(
        [pa.array(ts, UTC_SECONDS), pa.array(seq.astype(np.int32)), raw.column("price"),
         raw.column("volume"), pa.array(lines)],
        schema=TRADE_SCHEMA,
    )
    return batch, TradeCarry(int(ts[-1]), int(same))


def parse_ohlcvt_batch(
    raw: pa.RecordBatch, first_line: int, carry: OhlcvtCarry
) -> tuple[pa.RecordBatch, OhlcvtCarry]:
    """Normalize raw OHLCVT rows of one interval file.

    A Kraken OHLCVT file (``XBTUSD_1440.csv``) is
    ``unix seconds,open,high,low,close,volume,trade count``, one row per interval that had
    trades; numbers have no fixed decimals and may use e-notation, e.g.
    (tests/fixtures/kraken_dumps/XBTUSDT_1.csv, real candles, and SHIBEUR_1440.csv)::

        1762777140,106038.3,106038.3,106038.3,106038.3,0.00032101,1
        1762777200,106038.1,106044.3,106038.1,106040.1,0.08317981,3
        1637452800,3.99e-05,4.09e-05,1.916e-05,3.674e-05,17540062315.6,2866

    Timestamps must strictly increase (a repeated one is an error), prices and volumes must not
    be negative, and high must not be below low.
    """
    raw, lines = _line_numbers(raw, first_line)
    if raw.num_rows == 0:
        return pa.record_batch([], schema=CANDLE_SCHEMA), carry
    ts = _timestamps(raw, lines, carry.last_ts)
    if ts[0] == carry.last_ts:
        raise DumpRowError(int(lines[0]), "time", int(ts[0]), "repeated timestamp")
    step = np.diff(ts)
    if (step <= 0).any():
        row = int(np.flatnonzero(step <= 0)[0]) + 1
        reason = "repeated timestamp" if step[row - 1] == 0 else "timestamp out of order"
        raise DumpRowError(int(lines[row]), "time", int(ts[row]), reason)
    _no_negatives(raw, ("open", "high", "low", "close", "volume"), lines)
    count = _integers(raw, "count", lines, "an integer trade count")
    if (count < 0).any():
        row = int(np.flatnonzero(count < 0)[0])
        raise DumpRowError(int(lines[row]), "count", int(count[row]), "negative value")
    _high_not_below_low(raw, lines)
    batch = pa.record_batch(
        [pa.array(ts, UTC_SECONDS), raw.column("open"), raw.column("high"), raw.column("low"),
         raw.column("close"), raw.column("volume"), pa.array(count), pa.array(lines)],
        schema=CANDLE_SCHEMA,
    )
    return batch, OhlcvtCarry(int(ts[-1]))


def _high_not_below_low(raw: pa.RecordBatch, lines: np.ndarray) -> None:
    try:
        high = pc.cast(raw.column("high"), pa.float64()).to_numpy(zero_copy_only=False)
        low = pc.cast(raw.column("low"), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return  # a malformed number: the encoder names it with its line
    suspect = np.flatnonzero(high <= low)  # floats decide clear cases; ties are checked exactly
    for row in suspect:
        h, lo = raw.column("high")[row].as_py(), raw.column("low")[row].as_py()
        try:
            below = Decimal(h) < Decimal(lo)
        except ArithmeticError:
            return
        if below:
            raise DumpRowError(int(lines[row]), "high", h, f"high below low ({lo})")

