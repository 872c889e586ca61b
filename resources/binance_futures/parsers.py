"""Pure functions from Binance USD-M REST payloads to typed records.

Decimals stay the exchange's literal strings (validated, never floats); times become UTC Arrow
timestamps. Timestamps are accepted as JSON numbers or as strings of digits, because Binance's
documentation prints some as strings while the live API sends numbers. Every error names the
endpoint, the symbol and the row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resources.binance_futures.symbols import VENUE, InvalidSymbol, normalize_symbol
from resources.database.resource import Instrument

__all__ = [
    "FUNDING_SCHEMA",
    "KLINE_SCHEMA",
    "LONG_SHORT_SCHEMA",
    "OPEN_INTEREST_SCHEMA",
    "CommissionRate",
    "Klines",
    "PayloadError",
    "parse_commission_rate",
    "parse_exchange_info",
    "parse_funding_rates",
    "parse_klines",
    "parse_long_short_ratios",
    "parse_open_interest_hist",
    "to_millis",
]

MS_UTC = pa.timestamp("ms", tz="UTC")
_DECIMAL = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?")

KLINE_SCHEMA = pa.schema([
    pa.field("ts", MS_UTC, nullable=False),
    pa.field("open", pa.string(), nullable=False),
    pa.field("high", pa.string(), nullable=False),
    pa.field("low", pa.string(), nullable=False),
    pa.field("close", pa.string(), nullable=False),
    pa.field("volume", pa.string(), nullable=False),
    pa.field("trade_count", pa.int64()),
    pa.field("quote_volume", pa.string()),
    pa.field("taker_buy_base_volume", pa.string()),
    pa.field("taker_buy_quote_volume", pa.string()),
])
FUNDING_SCHEMA = pa.schema([
    pa.field("ts", MS_UTC, nullable=False),
    pa.field("funding_rate", pa.string(), nullable=False),
    pa.field("mark_price", pa.string()),
])
OPEN_INTEREST_SCHEMA = pa.schema([
    pa.field("ts", MS_UTC, nullable=False),
    pa.field("sum_open_interest", pa.string(), nullable=False),
    pa.field("sum_open_interest_value", pa.string(), nullable=False),
    pa.field("cmc_circulating_supply", pa.string()),
])
LONG_SHORT_SCHEMA = pa.schema([
    pa.field("ts", MS_UTC, nullable=False),
    pa.field("long_short_ratio", pa.string(), nullable=False),
    pa.field("long_account", pa.string(), nullable=False),
    pa.field("short_account", pa.string(), nullable=False),
])


class PayloadError(ValueError):
    """A payload that does not have the documented shape."""

    def __init__(self, endpoint: str, symbol: str | None, detail: str) -> None:
        target = f" for {symbol}" if symbol else ""
        super().__init__(f"unexpected answer from GET {endpoint}{target}: {detail}")
        self.endpoint = endpoint
        self.symbol = symbol


def to_millis(value: object) -> int:
    """Epoch milliseconds from a JSON number or a string of digits."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        number = Decimal(text)  # "1583139600000.0": a float-looking number
    except InvalidOperation:
        raise ValueError(f"not a timestamp: {value!r}") from None
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number of milliseconds: {value!r}")
    return int(number)


def _decimal(value: object, *, nullable: bool = False) -> str | None:
    if value is None or (nullable and value == ""):
        if nullable:
            return None
        raise ValueError("missing")
    if isinstance(value, bool):
        raise ValueError(f"not a decimal: {value!r}")
    text = str(value) if isinstance(value, int) else value
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal: {value!r}")
    return text


def _rows(payload: object, endpoint: str, symbol: str | None) -> list[Any]:
    if isinstance(payload, dict) and "code" in payload:
        raise PayloadError(endpoint, symbol, f"error {payload.get('code')} {payload.get('msg')}")
    if not isinstance(payload, list):
        raise PayloadError(endpoint, symbol, f"expected a JSON array, got {type(payload).__name__}")
    return payload


def _ascending(ms: np.ndarray, endpoint: str, symbol: str | None) -> None:
    if len(ms) > 1 and not bool(np.all(ms[1:] > ms[:-1])):
        row = int(np.flatnonzero(ms[1:] <= ms[:-1])[0]) + 1
        raise PayloadError(endpoint, symbol, f"row {row}: times are not strictly ascending")


@dataclass(frozen=True)
class Klines:
    """One page of klines: the candle columns, and each candle's close time (ms)."""

    batch: pa.RecordBatch
    open_ms: np.ndarray
    close_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.batch.num_rows)

    def closed_before(self, now_ms: int) -> Klines:
        """Only the candles whose close time has passed: never the one still open."""
        keep = self.close_ms < now_ms
        if bool(keep.all()):
            return self
        mask = pa.array(keep)
        return Klines(self.batch.filter(mask), self.open_ms[keep], self.close_ms[keep])


def parse_klines(payload: object, *, symbol: str, endpoint: str = "/fapi/v1/klines") -> Klines:
    """``/fapi/v1/klines``: one 12-element array per candle, e.g. (Binance's example)::

        [[1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100",
          "148976.11427815", 1499644799999, "2434.19055334", 308, "1756.87402397",
          "28.46694368", "17928899.62484339"]]

    open time, open, high, low, close, volume, close time, quote volume, trades, taker buy base
    volume, taker buy quote volume, ignore.
    """
    rows = _rows(payload, endpoint, symbol)
    page = _klines_fast(rows)
    if page is None:  # unusual types somewhere: the row-by-row path says where, or copes
        page = _klines_by_row(rows, endpoint, symbol)
    open_ms, close_ms = page.open_ms, page.close_ms
    _ascending(open_ms, endpoint, symbol)
    if len(open_ms) and bool(np.any(close_ms < open_ms)):
        row = int(np.flatnonzero(close_ms < open_ms)[0])
        raise PayloadError(endpoint, symbol, f"row {row}: closes before it opens")
    return page


_KLINE_DECIMALS = (1, 2, 3, 4, 5, 7, 9, 10)  # open high low close volume quote, taker base/quote
_DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$"


def _klines_fast(rows: list[Any]) -> Klines | None:
    """Column-wise with Arrow: for the usual shape (ints for times and count, strings for the
    decimals). ``None`` when anything is unusual."""
    if not rows:
        return Klines(pa.RecordBatch.from_pylist([], schema=KLINE_SCHEMA),
                      np.empty(0, np.int64), np.empty(0, np.int64))
    try:
        if any(type(r) is not list or len(r) < 11 for r in rows):
            return None
        columns = list(zip(*(r[:11] for r in rows), strict=True))
        times = [pa.array(columns[i], pa.int64()) for i in (0, 6, 8)]
        decimals = [pa.array(columns[i], pa.string()) for i in _KLINE_DECIMALS]
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return None
    if any(a.null_count for a in (*times, *decimals)):
        return None
    for array in decimals:
        if not pc.all(pc.match_substring_regex(array, _DECIMAL_PATTERN)).as_py():
            return None
    open_ms = times[0].to_numpy()
    arrays: list[pa.Array] = [times[0].cast(MS_UTC), *decimals[:5], times[2], *decimals[5:]]
    return Klines(pa.RecordBatch.from_arrays(arrays, schema=KLINE_SCHEMA), open_ms,
                  times[1].to_numpy())


def _klines_by_row(rows: list[Any], endpoint: str, symbol: str) -> Klines:
    n = len(rows)
    open_ms = np.empty(n, np.int64)
    close_ms = np.empty(n, np.int64)
    trades = np.empty(n, np.int64)
    columns: list[list[str | None]] = [[None] * n for _ in range(8)]
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 11:
            raise PayloadError(endpoint, symbol, f"row {i}: expected a 12-element array, "
                               f"got {str(row)[:120]}")
        try:
            open_ms[i] = to_millis(row[0])
            close_ms[i] = to_millis(row[6])
            trades[i] = to_millis(row[8])
            for column, position in zip(columns, _KLINE_DECIMALS, strict=True):
                column[i] = _decimal(row[position])
        except ValueError as exc:
            raise PayloadError(endpoint, symbol, f"row {i}: {exc}") from None
    arrays: list[pa.Array] = [pa.array(open_ms, pa.int64()).cast(MS_UTC)]
    arrays += [pa.array(columns[i], pa.string()) for i in range(5)]
    arrays.append(pa.array(trades, pa.int64()))
    arrays += [pa.array(columns[i], pa.string()) for i in range(5, 8)]
    return Klines(pa.RecordBatch.from_arrays(arrays, schema=KLINE_SCHEMA), open_ms, close_ms)


def _records(payload: object, endpoint: str, symbol: str, time_key: str,
             fields: Sequence[tuple[str, str, bool]], schema: pa.Schema) -> pa.RecordBatch:
    rows = _rows(payload, endpoint, symbol)
    ms = np.empty(len(rows), np.int64)
    columns: list[list[str | None]] = [[None] * len(rows) for _ in fields]
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise PayloadError(endpoint, symbol, f"row {i}: expected an object, got {row!r}")
        if row.get("symbol", symbol) != symbol:
            raise PayloadError(endpoint, symbol, f"row {i}: symbol {row.get('symbol')!r}")
        try:
            if time_key not in row:
                raise ValueError(f"no {time_key!r}")
            ms[i] = to_millis(row[time_key])
            for column, (key, _name, nullable) in zip(columns, fields, strict=True):
                if key not in row and not nullable:
                    raise ValueError(f"no {key!r}")
                try:
                    column[i] = _decimal(row.get(key), nullable=nullable)
                except ValueError as exc:
                    raise ValueError(f"{key}: {exc}") from None
        except ValueError as exc:
            raise PayloadError(endpoint, symbol, f"row {i}: {exc}") from None
    _ascending(ms, endpoint, symbol)
    arrays = [pa.array(ms, pa.int64()).cast(MS_UTC)]
    arrays += [pa.array(c, pa.string()) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def parse_funding_rates(payload: object, *, symbol: str) -> pa.RecordBatch:
    """``/fapi/v1/fundingRate``, ascending (``markPrice`` is absent from older answers)::

        [{"symbol": "BTCUSDT", "fundingTime": 1698768000000, "fundingRate": "0.00010000",
          "markPrice": "34287.54619963"}]
    """
    return _records(payload, "/fapi/v1/fundingRate", symbol, "fundingTime",
                    (("fundingRate", "funding_rate", False), ("markPrice", "mark_price", True)),
                    FUNDING_SCHEMA)


def parse_open_interest_hist(payload: object, *, symbol: str) -> pa.RecordBatch:
    """``/futures/data/openInterestHist`` (``timestamp`` as a number live, a string in the docs)::

        [{"symbol": "BTCUSDT", "sumOpenInterest": "20403.63700000",
          "sumOpenInterestValue": "150570784.07809979", "timestamp": "1583127900000"}]
    """
    return _records(payload, "/futures/data/openInterestHist", symbol, "timestamp",
                    (("sumOpenInterest", "sum_open_interest", False),
                     ("sumOpenInterestValue", "sum_open_interest_value", False),
                     ("CMCCirculatingSupply", "cmc_circulating_supply", True)),
                    OPEN_INTEREST_SCHEMA)


def parse_long_short_ratios(payload: object, *, symbol: str, dataset: str) -> pa.RecordBatch:
    """``/futures/data/{topLongShortAccountRatio, topLongShortPositionRatio,
    globalLongShortAccountRatio}``, all of this shape::

        [{"symbol": "BTCUSDT", "longShortRatio": "1.8105", "longAccount": "0.6442",
          "shortAccount": "0.3558", "timestamp": "1583139600000"}]

    (for the position ratio, ``longAccount``/``shortAccount`` are shares of positions.)
    """
    return _records(payload, f"/futures/data/{dataset}", symbol, "timestamp",
                    (("longShortRatio", "long_short_ratio", False),
                     ("longAccount", "long_account", False),
                     ("shortAccount", "short_account", False)),
                    LONG_SHORT_SCHEMA)


@dataclass(frozen=True)
class CommissionRate:
    symbol: str
    maker_rate: str
    taker_rate: str

    @property
    def maker_bps(self) -> str:
        return _bps(self.maker_rate)

    @property
    def taker_bps(self) -> str:
        return _bps(self.taker_rate)


def _bps(rate: str) -> str:
    """A rate as basis points, exactly: ``"0.0002"`` → ``"2"``, ``"0.000180"`` → ``"1.80"``."""
    value = Decimal(rate).scaleb(4)
    return format(value, "f")


def parse_commission_rate(payload: object, *, symbol: str) -> CommissionRate:
    """``/fapi/v1/commissionRate`` (signed)::

        {"symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0005"}
    """
    endpoint = "/fapi/v1/commissionRate"
    if not isinstance(payload, dict):
        raise PayloadError(endpoint, symbol, f"expected an object, got {type(payload).__name__}")
    if payload.get("symbol") != symbol:
        raise PayloadError(endpoint, symbol, f"answer is for {payload.get('symbol')!r}")
    try:
        maker = _decimal(payload.get("makerCommissionRate"))
        taker = _decimal(payload.get("takerCommissionRate"))
    except ValueError as exc:
        raise PayloadError(endpoint, symbol, str(exc)) from None
    assert maker is not None and taker is not None
    return CommissionRate(symbol, maker, taker)


@dataclass(frozen=True)
class ExchangeInfo:
    instruments: list[Instrument]
    rate_limits: list[dict[str, Any]] = field(default_factory=list)
    server_ms: int | None = None


_INSTRUMENT_KEYS = ("pair", "contractType", "status", "marginAsset", "underlyingType",
                    "pricePrecision", "quantityPrecision", "settlePlan")


def _kind_of(symbol: str) -> tuple[str, dict[str, Any]]:
    """The kind from the symbol's spelling alone (any quote asset, even one not yet known)."""
    try:
        _base, _quote, kind, derived = normalize_symbol(symbol)
        return kind, derived
    except InvalidSymbol:
        if re.fullmatch(r"[A-Z0-9]+_\d{6}", symbol):
            return "future", {"pair": symbol.split("_")[0]}
        return "perpetual", {"pair": symbol}


def parse_exchange_info(payload: object) -> ExchangeInfo:
    """``/fapi/v1/exchangeInfo``: one instrument per entry of ``symbols`` (live, 2021-07)::

        {"symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL",
         "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
         "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT", ...}

    Base and quote come from ``baseAsset``/``quoteAsset``; the kind from the symbol (``_YYMMDD``
    is a delivery future), so it agrees with instruments first met in a kline series.
    """
    endpoint = "/fapi/v1/exchangeInfo"
    if not isinstance(payload, dict) or not isinstance(payload.get("symbols"), list):
        raise PayloadError(endpoint, None, "expected an object with a 'symbols' array")
    instruments = []
    for i, entry in enumerate(payload["symbols"]):
        try:
            symbol = str(entry["symbol"])
            kind, derived = _kind_of(symbol)
            attributes: dict[str, Any] = {**derived}
            attributes.update({k: entry[k] for k in _INSTRUMENT_KEYS if k in entry})
            for key, name in (("onboardDate", "onboard_date"), ("deliveryDate", "delivery_date")):
                if entry.get(key) is not None:
                    ms = to_millis(entry[key])
                    attributes[f"{name}_ms"] = ms
                    if key == "deliveryDate" and ms >= 4_000_000_000_000:
                        attributes.pop(f"{name}_ms")  # 2100-12-25: Binance's "never" for perps
            instruments.append(Instrument(
                venue=VENUE, venue_symbol=symbol, base=str(entry["baseAsset"]),
                quote=str(entry["quoteAsset"]), kind=kind, attributes=attributes))
        except (KeyError, TypeError, ValueError) as exc:
            raise PayloadError(endpoint, None, f"symbols[{i}]: {exc!r}") from None
    server_ms = payload.get("serverTime")
    return ExchangeInfo(instruments, list(payload.get("rateLimits") or []),
                        to_millis(server_ms) if server_ms is not None else None)
