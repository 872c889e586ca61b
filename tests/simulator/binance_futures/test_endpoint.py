from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import simulator

MINUTE = 60_000
HEADER = "X-MBX-USED-WEIGHT-1M"


@pytest.fixture
def fresh(make_sim: Callable[..., simulator.Simulator]) -> simulator.Simulator:
    return make_sim()


def test_every_response_carries_the_used_weight(fresh: simulator.Simulator) -> None:
    with httpx.Client(base_url=fresh.base_url) as c:
        assert c.get("/fapi/v1/exchangeInfo").json()["rateLimits"][0]["limit"] == 2400
        used = []
        for path in ("/fapi/v1/ping", "/fapi/v1/time", "/fapi/v1/exchangeInfo"):
            r = c.get(path)
            used.append(int(r.headers[HEADER]))
        assert used == [2, 3, 4]
        r = c.get("/fapi/v1/klines", params={"symbol": "NOPE", "interval": "1m"})
        assert r.status_code == 400 and r.headers[HEADER] == "9", "refused requests cost too"
        r = c.get("/futures/data/openInterestHist", params={"symbol": "BTCUSDT", "period": "5m"})
        assert r.headers[HEADER] == "9", "weight 0"
    assert fresh.stats()["weight"]["used_current_minute"] == 9


@pytest.mark.parametrize(
    ("limit", "weight"),
    [(1, 1), (99, 1), (100, 2), (499, 2), (500, 5), (1000, 5), (1001, 10), (1500, 10), (None, 5)],
)
def test_klines_weight_by_limit(fresh: simulator.Simulator, limit: int | None, weight: int) -> None:
    params = {"symbol": "BTCUSDT", "interval": "1m"}
    if limit is not None:
        params["limit"] = str(limit)
    r = httpx.get(f"{fresh.base_url}/fapi/v1/klines", params=params)
    assert r.status_code == 200 and r.headers[HEADER] == str(weight)


def test_weight_resets_with_the_clock_minute(
    make_sim: Callable[..., simulator.Simulator], now_ms: int
) -> None:
    sim = make_sim(now=now_ms - now_ms % MINUTE + 59_000)
    with httpx.Client(base_url=sim.base_url) as c:
        c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1500})
        assert c.get("/fapi/v1/ping").headers[HEADER] == "11"
        sim.advance(1_000)  # one second later, but a new clock minute
        assert c.get("/fapi/v1/ping").headers[HEADER] == "1"


def test_429_then_418_ban_then_recovery(
    make_sim: Callable[..., simulator.Simulator], now_ms: int, fixtures_dir: Path
) -> None:
    minute_start = now_ms - now_ms % MINUTE
    sim = make_sim(now=minute_start + 45_000, weight_limit=12, ban_seconds=3)
    example = json.loads(
        (fixtures_dir / "binance_futures" / "error_-1003_too_much_request_weight.json").read_text()
    )
    with httpx.Client(base_url=sim.base_url) as c:
        for _ in range(2):
            r = c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
            assert r.is_success
        over = c.get("/fapi/v1/exchangeInfo", params={})
        over2 = c.get("/fapi/v1/ping")
        assert over.is_success  # 11 of 12
        assert over2.is_success  # 12 of 12
        r429 = c.get("/fapi/v1/ping")
        assert r429.status_code == 429
        assert r429.headers["Retry-After"] == "15"
        body = r429.json()
        assert list(body) == list(example) and body["code"] == example["code"] == -1003
        assert body["msg"] == (
            "Too many requests; current limit of IP(127.0.0.1) is 12 requests per minute. "
            "Please use the websocket for live updates to avoid polling the API."
        )
        r418 = c.get("/fapi/v1/ping")
        assert r418.status_code == 418 and r418.headers["Retry-After"] == "3"
        assert r418.json() == {
            "code": -1003,
            "msg": f"Way too many requests; IP(127.0.0.1) banned until {minute_start + 48_000}. "
            "Please use the websocket for live updates to avoid bans.",
        }
        r = c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
        assert r.status_code == 418
        stats = sim.stats()
        assert (stats["responses_429"], stats["responses_418"]) == (1, 2)
        assert stats["statuses_by_endpoint"]["/fapi/v1/ping"] == {"200": 1, "429": 1, "418": 1}
        sim.advance(20_000)  # past the ban and into the next minute
        assert c.get("/fapi/v1/ping").status_code == 200
        assert c.get("/fapi/v1/ping").headers[HEADER] == "2"


def test_archives_cost_no_weight(fresh: simulator.Simulator) -> None:
    r = httpx.get(
        f"{fresh.base_url}/data/futures/um/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-04-01.zip"
    )
    assert r.status_code == 200 and HEADER not in r.headers
    stats = fresh.stats()
    assert stats["weight"]["used_total"] == 0
    assert stats["requests"] == {"/data/futures/um/daily/klines": 1}, "counted per dataset"
