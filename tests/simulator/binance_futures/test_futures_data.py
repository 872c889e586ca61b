from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import simulator

DAY = 86_400_000
ENDPOINTS = {
    "openInterestHist": "futures_data_openInterestHist_DOCS_EXAMPLE.json",
    "topLongShortAccountRatio": "futures_data_topLongShortAccountRatio_DOCS_EXAMPLE.json",
    "topLongShortPositionRatio": "futures_data_topLongShortPositionRatio_DOCS_EXAMPLE.json",
    "globalLongShortAccountRatio": "futures_data_globalLongShortAccountRatio_DOCS_EXAMPLE.json",
}


def _get(client: httpx.Client, name: str, **params: Any) -> httpx.Response:
    return client.get(f"/futures/data/{name}", params=params)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_shape_matches_the_docs_but_timestamps_are_numbers(
    client: httpx.Client, fixtures_dir: Path, name: str, now_ms: int
) -> None:
    example = json.loads((fixtures_dir / "binance_futures" / ENDPOINTS[name]).read_text())[0]
    r = _get(client, name, symbol="BTCUSDT", period="5m")
    assert r.status_code == 200
    assert r.headers["X-MBX-USED-WEIGHT-1M"] is not None
    rows = r.json()
    assert len(rows) == 30  # default limit
    for row in rows:
        assert list(row) == list(example)
        assert all(isinstance(row[k], str) for k in example if k != "timestamp")
        assert isinstance(row["timestamp"], int)
        assert row["timestamp"] % 300_000 == 0 and row["timestamp"] <= now_ms
    stamps = [row["timestamp"] for row in rows]
    assert stamps == sorted(stamps) and stamps[-1] == now_ms - now_ms % 300_000


def test_string_timestamps_switch(make_sim: Callable[..., simulator.Simulator]) -> None:
    sim = make_sim(string_timestamps=True)
    with httpx.Client(base_url=sim.base_url) as c:
        rows = _get(c, "openInterestHist", symbol="BTCUSDT", period="1h", limit=2).json()
        assert all(isinstance(r["timestamp"], str) and r["timestamp"].isdigit() for r in rows)
        sim.set_options(string_timestamps=False)
        rows = _get(c, "openInterestHist", symbol="BTCUSDT", period="1h", limit=2).json()
        assert all(isinstance(r["timestamp"], int) for r in rows)


def test_values_are_consistent(client: httpx.Client) -> None:
    oi = _get(client, "openInterestHist", symbol="ETHUSDT", period="1h", limit=5).json()
    klines = client.get(
        "/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "1h", "limit": 2}
    ).json()
    for row in oi:
        amount, value = Decimal(row["sumOpenInterest"]), Decimal(row["sumOpenInterestValue"])
        assert len(row["sumOpenInterest"].split(".")[1]) == 8
        assert Decimal(1000) < value / amount < Decimal(100_000)
    assert abs(float(oi[-1]["sumOpenInterestValue"]) / float(oi[-1]["sumOpenInterest"])
               / float(klines[-1][1]) - 1) < 0.05
    for name in list(ENDPOINTS)[1:]:
        for row in _get(client, name, symbol="SOLUSDT", period="15m", limit=50).json():
            long, short = Decimal(row["longAccount"]), Decimal(row["shortAccount"])
            assert long + short == 1
            assert abs(Decimal(row["longShortRatio"]) - long / short) < Decimal("0.0001")


def test_only_thirty_days_exist(client: httpx.Client, now_ms: int) -> None:
    r = _get(client, "openInterestHist", symbol="BTCUSDT", period="1d", startTime=now_ms - 31 * DAY)
    assert r.status_code == 400
    assert r.text == '{"msg":"parameter \'startTime\' is invalid.","code":-1130}'
    rows = _get(client, "openInterestHist", symbol="BTCUSDT", period="1d", limit=500).json()
    assert len(rows) == 30 and rows[0]["timestamp"] >= now_ms - 30 * DAY
    old = _get(client, "openInterestHist", symbol="BTCUSDT", period="1d", endTime=now_ms - 40 * DAY)
    assert old.json() == []


def test_bounded_windows_return_the_latest_points_within(client: httpx.Client, now_ms: int) -> None:
    hour = 3_600_000
    start = now_ms - now_ms % hour - 20 * hour
    rows = _get(client, "topLongShortAccountRatio", symbol="BTCUSDT", period="1h",
                startTime=start, endTime=start + 9 * hour, limit=10).json()
    assert [r["timestamp"] for r in rows] == [start + i * hour for i in range(10)]
    later = _get(client, "topLongShortAccountRatio", symbol="BTCUSDT", period="1h",
                 startTime=start, endTime=start + 19 * hour, limit=10).json()
    assert [r["timestamp"] for r in later] == [start + i * hour for i in range(10, 20)]
    lone = _get(client, "topLongShortAccountRatio", symbol="BTCUSDT", period="1h",
                startTime=start, limit=3).json()
    assert lone[-1]["timestamp"] == now_ms - now_ms % hour, "a lone startTime does not page"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"symbol": "BTCUSDT", "period": "1m"},
         {"msg": "parameter 'period' is invalid.", "code": -1130}),
        ({"symbol": "BTCUSDT", "period": "5m", "limit": 501},
         {"msg": "parameter 'limit' is invalid.", "code": -1130}),
        ({"period": "5m"}, {"code": -1102, "msg":
          "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}),
        ({"symbol": "BTCUSDT"}, {"code": -1102, "msg":
          "Mandatory parameter 'period' was not sent, was empty/null, or malformed."}),
        ({"symbol": "FOOUSDT", "period": "5m"}, {"code": -1121, "msg": "Invalid symbol."}),
    ],
)
def test_errors(client: httpx.Client, params: dict[str, Any], expected: dict[str, Any]) -> None:
    r = _get(client, "globalLongShortAccountRatio", **params)
    assert r.status_code == 400 and r.json() == expected
