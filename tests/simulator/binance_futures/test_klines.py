from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

import simulator

MINUTE = 60_000
HOUR = 60 * MINUTE
INTERVAL_MS = {
    "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
    "1h": HOUR, "2h": 2 * HOUR, "4h": 4 * HOUR, "6h": 6 * HOUR, "8h": 8 * HOUR,
    "12h": 12 * HOUR, "1d": 24 * HOUR, "3d": 72 * HOUR, "1w": 168 * HOUR,
}


def _klines(client: httpx.Client, **params: Any) -> list[list[Any]]:
    r = client.get("/fapi/v1/klines", params=params)
    assert r.status_code == 200, r.text
    rows: list[list[Any]] = r.json()
    return rows


def _symbols(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {s["symbol"]: s for s in client.get("/fapi/v1/exchangeInfo").json()["symbols"]}


def test_rows_have_the_real_fields_types_and_order(
    client: httpx.Client, fixtures_dir: Path
) -> None:
    example = json.loads(
        (fixtures_dir / "binance_futures" / "fapi_v1_klines_DOCS_EXAMPLE.json").read_text()
    )[0]
    rows = _klines(client, symbol="BTCUSDT", interval="1h", limit=3)
    assert len(rows) == 3
    for row in rows:
        assert len(row) == len(example) == 12
        assert [type(v) for v in row] == [type(v) for v in example]
        assert row[11] == "0"


@pytest.mark.parametrize("interval", [*INTERVAL_MS, "1M"])
def test_close_time_is_open_plus_interval_minus_one(client: httpx.Client, interval: str) -> None:
    rows = _klines(client, symbol="ETHUSDT", interval=interval, limit=5)
    assert len(rows) == 5
    for row, following in pairwise(rows):
        assert row[6] == following[0] - 1
    if interval != "1M":
        assert all(r[6] == r[0] + INTERVAL_MS[interval] - 1 for r in rows)
        assert all(r[0] % INTERVAL_MS[interval] == (4 * 24 * HOUR if interval == "1w" else 0)
                   % INTERVAL_MS[interval] for r in rows)
    else:
        assert all(datetime.fromtimestamp(r[0] / 1000, tz=UTC).day == 1 for r in rows)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"])
def test_strings_follow_the_symbol_precisions(client: httpx.Client, symbol: str) -> None:
    info = _symbols(client)[symbol]
    tick = Decimal(info["filters"][0]["tickSize"])
    step = Decimal(info["filters"][1]["stepSize"])
    pp, qp = info["pricePrecision"], info["quantityPrecision"]
    for row in _klines(client, symbol=symbol, interval="15m", limit=50):
        for price in row[1:5]:
            assert len(price.partition(".")[2]) == pp
            assert Decimal(price) % tick == 0
        for qty in (row[5], row[9]):
            assert len(qty.partition(".")[2]) == qp
            assert Decimal(qty) % step == 0
        for quote in (row[7], row[10]):
            assert len(quote.partition(".")[2]) == pp + qp
        o, h, lo, c = (Decimal(x) for x in row[1:5])
        assert h >= max(o, c) and lo <= min(o, c)
        assert Decimal(row[9]) <= Decimal(row[5]) and Decimal(row[10]) <= Decimal(row[7])
        assert Decimal(row[5]) * lo <= Decimal(row[7]) <= Decimal(row[5]) * h


def test_btc_prices_print_like_the_real_ones(client: httpx.Client) -> None:
    row = _klines(client, symbol="BTCUSDT", interval="1m", limit=1)[0]
    assert row[1].endswith("0") and len(row[1].split(".")[1]) == 2  # 0.10 ticks, e.g. 30123.40
    assert 10_000 < float(row[1]) < 500_000


def test_default_limit_and_caps(client: httpx.Client) -> None:
    assert len(_klines(client, symbol="BTCUSDT", interval="1m")) == 500
    assert len(_klines(client, symbol="BTCUSDT", interval="1m", limit=1500)) == 1500
    assert len(_klines(client, symbol="BTCUSDT", interval="1m", limit=1)) == 1


def test_the_last_row_may_be_the_open_candle(client: httpx.Client, now_ms: int) -> None:
    rows = _klines(client, symbol="BTCUSDT", interval="1m", limit=3)
    *closed, last = rows
    assert last[0] <= now_ms < last[6], "the current candle is served, still open"
    assert all(r[6] < now_ms for r in closed)
    hourly = _klines(client, symbol="BTCUSDT", interval="1h", endTime=now_ms, limit=2)
    assert hourly[-1][0] <= now_ms < hourly[-1][6]


def test_same_candle_whatever_the_paging(client: httpx.Client, now_ms: int) -> None:
    start = now_ms - now_ms % MINUTE - 1200 * MINUTE
    whole = _klines(client, symbol="SOLUSDT", interval="1m", startTime=start, limit=1000)
    forward: list[list[Any]] = []
    cursor = start
    while len(forward) < 1000:
        page = _klines(client, symbol="SOLUSDT", interval="1m", startTime=cursor, limit=137)
        forward.extend(page)
        cursor = page[-1][0] + MINUTE
    assert forward[:1000] == whole
    # Backwards with endTime, and with an unaligned startTime.
    end = whole[-1][0]
    backward: list[list[Any]] = []
    while len(backward) < 1000:
        page = _klines(client, symbol="SOLUSDT", interval="1m", endTime=end, limit=300)
        backward = page + backward
        end = page[0][0] - 1
    assert backward[-1000:] == whole
    unaligned = _klines(client, symbol="SOLUSDT", interval="1m", startTime=start + 1, limit=5)
    assert unaligned == whole[1:6]
    bounded = _klines(
        client, symbol="SOLUSDT", interval="1m", startTime=start, endTime=start + 9 * MINUTE
    )
    assert bounded == whole[:10]


def test_closed_candles_do_not_change_when_time_moves_on(
    make_sim: Callable[..., simulator.Simulator], now_ms: int
) -> None:
    sim = make_sim(maintenance=())
    with httpx.Client(base_url=sim.base_url) as c:
        before = _klines(c, symbol="BTCUSDT", interval="1m", limit=5)
        sim.advance(90 * MINUTE)
        after = _klines(c, symbol="BTCUSDT", interval="1m", startTime=before[0][0], limit=5)
    assert after[:4] == before[:4]
    assert after[4][0] == before[4][0] and after[4] != before[4], "the open one completed"
    assert after[4][6] < sim.now_ms()


def test_no_candles_inside_maintenance_windows(
    make_sim: Callable[..., simulator.Simulator], now_ms: int
) -> None:
    gap = (now_ms - now_ms % MINUTE - 3 * HOUR, now_ms - now_ms % MINUTE - 2 * HOUR - 20 * MINUTE)
    sim = make_sim(maintenance=[gap])
    assert sim.maintenance_windows(now_ms - 24 * HOUR, now_ms) == [gap]
    with httpx.Client(base_url=sim.base_url) as c:
        rows = _klines(c, symbol="ETHUSDT", interval="1m", startTime=gap[0] - 5 * MINUTE, limit=50)
        hourly = _klines(c, symbol="ETHUSDT", interval="1h", startTime=gap[0] - HOUR, limit=3)
        fives = _klines(c, symbol="ETHUSDT", interval="5m", startTime=gap[0], limit=2)
    opens = [r[0] for r in rows]
    assert len(rows) == 50, "a page continues past the gap"
    assert opens[:5] == [gap[0] - 5 * MINUTE + i * MINUTE for i in range(5)]
    assert opens[5] == gap[1]
    assert not any(gap[0] <= t < gap[1] for t in opens)
    assert gap[0] - gap[0] % HOUR in [r[0] for r in hourly], "partly traded hours exist"
    assert fives[0][0] == gap[1]


def test_nothing_before_listing(client: httpx.Client) -> None:
    info = _symbols(client)
    rows = _klines(client, symbol="BTCUSDT", interval="1d", startTime=0, limit=3)
    assert rows[0][0] == info["BTCUSDT"]["onboardDate"] - info["BTCUSDT"]["onboardDate"] % (
        24 * HOUR
    )
    assert _klines(client, symbol="BTCUSDT", interval="1d", endTime=1_000_000_000_000) == []


def test_the_delivery_contract_trades_near_the_perpetual(client: httpx.Client) -> None:
    quarterly = next(s for s in _symbols(client) if "_" in s)
    q = _klines(client, symbol=quarterly, interval="1h", limit=24)
    p = _klines(client, symbol="BTCUSDT", interval="1h", limit=24)
    assert len(q) == 24 and [r[0] for r in q] == [r[0] for r in p]
    for qr, pr in zip(q, p, strict=True):
        assert len(qr[4].split(".")[1]) == 1  # pricePrecision 1
        premium = float(qr[4]) / float(pr[4]) - 1
        assert 0 < premium < 0.05
