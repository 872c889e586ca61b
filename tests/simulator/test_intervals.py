from __future__ import annotations

from datetime import UTC, datetime

from simulator.intervals import DAY_MS, Interval


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_weeks_open_on_monday_and_months_on_the_first() -> None:
    week = Interval.weekly("1w")
    assert week.floor(_ms("2024-05-01T12:00:00")) == _ms("2024-04-29T00:00:00")  # a Monday
    month = Interval.monthly("1M")
    assert month.floor(_ms("2024-02-29T23:59:59")) == _ms("2024-02-01T00:00:00")
    assert month.add(_ms("2024-12-01T00:00:00"), 1) == _ms("2025-01-01T00:00:00")
    assert month.add(_ms("2024-03-01T00:00:00"), -1) == _ms("2024-02-01T00:00:00")
    assert list(month.ends(month.sequence(_ms("2024-01-01T00:00:00"), 2))) == [
        _ms("2024-02-01T00:00:00"),
        _ms("2024-03-01T00:00:00"),
    ]


def test_fixed_intervals_align_to_the_epoch() -> None:
    three_days = Interval.fixed("3d", 3 * DAY_MS)
    t = _ms("2024-05-01T12:00:00")
    assert three_days.floor(t) % (3 * DAY_MS) == 0
    hour = Interval.fixed("1h", 3_600_000)
    assert hour.ceil(_ms("2024-05-01T12:00:00")) == _ms("2024-05-01T12:00:00")
    assert hour.ceil(_ms("2024-05-01T12:00:01")) == _ms("2024-05-01T13:00:00")
