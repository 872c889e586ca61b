"""Kraken pair names, as in dump file names, to normalized (base, quote).

Kraken names pairs by gluing two asset codes: ``XBTUSD``, ``1INCHEUR``, ``ETH2.SETH``; older pairs
use four-letter codes with an X (crypto) or Z (fiat) prefix: ``XXBTZUSD``, ``XETHXXBT``,
``USDTZUSD``. The quote is found as the longest known quote code at the end of the name; the
rest is the base. A name that does not split that way is an error, never a guess.
"""

from __future__ import annotations

import re

from resources.database.records import Instrument

__all__ = ["LEGACY_CODES", "QUOTES", "UnknownPair", "normalize_asset", "parse_pair"]

# Four-letter legacy codes (Kraken AssetPairs "base"/"quote" values, incl. delisted assets).
LEGACY_CODES = {
    "XXBT": "XBT", "XETH": "ETH", "XETC": "ETC", "XLTC": "LTC", "XMLN": "MLN", "XREP": "REP",
    "XXDG": "XDG", "XXLM": "XLM", "XXMR": "XMR", "XXRP": "XRP", "XZEC": "ZEC", "XDAO": "DAO",
    "XICN": "ICN", "XNMC": "NMC", "XXVN": "XVN",
    "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZJPY": "JPY", "ZCAD": "CAD", "ZAUD": "AUD",
    "ZCHF": "CHF", "ZKRW": "KRW",
}

# Quote currencies of modern pair names (``XBTUSD``, ``AAVEXBT``, ``ETH2.SETH``).
QUOTES = frozenset({
    "USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD", "AED", "XBT", "ETH", "DAI", "DOT", "POL",
    "USDT", "USDC",
})
_QUOTES_LONGEST_FIRST = sorted(QUOTES, key=len, reverse=True)
# Legacy quote codes. They only split a name whose base is itself a legacy code (XXBTZUSD) or one
# of the few modern bases Kraken paired with them (USDTZUSD): ``XTZUSD`` is XTZ/USD, not XT/ZUSD.
_LEGACY_QUOTES = frozenset({"ZUSD", "ZEUR", "ZGBP", "ZJPY", "ZCAD", "ZAUD", "ZCHF", "XXBT", "XETH"})
_MODERN_BASES_WITH_LEGACY_QUOTE = frozenset({"USDT"})

# Kraken's own aliases, applied after legacy codes are resolved.
_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}

_NAME = re.compile(r"[A-Z0-9]+(\.[A-Z0-9]+)?[A-Z0-9]*")


class UnknownPair(ValueError):
    """A name that is not a Kraken pair name."""


def normalize_asset(code: str) -> str:
    """``XXBT`` → ``BTC``, ``ZUSD`` → ``USD``, ``XDG`` → ``DOGE``, ``ETH2.S`` → ``ETH2.S``."""
    code = LEGACY_CODES.get(code, code)
    return _ALIASES.get(code, code)


def parse_pair(name: str) -> Instrument:
    """The Kraken spot instrument for a pair name such as ``XBTUSD`` or ``XXBTZUSD``."""
    if not _NAME.fullmatch(name) or name.endswith(".D") or name.endswith(".d"):
        raise UnknownPair(f"{name!r} is not a Kraken pair name")
    base, quote = _split(name)
    return Instrument(
        venue="kraken",
        venue_symbol=name,
        base=normalize_asset(base),
        quote=normalize_asset(quote),
        kind="spot",
    )


def _split(name: str) -> tuple[str, str]:
    head, tail = name[:-4], name[-4:]
    if tail in _LEGACY_QUOTES and (head in LEGACY_CODES or head in _MODERN_BASES_WITH_LEGACY_QUOTE):
        return head, tail
    for quote in _QUOTES_LONGEST_FIRST:
        base = name[: -len(quote)]
        if name.endswith(quote) and base and not base.endswith("."):
            return base, quote
    raise UnknownPair(
        f"{name!r} does not end in a known Kraken quote currency ({', '.join(sorted(QUOTES))})"
    )
