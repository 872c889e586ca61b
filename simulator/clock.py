"""The simulator's notion of "now": real UTC time, real time shifted, or frozen."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

__all__ = ["Clock", "to_ms"]


def to_ms(when: int | float | datetime | str) -> int:
    """Epoch milliseconds from an int/float (ms), an aware datetime, or an ISO 8601 string.

    Naive datetimes and ISO strings without an offset are taken as UTC.
    """
    if isinstance(when, bool):
        raise TypeError("a time cannot be a bool")
    if isinstance(when, int | float):
        return int(when)
    if isinstance(when, str):
        text = when.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


class Clock:
    """Thread-safe clock. Frozen mode makes "the latest closed candle" deterministic in tests."""

    def __init__(self, *, now_ms: int | None = None, offset_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self._frozen: int | None = now_ms
        self._offset = offset_ms

    def now_ms(self) -> int:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.time_ns() // 1_000_000 + self._offset

    def freeze(self, now_ms: int) -> None:
        with self._lock:
            self._frozen = now_ms

    def run_from(self, now_ms: int) -> None:
        """Tick in real time, starting from ``now_ms`` at this instant."""
        with self._lock:
            self._frozen = None
            self._offset = now_ms - time.time_ns() // 1_000_000

    def set_offset(self, offset_ms: int) -> None:
        with self._lock:
            self._frozen = None
            self._offset = offset_ms

    def real(self) -> None:
        self.set_offset(0)

    def advance(self, ms: int) -> None:
        """Move time forward (or back, if negative) in either mode."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += ms
            else:
                self._offset += ms

    def describe(self) -> dict[str, object]:
        now = self.now_ms()
        with self._lock:
            mode = "fixed" if self._frozen is not None else ("offset" if self._offset else "real")
            offset = 0 if self._frozen is not None else self._offset
            return {"now": now, "mode": mode, "offset_ms": offset}
