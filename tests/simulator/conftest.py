"""Simulator fixtures: real servers on loopback ports, a frozen clock, the real fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

import simulator

# 2024-05-01T12:00:30Z: half a minute into a 1m candle, so the last candle is still open.
NOW_MS = 1714564830000


@pytest.fixture
def now_ms() -> int:
    return NOW_MS


@pytest.fixture(scope="module")
def sim() -> Iterator[simulator.Simulator]:
    """A shared simulator for read-only tests: frozen clock, weight budget out of the way."""
    with simulator.serve(seed=42, now=NOW_MS, weight_limit=10**9, maintenance=()) as s:
        yield s


@pytest.fixture(scope="module")
def client(sim: simulator.Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=10) as c:
        yield c


@pytest.fixture
def make_sim() -> Iterator[Callable[..., simulator.Simulator]]:
    """Start a private simulator (stopped at teardown): ``make_sim(weight_limit=10)``."""
    with ExitStack() as stack:

        def start(**options: Any) -> simulator.Simulator:
            options.setdefault("now", NOW_MS)
            return stack.enter_context(simulator.serve(**options))

        yield start
