from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from simulator.clock import Clock, to_ms


def test_to_ms_accepts_ms_datetimes_and_iso_strings() -> None:
    assert to_ms(1714564830000) == 1714564830000
    assert to_ms("1714564830000") == 1714564830000
    assert to_ms("2024-05-01T12:00:30Z") == 1714564830000
    assert to_ms("2024-05-01T12:00:30") == 1714564830000  # naive means UTC
    assert to_ms(datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)) == 1714564830000
    with pytest.raises(TypeError):
        to_ms(True)


def test_frozen_offset_and_real_modes() -> None:
    clock = Clock(now_ms=1000)
    assert clock.now_ms() == 1000
    clock.advance(500)
    assert clock.now_ms() == 1500
    assert clock.describe()["mode"] == "fixed"
    clock.run_from(1_000_000)
    first = clock.now_ms()
    time.sleep(0.02)
    assert 1_000_000 <= first < clock.now_ms() < 1_000_000 + 5_000
    clock.real()
    assert abs(clock.now_ms() - time.time() * 1000) < 1000
    clock.set_offset(-60_000)
    assert clock.describe()["mode"] == "offset"
    assert abs(clock.now_ms() - (time.time() * 1000 - 60_000)) < 1000
