"""SIGNED (USER_DATA) endpoint security, as the USD-M general-info page specifies it.

* ``X-MBX-APIKEY`` header: absent or malformed -> 401 ``-2014 API-key format invalid.``;
  well-formed but unknown -> 401 ``-2015 Invalid API-key, IP, or permissions for action,
  request ip: <ip>``.
* ``timestamp`` mandatory (-1102); ``recvWindow`` optional, default 5000, at most 60000.
* ``signature`` = hex HMAC-SHA256(secret, totalParams), totalParams being the query string
  without the signature (plus the body for POSTs); case-insensitive; mismatch -> -1022.
* Accept iff ``timestamp < serverTime + 1000`` and ``serverTime - timestamp <= recvWindow``,
  else -1021.

The default credentials are the example pair from Binance's signing documentation, so the
published test vector verifies against the simulator out of the box.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from simulator.binance_futures import errors
from simulator.binance_futures.errors import BinanceError
from simulator.binance_futures.params import Params

__all__ = ["DOCS_API_KEY", "DOCS_API_SECRET", "sign", "verify"]

DOCS_API_KEY = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
DOCS_API_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"

_KEY_FORMAT = re.compile(r"^[A-Za-z0-9]{64}$")
_MAX_RECV_WINDOW = 60_000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _unsigned_payload(query: str) -> str:
    # Keep the client's own order and encoding: that is what it signed.
    return "&".join(part for part in query.split("&") if not part.startswith("signature="))


def verify(
    *,
    api_key_header: str | None,
    query_string: str,
    body: str,
    params: Params,
    api_key: str,
    api_secret: str,
    now_ms: int,
    client_ip: str,
) -> None:
    """Raise the Binance error a real server would answer this request with, if any."""
    if api_key_header is None or not _KEY_FORMAT.match(api_key_header):
        raise BinanceError(-2014, "API-key format invalid.", 401)
    if not hmac.compare_digest(api_key_header, api_key):
        raise BinanceError(
            -2015,
            f"Invalid API-key, IP, or permissions for action, request ip: {client_ip}",
            401,
        )
    timestamp = params.text("timestamp")
    if timestamp is None or not timestamp.isdigit():
        raise errors.mandatory("timestamp")
    recv_window = params.integer("recvWindow", 5000)
    assert recv_window is not None
    if not 0 < recv_window <= _MAX_RECV_WINDOW:
        raise errors.invalid_value("recvWindow")
    signature = params.text("signature")
    if signature is None:
        raise errors.mandatory("signature")
    payload = _unsigned_payload(query_string)
    if body:
        payload += body
    if not hmac.compare_digest(sign(api_secret, payload), signature.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    ts = int(timestamp)
    if ts >= now_ms + 1000:
        raise BinanceError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - ts > recv_window:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
