"""Binance USD-M futures: REST client with a machine-wide weight budget, parsers, archives."""

from resources.binance_futures.config import BinanceConfig, ConfigError, Pair, load_config
from resources.binance_futures.resource import (
    API_KEY_ENV,
    API_SECRET_ENV,
    BinanceFuturesResource,
    BinancePublicDataResource,
)

__all__ = [
    "API_KEY_ENV",
    "API_SECRET_ENV",
    "BinanceConfig",
    "BinanceFuturesResource",
    "BinancePublicDataResource",
    "ConfigError",
    "Pair",
    "load_config",
]
