"""Kraken's downloadable historical data: OHLCVT candles and trade history."""

from assets.kraken_dumps.assets import (
    KRAKEN_PAIRS,
    OHLCVT_PARTITIONS,
    KrakenImportConfig,
    kraken_ohlcvt,
    kraken_trades,
)

__all__ = ["KRAKEN_PAIRS", "OHLCVT_PARTITIONS", "KrakenImportConfig", "kraken_ohlcvt",
           "kraken_trades"]
