"""Binance public-data archives (data.binance.vision) for USD-M klines.

``/data/futures/um/daily/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM-DD}.zip`` and
``/data/futures/um/monthly/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM}.zip``, each
with a ``.zip.CHECKSUM`` sibling holding ``<sha256 hex>  <zip file name>`` and a newline, as
``sha256sum`` prints it. Archive paths name the month interval ``1mo``.

The zip holds one CSV named like the zip, with a header row and the same candles, formatted
the same way, as ``/fapi/v1/klines``; e.g. tests/fixtures/binance_public/
ALGOUSDT-1m-2023-02_head5000.csv::

    open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,...
    1675209600000,0.2413,0.2418,0.2413,0.2418,283971.0,1675209659999,68569.21705,270,...

A file exists once its day or month has fully passed (and overlaps the listing); anything else
is a 404 with S3's ``NoSuchKey`` XML. Archive downloads cost no API weight.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import weakref
import zipfile
from collections import OrderedDict
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from simulator.binance_futures.instruments import instruments
from simulator.binance_futures.klines import INTERVALS, all_open_times, csv_lines
from simulator.intervals import DAY_MS
from simulator.state import SimState

__all__ = ["ARCHIVE_ROUTE", "archive_file"]

ARCHIVE_ROUTE = "/data/futures/um/{freq}/klines/{symbol}/{interval}/{filename}"

_DAILY_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
_MONTHLY_INTERVALS = (*_DAILY_INTERVALS, "3d", "1w", "1mo")
_DATE = {"daily": re.compile(r"^\d{4}-\d{2}-\d{2}$"), "monthly": re.compile(r"^\d{4}-\d{2}$")}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same data always zips to the same bytes
_CACHE_SIZE = 32


class _ZipCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], tuple[bytes, str]] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> tuple[bytes, str] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[object, ...], item: tuple[bytes, str]) -> None:
        with self._lock:
            self._items[key] = item
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)


# One cache per simulator: two simulators with the same seed may differ in maintenance.
_caches: weakref.WeakKeyDictionary[SimState, _ZipCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_for(state: SimState) -> _ZipCache:
    with _caches_lock:
        cache = _caches.get(state)
        if cache is None:
            cache = _caches[state] = _ZipCache()
        return cache


def _not_found(path: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        f"<Key>{path.lstrip('/')}</Key></Error>"
    )
    return Response(body, status_code=404, media_type="application/xml")


def _period(freq: str, date: str) -> tuple[int, int] | None:
    try:
        if freq == "daily":
            start = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC)
            begin = int(start.timestamp() * 1000)
            return begin, begin + DAY_MS
        start = datetime.strptime(date, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        return None
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    end = datetime(year, month, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _build(state: SimState, symbol: str, interval_name: str, freq: str, date: str) -> bytes | None:
    period = _period(freq, date)
    if period is None:
        return None
    begin, end = period
    now = state.clock.now_ms()
    if end > now:
        return None  # not published until the period is over
    inst = instruments(now).get(symbol)
    if inst is None or end <= inst.onboard_date:
        return None
    if inst.expiry_ms is not None and begin >= inst.expiry_ms:
        return None
    interval = INTERVALS["1M" if interval_name == "1mo" else interval_name]
    opens = all_open_times(state.market, inst, interval, begin, end - 1, now)
    candles = state.market.candles(inst.spec, interval, opens, now)
    text = "\n".join(csv_lines(candles)) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{symbol}-{interval_name}-{date}.csv", date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text)
    return buffer.getvalue()


def archive_file(request: Request, state: SimState) -> Response:
    """Serve one archive file or its checksum (see the module doc for the layout)."""
    freq = request.path_params["freq"]
    symbol = request.path_params["symbol"]
    interval_name = request.path_params["interval"]
    filename = request.path_params["filename"]
    allowed = {"daily": _DAILY_INTERVALS, "monthly": _MONTHLY_INTERVALS}.get(freq, ())
    prefix = f"{symbol}-{interval_name}-"
    if interval_name not in allowed or not filename.startswith(prefix):
        return _not_found(request.url.path)
    rest = filename[len(prefix) :]
    checksum = rest.endswith(".zip.CHECKSUM")
    date = rest.removesuffix(".CHECKSUM").removesuffix(".zip")
    if not rest.endswith((".zip", ".zip.CHECKSUM")) or not _DATE[freq].match(date):
        return _not_found(request.url.path)

    cache = _cache_for(state)
    key = (symbol, interval_name, freq, date)
    item = cache.get(key)
    if item is None:
        data = _build(state, symbol, interval_name, freq, date)
        if data is None:
            return _not_found(request.url.path)
        item = (data, hashlib.sha256(data).hexdigest())
        cache.put(key, item)
    data, digest = item
    if checksum:
        zip_name = f"{symbol}-{interval_name}-{date}.zip"
        return Response(f"{digest}  {zip_name}\n", media_type="text/plain")
    return Response(data, media_type="application/zip")
