"""Binance USD-M symbols to instruments: ``BTCUSDT`` is the BTC/USDT perpetual,
``BTCUSDT_220624`` the BTC/USDT future delivering on 2022-06-24."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from resources.database.resource import Instrument

__all__ = ["VENUE", "InvalidSymbol", "instrument_for", "normalize_symbol", "validate_symbol"]

VENUE = "binance-futures"

# Quote (margin) assets of USD-M contracts, longest first so "FDUSD" wins over "USD".
_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB")
_SYMBOL = re.compile(r"[A-Z0-9]{2,30}(?:_\d{6})?")


class InvalidSymbol(ValueError):
    """Not something Binance USD-M could list."""


def validate_symbol(symbol: str) -> str:
    """The symbol in Binance's spelling (upper case), or a clear error."""
    normalized = symbol.strip().upper()
    if not _SYMBOL.fullmatch(normalized):
        raise InvalidSymbol(
            f"{symbol!r} is not a Binance USD-M symbol (expected e.g. BTCUSDT or BTCUSDT_250926)")
    return normalized


def normalize_symbol(symbol: str) -> tuple[str, str, str, dict[str, Any]]:
    """(base, quote, kind, attributes) read from the symbol alone.

    >>> normalize_symbol("BTCUSDT")[:3]
    ('BTC', 'USDT', 'perpetual')
    >>> normalize_symbol("BTCUSDT_220624")[:3]
    ('BTC', 'USDT', 'future')
    """
    venue_symbol = validate_symbol(symbol)
    pair, _, expiry = venue_symbol.partition("_")
    quote = next((q for q in _QUOTES if pair.endswith(q) and len(pair) > len(q)), None)
    if quote is None:
        raise InvalidSymbol(
            f"{symbol!r}: no known quote asset at its end ({', '.join(_QUOTES)}); load the "
            "contract list first (tickvault binance instruments), which knows every quote")
    base = pair[: -len(quote)]
    attributes: dict[str, Any] = {"pair": pair}
    if expiry:
        try:
            delivery = datetime.strptime(expiry, "%y%m%d").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidSymbol(f"{symbol!r}: {expiry!r} is not a delivery date (YYMMDD)") from None
        attributes["delivery_date"] = delivery.date().isoformat()
        return base, quote, "future", attributes
    return base, quote, "perpetual", attributes


def instrument_for(symbol: str, attributes: dict[str, Any] | None = None) -> Instrument:
    """The instrument row for a symbol; ``attributes`` (e.g. from exchangeInfo) are added."""
    base, quote, kind, derived = normalize_symbol(symbol)
    return Instrument(
        venue=VENUE,
        venue_symbol=validate_symbol(symbol),
        base=base,
        quote=quote,
        kind=kind,
        attributes={**derived, **(attributes or {})},
    )
