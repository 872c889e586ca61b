"""Kline selection and formatting, shared by the REST endpoint and the public-data archive."""

from __future__ import annotations

from simulator.binance_futures.instruments import Instrument
from simulator.intervals import DAY_MS, HOUR_MS, MINUTE_MS, Interval
from simulator.market import I64, Candles, Market, format_units

__all__ = ["INTERVALS", "VENUE", "all_open_times", "csv_lines", "kline_rows", "select_candles"]

VENUE = "binance"

INTERVALS: dict[str, Interval] = {
    "1m": Interval.fixed("1m", MINUTE_MS),
    "3m": Interval.fixed("3m", 3 * MINUTE_MS),
    "5m": Interval.fixed("5m", 5 * MINUTE_MS),
    "15m": Interval.fixed("15m", 15 * MINUTE_MS),
    "30m": Interval.fixed("30m", 30 * MINUTE_MS),
    "1h": Interval.fixed("1h", HOUR_MS),
    "2h": Interval.fixed("2h", 2 * HOUR_MS),
    "4h": Interval.fixed("4h", 4 * HOUR_MS),
    "6h": Interval.fixed("6h", 6 * HOUR_MS),
    "8h": Interval.fixed("8h", 8 * HOUR_MS),
    "12h": Interval.fixed("12h", 12 * HOUR_MS),
    "1d": Interval.fixed("1d", DAY_MS),
    "3d": Interval.fixed("3d", 3 * DAY_MS),
    "1w": Interval.weekly("1w"),
    "1M": Interval.monthly("1M"),
}


def select_candles(
    market: Market,
    inst: Instrument,
    interval: Interval,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
    now_ms: int,
) -> Candles:
    """USD-M ``/fapi/v1/klines`` paging.

    With ``startTime``: the first ``limit`` candles opening at or after it (and at or before
    ``endTime``). Without: the last ``limit`` opening at or before ``endTime`` (default now).
    The candle still open at ``now`` is included when in range, as on the real API. Candles
    before listing, after delivery, or inside maintenance windows do not exist.
    """
    listed = interval.floor(inst.onboard_date)
    last_open = now_ms if inst.expiry_ms is None else min(now_ms, inst.expiry_ms - 1)
    lo = listed if start_ms is None else max(start_ms, listed)
    hi = last_open if end_ms is None else min(end_ms, last_open)
    opens = market.select_open_times(
        VENUE,
        interval,
        lo,
        hi,
        limit,
        from_start=start_ms is not None,
        now_ms=now_ms,
        expiry_ms=inst.expiry_ms,
    )
    return market.candles(inst.spec, interval, opens, now_ms)


def _columns(c: Candles) -> list[list[str]]:
    pd, qd, vd = c.price_decimals, c.qty_decimals, c.quote_decimals
    return [
        format_units(c.open, pd),
        format_units(c.high, pd),
        format_units(c.low, pd),
        format_units(c.close, pd),
        format_units(c.volume, qd),
        format_units(c.quote_volume, vd),
        format_units(c.taker_buy_volume, qd),
        format_units(c.taker_buy_quote_volume, vd),
    ]


def kline_rows(c: Candles) -> list[list[int | str]]:
    """The 12-element REST arrays: ints for times and trade count, strings for the rest."""
    o, h, lo, cl, v, q, tb, tq = _columns(c)
    opens = c.open_time.tolist()
    closes = c.close_time.tolist()
    trades = c.trades.tolist()
    return [
        [opens[i], o[i], h[i], lo[i], cl[i], v[i], closes[i], q[i], trades[i], tb[i], tq[i], "0"]
        for i in range(len(c))
    ]


CSV_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore"
)


def csv_lines(c: Candles) -> list[str]:
    """data.binance.vision rows: the same strings as REST, comma-separated, header first."""
    o, h, lo, cl, v, q, tb, tq = _columns(c)
    opens = c.open_time.tolist()
    closes = c.close_time.tolist()
    trades = c.trades.tolist()
    lines = [CSV_HEADER]
    lines.extend(
        f"{opens[i]},{o[i]},{h[i]},{lo[i]},{cl[i]},{v[i]},{closes[i]},{q[i]},{trades[i]},"
        f"{tb[i]},{tq[i]},0"
        for i in range(len(c))
    )
    return lines


def all_open_times(
    market: Market, inst: Instrument, interval: Interval, lo_ms: int, hi_ms: int, now_ms: int
) -> I64:
    """Every existing candle opening in ``[lo_ms, hi_ms]`` (for archive files)."""
    listed = interval.floor(inst.onboard_date)
    last_open = hi_ms if inst.expiry_ms is None else min(hi_ms, inst.expiry_ms - 1)
    lo = max(lo_ms, listed)
    span = max(0, (last_open - lo) // max(interval.ms or 28 * DAY_MS, 1) + 2)
    return market.select_open_times(
        VENUE, interval, lo, last_open, int(span), from_start=True, now_ms=now_ms,
        expiry_ms=inst.expiry_ms,
    )
