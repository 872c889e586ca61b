"""Candle intervals as exchanges align them (UTC, epoch-anchored; weeks start on Monday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

__all__ = ["DAY_MS", "HOUR_MS", "MINUTE_MS", "Interval", "month_start"]

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
# 1970-01-01 was a Thursday; weekly candles open on Mondays, the first being 1970-01-05.
_MONDAY_ANCHOR_MS = 4 * DAY_MS


def month_start(t_ms: int) -> int:
    """Open time of the calendar month (UTC) containing ``t_ms``."""
    d = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp() * 1000)


def _add_months(t_ms: int, n: int) -> int:
    d = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    index = d.year * 12 + (d.month - 1) + n
    return int(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Interval:
    """One candle width. ``ms`` is None for calendar months, whose length varies."""

    name: str
    ms: int | None
    anchor_ms: int = 0

    @staticmethod
    def fixed(name: str, ms: int, anchor_ms: int = 0) -> Interval:
        return Interval(name, ms, anchor_ms)

    @staticmethod
    def weekly(name: str) -> Interval:
        return Interval(name, 7 * DAY_MS, _MONDAY_ANCHOR_MS)

    @staticmethod
    def monthly(name: str) -> Interval:
        return Interval(name, None)

    @property
    def nominal_ms(self) -> int:
        """Length used where a single number is needed (30 days for a month)."""
        return self.ms if self.ms is not None else 30 * DAY_MS

    def floor(self, t_ms: int) -> int:
        """Open time of the candle containing ``t_ms``."""
        if self.ms is None:
            return month_start(t_ms)
        return self.anchor_ms + (t_ms - self.anchor_ms) // self.ms * self.ms

    def ceil(self, t_ms: int) -> int:
        """First open time at or after ``t_ms``."""
        f = self.floor(t_ms)
        return f if f == t_ms else self.add(f, 1)

    def add(self, open_ms: int, n: int) -> int:
        if self.ms is None:
            return _add_months(open_ms, n)
        return open_ms + n * self.ms

    def sequence(self, first_open_ms: int, count: int) -> NDArray[np.int64]:
        """``count`` consecutive open times starting at ``first_open_ms`` (ascending)."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        if self.ms is None:
            return np.array([_add_months(first_open_ms, i) for i in range(count)], dtype=np.int64)
        return first_open_ms + np.arange(count, dtype=np.int64) * self.ms

    def ends(self, opens: NDArray[np.int64]) -> NDArray[np.int64]:
        """Exclusive end (next open) of each candle."""
        if self.ms is None:
            return np.array([_add_months(int(t), 1) for t in opens], dtype=np.int64)
        return opens + self.ms
