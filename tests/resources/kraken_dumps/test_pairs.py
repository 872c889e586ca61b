"""Kraken pair names to normalized base/quote: every form the dumps use, and refusals."""

from __future__ import annotations

import json

import pytest

from resources.kraken_dumps.pairs import UnknownPair, parse_pair


@pytest.mark.parametrize(("name", "base", "quote"), [
    ("XBTUSD", "BTC", "USD"),
    ("XDGUSD", "DOGE", "USD"),
    ("1INCHEUR", "1INCH", "EUR"),
    ("AAVEXBT", "AAVE", "BTC"),
    ("ETH2.SETH", "ETH2.S", "ETH"),
    ("XXBTZUSD", "BTC", "USD"),
    ("XETHZEUR", "ETH", "EUR"),
    ("XETHXXBT", "ETH", "BTC"),
    ("XXDGXXBT", "DOGE", "BTC"),
    ("USDTZUSD", "USDT", "USD"),
    ("XTZUSD", "XTZ", "USD"),  # not XT/ZUSD
    ("XTZEUR", "XTZ", "EUR"),
    ("USDCUSDT", "USDC", "USDT"),
    ("DOTETH", "DOT", "ETH"),
    ("SOLAED", "SOL", "AED"),
    ("MATICPOL", "MATIC", "POL"),
])
def test_names_normalize(name, base, quote):
    instrument = parse_pair(name)
    assert (instrument.base, instrument.quote, instrument.venue_symbol) == (base, quote, name)
    assert instrument.venue == "kraken" and instrument.kind == "spot"


@pytest.mark.parametrize("name", ["FOO", "USD", "XBTUSD.d", "xbtusd", "BTC-USD", "../x", "A B",
                                  "XBT_USD", ""])
def test_unparseable_names_are_errors_not_guesses(name):
    with pytest.raises(UnknownPair):
        parse_pair(name)


def test_agrees_with_kraken_assetpairs_for_every_legacy_name(fixtures_dir):
    """Kraken's own AssetPairs (real capture) maps each pair to its base and quote assets."""
    pairs = json.loads((fixtures_dir / "kraken_spot/public_AssetPairs_full_2021-04-17.json")
                       .read_text())["result"]
    aliases = {"XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE"}
    checked = 0
    for name, info in pairs.items():
        if name.endswith(".d"):
            continue  # dark-pool books never appear in dumps
        for symbol in (name, info["altname"]):
            instrument = parse_pair(symbol)
            want_base = aliases.get(info["base"], info["base"])
            want_quote = aliases.get(info["quote"], info["quote"])
            if len(want_base) == 4 and want_base[0] in "XZ" and want_base not in {"XTZU"}:
                want_base = aliases.get(want_base[1:], want_base[1:])
            if len(want_quote) == 4 and want_quote[0] in "XZ":
                want_quote = aliases.get(want_quote[1:], want_quote[1:])
            assert (instrument.base, instrument.quote) == (want_base, want_quote), symbol
            checked += 1
    assert checked > 500
