"""The shared tables the loader writes, and the Arrow schemas of the records they hold.

Normalized records travel as Arrow record batches: timestamps are ``timestamp[s|ms|us, UTC]``,
decimals are the source's own literal text (validated, exact, display scale kept), ``line`` is the
source line of each row when there is one. Scope columns (instrument, interval) are not in the
batches: they are constant for a load.
"""

from __future__ import annotations

import pyarrow as pa

from resources.database.binary_copy import Column, PgType
from resources.database.loader import TableSpec

__all__ = ["CANDLES", "CANDLE_SCHEMA", "TRADES", "TRADE_SCHEMA", "UTC_SECONDS"]

UTC_SECONDS = pa.timestamp("s", tz="UTC")
DECIMAL = pa.string()  # a validated decimal literal, exactly as the source printed it

_num = PgType.NUMERIC

CANDLES = TableSpec(
    name="candles",
    columns=(
        Column("instrument_id", PgType.INT4),
        Column("interval_s", PgType.INT4),
        Column("ts", PgType.TIMESTAMPTZ),
        Column("open", _num),
        Column("high", _num),
        Column("low", _num),
        Column("close", _num),
        Column("volume", _num),
        Column("trade_count", PgType.INT8, nullable=True),
        Column("quote_volume", _num, nullable=True),
        Column("taker_buy_base_volume", _num, nullable=True),
        Column("taker_buy_quote_volume", _num, nullable=True),
    ),
    key=("instrument_id", "interval_s", "ts"),
    scope=("instrument_id", "interval_s"),
)

CANDLE_SCHEMA = pa.schema([
    pa.field("ts", UTC_SECONDS, nullable=False),
    pa.field("open", DECIMAL, nullable=False),
    pa.field("high", DECIMAL, nullable=False),
    pa.field("low", DECIMAL, nullable=False),
    pa.field("close", DECIMAL, nullable=False),
    pa.field("volume", DECIMAL, nullable=False),
    pa.field("trade_count", pa.int64()),
    pa.field("line", pa.int64(), nullable=False),
])

TRADES = TableSpec(
    name="trades",
    columns=(
        Column("instrument_id", PgType.INT4),
        Column("ts", PgType.TIMESTAMPTZ),
        Column("seq", PgType.INT4),
        Column("price", _num),
        Column("volume", _num),
    ),
    key=("instrument_id", "ts", "seq"),
    scope=("instrument_id",),
)

TRADE_SCHEMA = pa.schema([
    pa.field("ts", UTC_SECONDS, nullable=False),
    pa.field("seq", pa.int32(), nullable=False),
    pa.field("price", DECIMAL, nullable=False),
    pa.field("volume", DECIMAL, nullable=False),
    pa.field("line", pa.int64(), nullable=False),
])
