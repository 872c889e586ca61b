"""Configurable transport and server faults, reproducible on request.

A rule matches requests whose path starts with ``path`` (every venue path if None; the control
API under ``/_sim`` is never faulted). It fires on each matching request with probability
``rate`` (drawn from an RNG seeded with the simulator seed and re-seeded whenever the rules are
set, so a given request sequence always sees the same faults), at most ``count`` times if
``count`` is set; ``FaultRule("error", path="/fapi/v1/klines", count=3)`` fails exactly the next
three kline requests. Delay rules add up and let the request proceed; of the other rules the
first that fires decides the request's fate.

Kinds:

* ``error``: answer ``status`` (500/502/503/504) the way Binance's servers or its edge do.
* ``delay``: wait ``delay`` seconds before answering.
* ``drop``: close the connection without any response.
* ``truncate``: send the headers with the full ``Content-Length``, half the body, then close.
* ``cut_json``: a complete HTTP response whose body is the first half of the JSON.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, cast, get_args

__all__ = ["FaultDecision", "FaultKind", "FaultRule", "Faults"]

FaultKind = Literal["error", "delay", "drop", "truncate", "cut_json"]
_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class FaultRule:
    kind: FaultKind
    path: str | None = None
    count: int | None = None
    rate: float = 1.0
    status: int = 503
    delay: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if self.kind == "error" and not 500 <= self.status <= 599:
            raise ValueError("an error fault's status must be 5xx")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        unknown = set(data) - {"kind", "path", "count", "rate", "status", "delay"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        kind = str(data["kind"])
        return cls(
            kind=cast(FaultKind, kind),
            path=None if data.get("path") is None else str(data["path"]),
            count=None if data.get("count") is None else int(data["count"]),
            rate=float(data.get("rate", 1.0)),
            status=int(data.get("status", 503)),
            delay=float(data.get("delay", 0.5)),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    action: FaultRule | None = None  # error, drop, truncate or cut_json
    delayed: bool = False


class Faults:
    def __init__(self, seed: int, rules: Iterable[FaultRule] = ()) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self.set(rules)

    def set(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_json(r) for r in rules]
        with self._lock:
            self._rules = parsed
            self._rng = random.Random(self._seed)

    def add(self, rule: FaultRule | Mapping[str, Any]) -> None:
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.from_json(rule)
        with self._lock:
            self._rules.append(parsed)

    def clear(self) -> None:
        self.set([])

    def rules(self) -> list[FaultRule]:
        """The active rules; ``count`` is what is left of each."""
        with self._lock:
            return list(self._rules)

    def decide(self, path: str) -> FaultDecision:
        delay = 0.0
        delayed = False
        with self._lock:
            for i, rule in enumerate(self._rules):
                if rule.count == 0 or not rule.matches(path):
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    self._rules[i] = replace(rule, count=rule.count - 1)
                if rule.kind == "delay":
                    delay += rule.delay
                    delayed = True
                    continue
                return FaultDecision(delay, rule, delayed)
        return FaultDecision(delay, None, delayed)
