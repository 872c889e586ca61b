"""What the simulator served, for tests to assert on (e.g. "no 429 was ever sent")."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any

__all__ = ["Stats", "endpoint_key"]

# Archive paths carry symbol and date; count them per dataset, not per file.
_ARCHIVE_DEPTH = 6  # "", "data", "futures", "um", "daily", "klines"


def endpoint_key(path: str) -> str:
    if path.startswith("/data/"):
        return "/".join(path.split("/")[:_ARCHIVE_DEPTH])
    return path


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._by_endpoint: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._faults: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._statuses.clear()
            self._by_endpoint.clear()
            self._faults.clear()

    def record(self, path: str, outcome: int | str, fault: str | None = None) -> None:
        """``outcome`` is the HTTP status, or "dropped"/"truncated" when none was completed."""
        key = endpoint_key(path)
        with self._lock:
            self._requests[key] += 1
            self._statuses[str(outcome)] += 1
            self._by_endpoint[key][str(outcome)] += 1
            if fault is not None:
                self._faults[fault] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_total": sum(self._requests.values()),
                "requests": dict(self._requests),
                "statuses": dict(self._statuses),
                "statuses_by_endpoint": {k: dict(v) for k, v in self._by_endpoint.items()},
                "responses_429": self._statuses.get("429", 0),
                "responses_418": self._statuses.get("418", 0),
                "faults": dict(self._faults),
            }
