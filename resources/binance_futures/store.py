"""Database reads and writes of the Binance assets that the shared loader does not cover:
instrument lookup, kline resume pointers (coverage), fee snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

import sql
from resources.binance_futures.symbols import VENUE, instrument_for
from resources.database.postgres import upsert_instrument

__all__ = [
    "Coverage",
    "find_instrument_id",
    "merge_coverage",
    "read_coverage",
    "record_coverage",
    "resolve_instrument_id",
    "upsert_fee",
]


def find_instrument_id(conn: psycopg.Connection[Any], symbol: str) -> int | None:
    row = conn.execute(sql.load("select_binance_instrument_id"),
                       {"venue": VENUE, "symbol": symbol}).fetchone()
    return int(row[0]) if row else None


def resolve_instrument_id(conn: psycopg.Connection[Any], symbol: str) -> int:
    """The instrument of a symbol; created from the symbol's spelling on first sight (the
    instruments asset adds what exchangeInfo knows without changing base, quote or kind)."""
    found = find_instrument_id(conn, symbol)
    return found if found is not None else upsert_instrument(conn, instrument_for(symbol))


@dataclass(frozen=True)
class Coverage:
    """Every closed candle with an open time in [covered_from, covered_until) is stored."""

    covered_from: datetime
    covered_until: datetime

    def contains(self, at: datetime) -> bool:
        return self.covered_from <= at < self.covered_until


def merge_coverage(stored: Coverage | None, fetched: Coverage) -> Coverage:
    """One contiguous range from what was stored and what was just fetched: their union if they
    touch, else the later one (re-fetching the earlier costs requests, never correctness)."""
    if stored is None:
        return fetched
    if (fetched.covered_from <= stored.covered_until
            and stored.covered_from <= fetched.covered_until):
        return Coverage(min(stored.covered_from, fetched.covered_from),
                        max(stored.covered_until, fetched.covered_until))
    return fetched if fetched.covered_until > stored.covered_until else stored


def read_coverage(conn: psycopg.Connection[Any], instrument_id: int, interval_s: int,
                  window_start: datetime) -> Coverage | None:
    """The stored coverage of one window (row-locked until the transaction ends)."""
    row = conn.execute(sql.load("select_kline_cursor"),
                       {"instrument_id": instrument_id, "interval_s": interval_s,
                        "window_start": window_start}).fetchone()
    return Coverage(row[0], row[1]) if row else None


def record_coverage(conn: psycopg.Connection[Any], *, instrument_id: int, interval_s: int,
                    window_start: datetime, window_end: datetime, fetched: Coverage,
                    last_open: datetime | None, requests: int, run_id: str | None) -> Coverage:
    """Merge ``fetched`` into the window's coverage, in the caller's transaction (the one that
    wrote the candles)."""
    merged = merge_coverage(read_coverage(conn, instrument_id, interval_s, window_start), fetched)
    conn.execute(sql.load("upsert_kline_cursor"), {
        "instrument_id": instrument_id, "interval_s": interval_s,
        "window_start": window_start, "window_end": window_end,
        "covered_from": merged.covered_from, "covered_until": merged.covered_until,
        "last_open_ts": last_open, "requests": requests, "run_id": run_id,
    })
    return merged


def upsert_fee(conn: psycopg.Connection[Any], *, symbol: str, ts: datetime, maker_bps: str,
               taker_bps: str, source: str, note: str) -> str:
    """Store a fee snapshot: "inserted", "unchanged", or "updated" (the fee changed since the
    snapshot of that time was first taken)."""
    params = {"symbol": symbol, "ts": ts, "maker_bps": maker_bps, "taker_bps": taker_bps,
              "source": source, "note": note}
    row = conn.execute(sql.load("upsert_exchange_fee"), params).fetchone()
    if row is None:
        return "unchanged"
    return "inserted" if row[0] else "updated"
