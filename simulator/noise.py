"""Counter-based randomness: every draw is a pure function of its coordinates.

Nothing here keeps state between calls, so a value asked for twice (through any paging, any
request order, any process) comes back bit-identical. That is what lets the simulator serve the
same candle whatever ``startTime``/``limit`` a client uses.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["key_of", "normal", "uniform", "value_noise"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_SECOND_STREAM = 0x5851F42D4C957F2D


def key_of(*parts: str | int) -> int:
    """A stable 64-bit key for a tuple of coordinates (Python's ``hash`` is salted per run)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    # splitmix64 finaliser; uint64 arithmetic wraps, which is the point.
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def _hash(key: int, counters: NDArray[np.int64]) -> NDArray[np.uint64]:
    c = np.asarray(counters, dtype=np.int64).astype(np.uint64)
    return _mix(_mix(c) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF))


def uniform(key: int, counters: NDArray[np.int64]) -> NDArray[np.float64]:
    """Uniform draws in the open interval (0, 1), one per counter."""
    bits = (_hash(key, counters) >> _S11).astype(np.float64)
    return (bits + 0.5) * (1.0 / 9007199254740992.0)


def normal(key: int, counters: NDArray[np.int64]) -> NDArray[np.float64]:
    """Standard normal draws (Box-Muller over two independent uniform streams)."""
    u1 = uniform(key, counters)
    u2 = uniform(key ^ _SECOND_STREAM, counters)
    result: NDArray[np.float64] = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return result


def value_noise(key: int, t_ms: NDArray[np.int64], spacing_ms: int) -> NDArray[np.float64]:
    """Piecewise-linear noise through N(0, 1) values on a lattice of ``spacing_ms``.

    Integer arithmetic for the lattice index keeps exact minute boundaries exact.
    """
    t = np.asarray(t_ms, dtype=np.int64)
    i0 = t // spacing_ms
    frac = (t - i0 * spacing_ms).astype(np.float64) / float(spacing_ms)
    if i0.size and int(i0.max()) - int(i0.min()) + 2 <= 2 * i0.size:
        # Dense request (the usual case): hash each lattice node once, then index.
        first = int(i0.min())
        nodes = normal(key, np.arange(first, int(i0.max()) + 2, dtype=np.int64))
        g0 = nodes[i0 - first]
        g1 = nodes[i0 - first + 1]
    else:
        g0 = normal(key, i0)
        g1 = normal(key, i0 + 1)
    result: NDArray[np.float64] = g0 + (g1 - g0) * frac
    return result
