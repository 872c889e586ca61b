"""The Binance part of tickvault's YAML configuration, with environment overrides.

The file is ``$TICKVAULT_CONFIG`` (read when a run needs it, never at import). Users of the old
ingestor write it like this; the keys may also sit under a ``binance:`` section::

    pairs:
      - BTCUSDT/4h
      - ETHUSDT-1h
      - {symbol: BNBUSDT, interval: 15m, start: 2023-01-01}
    rest_url: https://fapi.binance.com     # or "endpoint"
    page_limit: 1000                       # or "limit"; klines per request, 1..1500
    start: 2020-01-01                      # or "start_date" / "backfill_start"
    stats_period: 5m                       # open interest and long/short ratios
    stats_symbols: [BTCUSDT]               # default: the symbols of ``pairs``
    fee_symbols: [BTCUSDT]                 # default: the symbols of ``pairs``

Environment variables override the file: ``TICKVAULT_BINANCE_FAPI_URL``,
``TICKVAULT_BINANCE_DATA_URL``, ``TICKVAULT_BINANCE_PAIRS`` (comma separated),
``TICKVAULT_BINANCE_START``, ``TICKVAULT_BINANCE_PAGE_LIMIT``, ``TICKVAULT_BINANCE_WEIGHT_LIMIT``,
``TICKVAULT_BINANCE_WEIGHT_WINDOW_S`` (60; for a server with another window),
``TICKVAULT_BINANCE_STATS_PERIOD``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from resources.binance_futures.symbols import InvalidSymbol, validate_symbol
from resources.intervals import parse_interval

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_DATA_URL",
    "DEFAULT_FAPI_URL",
    "DEFAULT_PAGE_LIMIT",
    "DEFAULT_WEIGHT_LIMIT",
    "KLINE_INTERVALS",
    "STATS_PERIODS",
    "BinanceConfig",
    "ConfigError",
    "Pair",
    "load_config",
    "parse_pair",
    "parse_time",
]

CONFIG_ENV = "TICKVAULT_CONFIG"
FAPI_URL_ENV = "TICKVAULT_BINANCE_FAPI_URL"
DATA_URL_ENV = "TICKVAULT_BINANCE_DATA_URL"
PAIRS_ENV = "TICKVAULT_BINANCE_PAIRS"
START_ENV = "TICKVAULT_BINANCE_START"
PAGE_LIMIT_ENV = "TICKVAULT_BINANCE_PAGE_LIMIT"
WEIGHT_LIMIT_ENV = "TICKVAULT_BINANCE_WEIGHT_LIMIT"
STATS_PERIOD_ENV = "TICKVAULT_BINANCE_STATS_PERIOD"
WEIGHT_WINDOW_ENV = "TICKVAULT_BINANCE_WEIGHT_WINDOW_S"

DEFAULT_FAPI_URL = "https://fapi.binance.com"
DEFAULT_DATA_URL = "https://data.binance.vision"
# 1000 klines cost 5 weight (200 per unit) where 1500 cost 10 (150 per unit): more candles per
# minute of budget, for 50% more requests.
DEFAULT_PAGE_LIMIT = 1000
DEFAULT_WEIGHT_LIMIT = 2400  # USD-M REQUEST_WEIGHT per IP per minute (exchangeInfo.rateLimits)

KLINE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
                   "3d", "1w", "1M")
STATS_PERIODS = ("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")

_SECTIONS = ("binance", "binance_futures", "binance-futures")
_ALIASES = {
    "rest_url": ("rest_url", "endpoint", "rest_endpoint", "base_url", "fapi_url", "url"),
    "data_url": ("data_url", "archive_url", "public_data_url"),
    "page_limit": ("page_limit", "limit", "klines_limit"),
    "start": ("start", "start_date", "backfill_start", "since"),
    "weight_limit": ("weight_limit", "weight_budget"),
    "stats_period": ("stats_period", "period"),
}


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, order=True)
class Pair:
    """One kline series: a symbol and a Binance interval name."""

    symbol: str
    interval: str
    start: datetime | None = field(default=None, compare=False)

    @property
    def interval_s(self) -> int:
        return parse_interval(self.interval)

    @property
    def series(self) -> str:
        """The partition key of the series: ``BTCUSDT-1m``."""
        return f"{self.symbol}-{self.interval}"


@dataclass(frozen=True)
class BinanceConfig:
    pairs: tuple[Pair, ...] = ()
    rest_url: str = DEFAULT_FAPI_URL
    data_url: str = DEFAULT_DATA_URL
    page_limit: int = DEFAULT_PAGE_LIMIT
    start: datetime | None = None
    weight_limit: int = DEFAULT_WEIGHT_LIMIT
    weight_window_s: float = 60.0
    stats_period: str = "5m"
    stats_symbols: tuple[str, ...] | None = None
    fee_symbols: tuple[str, ...] | None = None
    source: str = "defaults"

    def symbols(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.symbol for p in self.pairs))

    def stats_symbol_list(self) -> tuple[str, ...]:
        return self.stats_symbols if self.stats_symbols is not None else self.symbols()

    def fee_symbol_list(self) -> tuple[str, ...]:
        return self.fee_symbols if self.fee_symbols is not None else self.symbols()

    def pair(self, series: str) -> Pair:
        """The configured pair of a series key, or the pair the key spells."""
        for pair in self.pairs:
            if pair.series == series:
                return pair
        return parse_pair(series)

    def start_for(self, pair: Pair) -> datetime | None:
        return pair.start or self.start


def parse_time(value: object, *, what: str = "time") -> datetime:
    """A UTC datetime from ``2024-01-01``, ``2024-01-01T12:00``, ``...Z``/offsets, or a date."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what}: {value!r} is not an ISO date or time (e.g. 2024-01-31 or "
                          "2024-01-31T12:00Z)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _interval(value: object, where: str) -> str:
    text = str(value).strip()
    if text not in KLINE_INTERVALS:
        raise ConfigError(f"{where}: {text!r} is not a Binance kline interval "
                          f"({', '.join(KLINE_INTERVALS)})")
    return text


def parse_pair(item: object, where: str = "pair") -> Pair:
    """``BTCUSDT/4h``, ``ETHUSDT-1h``, ``BTCUSDT:1m`` or ``{symbol: BNBUSDT, interval: 15m}``."""
    start = None
    if isinstance(item, Mapping):
        unknown = set(item) - {"symbol", "interval", "start"}
        if unknown or "symbol" not in item or "interval" not in item:
            raise ConfigError(f"{where}: expected {{symbol: ..., interval: ...}}, got {item!r}")
        symbol, interval = item["symbol"], item["interval"]
        if item.get("start") is not None:
            start = parse_time(item["start"], what=f"{where} start")
    elif isinstance(item, str):
        match = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*[/:\- ]\s*(\w+)\s*", item)
        if not match:
            raise ConfigError(f"{where}: {item!r} is not SYMBOL/INTERVAL (e.g. BTCUSDT/4h)")
        symbol, interval = match.groups()
    else:
        raise ConfigError(f"{where}: {item!r} is not SYMBOL/INTERVAL (e.g. BTCUSDT/4h)")
    try:
        return Pair(validate_symbol(str(symbol)), _interval(interval, where), start)
    except InvalidSymbol as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _symbols(value: object, where: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ConfigError(f"{where}: expected a list of symbols, got {value!r}")
    try:
        return tuple(validate_symbol(str(s)) for s in items if str(s).strip())
    except InvalidSymbol as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _positive_int(value: object, where: str, maximum: int | None = None) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a whole number") from None
    if number <= 0 or (maximum is not None and number > maximum):
        bound = f"1..{maximum}" if maximum else "positive"
        raise ConfigError(f"{where}: {number} is out of range ({bound})")
    return number


def _section(document: object, source: str) -> Mapping[str, Any]:
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    for name in _SECTIONS:
        if name in document:
            section = document[name]
            if not isinstance(section, Mapping):
                raise ConfigError(f"{source}: '{name}:' must be a mapping")
            return section
    return document


def _pick(section: Mapping[str, Any], key: str) -> tuple[str, Any] | None:
    for alias in _ALIASES.get(key, (key,)):
        if alias in section and section[alias] is not None:
            return alias, section[alias]
    return None


def _apply(config: BinanceConfig, section: Mapping[str, Any], source: str) -> BinanceConfig:
    changes: dict[str, Any] = {}
    if section.get("pairs") is not None:
        pairs = section["pairs"]
        if isinstance(pairs, str):
            pairs = [p for p in pairs.split(",") if p.strip()]
        if not isinstance(pairs, list):
            raise ConfigError(f"{source}: 'pairs' must be a list")
        parsed = [parse_pair(p, f"{source}: pairs[{i}]") for i, p in enumerate(pairs)]
        changes["pairs"] = tuple(dict.fromkeys(parsed))
    if found := _pick(section, "rest_url"):
        changes["rest_url"] = str(found[1]).rstrip("/")
    if found := _pick(section, "data_url"):
        changes["data_url"] = str(found[1]).rstrip("/")
    if found := _pick(section, "page_limit"):
        changes["page_limit"] = _positive_int(found[1], f"{source}: {found[0]}", 1500)
    if found := _pick(section, "start"):
        changes["start"] = parse_time(found[1], what=f"{source}: {found[0]}")
    if found := _pick(section, "weight_limit"):
        changes["weight_limit"] = _positive_int(found[1], f"{source}: {found[0]}")
    if section.get("weight_window_s") is not None:
        try:
            window = float(section["weight_window_s"])
        except (TypeError, ValueError):
            window = 0.0
        if window <= 0:
            raise ConfigError(f"{source}: weight_window_s: {section['weight_window_s']!r} is "
                              "not a positive number of seconds")
        changes["weight_window_s"] = window
    if found := _pick(section, "stats_period"):
        period = str(found[1]).strip()
        if period not in STATS_PERIODS:
            raise ConfigError(f"{source}: {found[0]}: {period!r} is not one of "
                              f"{', '.join(STATS_PERIODS)}")
        changes["stats_period"] = period
    for key in ("stats_symbols", "fee_symbols"):
        if section.get(key) is not None:
            changes[key] = _symbols(section[key], f"{source}: {key}")
    return replace(config, **changes)


def load_config(path: str | os.PathLike[str] | None = None,
                environ: Mapping[str, str] | None = None) -> BinanceConfig:
    """Defaults, then the YAML file (``path`` or ``$TICKVAULT_CONFIG``), then the environment."""
    env = os.environ if environ is None else environ
    config = BinanceConfig()
    chosen = path if path is not None else env.get(CONFIG_ENV) or None
    if chosen is not None:
        file = Path(chosen).expanduser()
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {file} does not exist "
                              f"(from {'the argument' if path is not None else CONFIG_ENV})"
                              ) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from None
        config = _apply(config, _section(document, str(file)), str(file))
        config = replace(config, source=str(file))
    for env_name, key in ((FAPI_URL_ENV, "rest_url"), (DATA_URL_ENV, "data_url"),
                          (PAIRS_ENV, "pairs"), (START_ENV, "start"),
                          (PAGE_LIMIT_ENV, "page_limit"), (WEIGHT_LIMIT_ENV, "weight_limit"),
                          (WEIGHT_WINDOW_ENV, "weight_window_s"),
                          (STATS_PERIOD_ENV, "stats_period")):
        value = env.get(env_name)
        if value:
            config = _apply(config, {key: value}, f"${env_name}")
    return config
