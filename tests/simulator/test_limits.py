from __future__ import annotations

from simulator.clock import Clock
from simulator.limits import PoolLimit, RateLimiter

T0 = 1_714_564_800_000  # on a minute boundary


def _limiter(clock: Clock) -> RateLimiter:
    return RateLimiter(
        clock, weight_limit=10, ban_seconds=2, pools={"p": PoolLimit(2, 300_000)}
    )


def test_weight_is_counted_per_clock_minute() -> None:
    clock = Clock(now_ms=T0 + 50_000)
    limiter = _limiter(clock)
    assert limiter.admit("a", 6).used_weight == 6
    assert limiter.admit("a", 4).status == 200  # exactly at the limit is fine
    assert limiter.admit("b", 10).status == 200  # per IP
    clock.advance(10_000)  # next clock minute, although only 10 s later
    assert limiter.admit("a", 1).used_weight == 1


def test_429_then_418_then_recovery() -> None:
    clock = Clock(now_ms=T0 + 45_000)
    limiter = _limiter(clock)
    limiter.admit("a", 10)
    over = limiter.admit("a", 1)
    assert (over.status, over.retry_after) == (429, 15)
    banned = limiter.admit("a", 1)
    assert banned.status == 418 and banned.retry_after == 2
    assert banned.ban_until_ms == T0 + 47_000
    clock.advance(1_000)
    assert limiter.admit("a", 1).status == 418  # still banned, not extended
    clock.advance(1_000)
    assert limiter.admit("a", 1).status == 429  # ban over, but the minute is still spent
    clock.advance(1_000)
    assert limiter.admit("a", 1).status == 418  # ignored that 429 too
    clock.advance(60_000)
    assert limiter.admit("a", 1).status == 200  # ban over, fresh minute


def test_request_pools_limit_counts_not_weight() -> None:
    clock = Clock(now_ms=T0)
    limiter = _limiter(clock)
    assert limiter.admit("a", 0, "p").status == 200
    assert limiter.admit("a", 0, "p").status == 200
    third = limiter.admit("a", 0, "p")
    assert third.status == 429 and third.pool == "p" and third.retry_after == 300
    assert limiter.used_weight("a") == 0
