"""Configuration and the shared run-time state every venue's routes read."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.binance_futures.signing import DOCS_API_KEY, DOCS_API_SECRET
from simulator.clock import Clock, to_ms
from simulator.faults import FaultRule, Faults
from simulator.limits import PoolLimit, RateLimiter
from simulator.market import Market
from simulator.stats import Stats

__all__ = ["RUNTIME_OPTIONS", "SimConfig", "SimState"]

_FIVE_MINUTES_MS = 300_000


@dataclass(frozen=True)
class SimConfig:
    """Everything a simulator is started with. All fields have working defaults."""

    seed: int = 42
    # Binance USD-M REQUEST_WEIGHT per IP per (clock) minute.
    weight_limit: int = 2400
    # How long a 418 ban lasts. Real bans start at 2 minutes; short keeps tests fast.
    ban_seconds: float = 5.0
    # Request pools that are not counted in weight: /fapi/v1/fundingRate (500 per 5 min) and
    # /futures/data/* (1000 per 5 min).
    funding_limit: int = 500
    futures_data_limit: int = 1000
    api_key: str = DOCS_API_KEY
    api_secret: str = DOCS_API_SECRET
    # /futures/data/* timestamps: live responses send numbers, the docs examples strings.
    string_timestamps: bool = False
    # Frozen clock (epoch ms, aware datetime or ISO 8601), else real time + now_offset_ms.
    now: int | datetime | str | None = None
    now_offset_ms: int = 0
    # None: maintenance windows derived from the seed; otherwise exactly these [start, end).
    maintenance: tuple[tuple[int, int], ...] | None = None
    faults: tuple[FaultRule, ...] = ()


# Options that can change while the simulator runs (``POST /_sim/options``).
RUNTIME_OPTIONS = (
    "weight_limit",
    "ban_seconds",
    "funding_limit",
    "futures_data_limit",
    "api_key",
    "api_secret",
    "string_timestamps",
)


class SimState:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self.clock = Clock(
            now_ms=None if config.now is None else to_ms(config.now),
            offset_ms=config.now_offset_ms,
        )
        self.market = Market(config.seed, config.maintenance)
        self.limiter = RateLimiter(
            self.clock,
            weight_limit=config.weight_limit,
            ban_seconds=config.ban_seconds,
            pools={
                "funding": PoolLimit(config.funding_limit, _FIVE_MINUTES_MS),
                "futures_data": PoolLimit(config.futures_data_limit, _FIVE_MINUTES_MS),
            },
        )
        self.faults = Faults(config.seed, config.faults)
        self.stats = Stats()
        self.api_key = config.api_key
        self.api_secret = config.api_secret
        self.string_timestamps = config.string_timestamps

    def options(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self.config.seed,
                "weight_limit": self.limiter.weight_limit,
                "ban_seconds": self.limiter.ban_seconds,
                "funding_limit": self.limiter.pools["funding"].requests,
                "futures_data_limit": self.limiter.pools["futures_data"].requests,
                "api_key": self.api_key,
                "api_secret": self.api_secret,
                "string_timestamps": self.string_timestamps,
            }

    def set_options(self, **changes: Any) -> None:
        unknown = set(changes) - set(RUNTIME_OPTIONS)
        if unknown:
            raise ValueError(f"not run-time options: {sorted(unknown)}")
        with self._lock:
            if "weight_limit" in changes:
                self.limiter.weight_limit = int(changes["weight_limit"])
            if "ban_seconds" in changes:
                self.limiter.ban_seconds = float(changes["ban_seconds"])
            if "funding_limit" in changes:
                self.limiter.pools["funding"] = PoolLimit(
                    int(changes["funding_limit"]), _FIVE_MINUTES_MS
                )
            if "futures_data_limit" in changes:
                self.limiter.pools["futures_data"] = PoolLimit(
                    int(changes["futures_data_limit"]), _FIVE_MINUTES_MS
                )
            if "api_key" in changes:
                self.api_key = str(changes["api_key"])
            if "api_secret" in changes:
                self.api_secret = str(changes["api_secret"])
            if "string_timestamps" in changes:
                self.string_timestamps = bool(changes["string_timestamps"])

    def reset(self) -> None:
        """Forget counters, weight windows, back-offs and bans (faults and clock stay)."""
        self.stats.reset()
        self.limiter.reset()
