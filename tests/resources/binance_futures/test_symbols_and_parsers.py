import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from resources.binance_futures.parsers import (
    PayloadError,
    parse_commission_rate,
    parse_exchange_info,
    parse_funding_rates,
    parse_klines,
    parse_long_short_ratios,
    parse_open_interest_hist,
    to_millis,
)
from resources.binance_futures.symbols import InvalidSymbol, instrument_for, normalize_symbol


def load(fixtures_dir: Path, name: str) -> object:
    text = (fixtures_dir / "binance_futures" / name).read_text()
    return json.loads(text, parse_float=str)


def test_symbols_normalize_to_pairs_and_kinds() -> None:
    assert normalize_symbol("BTCUSDT")[:3] == ("BTC", "USDT", "perpetual")
    base, quote, kind, attributes = normalize_symbol("BTCUSDT_220624")
    assert (base, quote, kind) == ("BTC", "USDT", "future")
    assert attributes["delivery_date"] == "2022-06-24"
    assert normalize_symbol("1000SHIBUSDT")[:2] == ("1000SHIB", "USDT")
    assert normalize_symbol("ETHBUSD")[:2] == ("ETH", "BUSD")
    assert normalize_symbol("USDCUSDT")[:2] == ("USDC", "USDT")
    for bad in ("BTC", "BTC-USDT", "BTCUSDT_2206", ""):
        with pytest.raises(InvalidSymbol):
            normalize_symbol(bad)


def test_exchange_info_agrees_with_the_symbol_spelling(fixtures_dir: Path) -> None:
    info = parse_exchange_info(load(fixtures_dir, "fapi_v1_exchangeInfo_full_2021-07-22.json"))
    assert len(info.instruments) == 122
    for instrument in info.instruments:  # klines create instruments from the symbol alone
        derived = instrument_for(instrument.venue_symbol)
        assert (derived.base, derived.quote, derived.kind) == (
            instrument.base, instrument.quote, instrument.kind), instrument.venue_symbol
    by_symbol = {i.venue_symbol: i for i in info.instruments}
    btc = by_symbol["BTCUSDT"]
    assert btc.kind == "perpetual"
    assert btc.attributes["contractType"] == "PERPETUAL"
    assert btc.attributes["status"] == "TRADING"
    assert btc.attributes["onboard_date_ms"] == 1569398400000
    assert "delivery_date_ms" not in btc.attributes  # 2100-12-25 means "never"
    quarterly = by_symbol["BTCUSDT_210924"]
    assert (quarterly.kind, quarterly.attributes["delivery_date_ms"]) == ("future", 1632470400000)
    assert by_symbol["BTCSTUSDT"].attributes["status"] == "PENDING_TRADING"
    assert {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
            "limit": 2400} in info.rate_limits


def test_klines_keep_the_printed_decimals(fixtures_dir: Path) -> None:
    page = parse_klines(load(fixtures_dir, "fapi_v1_klines_DOCS_EXAMPLE.json"), symbol="BTCUSDT")
    row = page.batch.to_pylist()[0]
    assert row["ts"].isoformat() == "2017-07-03T00:00:00+00:00"
    assert (row["open"], row["high"], row["low"], row["close"]) == (
        "0.01634790", "0.80000000", "0.01575800", "0.01577100")
    assert row["volume"] == "148976.11427815"
    assert row["quote_volume"] == "2434.19055334"
    assert row["trade_count"] == 308
    assert row["taker_buy_base_volume"] == "1756.87402397"
    assert row["taker_buy_quote_volume"] == "28.46694368"
    assert page.batch.schema.field("ts").type == pa.timestamp("ms", tz="UTC")
    assert int(page.close_ms[0]) == 1499644799999


def test_only_closed_klines_survive() -> None:
    rows = [[60_000 * i, "1", "1", "1", "1", "0", 60_000 * i + 59_999, "0", 0, "0", "0", "0"]
            for i in range(3)]
    page = parse_klines(rows, symbol="BTCUSDT")
    assert len(page.closed_before(120_000)) == 2  # the third closes at 179999: still open
    assert len(page.closed_before(180_000)) == 3


def test_decimals_sent_as_json_numbers_stay_exact() -> None:
    payload = json.loads('[[0, 0.10, 1e-8, 2, 3.000, "4", 59999, "5", 1, "6", "7", "0"]]',
                         parse_float=str)
    row = parse_klines(payload, symbol="X").batch.to_pylist()[0]
    assert (row["open"], row["high"], row["low"], row["close"]) == ("0.10", "1e-8", "2", "3.000")


@pytest.mark.parametrize(("payload", "message"), [
    ({"code": -1121, "msg": "Invalid symbol."}, "error -1121 Invalid symbol."),
    ([[1, "1"]], "row 0: expected a 12-element array"),
    ([[0, "1", "x", "1", "1", "0", 59999, "0", 0, "0", "0", "0"]], "row 0: not a decimal: 'x'"),
    ([[60000, "1", "1", "1", "1", "0", 119999, "0", 0, "0", "0", "0"],
      [0, "1", "1", "1", "1", "0", 59999, "0", 0, "0", "0", "0"]], "not strictly ascending"),
])
def test_bad_klines_name_endpoint_symbol_and_row(payload: object, message: str) -> None:
    with pytest.raises(PayloadError) as error:
        parse_klines(payload, symbol="ETHUSDT")
    assert "GET /fapi/v1/klines for ETHUSDT" in str(error.value)
    assert message in str(error.value)


def test_funding_with_and_without_mark_price(fixtures_dir: Path) -> None:
    old = parse_funding_rates(load(fixtures_dir, "fapi_v1_fundingRate_DOCS_EXAMPLE_old.json"),
                              symbol="BTCUSDT").to_pylist()
    assert [(r["funding_rate"], r["mark_price"]) for r in old] == [
        ("-0.03750000", None), ("0.00010000", None)]
    new = parse_funding_rates(
        load(fixtures_dir, "fapi_v1_fundingRate_DOCS_EXAMPLE_with_markPrice.json"),
        symbol="BTCUSDT").to_pylist()
    assert new[0]["mark_price"] == "34287.54619963"
    assert new[0]["ts"].isoformat() == "2023-10-31T16:00:00+00:00"
    empty_mark = [{"symbol": "BTCUSDT", "fundingTime": 1, "fundingRate": "0.0001",
                   "markPrice": ""}]  # the live API's answer before 2022
    assert parse_funding_rates(empty_mark, symbol="BTCUSDT").to_pylist()[0]["mark_price"] is None


def test_open_interest_timestamps_as_strings_or_numbers(fixtures_dir: Path) -> None:
    documented = load(fixtures_dir, "futures_data_openInterestHist_DOCS_EXAMPLE.json")
    assert isinstance(documented, list)
    rows = parse_open_interest_hist(documented, symbol="BTCUSDT").to_pylist()
    live = [{**r, "timestamp": int(r["timestamp"])} for r in documented]
    assert parse_open_interest_hist(live, symbol="BTCUSDT").to_pylist() == rows
    assert rows[0]["ts"].isoformat() == "2020-03-02T05:45:00+00:00"
    assert (rows[0]["sum_open_interest"], rows[0]["sum_open_interest_value"]) == (
        "20403.63700000", "150570784.07809979")
    assert rows[0]["cmc_circulating_supply"] is None


@pytest.mark.parametrize("dataset", ["topLongShortAccountRatio", "topLongShortPositionRatio",
                                     "globalLongShortAccountRatio"])
def test_long_short_ratios(fixtures_dir: Path, dataset: str) -> None:
    payload = load(fixtures_dir, f"futures_data_{dataset}_DOCS_EXAMPLE.json")
    rows = parse_long_short_ratios(payload, symbol="BTCUSDT", dataset=dataset).to_pylist()
    assert len(rows) == 2
    assert rows[0]["ts"].isoformat() == "2020-03-02T09:00:00+00:00"
    assert all(Decimal(r["long_account"]) + Decimal(r["short_account"]) in
               (Decimal("1.0000"), Decimal("0.9999")) for r in rows)
    with pytest.raises(PayloadError, match=f"GET /futures/data/{dataset} for ETHUSDT: row 0: "
                                           "symbol 'BTCUSDT'"):
        parse_long_short_ratios(payload, symbol="ETHUSDT", dataset=dataset)


def test_commission_rate_in_basis_points(fixtures_dir: Path) -> None:
    rate = parse_commission_rate(load(fixtures_dir, "fapi_v1_commissionRate_BTCUSDT_nautilus.json"),
                                 symbol="BTCUSDT")
    assert (rate.maker_rate, rate.taker_rate) == ("0.0002", "0.0005")
    assert (rate.maker_bps, rate.taker_bps) == ("2", "5")
    odd = parse_commission_rate({"symbol": "X", "makerCommissionRate": "-0.000050",
                                 "takerCommissionRate": "0.000180"}, symbol="X")
    assert (odd.maker_bps, odd.taker_bps) == ("-0.50", "1.80")


def test_timestamps_accept_numbers_and_strings() -> None:
    assert to_millis(1583139600000) == to_millis("1583139600000") == 1583139600000
    assert to_millis("1583139600000.0") == 1583139600000
    for bad in ("soon", "1.5", True):
        with pytest.raises(ValueError):
            to_millis(bad)


def test_exchange_info_takes_any_quote_asset() -> None:
    entry = {"symbol": "BTCEURQ", "baseAsset": "BTC", "quoteAsset": "EURQ",
             "contractType": "PERPETUAL", "status": "TRADING", "onboardDate": 1}
    (instrument,) = parse_exchange_info({"symbols": [entry]}).instruments
    assert (instrument.base, instrument.quote, instrument.kind) == ("BTC", "EURQ", "perpetual")
    with pytest.raises(InvalidSymbol, match="tickvault binance instruments"):
        normalize_symbol("BTCEURQ")
