from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

import simulator


def test_serve_runs_on_a_free_loopback_port_and_stops_cleanly() -> None:
    with simulator.serve(seed=1) as a, simulator.serve(seed=2) as b:
        assert a.port != b.port and a.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{a.base_url}/fapi/v1/ping").json() == {}
        params = {"symbol": "BTCUSDT", "interval": "1d", "limit": 3, "endTime": 1704067200000}
        ka = httpx.get(f"{a.base_url}/fapi/v1/klines", params=params).json()
        kb = httpx.get(f"{b.base_url}/fapi/v1/klines", params=params).json()
        assert ka != kb, "different seeds, different markets"
        port = a.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/fapi/v1/ping")


def test_same_seed_same_market() -> None:
    params = {"symbol": "XRPUSDT", "interval": "4h", "limit": 20, "endTime": 1704067200000}
    bodies = []
    for _ in range(2):
        with simulator.serve(seed=5) as sim:
            bodies.append(httpx.get(f"{sim.base_url}/fapi/v1/klines", params=params).text)
    assert bodies[0] == bodies[1]


def test_clock_controls() -> None:
    with simulator.serve(now=datetime(2024, 5, 1, tzinfo=UTC)) as sim:
        assert sim.now_ms() == 1714521600000
        sim.advance(1_000)
        assert httpx.get(f"{sim.base_url}/fapi/v1/time").json()["serverTime"] == 1714521601000
        sim.set_now("2024-06-01T00:00:00Z", frozen=False)
        assert 1717200000000 <= sim.now_ms() < 1717200000000 + 5_000
        sim.set_now(None)
        assert sim.now_ms() > 1717200000000


def test_explicit_simulator_object_and_options() -> None:
    sim = simulator.Simulator(simulator.SimConfig(seed=3, weight_limit=1, now=1714521600000))
    with sim:
        assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 200
        assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 429
        sim.reset()
        sim.set_options(weight_limit=100)
        assert httpx.get(f"{sim.base_url}/fapi/v1/ping").status_code == 200
        with pytest.raises(ValueError):
            sim.set_options(nonsense=1)
