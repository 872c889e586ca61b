"""Progress of kline backfills, for whoever watches this process (the command line's bar).

Like :mod:`resources.progress` (and through its ``Channel``), a context variable: the watcher
belongs to the process, and in-process Dagster runs execute on the caller's thread. Runs launched
from the UI report nothing.
"""

from __future__ import annotations

from typing import Protocol

from resources.progress import Channel

__all__ = ["KlineProgress", "current", "reporting_to"]


class KlineProgress(Protocol):
    def planned(self, series: str, span_ms: int) -> None:
        """``span_ms`` more milliseconds of candle time are to be fetched for ``series``."""

    def page(self, series: str, *, candles: int, covered_ms: int, requests: int, weight: int,
             used_weight_1m: int | None) -> None:
        """A page was stored: ``candles`` new candles covering ``covered_ms`` of the span;
        ``requests``/``weight`` are this page's, ``used_weight_1m`` the server's last count."""

    def skipped(self, series: str, span_ms: int) -> None:
        """``span_ms`` of the plan was already stored (resumed past it)."""


class _Silent:
    def planned(self, series: str, span_ms: int) -> None:
        pass

    def page(self, series: str, *, candles: int, covered_ms: int, requests: int, weight: int,
             used_weight_1m: int | None) -> None:
        pass

    def skipped(self, series: str, span_ms: int) -> None:
        pass


_klines: Channel[KlineProgress] = Channel("tickvault_binance_klines", _Silent())
current = _klines.current
reporting_to = _klines.reporting_to
