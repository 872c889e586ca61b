"""Binance USD-M error bodies, with the codes and texts the real API uses.

Texts follow the USD-M error-code page (developers.binance.com, derivatives/usds-margined-futures
/error-code) and bodies captured from the live API where those differ from the page:

* ``{"code":-1121,"msg":"Invalid symbol."}`` (tests/fixtures/binance_futures/
  error_-1121_invalid_symbol.json), HTTP 400.
* 429/418: ``Too many requests; current limit of IP(x.x.x.x) is 2400 requests per minute. ...``
  and ``Way too many requests; IP(x.x.x.x) banned until <ms>. ...`` are the live USD-M
  wordings; the older spot-era text in error_-1003_too_much_request_weight.json has the same
  code, -1003.
* ``/futures/data/*`` refuses a ``startTime`` older than its 30 days with
  ``{"msg":"parameter 'startTime' is invalid.","code":-1130}`` (msg first, as captured).
"""

from __future__ import annotations

from starlette.responses import Response

from simulator.http import json_response

__all__ = [
    "BinanceError",
    "bad_interval",
    "duplicate",
    "illegal_chars",
    "invalid_symbol",
    "invalid_value",
    "mandatory",
    "start_after_end",
]


class BinanceError(Exception):
    """Raised by handlers; rendered as Binance's ``{"code": ..., "msg": ...}`` body."""

    def __init__(self, code: int, msg: str, status: int = 400, *, msg_first: bool = False):
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.msg_first = msg_first

    def response(self) -> Response:
        body = (
            {"msg": self.msg, "code": self.code}
            if self.msg_first
            else {"code": self.code, "msg": self.msg}
        )
        return json_response(body, self.status)


def mandatory(param: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def illegal_chars(param: str, legal: str) -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'."
    )


def invalid_value(param: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{param}' is not valid.")


def duplicate() -> BinanceError:
    return BinanceError(-1101, "Duplicate values for a parameter detected.")


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def bad_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def start_after_end() -> BinanceError:
    return BinanceError(-1023, "Start time is greater than end time.")
