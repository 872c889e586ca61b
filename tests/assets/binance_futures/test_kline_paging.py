"""How a window is paged and how far each page proves the data stored, with a scripted exchange
(the simulator always answers like a healthy one; these are the unhealthy answers)."""

import threading
from datetime import UTC, datetime

from assets.binance_futures.klines import _Page, _pages, _Plan
from resources.binance_futures.client import ClientStats
from resources.binance_futures.config import Pair
from resources.binance_futures.store import Coverage

MIN = 60_000
T0 = int(datetime(2024, 4, 1, tzinfo=UTC).timestamp() * 1000)


def kline(open_ms: int) -> list[object]:
    return [open_ms, "1", "1", "1", "1", "0", open_ms + MIN - 1, "0", 1, "0", "0", "0"]


class Exchange:
    """Serves 1m candles opening in [first, last] (a gap where told), its clock at ``now``."""

    def __init__(self, now: int, last: int, gap: tuple[int, int] = (0, 0)) -> None:
        self.now, self.last, self.gap = now, last, gap
        self.stats = ClientStats()
        self.asked: list[tuple[int, int]] = []

    def server_now_ms(self) -> int:
        return self.now

    def sync_time(self) -> int:
        return self.now

    def klines(self, symbol: str, interval: str, start: int, end: int, limit: int) -> object:
        self.asked.append((start, end))
        self.stats.requests += 1
        first = -(-start // MIN) * MIN
        opens = [t for t in range(first, min(end, self.last) + 1, MIN)
                 if not self.gap[0] <= t < self.gap[1]]
        return [kline(t) for t in opens[:limit]]


def plan(until_ms: int, stored: Coverage | None = None) -> _Plan:
    start, end = datetime.fromtimestamp(T0 / 1000, UTC), datetime(2024, 5, 1, tzinfo=UTC)
    return _Plan(Pair("BTCUSDT", "1m"), start, end, start,
                 datetime.fromtimestamp(until_ms / 1000, UTC), stored)


def pages(exchange: Exchange, the_plan: _Plan, limit: int = 100) -> list[_Page | int]:
    return list(_pages(exchange, the_plan, page_limit=limit, repair=False, grace_ms=0,  # type: ignore[arg-type]
                       stop=threading.Event()))


def test_a_gap_in_the_past_is_covered_to_the_end() -> None:
    exchange = Exchange(now=T0 + 10_000 * MIN, last=T0 + 10_000 * MIN,
                        gap=(T0 + 150 * MIN, T0 + 400 * MIN))
    result = pages(exchange, plan(T0 + 500 * MIN))
    starts = [-(-(p.start_ms - T0) // MIN) for p in result if isinstance(p, _Page)]
    assert starts == [0, 100, 450]  # the next page starts 1 ms after the last open time
    assert result[-1].end_ms == T0 + 500 * MIN  # type: ignore[union-attr]


def test_near_now_only_what_was_served_counts() -> None:
    # the exchange lags: at 12:00:30 it serves candles up to 11:50 only, none open
    now = T0 + 720 * MIN + 30_000
    exchange = Exchange(now=now, last=T0 + 710 * MIN)
    result = pages(exchange, plan(T0 + 30 * 1440 * MIN), limit=1000)
    (page,) = result
    assert isinstance(page, _Page) and len(page.klines) == 711
    assert page.end_ms == T0 + 710 * MIN + 1  # not the hour up to now: 11:51.. may come later


def test_an_empty_answer_near_now_proves_nothing() -> None:
    now = T0 + 720 * MIN + 30_000
    exchange = Exchange(now=now, last=T0 - MIN)  # nothing served this month yet
    (page,) = pages(exchange, plan(T0 + 30 * 1440 * MIN), limit=1000)
    assert isinstance(page, _Page) and page.end_ms == T0 and len(page.klines) == 0


def test_the_open_candle_is_never_kept() -> None:
    now = T0 + 120 * MIN + 30_000
    exchange = Exchange(now=now, last=T0 + 120 * MIN)  # 02:00 is open until 02:00:59.999
    (page,) = pages(exchange, plan(T0 + 30 * 1440 * MIN), limit=1000)
    assert isinstance(page, _Page)
    assert len(page.klines) == 120 and page.end_ms == T0 + 120 * MIN


def test_resume_skips_what_is_stored() -> None:
    exchange = Exchange(now=T0 + 10_000 * MIN, last=T0 + 10_000 * MIN)
    stored = Coverage(datetime.fromtimestamp(T0 / 1000, UTC),
                      datetime.fromtimestamp((T0 + 250 * MIN) / 1000, UTC))
    result = pages(exchange, plan(T0 + 300 * MIN, stored))
    assert result[0] == T0 + 250 * MIN
    assert exchange.asked == [(T0 + 250 * MIN, T0 + 300 * MIN - 1)]
