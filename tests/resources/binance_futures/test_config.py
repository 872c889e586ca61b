from datetime import UTC, datetime
from pathlib import Path

import pytest

from resources.binance_futures.config import (
    DEFAULT_FAPI_URL,
    ConfigError,
    Pair,
    load_config,
    parse_pair,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tickvault.yaml"
    path.write_text(text)
    return path


def test_the_old_ingestor_pair_spellings(tmp_path: Path) -> None:
    path = write(tmp_path, """
pairs:
  - BTCUSDT/4h
  - ETHUSDT-1h
  - {symbol: BNBUSDT, interval: 15m}
  - btcusdt_250926:1d
endpoint: https://testnet.binancefuture.com/
limit: 1500
start_date: 2021-03-01
""")
    config = load_config(path, environ={})
    assert [p.series for p in config.pairs] == [
        "BTCUSDT-4h", "ETHUSDT-1h", "BNBUSDT-15m", "BTCUSDT_250926-1d"]
    assert config.rest_url == "https://testnet.binancefuture.com"
    assert config.page_limit == 1500
    assert config.start == datetime(2021, 3, 1, tzinfo=UTC)
    assert config.symbols() == ("BTCUSDT", "ETHUSDT", "BNBUSDT", "BTCUSDT_250926")
    assert config.stats_symbol_list() == config.symbols()


def test_a_binance_section_and_per_pair_start(tmp_path: Path) -> None:
    path = write(tmp_path, """
kraken: {pairs: [XBTUSD]}
binance:
  pairs: [{symbol: SOLUSDT, interval: 1m, start: "2024-02-01T06:00Z"}]
  stats_symbols: [btcusdt]
  stats_period: 1h
""")
    config = load_config(path, environ={})
    pair = config.pairs[0]
    assert pair == Pair("SOLUSDT", "1m")
    assert config.start_for(pair) == datetime(2024, 2, 1, 6, tzinfo=UTC)
    assert config.stats_symbol_list() == ("BTCUSDT",)
    assert config.stats_period == "1h"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "pairs: [BTCUSDT/4h]\nrest_url: https://fapi.binance.com\n")
    config = load_config(environ={
        "TICKVAULT_CONFIG": str(path),
        "TICKVAULT_BINANCE_FAPI_URL": "http://127.0.0.1:9999",
        "TICKVAULT_BINANCE_PAIRS": "ETHUSDT/1m, XRPUSDT-5m",
        "TICKVAULT_BINANCE_PAGE_LIMIT": "499",
        "TICKVAULT_BINANCE_WEIGHT_LIMIT": "1200",
        "TICKVAULT_BINANCE_START": "2024-01",
    })
    assert config.rest_url == "http://127.0.0.1:9999"
    assert [p.series for p in config.pairs] == ["ETHUSDT-1m", "XRPUSDT-5m"]
    assert (config.page_limit, config.weight_limit) == (499, 1200)
    assert config.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert config.source == str(path)


def test_defaults_without_a_file() -> None:
    config = load_config(environ={})
    assert config.rest_url == DEFAULT_FAPI_URL
    assert config.pairs == ()
    assert config.source == "defaults"


@pytest.mark.parametrize(("text", "message"), [
    ("pairs: [BTCUSDT/7m]", "pairs[0]: '7m' is not a Binance kline interval"),
    ("pairs: [BTCUSDT]", "pairs[0]: 'BTCUSDT' is not SYMBOL/INTERVAL"),
    ("pairs: [{symbol: BTCUSDT}]", "pairs[0]: expected {symbol: ..., interval: ...}"),
    ("page_limit: 2000", "page_limit: 2000 is out of range (1..1500)"),
    ("start: yesterday", "start: 'yesterday' is not an ISO date"),
    ("pairs: [BTC$USDT/1m]", "pairs[0]"),
    ("stats_period: 1m", "stats_period: '1m' is not one of"),
    ("- just\n- a list", "expected a mapping at the top level"),
])
def test_bad_configuration_names_the_file_and_entry(tmp_path: Path, text: str,
                                                    message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert message in str(error.value)
    assert str(path) in str(error.value) or "not an ISO date" in str(error.value)


def test_a_missing_file_says_where_its_name_came_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TICKVAULT_CONFIG"):
        load_config(environ={"TICKVAULT_CONFIG": str(tmp_path / "nope.yaml")})


def test_parse_pair_round_trips_the_series_key() -> None:
    assert parse_pair("BTCUSDT-1M") == Pair("BTCUSDT", "1M")
    assert parse_pair(parse_pair("ETHUSDT/15m").series).interval_s == 900


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$TICKVAULT_BINANCE_PAGE_LIMIT: page_limit: 0 is out"):
        load_config(environ={"TICKVAULT_BINANCE_PAGE_LIMIT": "0"})
