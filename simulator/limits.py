"""Per-IP request-weight accounting with 429 back-off and 418 bans, as Binance applies them.

Model (venue-neutral; the Binance routes supply the numbers):

* Weight is counted in fixed windows aligned to the UTC clock minute (Binance's window is the
  clock minute, not a sliding 60 s). A request is admitted if the window's total including it
  stays within the limit; otherwise it gets 429 and the IP must back off until the window ends
  (``Retry-After`` = seconds to the window's end).
* Named pools count requests, not weight, in their own fixed windows (e.g. Binance's
  ``fundingRate``: 500 per 5 minutes). Going over one also answers 429.
* Any request arriving during a back-off gets 418 and bans the IP for ``ban_seconds``
  (``Retry-After`` = seconds left). Requests during a ban get 418 again without extending it.
* Refused requests (400s) still cost weight, as on the real API.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from simulator.clock import Clock

__all__ = ["Admission", "PoolLimit", "RateLimiter"]

_MINUTE_MS = 60_000


@dataclass(frozen=True)
class PoolLimit:
    requests: int
    window_ms: int


@dataclass(frozen=True)
class Admission:
    status: int  # 200 admitted, 429 over a limit, 418 banned
    used_weight: int
    retry_after: int | None = None  # seconds
    limit: int = 0  # the limit that was hit, for the message
    ban_until_ms: int | None = None
    pool: str | None = None

    @property
    def admitted(self) -> bool:
        return self.status == 200


@dataclass
class _IpState:
    window_start: int = -1
    used: int = 0
    pools: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (window, count)
    backoff_until: int | None = None
    ban_until: int | None = None


def _seconds_until(now_ms: int, t_ms: int) -> int:
    return max(1, math.ceil((t_ms - now_ms) / 1000))


class RateLimiter:
    def __init__(
        self,
        clock: Clock,
        *,
        weight_limit: int,
        ban_seconds: float,
        pools: dict[str, PoolLimit] | None = None,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.weight_limit = weight_limit
        self.ban_seconds = ban_seconds
        self.pools: dict[str, PoolLimit] = dict(pools or {})
        self._ips: dict[str, _IpState] = {}
        self.total_weight = 0

    def reset(self) -> None:
        with self._lock:
            self._ips.clear()
            self.total_weight = 0

    def admit(self, ip: str, weight: int, pool: str | None = None) -> Admission:
        now = self._clock.now_ms()
        with self._lock:
            st = self._ips.setdefault(ip, _IpState())
            window = now - now % _MINUTE_MS
            if st.window_start != window:
                st.window_start, st.used = window, 0
            if st.ban_until is not None and now < st.ban_until:
                return Admission(
                    418, st.used, _seconds_until(now, st.ban_until), ban_until_ms=st.ban_until
                )
            st.ban_until = None
            if st.backoff_until is not None and now < st.backoff_until:
                # Kept calling during the back-off the 429 asked for: ban.
                st.backoff_until = None
                st.ban_until = now + max(1, round(self.ban_seconds * 1000))
                return Admission(
                    418, st.used, _seconds_until(now, st.ban_until), ban_until_ms=st.ban_until
                )
            st.backoff_until = None
            st.used += weight
            self.total_weight += weight
            if st.used > self.weight_limit:
                st.backoff_until = window + _MINUTE_MS
                return Admission(
                    429, st.used, _seconds_until(now, st.backoff_until), limit=self.weight_limit
                )
            if pool is not None and pool in self.pools:
                spec = self.pools[pool]
                pool_window = now - now % spec.window_ms
                seen_window, count = st.pools.get(pool, (pool_window, 0))
                count = count + 1 if seen_window == pool_window else 1
                st.pools[pool] = (pool_window, count)
                if count > spec.requests:
                    st.backoff_until = pool_window + spec.window_ms
                    return Admission(
                        429,
                        st.used,
                        _seconds_until(now, st.backoff_until),
                        limit=spec.requests,
                        pool=pool,
                    )
            return Admission(200, st.used)

    def used_weight(self, ip: str | None = None) -> int:
        """Weight used in the current minute by ``ip`` (all IPs if None)."""
        now = self._clock.now_ms()
        window = now - now % _MINUTE_MS
        with self._lock:
            states = [self._ips[ip]] if ip in self._ips else [] if ip else list(self._ips.values())
            return sum(s.used for s in states if s.window_start == window)
