"""The tables the Binance assets write besides the shared ``candles`` and ``instruments``."""

from __future__ import annotations

from resources.database.binary_copy import Column, PgType
from resources.database.loader import TableSpec

__all__ = ["FUNDING_RATES", "LONG_SHORT_DATASETS", "LONG_SHORT_TABLES", "OPEN_INTEREST"]

_num = PgType.NUMERIC

FUNDING_RATES = TableSpec(
    name="binance_funding_rates",
    columns=(
        Column("instrument_id", PgType.INT4),
        Column("ts", PgType.TIMESTAMPTZ),
        Column("funding_rate", _num),
        Column("mark_price", _num, nullable=True),
    ),
    key=("instrument_id", "ts"),
    scope=("instrument_id",),
)

OPEN_INTEREST = TableSpec(
    name="binance_open_interest",
    columns=(
        Column("instrument_id", PgType.INT4),
        Column("period_s", PgType.INT4),
        Column("ts", PgType.TIMESTAMPTZ),
        Column("sum_open_interest", _num),
        Column("sum_open_interest_value", _num),
        Column("cmc_circulating_supply", _num, nullable=True),
    ),
    key=("instrument_id", "period_s", "ts"),
    scope=("instrument_id", "period_s"),
)


def _long_short(name: str) -> TableSpec:
    return TableSpec(
        name=name,
        columns=(
            Column("instrument_id", PgType.INT4),
            Column("period_s", PgType.INT4),
            Column("ts", PgType.TIMESTAMPTZ),
            Column("long_short_ratio", _num),
            Column("long_account", _num),
            Column("short_account", _num),
        ),
        key=("instrument_id", "period_s", "ts"),
        scope=("instrument_id", "period_s"),
    )


# Binance dataset name (the /futures/data/<name> endpoint) -> its table
LONG_SHORT_DATASETS = {
    "topLongShortAccountRatio": "binance_top_long_short_account_ratio",
    "topLongShortPositionRatio": "binance_top_long_short_position_ratio",
    "globalLongShortAccountRatio": "binance_global_long_short_account_ratio",
}
LONG_SHORT_TABLES = {dataset: _long_short(table) for dataset, table in LONG_SHORT_DATASETS.items()}
