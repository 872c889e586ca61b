from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import simulator


@pytest.fixture
def c(make_sim: Callable[..., simulator.Simulator]) -> httpx.Client:
    sim = make_sim()
    return httpx.Client(base_url=sim.base_url)


def test_health_and_stats(c: httpx.Client) -> None:
    assert c.get("/_sim/health").json() == {"ok": True}
    c.get("/fapi/v1/ping")
    c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1h"})
    stats = c.get("/_sim/stats").json()
    assert stats["requests_total"] == 2
    assert stats["requests"] == {"/fapi/v1/ping": 1, "/fapi/v1/klines": 1}
    assert stats["statuses"] == {"200": 2}
    assert (stats["responses_429"], stats["responses_418"]) == (0, 0)
    assert stats["weight"] == {"limit": 2400, "used_current_minute": 6, "used_total": 6}
    assert c.post("/_sim/reset").json() == {"ok": True}
    after = c.get("/_sim/stats").json()
    assert after["requests_total"] == 0 and after["weight"]["used_current_minute"] == 0


def test_faults_api(c: httpx.Client) -> None:
    rule = {"kind": "error", "path": "/fapi/v1/klines", "count": 2, "status": 504}
    listed = c.post("/_sim/faults", json={"faults": [rule]}).json()["faults"]
    assert listed == [{**rule, "rate": 1.0, "delay": 0.5}]
    c.post("/_sim/faults", json={"faults": [{"kind": "delay", "delay": 0.01}], "append": True})
    assert len(c.get("/_sim/faults").json()["faults"]) == 2
    r = c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
    assert r.status_code == 504
    assert c.get("/_sim/faults").json()["faults"][0]["count"] == 1
    assert c.delete("/_sim/faults").json() == {"faults": []}
    bad = c.post("/_sim/faults", json={"faults": [{"kind": "nope"}]})
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    assert c.post("/_sim/faults", content=b"{not json").status_code == 400


def test_clock_api(c: httpx.Client, now_ms: int) -> None:
    assert c.get("/_sim/clock").json() == {"now": now_ms, "mode": "fixed", "offset_ms": 0}
    c.post("/_sim/clock", json={"advance_ms": 60_000})
    assert c.get("/fapi/v1/time").json()["serverTime"] == now_ms + 60_000
    c.post("/_sim/clock", json={"now": "2024-01-01T00:00:00Z"})
    assert c.get("/fapi/v1/time").json()["serverTime"] == 1704067200000
    ticking = c.post("/_sim/clock", json={"now": 1704067200000, "frozen": False}).json()
    assert ticking["mode"] == "offset" and ticking["now"] >= 1704067200000
    real = c.post("/_sim/clock", json={"now": None}).json()
    assert real["mode"] == "real"
    assert c.post("/_sim/clock", json={"bogus": 1}).status_code == 400


def test_options_api(c: httpx.Client) -> None:
    options = c.get("/_sim/options").json()
    assert options["weight_limit"] == 2400 and options["string_timestamps"] is False
    changed = c.post("/_sim/options", json={"weight_limit": 3, "string_timestamps": True}).json()
    assert changed["weight_limit"] == 3 and changed["string_timestamps"] is True
    c.get("/fapi/v1/exchangeInfo")
    c.get("/fapi/v1/ping")
    c.get("/fapi/v1/ping")
    assert c.get("/fapi/v1/ping").status_code == 429
    assert c.post("/_sim/options", json={"seed": 1}).status_code == 400


def test_maintenance_api(make_sim: Callable[..., simulator.Simulator], now_ms: int) -> None:
    sim = make_sim(maintenance=[(now_ms - 7_200_000, now_ms - 3_600_000)])
    r = httpx.get(f"{sim.base_url}/_sim/maintenance")
    assert r.json() == {"windows": [[now_ms - 7_200_000, now_ms - 3_600_000]]}
    seeded = make_sim()
    windows = httpx.get(
        f"{seeded.base_url}/_sim/maintenance", params={"startTime": 0, "endTime": now_ms}
    ).json()["windows"]
    assert len(windows) > 50
