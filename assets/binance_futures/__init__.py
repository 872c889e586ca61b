"""Binance USD-M futures: klines, statistics, fees, instruments and public-data archives."""

from assets.binance_futures.archives import ArchiveImportConfig, binance_futures_kline_archives
from assets.binance_futures.fees import binance_futures_fees
from assets.binance_futures.instruments import binance_futures_instruments
from assets.binance_futures.klines import POOL, KlinesConfig, binance_futures_klines
from assets.binance_futures.partitions import (
    FEE_PARTITIONS,
    KLINE_PARTITIONS,
    KLINE_SERIES,
    kline_partition_key,
)
from assets.binance_futures.stats import STATS_ASSETS

__all__ = [
    "FEE_PARTITIONS",
    "KLINE_PARTITIONS",
    "KLINE_SERIES",
    "POOL",
    "STATS_ASSETS",
    "ArchiveImportConfig",
    "KlinesConfig",
    "binance_futures_fees",
    "binance_futures_instruments",
    "binance_futures_kline_archives",
    "binance_futures_klines",
    "kline_partition_key",
]
