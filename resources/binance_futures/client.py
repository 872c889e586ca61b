"""HTTP client for Binance USD-M futures REST: weight budget, retries, signing, errors.

Behaviour follows Binance's documentation ("General Info" of the USD-M API):

* every request's weight is reserved in the machine-wide :class:`WeightBudget` first, and the
  answer's ``X-MBX-USED-WEIGHT-1M`` corrects it;
* 429 (``-1003``): every process pauses for ``Retry-After`` seconds, then continues;
* 418: the IP is banned; the end of the ban is recorded and all work stops until then;
* 5xx, ``-1001``/``-1007``/``-1008``, timeouts, dropped connections and truncated bodies are
  retried ``max_retries`` times with exponential backoff and jitter;
* any other ``{"code": ..., "msg": ...}`` answer (``-1121`` invalid symbol, ...) is an error naming
  the endpoint and symbol, not retried.

Signed endpoints carry ``timestamp`` (server time), ``recvWindow`` and an HMAC-SHA256 ``signature``
of the query, with the key in ``X-MBX-APIKEY``. Neither the key, the secret nor a signed query
string ever appears in a log line or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from resources.binance_futures.budget import WEIGHT, BannedError, WeightBudget

__all__ = [
    "BannedError",
    "BinanceApiError",
    "BinanceFuturesClient",
    "BinanceUnavailableError",
    "ClientStats",
    "MissingCredentialsError",
    "kline_weight",
]

_RETRIABLE_CODES = {-1000, -1001, -1007, -1008}  # unknown/internal error, timeout, overloaded
_TIMESTAMP_CODES = {-1021}  # outside recvWindow: our clock drifted from the server's
_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")


class _Log(Protocol):
    def info(self, msg: str) -> Any: ...
    def warning(self, msg: str) -> Any: ...


class BinanceApiError(RuntimeError):
    """Binance refused the request (a ``{"code": ..., "msg": ...}`` answer); not retried."""

    def __init__(self, endpoint: str, symbol: str | None, status: int, code: int | None,
                 message: str) -> None:
        target = f" for {symbol}" if symbol else ""
        code_text = f" {code}" if code is not None else ""
        super().__init__(f"Binance refused GET {endpoint}{target}: HTTP {status}{code_text} "
                         f"{message}".rstrip())
        self.endpoint = endpoint
        self.symbol = symbol
        self.status = status
        self.code = code
        self.message = message


class BinanceUnavailableError(RuntimeError):
    """Still failing after every retry (5xx, timeouts, dropped connections)."""


class MissingCredentialsError(RuntimeError):
    """A signed endpoint was called without an API key and secret."""


@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent, retries included
    weight: int = 0  # weight reserved for them (our estimate)
    used_weight_1m: int | None = None  # the server's last X-MBX-USED-WEIGHT-1M
    max_used_weight_1m: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    budget_wait_s: float = 0.0

    def snapshot(self) -> ClientStats:
        return ClientStats(**vars(self))


def kline_weight(limit: int) -> int:
    """Weight of ``/fapi/v1/klines`` (and the other kline endpoints) by ``limit``."""
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10


class _RedactSignedUrls(logging.Filter):
    """httpx logs every request's URL at INFO; a signed one must not reach any log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("signature=" in str(a) for a in record.args):
            record.args = tuple(
                str(a).split("?", 1)[0] + "?<signed query redacted>" if "signature=" in str(a)
                else a for a in record.args)
        return True


_redactor = _RedactSignedUrls()


def _install_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)


def _json(text: str) -> Any:
    # parse_float=str keeps a decimal that arrives as a JSON number exactly as printed
    return json.loads(text, parse_float=str)


class BinanceFuturesClient:
    """A session against one USD-M REST server. Not thread-safe; cheap to create."""

    def __init__(
        self,
        base_url: str,
        budget: WeightBudget,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        max_rate_limited: int = 5,
        recv_window_ms: int = 5000,
        transport: httpx.BaseTransport | None = None,
        log: _Log | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self._api_key = api_key
        self._api_secret = api_secret
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_rate_limited = max_rate_limited
        self.recv_window_ms = recv_window_ms
        self.log: _Log = log or logging.getLogger(__name__)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._offset_ms: float | None = None
        self.stats = ClientStats()
        _install_redaction()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            transport=transport,
            headers={"User-Agent": "tickvault"},
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BinanceFuturesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_credentials(self) -> bool:
        return bool(self._api_key and self._api_secret)

    # -- the request loop ---------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            costs: Mapping[str, int] | None = None, symbol: str | None = None,
            signed: bool = False) -> Any:
        """GET ``path`` and return its decoded JSON (decimals as their literal strings)."""
        costs = dict(costs or {WEIGHT: 1})
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if signed and not self.has_credentials:
            raise MissingCredentialsError(f"GET {path} needs an API key and secret")
        failures = 0
        rate_limited = 0
        resynced = False
        while True:
            reservation = self.budget.acquire(costs, on_wait=self._waiting)
            self.stats.budget_wait_s += reservation.waited_s
            self.stats.requests += 1
            self.stats.weight += costs.get(WEIGHT, 0)
            used: int | None = None
            try:
                response = self._send(path, params, signed)
                used = self._used_weight(response)
            except httpx.TransportError as exc:  # timeouts, refused/dropped connections
                self.budget.settle(reservation)
                failures += 1
                self._retry_or_raise(path, symbol, failures, type(exc).__name__, None)
                continue
            except BaseException:
                self.budget.settle(reservation)
                raise
            self.budget.settle(reservation, used)
            status = response.status_code
            if status == 429:
                rate_limited += 1
                self.stats.rate_limited += 1
                wait = self._retry_after(response, default=60.0)
                self.budget.pause(wait)
                self.log.warning(
                    f"Binance answered 429 (too much request weight) to GET {path}"
                    f"{' for ' + symbol if symbol else ''}; pausing all Binance work on this "
                    f"machine for {wait:g} s, then continuing")
                if rate_limited > self.max_rate_limited:
                    raise BinanceUnavailableError(
                        f"GET {path}: still rate limited (429) after {rate_limited} waits; is "
                        "another program on this IP using the weight?")
                continue
            if status == 418:
                raise self._banned(response, path)
            if status >= 500 or status == 408:
                failures += 1
                self._retry_or_raise(path, symbol, failures, f"HTTP {status}",
                                     self._retry_after(response, default=None))
                continue
            try:
                payload = _json(response.text)
            except (json.JSONDecodeError, UnicodeDecodeError):
                if status >= 400:
                    raise BinanceApiError(path, symbol, status, None,
                                          response.text[:200]) from None
                failures += 1  # a truncated body: the connection broke mid-answer
                self._retry_or_raise(path, symbol, failures, "a truncated body", None)
                continue
            code = payload.get("code") if isinstance(payload, dict) else None
            if status >= 400 or (isinstance(code, int) and code < 0):
                message = str(payload.get("msg", "")) if isinstance(payload, dict) else ""
                if code in _RETRIABLE_CODES:
                    failures += 1
                    self._retry_or_raise(path, symbol, failures, f"{code} {message}", None)
                    continue
                if code in _TIMESTAMP_CODES and signed and not resynced:
                    resynced = True
                    self.sync_time()
                    continue
                raise BinanceApiError(path, symbol, status, code if isinstance(code, int)
                                      else None, message)
            return payload

    def _send(self, path: str, params: Mapping[str, Any], signed: bool) -> httpx.Response:
        if not signed:
            return self._http.get(path, params=params)
        assert self._api_key is not None and self._api_secret is not None
        query = urlencode({**params, "recvWindow": self.recv_window_ms,
                           "timestamp": self.server_now_ms()})
        signature = hmac.new(self._api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        try:
            return self._http.get(f"{path}?{query}&signature={signature}",
                                  headers={"X-MBX-APIKEY": self._api_key})
        except httpx.TransportError as exc:
            # the exception carries the signed URL: re-raise without it
            raise type(exc)(f"{type(exc).__name__} on GET {path}") from None

    def _used_weight(self, response: httpx.Response) -> int | None:
        for name, value in response.headers.items():
            if name.lower() == "x-mbx-used-weight-1m":
                try:
                    used = int(value)
                except ValueError:
                    return None
                self.stats.used_weight_1m = used
                self.stats.max_used_weight_1m = max(self.stats.max_used_weight_1m, used)
                return used
        return None

    @staticmethod
    def _retry_after(response: httpx.Response, default: float | None) -> float:
        value = response.headers.get("Retry-After")
        if value is not None:
            try:
                return max(float(value), 0.0)
            except ValueError:
                pass
        return default if default is not None else 0.0

    def _banned(self, response: httpx.Response, path: str) -> BannedError:
        detail = ""
        until: float | None = None
        try:
            payload = _json(response.text)
            detail = str(payload.get("msg", "")) if isinstance(payload, dict) else ""
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
        if "Retry-After" in response.headers:
            until = time.time() + self._retry_after(response, default=120.0)
        elif match := _BANNED_UNTIL.search(detail):
            until = int(match.group(1)) / 1000
        else:
            until = time.time() + 120.0  # the shortest ban Binance documents
        self.budget.ban(until, f"GET {path}" + (f": {detail}" if detail else ""))
        error = BannedError(until, f"GET {path}" + (f": {detail}" if detail else ""))
        self.log.warning(str(error))
        return error

    def _retry_or_raise(self, path: str, symbol: str | None, failures: int, what: str,
                        retry_after: float | None) -> None:
        target = f" for {symbol}" if symbol else ""
        if failures > self.max_retries:
            raise BinanceUnavailableError(
                f"GET {path}{target} failed {failures} times (last: {what}); giving up")
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (failures - 1))
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)  # "equal jitter"
        if retry_after:
            delay = max(delay, retry_after)
        self.stats.retries += 1
        self.log.info(f"GET {path}{target}: {what}; retry {failures}/{self.max_retries} "
                      f"in {delay:.2f} s")
        self._sleep(delay)

    def _waiting(self, seconds: float, reason: str) -> None:
        if seconds >= 1.0:
            why = "a 429 pause" if reason == "429" else "the shared weight budget"
            self.log.info(f"waiting {seconds:.1f} s for {why}")

    # -- server time --------------------------------------------------------------------------

    def sync_time(self) -> int:
        """Ask the server for its time; later ``server_now_ms`` calls follow its clock."""
        before = time.time()
        payload = self.get("/fapi/v1/time")
        after = time.time()
        server_ms = int(payload["serverTime"])
        self._offset_ms = server_ms - (before + after) / 2 * 1000
        return server_ms

    def server_now_ms(self) -> int:
        if self._offset_ms is None:
            self.sync_time()
        assert self._offset_ms is not None
        return int(time.time() * 1000 + self._offset_ms)

    # -- endpoints ----------------------------------------------------------------------------

    def klines(self, symbol: str, interval: str, start_ms: int, end_ms: int,
               limit: int) -> Any:
        return self.get("/fapi/v1/klines",
                        {"symbol": symbol, "interval": interval, "startTime": start_ms,
                         "endTime": end_ms, "limit": limit},
                        costs={WEIGHT: kline_weight(limit)}, symbol=symbol)

    def funding_rates(self, symbol: str, start_ms: int, end_ms: int, limit: int = 1000) -> Any:
        return self.get("/fapi/v1/fundingRate",
                        {"symbol": symbol, "startTime": start_ms, "endTime": end_ms,
                         "limit": limit},
                        costs={WEIGHT: 1, "funding_rate": 1}, symbol=symbol)

    def futures_data(self, dataset: str, symbol: str, period: str, start_ms: int, end_ms: int,
                     limit: int = 500) -> Any:
        """``/futures/data/{openInterestHist, topLongShortAccountRatio, ...}``."""
        return self.get(f"/futures/data/{dataset}",
                        {"symbol": symbol, "period": period, "startTime": start_ms,
                         "endTime": end_ms, "limit": limit},
                        costs={WEIGHT: 1, "futures_data": 1}, symbol=symbol)

    def commission_rate(self, symbol: str) -> Any:
        return self.get("/fapi/v1/commissionRate", {"symbol": symbol},
                        costs={WEIGHT: 20}, symbol=symbol, signed=True)

    def exchange_info(self) -> Any:
        return self.get("/fapi/v1/exchangeInfo", costs={WEIGHT: 1})
