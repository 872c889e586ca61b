"""Generate realistic Kraken downloadable-dump files, for the demo, the tests and the benchmark.

Trades files (``{PAIR}.csv``: ``unix seconds,price,volume``) have bursts of many trades in one
second, as real ones do (the real capture in tests/fixtures has up to 122 in a second), prices
that random-walk at each pair's level with its tick size, and volumes in units of 1e-8. OHLCVT
files (``{PAIR}_{MIN}.csv``) are the 1-minute candles of the same market, aggregated to each
interval; minutes without trades are absent, as in Kraken's files. Tiny-priced pairs (SHIB) are
written in e-notation (``1.916e-05``), as Kraken's float formatting does.

Everything is deterministic for a seed. Large files are built with numpy/pyarrow, a few million
rows a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DEFAULT_PAIRS", "PairSpec", "generate_dump", "write_ohlcvt", "write_trades"]

INTERVALS = (1, 5, 15, 30, 60, 240, 720, 1440)


@dataclass(frozen=True)
class PairSpec:
    name: str
    price: float  # starting price
    decimals: int  # price tick = 10**-decimals
    activity: float  # share of minutes with trades (0..1]
    enotation: bool = False


DEFAULT_PAIRS = (
    PairSpec("XBTUSD", 30_000.0, 1, 1.0),
    PairSpec("XBTEUR", 28_000.0, 1, 0.95),
    PairSpec("ETHUSD", 2_000.0, 2, 0.95),
    PairSpec("XDGUSD", 0.08, 7, 0.6),
    PairSpec("1INCHEUR", 0.4, 3, 0.15),
    PairSpec("AAVEXBT", 0.0031, 6, 0.08),
    PairSpec("ETH2.SETH", 0.98, 4, 0.05),
    PairSpec("XXBTZUSD", 30_000.0, 1, 0.5),
    PairSpec("XETHZEUR", 1_900.0, 2, 0.4),
    PairSpec("SHIBEUR", 0.0000191, 10, 0.3, enotation=True),
)


def _pair_specs(count: int) -> list[PairSpec]:
    specs = list(DEFAULT_PAIRS[:count])
    rng = np.random.default_rng(7)
    for i in range(len(specs), count):  # more pairs: plausible names, long-tail activity
        price = float(10 ** rng.uniform(-2, 3))
        decimals = max(1, 5 - int(math.log10(price)))
        specs.append(PairSpec(f"TV{i:03d}{'USD' if i % 2 else 'EUR'}", price, decimals,
                              max(0.02, 1.0 / (1 + i / 8))))
    return specs


def _decimal_strings(units: np.ndarray, decimals: int) -> pa.Array:
    """Fixed-point strings ``units / 10**decimals``, trailing zeros kept as Kraken prints."""
    scale = 10 ** decimals
    whole = pa.array(units // scale).cast(pa.string())
    if decimals == 0:
        return whole
    frac = pc.utf8_lpad(pa.array(units % scale).cast(pa.string()), decimals, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _enotation(values: np.ndarray) -> pa.Array:
    return pa.array([repr(float(v)) for v in values])  # Python's repr: '1.916e-05'


def _write(path: Path, columns: list[pa.Array], *, header: str | None = None,
           newline: str = "\n") -> None:
    """Rows as ``a,b,c`` lines; written straight from Arrow's value buffer, a slice at a time."""
    with open(path, "wb") as out:
        if header:
            out.write((header + newline).encode())
        step = 1 << 20
        for start in range(0, len(columns[0]), step):
            lines = pc.binary_join_element_wise(*(c.slice(start, step) for c in columns), ",")
            # "line" + newline + "": each value ends with its newline, so the values' bytes,
            # back to back, are the file's bytes
            ended = pc.binary_join_element_wise(lines, "", newline)
            if isinstance(ended, pa.ChunkedArray):
                ended = ended.combine_chunks()
            offsets = np.frombuffer(ended.buffers()[1], np.int32, len(ended) + 1, ended.offset)
            out.write(memoryview(ended.buffers()[2])[offsets[0]:offsets[-1]])


def _price_path(rng: np.random.Generator, spec: PairSpec, n: int) -> np.ndarray:
    returns = rng.normal(0.0, 0.0004, n)
    return np.asarray(spec.price * np.exp(np.cumsum(returns)))


def write_trades(path: Path, spec: PairSpec, *, rows: int, start: int, seed: int,
                 header: bool = False, crlf: bool = False) -> tuple[int, int]:
    """A trades file of ``rows`` trades from unix second ``start``; returns (first, last) second."""
    rng = np.random.default_rng(seed)
    # Bursts: how many trades share a second (mostly 1, sometimes dozens), then gaps between.
    burst = np.minimum(rng.geometric(0.45, rows), 150)
    seconds_needed = int(np.searchsorted(np.cumsum(burst), rows)) + 1
    burst = burst[:seconds_needed]
    burst[-1] -= int(burst.sum()) - rows
    gaps = rng.geometric(1.0 / max(1.0, 8.0 / spec.activity), seconds_needed)
    seconds = start + np.cumsum(gaps) - gaps[0]
    ts = np.repeat(seconds, burst)
    price = _price_path(rng, spec, rows)
    volume_units = np.maximum(1, (rng.lognormal(-3.5, 1.6, rows) * 1e8).astype(np.int64))
    if spec.enotation:
        price_col = _enotation(np.round(price, 10))
    else:
        price_col = _decimal_strings(np.round(price * 10**spec.decimals).astype(np.int64),
                                     spec.decimals)
    _write(path, [pa.array(ts).cast(pa.string()), price_col, _decimal_strings(volume_units, 8)],
           header="time,price,volume" if header else None, newline="\r\n" if crlf else "\n")
    return int(ts[0]), int(ts[-1])


def _minute_candles(rng: np.random.Generator, spec: PairSpec, start: int, minutes: int
                    ) -> dict[str, np.ndarray]:
    active = rng.random(minutes) < spec.activity
    active[0] = True
    idx = np.flatnonzero(active)
    n = len(idx)
    open_ = _price_path(rng, spec, n)
    close = open_ * np.exp(rng.normal(0, 0.0006, n))
    spread = np.abs(rng.normal(0, 0.0008, n))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    count = rng.geometric(0.2, n)
    volume_units = np.maximum(1, (rng.lognormal(-2.0, 1.5, n) * 1e8).astype(np.int64)) * count
    return {"ts": start + idx * 60, "open": open_, "high": high, "low": low, "close": close,
            "volume": volume_units, "count": count}


def _aggregate(c: dict[str, np.ndarray], seconds: int) -> dict[str, np.ndarray]:
    bucket = c["ts"] // seconds
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bucket)] - 1
    return {
        "ts": bucket[starts] * seconds,
        "open": c["open"][starts],
        "high": np.maximum.reduceat(c["high"], starts),
        "low": np.minimum.reduceat(c["low"], starts),
        "close": c["close"][ends],
        "volume": np.add.reduceat(c["volume"], starts),
        "count": np.add.reduceat(c["count"], starts),
    }


def write_ohlcvt(directory: Path, spec: PairSpec, *, start: int, days: float, seed: int,
                 intervals: tuple[int, ...] = INTERVALS) -> dict[int, int]:
    """One file per interval; returns rows written per interval."""
    rng = np.random.default_rng(seed)
    minute = _minute_candles(rng, spec, start - start % 86_400, int(days * 1440))
    written = {}
    for interval in intervals:
        c = minute if interval == 1 else _aggregate(minute, interval * 60)
        if spec.enotation:
            prices = [_enotation(np.round(c[k], 10)) for k in ("open", "high", "low", "close")]
        else:
            def fixed(values: np.ndarray) -> pa.Array:
                return _decimal_strings(np.round(values * 10**spec.decimals).astype(np.int64),
                                        spec.decimals)
            high = np.ceil(c["high"] * 10**spec.decimals) / 10**spec.decimals
            low = np.floor(c["low"] * 10**spec.decimals) / 10**spec.decimals
            prices = [fixed(c["open"]), fixed(high), fixed(low), fixed(c["close"])]
            prices = [prices[0], fixed(np.maximum(high, np.maximum(c["open"], c["close"]))),
                      fixed(np.minimum(low, np.minimum(c["open"], c["close"]))), prices[3]]
        _write(directory / f"{spec.name}_{interval}.csv",
               [pa.array(c["ts"]).cast(pa.string()), *prices,
                _decimal_strings(c["volume"], 8), pa.array(c["count"]).cast(pa.string())])
        written[interval] = len(c["ts"])
    return written


def generate_dump(
    directory: Path,
    *,
    pairs: int = 6,
    days: float = 3.0,
    trades_per_pair: int = 20_000,
    start: int = 1_704_067_200,  # 2024-01-01
    seed: int = 42,
    intervals: tuple[int, ...] = INTERVALS,
    trades: bool = True,
    ohlcvt: bool = True,
) -> list[Path]:
    """A dump directory of ``pairs`` pairs; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    before = set(directory.glob("*.csv"))
    for i, spec in enumerate(_pair_specs(pairs)):
        if ohlcvt:
            write_ohlcvt(directory, spec, start=start, days=days, seed=seed + i,
                         intervals=intervals)
        if trades:
            rows = max(1, int(trades_per_pair * spec.activity))
            write_trades(directory / f"{spec.name}.csv", spec, rows=rows, start=start,
                         seed=seed + 1000 + i)
    return sorted(set(directory.glob("*.csv")) - before)
