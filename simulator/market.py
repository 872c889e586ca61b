"""Deterministic synthetic markets, shared by every venue the simulator speaks for.

Prices follow one path per underlying (``path_key``), so BTCUSDT on one venue and XBT/USD on
another move together. The path is a sum of value-noise octaves (1 minute to about a year, with
Brownian amplitude scaling): a random walk that can be evaluated at any instant in O(1), without
replaying history. Each candle's open/close come from that path, so a candle's close equals the
next candle's open; wicks, volumes, trade counts and taker share are drawn from counters keyed
by (seed, instrument, interval, open time). Hence the same candle comes back whatever range or
page a client asks for, and 1,500 candles take about a millisecond.

Quantities are integers in units of 10^-decimals, so formatting is exact: prices are multiples
of the tick, volumes multiples of the step, and quote volumes the exact product volume * vwap
(real venues' quote volume is likewise an exact sum of price * quantity).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from simulator.intervals import DAY_MS, MINUTE_MS, Interval
from simulator.noise import key_of, normal, uniform, value_noise

__all__ = ["Candles", "Market", "MarketSpec", "format_units"]

_MINUTES_PER_YEAR = 525_600
_PATH_OCTAVES = 20  # 1 minute .. 2^19 minutes (about a year)
_PATH_SCALE = 0.5  # keeps the 1-minute return std close to annual_vol / sqrt(minutes per year)
_MAINT_BLOCK_MS = 14 * DAY_MS
_INT64_SAFE = 9.0e18
_QUARTER_MS = 90 * DAY_MS

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class MarketSpec:
    """What the generator needs to know about one tradable instrument."""

    name: str  # keys the per-candle draws; usually the venue's symbol
    path_key: str  # underlying; instruments with the same key share a price path
    base_price: float
    annual_vol: float
    price_decimals: int
    tick_units: int  # tick size in units of 10^-price_decimals
    qty_decimals: int
    step_units: int  # step size in units of 10^-qty_decimals
    volume_per_minute: float  # base asset
    trades_per_minute: float
    basis: float = 0.0  # premium over the path 90 days before expiry (delivery contracts)
    expiry_ms: int | None = None


@dataclass(frozen=True)
class Candles:
    """A block of candles as integer arrays (see the module doc for the units)."""

    open_time: I64
    close_time: I64  # inclusive: next open - 1 ms, also for the still-open candle
    open: I64
    high: I64
    low: I64
    close: I64
    volume: I64
    quote_volume: I64
    trades: I64
    taker_buy_volume: I64
    taker_buy_quote_volume: I64
    price_decimals: int
    qty_decimals: int

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    @property
    def quote_decimals(self) -> int:
        return self.price_decimals + self.qty_decimals


def format_units(values: I64 | Sequence[int], decimals: int) -> list[str]:
    """Integers in units of 10^-decimals as fixed-point strings ("30123.40", "-0.00010000")."""
    ints = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if decimals == 0:
        return [str(v) for v in ints]
    scale = 10**decimals
    out = []
    for v in ints:
        sign = "-" if v < 0 else ""
        q, r = divmod(abs(v), scale)
        out.append(f"{sign}{q}.{r:0{decimals}d}")
    return out


@lru_cache(maxsize=256)
def _path_keys(seed: int, path_key: str) -> tuple[int, ...]:
    return tuple(key_of(seed, "path", path_key, k) for k in range(_PATH_OCTAVES))


@lru_cache(maxsize=1024)
def _field_key(seed: int, *parts: str) -> int:
    return key_of(seed, *parts)


class Market:
    """All generated market data for one seed. Stateless apart from configuration."""

    def __init__(
        self, seed: int, maintenance: Sequence[tuple[int, int]] | None = None
    ) -> None:
        self.seed = seed
        # None: windows derived from the seed; a sequence (possibly empty): exactly those.
        self._maintenance = (
            None if maintenance is None else sorted((int(s), int(e)) for s, e in maintenance)
        )

    # -- prices ---------------------------------------------------------------------------

    def path(self, path_key: str, base_price: float, annual_vol: float, t_ms: I64) -> F64:
        """Price of an underlying at each instant."""
        t = np.asarray(t_ms, dtype=np.int64)
        sigma = annual_vol / math.sqrt(_MINUTES_PER_YEAR)
        log_p = np.full(t.shape, math.log(base_price))
        for k, key in enumerate(_path_keys(self.seed, path_key)):
            amplitude = sigma * _PATH_SCALE * math.sqrt(2.0**k)
            log_p += amplitude * value_noise(key, t, MINUTE_MS << k)
        result: F64 = np.exp(log_p)
        return result

    def price(self, spec: MarketSpec, t_ms: I64) -> F64:
        """Price of an instrument: its underlying's path plus any delivery basis."""
        t = np.asarray(t_ms, dtype=np.int64)
        p = self.path(spec.path_key, spec.base_price, spec.annual_vol, t)
        if spec.expiry_ms is not None and spec.basis:
            to_expiry = np.clip((spec.expiry_ms - t) / _QUARTER_MS, 0.0, 2.0)
            p = p * (1.0 + spec.basis * to_expiry)
        return p

    def smooth(self, t_ms: I64, spacing_ms: int, octaves: int, *parts: str) -> F64:
        """Slow, roughly unit-variance noise for auxiliary series (open interest, ratios)."""
        t = np.asarray(t_ms, dtype=np.int64)
        total = np.zeros(t.shape)
        weight = 0.0
        for k in range(octaves):
            amp = math.sqrt(2.0**k)
            total += amp * value_noise(_field_key(self.seed, *parts, str(k)), t, spacing_ms << k)
            weight += amp * amp
        result: F64 = total / math.sqrt(weight * 2.0 / 3.0)
        return result

    def draw_normal(self, counters: I64, *parts: str) -> F64:
        return normal(_field_key(self.seed, *parts), counters)

    def draw_uniform(self, counters: I64, *parts: str) -> F64:
        return uniform(_field_key(self.seed, *parts), counters)

    # -- maintenance ----------------------------------------------------------------------

    def maintenance(self, venue: str, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """Windows ``[start, end)`` overlapping ``[start_ms, end_ms)`` with no trading at all.

        Unless configured explicitly, about one window every four weeks per venue, 15 to 120
        minutes long, starting on a minute boundary.
        """
        if self._maintenance is not None:
            return [(s, e) for s, e in self._maintenance if s < end_ms and e > start_ms]
        first = (start_ms - 2 * 3_600_000) // _MAINT_BLOCK_MS
        last = end_ms // _MAINT_BLOCK_MS
        if last < first:
            return []
        blocks = np.arange(first, last + 1, dtype=np.int64)
        happens = self.draw_uniform(blocks, "maint", venue, "happens") < 0.5
        latest_start_min = _MAINT_BLOCK_MS // MINUTE_MS - 120
        offset_min = np.floor(
            self.draw_uniform(blocks, "maint", venue, "start") * latest_start_min
        ).astype(np.int64)
        length_min = 15 + np.floor(
            self.draw_uniform(blocks, "maint", venue, "length") * 106
        ).astype(np.int64)
        starts = blocks * _MAINT_BLOCK_MS + offset_min * MINUTE_MS
        ends = starts + length_min * MINUTE_MS
        return [
            (int(s), int(e))
            for s, e, h in zip(starts, ends, happens, strict=True)
            if h and s < end_ms and e > start_ms
        ]

    def present(self, venue: str, opens: I64, effective_ends: I64) -> NDArray[np.bool_]:
        """False for candles that lie entirely inside a maintenance window (no trades at all)."""
        mask = np.ones(opens.shape, dtype=bool)
        if opens.size == 0:
            return mask
        for ws, we in self.maintenance(venue, int(opens.min()), int(effective_ends.max()) + 1):
            mask &= ~((opens >= ws) & (effective_ends <= we))
        return mask

    # -- candles --------------------------------------------------------------------------

    def candles(self, spec: MarketSpec, interval: Interval, opens: I64, now_ms: int) -> Candles:
        """Candles opening at ``opens``; one still open at ``now_ms`` is cut at ``now_ms``."""
        opens = np.asarray(opens, dtype=np.int64)
        ends = interval.ends(opens)
        eff = np.minimum(ends, now_ms)
        if spec.expiry_ms is not None:
            eff = np.minimum(eff, spec.expiry_ms)
        eff = np.maximum(eff, opens)
        closed = eff == ends
        minutes = (eff - opens).astype(np.float64) / MINUTE_MS
        full_minutes = (ends - opens).astype(np.float64) / MINUTE_MS

        times, inverse = np.unique(np.concatenate([opens, eff]), return_inverse=True)
        prices = self.price(spec, times)
        p_open = prices[inverse[: opens.size]]
        p_close = prices[inverse[opens.size :]]

        scale = 10.0**spec.price_decimals
        tick = spec.tick_units
        o = (np.rint(p_open * scale / tick) * tick).astype(np.int64)
        c = (np.rint(p_close * scale / tick) * tick).astype(np.int64)

        def draw(field: str) -> F64:
            return self.draw_normal(opens, "candle", spec.name, interval.name, field)

        sigma = spec.annual_vol / math.sqrt(_MINUTES_PER_YEAR)
        span = sigma * np.sqrt(np.maximum(minutes, 1.0))
        wick = 0.45 * span
        top = np.maximum(o, c).astype(np.float64)
        bottom = np.minimum(o, c).astype(np.float64)
        h = (np.ceil(top * (1.0 + np.abs(draw("high")) * wick) / tick) * tick).astype(np.int64)
        lo = (np.floor(bottom * (1.0 - np.abs(draw("low")) * wick) / tick) * tick).astype(np.int64)
        lo = np.maximum(lo, tick)

        # Busier candles move more; long candles average their noise out.
        move = np.abs(np.log(p_close / p_open)) / span
        s = 0.5 * np.power(np.maximum(full_minutes, 1.0), -0.15)
        activity = np.clip(np.exp(s * draw("activity") - s * s / 2.0), 0.25, 4.0)
        activity = activity * (1.0 + 0.5 * np.minimum(move, 3.0))
        if interval.nominal_ms < DAY_MS:
            day_phase = (opens % DAY_MS).astype(np.float64) / DAY_MS
            activity = activity * (1.0 + 0.25 * np.sin(2.0 * np.pi * (day_phase - 0.35)))

        step_value = spec.step_units / 10.0**spec.qty_decimals
        steps = np.rint(spec.volume_per_minute * minutes * activity / step_value).astype(np.int64)
        steps = np.where(closed, np.maximum(steps, 1), np.maximum(steps, 0))
        idle = steps == 0
        # A candle with no trade yet shows the last price everywhere.
        h = np.where(idle, o, h)
        lo = np.where(idle, o, lo)
        c = np.where(idle, o, c)

        trades = np.rint(
            spec.trades_per_minute * minutes * activity**0.7 * np.exp(0.15 * draw("trades"))
        ).astype(np.int64)
        trades = np.where(idle, 0, np.clip(trades, 1, np.maximum(steps, 1)))

        taker_share = np.clip(0.5 + 0.1 * draw("taker"), 0.05, 0.95)
        taker_steps = np.floor(steps * taker_share).astype(np.int64)
        position = np.clip(0.5 + 0.2 * draw("vwap"), 0.02, 0.98)
        vwap = (np.rint((lo + (h - lo) * position) / tick) * tick).astype(np.int64)

        volume = steps * spec.step_units
        taker_volume = taker_steps * spec.step_units
        if float(volume.max(initial=0)) * float(vwap.max(initial=0)) >= _INT64_SAFE:
            raise OverflowError(f"quote volume of {spec.name} {interval.name} exceeds int64")
        return Candles(
            open_time=opens,
            close_time=ends - 1,
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=volume,
            quote_volume=volume * vwap,
            trades=trades,
            taker_buy_volume=taker_volume,
            taker_buy_quote_volume=taker_volume * vwap,
            price_decimals=spec.price_decimals,
            qty_decimals=spec.qty_decimals,
        )

    def select_open_times(
        self,
        venue: str,
        interval: Interval,
        lo_ms: int,
        hi_ms: int,
        limit: int,
        *,
        from_start: bool,
        now_ms: int,
        expiry_ms: int | None = None,
    ) -> I64:
        """Open times in ``[lo_ms, hi_ms]`` of candles that exist, first or last ``limit``.

        Candles wholly inside maintenance windows do not exist, so a page keeps going past a
        gap until it has ``limit`` candles, as real venues' kline endpoints do.
        """
        empty = np.empty(0, dtype=np.int64)
        if limit <= 0 or hi_ms < lo_ms:
            return empty
        cap = now_ms if expiry_ms is None else min(now_ms, expiry_ms)

        def keep(opens: I64) -> I64:
            eff = np.maximum(np.minimum(interval.ends(opens), cap), opens)
            result: I64 = opens[self.present(venue, opens, eff)]
            return result

        chunks: list[I64] = []
        got = 0
        if from_start:
            t = interval.ceil(lo_ms)
            while got < limit and t <= hi_ms:
                opens = interval.sequence(t, limit - got + 16)
                opens = opens[opens <= hi_ms]
                if opens.size == 0:
                    break
                kept = keep(opens)[: limit - got]
                chunks.append(kept)
                got += int(kept.size)
                t = interval.add(int(opens[-1]), 1)
            return np.concatenate(chunks) if chunks else empty
        t = interval.floor(hi_ms)
        while got < limit and t >= lo_ms:
            count = limit - got + 16
            first = interval.add(t, -(count - 1))
            opens = interval.sequence(first, count)
            opens = opens[opens >= lo_ms]
            if opens.size == 0:
                break
            kept = keep(opens)
            kept = kept[max(0, kept.size - (limit - got)) :]
            chunks.append(kept)
            got += int(kept.size)
            t = interval.add(int(opens[0]), -1)
        return np.concatenate(chunks[::-1]) if chunks else empty
