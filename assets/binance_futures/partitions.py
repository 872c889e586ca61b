"""Partitions of the Binance assets.

Klines: a dynamic ``series`` dimension (``BTCUSDT-1m``: one per configured symbol and interval)
times calendar months since USD-M futures began (2019-09). The UI shows coverage per series and
month, a month can be re-fetched, and 100 series over 10 years stay at 12,000 partitions.
"""

from datetime import UTC, date, datetime

from dagster import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

__all__ = [
    "FEE_PARTITIONS",
    "KLINE_MONTHS",
    "KLINE_PARTITIONS",
    "KLINE_SERIES",
    "kline_partition_key",
    "month_window",
    "parse_kline_partition",
]

FIRST_MONTH = "2019-09-01"  # BTCUSDT, the first USD-M contract, listed on 2019-09-25

KLINE_SERIES = DynamicPartitionsDefinition(name="binance_futures_kline_series")
# end_offset=1: the current month is a partition too (it grows until the month ends)
KLINE_MONTHS = MonthlyPartitionsDefinition(start_date=FIRST_MONTH, end_offset=1)
KLINE_PARTITIONS = MultiPartitionsDefinition({"series": KLINE_SERIES, "month": KLINE_MONTHS})

# One fee snapshot per UTC day, today included.
FEE_PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)


def kline_partition_key(series: str, month: date | datetime | str) -> MultiPartitionKey:
    if isinstance(month, datetime | date):
        month = month.strftime("%Y-%m-01")
    return MultiPartitionKey({"series": series, "month": month})


def parse_kline_partition(key: str | MultiPartitionKey) -> tuple[str, datetime]:
    """(series, first instant of the month) of a kline partition key."""
    if not isinstance(key, MultiPartitionKey):
        key = KLINE_PARTITIONS.get_partition_key_from_str(key)
    dims = key.keys_by_dimension
    month = datetime.strptime(dims["month"], "%Y-%m-%d").replace(tzinfo=UTC)
    return dims["series"], month


def month_window(month: datetime) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next)."""
    start = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, end
