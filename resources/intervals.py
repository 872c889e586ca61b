"""Candle intervals: stored as seconds; written as Kraken minutes (``1440``) or labels (``4h``)."""

from __future__ import annotations

import re

__all__ = ["KRAKEN_INTERVALS", "parse_interval"]

KRAKEN_INTERVALS = (1, 5, 15, 30, 60, 240, 720, 1440)  # minutes, as in the dump file names

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "M": 2_592_000}
# "1M" (a calendar month) has no fixed length; it is stored as 30 days by convention.


def parse_interval(text: str | int) -> int:
    """Seconds for ``1440`` (minutes, Kraken's notation), ``1m``, ``4h``, ``1d``, ``1w``, ``1M``."""
    raw = str(text).strip()
    if raw.isdigit():
        minutes = int(raw)
        if minutes <= 0:
            raise ValueError(f"interval must be positive: {text!r}")
        return minutes * 60
    match = re.fullmatch(r"(\d+)([smhdwM])", raw)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not an interval: {text!r} (use minutes like 1440, or 1m, 4h, 1d, 1w)")
    return int(match.group(1)) * _UNITS[match.group(2)]
