from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest


def _fixture(fixtures_dir: Path, name: str):  # type: ignore[no-untyped-def]
    return json.loads((fixtures_dir / "binance_futures" / name).read_text())


def test_ping_and_time(client: httpx.Client, now_ms: int) -> None:
    assert client.get("/fapi/v1/ping").json() == {}
    assert client.get("/fapi/v1/time").json() == {"serverTime": now_ms}


def test_exchange_info_has_the_live_shape(client: httpx.Client, fixtures_dir: Path) -> None:
    real = _fixture(fixtures_dir, "fapi_v1_exchangeInfo_full_2021-07-22.json")
    ours = client.get("/fapi/v1/exchangeInfo").json()
    assert list(ours) == list(real)
    # REQUEST_WEIGHT per minute, showing the configured budget (this simulator's is huge).
    weight, *orders = real["rateLimits"]
    assert ours["rateLimits"] == [{**weight, "limit": 10**9}, *orders]
    real_btc = next(s for s in real["symbols"] if s["symbol"] == "BTCUSDT")
    real_quarterly = next(s for s in real["symbols"] if s["contractType"] == "CURRENT_QUARTER")
    by_symbol = {s["symbol"]: s for s in ours["symbols"]}
    assert {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"} <= set(by_symbol)
    for symbol in by_symbol.values():
        assert list(symbol) == list(real_btc), "same fields, same order"
        assert [f["filterType"] for f in symbol["filters"]] == [
            f["filterType"] for f in real_btc["filters"]
        ]
        for field, value in real_btc.items():
            assert type(symbol[field]) is type(value), field
        assert symbol["status"] == "TRADING"
    quarterly = [s for s in ours["symbols"] if s["contractType"] == "CURRENT_QUARTER"]
    assert len(quarterly) == 1
    q = quarterly[0]
    assert q["symbol"].startswith("BTCUSDT_") and q["pair"] == "BTCUSDT"
    delivery = datetime.fromtimestamp(q["deliveryDate"] / 1000, tz=UTC)
    assert q["symbol"] == f"BTCUSDT_{delivery:%y%m%d}"
    assert delivery.weekday() == 4 and delivery.hour == 8 and delivery.month in (3, 6, 9, 12)
    assert q["deliveryDate"] - q["onboardDate"] == (
        real_quarterly["deliveryDate"] - real_quarterly["onboardDate"]
    )
    assert by_symbol["BTCUSDT"]["deliveryDate"] == real_btc["deliveryDate"]
    assert by_symbol["BTCUSDT"]["pricePrecision"] == 2
    assert by_symbol["BTCUSDT"]["filters"][0]["tickSize"] == "0.10"


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"interval": "1m"}, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
        ({"symbol": "BTCUSDT"}, -1102,
         "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."),
        ({"symbol": "NOSUCHUSDT", "interval": "1m"}, -1121, "Invalid symbol."),
        ({"symbol": "BTC/USDT", "interval": "1m"}, -1100,
         "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."),
        ({"symbol": "BTCUSDT", "interval": "2m"}, -1120, "Invalid interval."),
        ({"symbol": "BTCUSDT", "interval": "1s"}, -1120, "Invalid interval."),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": 1501}, -1130,
         "Data sent for parameter 'limit' is not valid."),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": 0}, -1130,
         "Data sent for parameter 'limit' is not valid."),
        ({"symbol": "BTCUSDT", "interval": "1m", "startTime": "yesterday"}, -1100,
         "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."),
        ({"symbol": "BTCUSDT", "interval": "1m", "startTime": 2, "endTime": 1}, -1023,
         "Start time is greater than end time."),
    ],
)
def test_klines_errors(
    client: httpx.Client, params: dict[str, object], code: int, msg: str
) -> None:
    r = client.get("/fapi/v1/klines", params=params)  # type: ignore[arg-type]
    assert r.status_code == 400
    assert r.json() == {"code": code, "msg": msg}
    assert r.headers["content-type"] == "application/json"


def test_invalid_symbol_body_is_byte_identical_to_the_fixture(
    client: httpx.Client, fixtures_dir: Path
) -> None:
    r = client.get("/fapi/v1/klines", params={"symbol": "XYZUSDT", "interval": "1h"})
    expected = (fixtures_dir / "binance_futures" / "error_-1121_invalid_symbol.json").read_text()
    assert r.status_code == 400 and r.text == expected.strip()


def test_duplicate_parameters_are_refused(client: httpx.Client) -> None:
    r = client.get("/fapi/v1/klines?symbol=BTCUSDT&symbol=ETHUSDT&interval=1m")
    assert r.status_code == 400
    assert r.json() == {"code": -1101, "msg": "Duplicate values for a parameter detected."}


def test_lower_case_symbols_are_accepted(client: httpx.Client) -> None:
    r = client.get("/fapi/v1/klines", params={"symbol": "btcusdt", "interval": "1h", "limit": 2})
    upper = client.get(
        "/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1h", "limit": 2}
    )
    assert r.status_code == 200 and r.json() == upper.json()


def test_unknown_paths_are_404(client: httpx.Client) -> None:
    assert client.get("/fapi/v1/nothing").status_code == 404
