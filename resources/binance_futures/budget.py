"""One request-weight budget per Binance server for every run and process on this machine.

Binance limits request weight per IP, so the budget cannot live in a client object: it is a small
JSON state file under the data directory, read and written under an exclusive ``flock``. Each
request *reserves* its weight before it is sent and is *settled* when its answer arrives.

The window is sliding (the weight of the last 60 s never exceeds the limit), which is at least as
strict as Binance's fixed per-minute window. A settled request counts from the moment its answer
arrived (never earlier than the server counted it); one still in flight counts as if it were
answered at its deadline, so a process killed mid-request cannot free weight the server holds.

The server's own count (``X-MBX-USED-WEIGHT-1M``) corrects the local one upwards: weight used by
someone else on this IP is added as an anonymous reservation. A 429 pauses every process until its
``Retry-After``; a 418 ban is recorded with its end and refuses every request until then.

Besides request weight, Binance caps a few endpoints by request count ("buckets"): funding rate
history 500 per 5 minutes, the ``/futures/data`` statistics 1000 per 5 minutes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "WEIGHT",
    "BannedError",
    "Bucket",
    "BudgetStatus",
    "Reservation",
    "WeightBudget",
    "default_buckets",
    "state_path_for",
]

WEIGHT = "weight"


@dataclass(frozen=True)
class Bucket:
    """A limit on the sum of ``cost`` over any ``window_s`` seconds."""

    name: str
    limit: int
    window_s: float


def default_buckets(weight_limit: int = 2400, window_s: float = 60.0) -> tuple[Bucket, ...]:
    return (
        Bucket(WEIGHT, weight_limit, window_s),
        Bucket("funding_rate", 500, 300.0),
        Bucket("futures_data", 1000, 300.0),
    )


class BannedError(RuntimeError):
    """Binance banned this IP (HTTP 418); nothing may be sent before ``until``."""

    def __init__(self, until: float, detail: str = "") -> None:
        when = datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds")
        super().__init__(
            f"Binance has banned this IP until {when} (HTTP 418{': ' + detail if detail else ''}); "
            "all Binance work on this machine is stopped until then")
        self.until = until


@dataclass(frozen=True)
class Reservation:
    id: str
    costs: Mapping[str, int]
    waited_s: float


@dataclass(frozen=True)
class BudgetStatus:
    used: Mapping[str, int]
    limits: Mapping[str, int]
    paused_until: float
    banned_until: float


def state_path_for(base_url: str, directory: Path) -> Path:
    """One state file per server (scheme, host and port): each has its own limits."""
    parts = urlsplit(base_url)
    server = f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"
    digest = hashlib.sha256(server.encode()).hexdigest()[:12]
    host = (parts.hostname or "server").replace(":", "_")
    return directory / f"weight-{host}-{parts.port or 'default'}-{digest}.json"


class WeightBudget:
    """The shared budget for one server. ``acquire`` blocks until the costs fit, then reserves."""

    def __init__(self, path: Path, buckets: tuple[Bucket, ...], *, in_flight_s: float = 60.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = path
        self.buckets = {b.name: b for b in buckets}
        self.in_flight_s = in_flight_s
        self._clock = clock
        self._sleep = sleep
        self._thread_lock = threading.Lock()  # flock is per open file, threads share it
        path.parent.mkdir(parents=True, exist_ok=True)

    # -- state file ---------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with self._thread_lock, open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                text = handle.read()
                before: str | None = None
                try:
                    state = json.loads(text) if text.strip() else {}
                except json.JSONDecodeError:
                    # torn by a process killed mid-write: assume the whole window is spent
                    state = {"events": [["torn", self._clock(), name, bucket.limit]
                                        for name, bucket in self.buckets.items()]}
                else:
                    before = text
                state.setdefault("events", [])
                state.setdefault("paused_until", 0.0)
                state.setdefault("banned_until", 0.0)
                yield state
                self._prune(state)
                after = json.dumps(state, sort_keys=True)
                if after != before:  # the file holds exactly what json.dumps wrote last
                    handle.seek(0)
                    handle.truncate()
                    handle.write(after)
                    handle.flush()  # no fsync: after a machine crash the window has passed anyway
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prune(self, state: dict[str, Any]) -> None:
        now = self._clock()
        kept = []
        for event in state["events"]:
            _id, at, bucket, _cost = event
            window = self.buckets[bucket].window_s if bucket in self.buckets else 300.0
            if at + window > now:
                kept.append(event)
        state["events"] = kept

    def _used(self, state: dict[str, Any]) -> dict[str, int]:
        now = self._clock()
        used = dict.fromkeys(self.buckets, 0)
        for _id, at, bucket, cost in state["events"]:
            if bucket in self.buckets and at + self.buckets[bucket].window_s > now:
                used[bucket] += int(cost)
        return used

    def _wait_needed(self, state: dict[str, Any], costs: Mapping[str, int]) -> float:
        """Seconds until ``costs`` fit in every bucket (0 if they fit now)."""
        now = self._clock()
        wait = 0.0
        used = self._used(state)
        for name, cost in costs.items():
            bucket = self.buckets.get(name)
            if bucket is None or cost <= 0:
                continue
            excess = used[name] + cost - bucket.limit
            if excess <= 0:
                continue
            if cost > bucket.limit:
                raise ValueError(f"a request costing {cost} can never fit the {name} limit "
                                 f"of {bucket.limit}")
            # free the oldest reservations until the excess is gone
            events = sorted((at, c) for _i, at, b, c in state["events"] if b == name)
            freed = 0
            for at, event_cost in events:
                freed += int(event_cost)
                if freed >= excess:
                    wait = max(wait, at + bucket.window_s - now)
                    break
        return max(wait, 0.0)

    # -- public -------------------------------------------------------------------------------

    def acquire(self, costs: Mapping[str, int], *, on_wait: Callable[[float, str], None] | None
                = None) -> Reservation:
        """Reserve ``costs`` (bucket -> units), waiting for room. Raises :class:`BannedError`."""
        started = self._clock()
        while True:
            with self._locked() as state:
                now = self._clock()
                if state["banned_until"] > now:
                    raise BannedError(state["banned_until"], state.get("ban_detail", ""))
                if state["paused_until"] > now:
                    wait, reason = state["paused_until"] - now, "429"
                else:
                    wait, reason = self._wait_needed(state, costs), "budget"
                if wait <= 0:
                    reservation_id = uuid.uuid4().hex[:12]
                    deadline = now + self.in_flight_s
                    for name, cost in costs.items():
                        if cost > 0 and name in self.buckets:
                            state["events"].append([reservation_id, deadline, name, int(cost)])
                    return Reservation(reservation_id, dict(costs), now - started)
            if on_wait is not None:
                on_wait(wait, reason)
            self._sleep(min(wait + 0.01, 5.0))

    def settle(self, reservation: Reservation, used_weight: int | None = None) -> None:
        """The request was answered now (or failed): it counts from now; correct from the
        server's ``X-MBX-USED-WEIGHT-1M`` if it reports more than we know of."""
        with self._locked() as state:
            now = self._clock()
            for event in state["events"]:
                if event[0] == reservation.id:
                    event[1] = now
            if used_weight is not None and WEIGHT in self.buckets:
                known = self._used(state)[WEIGHT]
                if used_weight > known:
                    state["events"].append(["server", now, WEIGHT, used_weight - known])

    def pause(self, seconds: float) -> None:
        """Binance answered 429: nobody sends anything for ``seconds``."""
        with self._locked() as state:
            state["paused_until"] = max(state["paused_until"], self._clock() + seconds)

    def ban(self, until: float, detail: str = "") -> None:
        with self._locked() as state:
            if until > state["banned_until"]:
                state["banned_until"] = until
                state["ban_detail"] = detail

    def check_ban(self) -> None:
        with self._locked() as state:
            if state["banned_until"] > self._clock():
                raise BannedError(state["banned_until"], state.get("ban_detail", ""))

    def status(self) -> BudgetStatus:
        with self._locked() as state:
            return BudgetStatus(
                used=self._used(state),
                limits={name: b.limit for name, b in self.buckets.items()},
                paused_until=float(state["paused_until"]),
                banned_until=float(state["banned_until"]),
            )
