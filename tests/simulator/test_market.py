from __future__ import annotations

import time

import numpy as np
import pytest

from simulator.intervals import DAY_MS, MINUTE_MS, Interval
from simulator.market import Market, MarketSpec, format_units

BTC = MarketSpec("BTCUSDT", "BTC", 65_000.0, 0.55, 2, 10, 3, 1, 180.0, 1_500.0)
XRP = MarketSpec("XRPUSDT", "XRP", 0.55, 0.8, 4, 1, 1, 1, 2_500_000.0, 400.0)
ONE_MIN = Interval.fixed("1m", MINUTE_MS)
ONE_HOUR = Interval.fixed("1h", 60 * MINUTE_MS)
NOW = 1_714_564_830_000


def _block(market: Market, spec: MarketSpec, interval: Interval, first: int, n: int):
    return market.candles(spec, interval, interval.sequence(first, n), NOW)


def test_a_candle_depends_only_on_its_coordinates() -> None:
    market = Market(42)
    start = ONE_MIN.floor(NOW) - 3000 * MINUTE_MS
    wide = _block(market, BTC, ONE_MIN, start, 1500)
    shifted = _block(market, BTC, ONE_MIN, start + 700 * MINUTE_MS, 50)
    fresh = _block(Market(42), BTC, ONE_MIN, start + 700 * MINUTE_MS, 50)
    for field in ("open", "high", "low", "close", "volume", "quote_volume", "trades"):
        np.testing.assert_array_equal(getattr(wide, field)[700:750], getattr(shifted, field))
        np.testing.assert_array_equal(getattr(fresh, field), getattr(shifted, field))
    other_seed = _block(Market(43), BTC, ONE_MIN, start + 700 * MINUTE_MS, 50)
    assert not np.array_equal(other_seed.close, shifted.close)


@pytest.mark.parametrize("spec", [BTC, XRP])
@pytest.mark.parametrize("interval", [ONE_MIN, ONE_HOUR, Interval.monthly("1M")])
def test_candles_are_internally_consistent(spec: MarketSpec, interval: Interval) -> None:
    c = _block(Market(7), spec, interval, interval.add(interval.floor(NOW), -199), 200)
    closed = c.close_time < NOW
    assert (c.open[1:] == c.close[:-1]).all(), "a candle opens where the previous closed"
    assert (c.high >= np.maximum(c.open, c.close)).all()
    assert (c.low <= np.minimum(c.open, c.close)).all()
    assert (c.low > 0).all()
    for prices in (c.open, c.high, c.low, c.close):
        assert (prices % spec.tick_units == 0).all()
    assert (c.volume[closed] > 0).all() and (c.trades[closed] >= 1).all()
    assert (c.taker_buy_volume <= c.volume).all()
    assert (c.taker_buy_quote_volume <= c.quote_volume).all()
    assert (c.quote_volume >= c.volume * c.low).all()
    assert (c.quote_volume <= c.volume * c.high).all()
    assert (c.close_time == interval.ends(c.open_time) - 1).all()


def test_the_walk_is_plausible() -> None:
    market = Market(42)
    minutes = _block(market, BTC, ONE_MIN, ONE_MIN.floor(NOW) - 20_000 * MINUTE_MS, 20_000)
    one_minute_std = np.diff(np.log(minutes.close.astype(float))).std()
    target = 0.55 / np.sqrt(525_600)
    assert 0.7 * target < one_minute_std < 1.3 * target
    days = np.arange(0, 5 * 365, dtype=np.int64) * DAY_MS + 1_569_398_400_000
    path = market.path("BTC", 65_000.0, 0.55, days)
    assert path.min() > 65_000 / 5 and path.max() < 65_000 * 5


def test_fifteen_hundred_candles_take_a_few_milliseconds() -> None:
    market = Market(42)
    opens = ONE_MIN.sequence(ONE_MIN.floor(NOW) - 1499 * MINUTE_MS, 1500)
    market.candles(BTC, ONE_MIN, opens, NOW)
    best = min(_cpu_time(lambda: market.candles(BTC, ONE_MIN, opens, NOW)) for _ in range(10))
    assert best < 0.025, f"{best * 1000:.1f} ms"


def _cpu_time(fn) -> float:  # type: ignore[no-untyped-def]
    # CPU time, not wall time: other processes on a shared machine must not fail this.
    t = time.process_time()
    fn()
    return time.process_time() - t


def test_an_open_candle_stops_at_now_and_idles_before_any_trade() -> None:
    market = Market(42)
    open_ms = ONE_MIN.floor(NOW)
    partial = market.candles(BTC, ONE_MIN, np.array([open_ms]), NOW)
    full = market.candles(BTC, ONE_MIN, np.array([open_ms]), open_ms + MINUTE_MS)
    assert partial.close_time[0] == full.close_time[0] == open_ms + MINUTE_MS - 1
    assert partial.volume[0] < full.volume[0]
    just_opened = market.candles(BTC, ONE_MIN, np.array([open_ms]), open_ms)
    assert just_opened.volume[0] == 0 and just_opened.trades[0] == 0
    assert just_opened.high[0] == just_opened.low[0] == just_opened.open[0]


def test_configured_maintenance_removes_candles_and_pages_continue_past_it() -> None:
    gap_start = ONE_MIN.floor(NOW) - 120 * MINUTE_MS
    market = Market(42, maintenance=[(gap_start, gap_start + 30 * MINUTE_MS)])
    opens = market.select_open_times(
        "binance", ONE_MIN, gap_start - 10 * MINUTE_MS, NOW, 50, from_start=True, now_ms=NOW
    )
    assert len(opens) == 50
    assert not ((opens >= gap_start) & (opens < gap_start + 30 * MINUTE_MS)).any()
    assert opens[10] == gap_start + 30 * MINUTE_MS
    # An hour candle only partly inside the window still exists.
    hours = market.select_open_times(
        "binance", ONE_HOUR, gap_start - 2 * 3_600_000, NOW, 10, from_start=True, now_ms=NOW
    )
    assert ONE_HOUR.floor(gap_start) in hours.tolist()


def test_seeded_maintenance_is_rare_short_and_reproducible() -> None:
    year = 365 * DAY_MS
    windows = Market(42).maintenance("binance", NOW - year, NOW)
    assert windows == Market(42).maintenance("binance", NOW - year, NOW)
    assert 5 <= len(windows) <= 25
    for start, end in windows:
        assert start % MINUTE_MS == 0
        assert 15 * MINUTE_MS <= end - start <= 120 * MINUTE_MS
    assert Market(42, maintenance=()).maintenance("binance", NOW - year, NOW) == []


def test_format_units() -> None:
    assert format_units(np.array([3012340, 5, 0]), 2) == ["30123.40", "0.05", "0.00"]
    assert format_units([-3750000, 10000], 8) == ["-0.03750000", "0.00010000"]
    assert format_units([283971], 0) == ["283971"]
