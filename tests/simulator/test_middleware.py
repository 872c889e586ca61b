"""Every fault kind, injected by the real server over real loopback HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

import simulator
from simulator import FaultRule

KLINES = {"symbol": "BTCUSDT", "interval": "1m", "limit": 50}


@pytest.fixture
def sim(make_sim: Callable[..., simulator.Simulator]) -> simulator.Simulator:
    return make_sim()


def test_fail_the_next_three_kline_requests(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("error", path="/fapi/v1/klines", count=3, status=503)])
    with httpx.Client(base_url=sim.base_url) as c:
        assert c.get("/fapi/v1/ping").status_code == 200
        statuses = [c.get("/fapi/v1/klines", params=KLINES).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    stats = sim.stats()
    assert stats["faults"] == {"error": 3}
    assert stats["statuses_by_endpoint"]["/fapi/v1/klines"] == {"503": 3, "200": 2}


@pytest.mark.parametrize(
    ("status", "media"),
    [(500, "application/json"), (502, "text/html"), (503, "application/json"), (504, "text/html")],
)
def test_5xx_bodies(sim: simulator.Simulator, status: int, media: str) -> None:
    sim.set_faults([{"kind": "error", "status": status, "count": 1}])
    r = httpx.get(f"{sim.base_url}/fapi/v1/time")
    assert r.status_code == status and r.headers["content-type"] == media
    if media == "application/json":
        assert r.json()["code"] in (-1000, -1001)
    else:
        assert f"{status} " in r.text


def test_error_rate_is_reproducible(sim: simulator.Simulator) -> None:
    runs = []
    with httpx.Client(base_url=sim.base_url) as c:
        for _ in range(2):
            sim.set_faults([FaultRule("error", rate=0.5, status=500)])
            runs.append([c.get("/fapi/v1/ping").status_code for _ in range(20)])
    assert runs[0] == runs[1] and {200, 500} == set(runs[0])


def test_delay(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("delay", delay=0.5, path="/fapi/v1/time")])
    t = time.perf_counter()
    r = httpx.get(f"{sim.base_url}/fapi/v1/time")
    assert r.status_code == 200 and time.perf_counter() - t >= 0.5
    httpx.get(f"{sim.base_url}/fapi/v1/ping")
    # Only the matching path was delayed (counted, rather than timed: CI machines are shared).
    assert sim.stats()["faults"] == {"delay": 1}
    assert sim.stats()["requests"] == {"/fapi/v1/time": 1, "/fapi/v1/ping": 1}


def test_drop_closes_the_connection_without_a_response(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("drop", count=1)])
    with httpx.Client(base_url=sim.base_url) as c:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get("/fapi/v1/klines", params=KLINES)
        assert c.get("/fapi/v1/klines", params=KLINES).status_code == 200, "next one is fine"
    assert sim.stats()["statuses"] == {"dropped": 1, "200": 1}


def test_truncate_promises_more_than_it_sends(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("truncate", count=1)])
    with httpx.Client(base_url=sim.base_url) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/fapi/v1/klines", params=KLINES)
        assert len(c.get("/fapi/v1/klines", params=KLINES).json()) == 50
    assert sim.stats()["statuses"] == {"truncated": 1, "200": 1}


def test_truncated_stream_really_is_cut(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("truncate", count=1)])
    received = b""
    with (
        httpx.Client(base_url=sim.base_url) as c,
        c.stream("GET", "/fapi/v1/klines", params=KLINES) as r,
    ):
        declared = int(r.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in r.iter_raw():
                received += chunk
    assert 0 < len(received) < declared


def test_cut_json_is_valid_http_carrying_broken_json(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("cut_json", path="/fapi/v1/klines", count=1)])
    r = httpx.get(f"{sim.base_url}/fapi/v1/klines", params=KLINES)
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_the_control_api_is_never_faulted(sim: simulator.Simulator) -> None:
    sim.set_faults([FaultRule("error", status=500)])
    assert httpx.get(f"{sim.base_url}/_sim/stats").status_code == 200
    assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 500


def test_faults_given_at_start(make_sim: Callable[..., simulator.Simulator]) -> None:
    sim = make_sim(faults=[{"kind": "error", "status": 502, "count": 1}])
    assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 502
    assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 200
