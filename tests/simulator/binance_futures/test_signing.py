from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

import simulator
from simulator.binance_futures.signing import sign

KEY, SECRET = simulator.DOCS_API_KEY, simulator.DOCS_API_SECRET


def test_the_published_hmac_test_vector() -> None:
    payload = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
        "&recvWindow=5000&timestamp=1591702613943"
    )
    expected = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    assert sign(SECRET, payload) == expected


@pytest.fixture
def signed(
    make_sim: Callable[..., simulator.Simulator],
) -> Callable[..., httpx.Response]:
    sim = make_sim()

    def call(
        params: dict[str, object] | None = None,
        *,
        key: str | None = KEY,
        secret: str = SECRET,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        query = dict(params or {"symbol": "BTCUSDT"})
        if timestamp is not None:
            query["timestamp"] = timestamp
        text = urlencode(query)
        sig = signature if signature is not None else sign(secret, text)
        headers = {"X-MBX-APIKEY": key} if key is not None else {}
        return httpx.get(
            f"{sim.base_url}/fapi/v1/commissionRate?{text}&signature={sig}", headers=headers
        )

    call.sim = sim  # type: ignore[attr-defined]
    return call


def test_a_correctly_signed_request(
    signed: Callable[..., httpx.Response], now_ms: int, fixtures_dir: Path
) -> None:
    r = signed({"symbol": "ETHUSDT", "recvWindow": 5000}, timestamp=now_ms - 1000)
    assert r.status_code == 200, r.text
    example = json.loads(
        (fixtures_dir / "binance_futures" / "fapi_v1_commissionRate_BTCUSDT_nautilus.json")
        .read_text()
    )
    assert list(r.json()) == list(example)
    assert r.json() == {**example, "symbol": "ETHUSDT"}
    assert r.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    # The signature is case-insensitive.
    text = urlencode({"symbol": "BTCUSDT", "timestamp": now_ms})
    upper = sign(SECRET, text).upper()
    assert signed(timestamp=now_ms, signature=upper).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "msg"),
    [
        ({"key": None}, 401, -2014, "API-key format invalid."),
        ({"key": "not-a-key"}, 401, -2014, "API-key format invalid."),
        ({"key": "a" * 64}, 401, -2015,
         "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1"),
        ({"secret": "b" * 64}, 400, -1022, "Signature for this request is not valid."),
        ({"offset": -5001}, 400, -1021, "Timestamp for this request is outside of the recvWindow."),
        ({"offset": 1000}, 400, -1021,
         "Timestamp for this request was 1000ms ahead of the server's time."),
        ({"offset": None}, 400, -1102,
         "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."),
    ],
)
def test_rejections(
    signed: Callable[..., httpx.Response],
    now_ms: int,
    kwargs: dict[str, object],
    status: int,
    code: int,
    msg: str,
) -> None:
    offset = kwargs.pop("offset", 0)
    timestamp = None if offset is None else now_ms + int(offset)  # type: ignore[call-overload]
    r = signed(timestamp=timestamp, **kwargs)
    assert r.status_code == status
    assert r.json() == {"code": code, "msg": msg}


def test_recv_window_and_missing_signature(
    signed: Callable[..., httpx.Response], now_ms: int
) -> None:
    ok = signed({"symbol": "BTCUSDT", "recvWindow": 60000}, timestamp=now_ms - 59_000)
    assert ok.status_code == 200
    too_big = signed({"symbol": "BTCUSDT", "recvWindow": 60001}, timestamp=now_ms)
    assert too_big.json()["code"] == -1130
    sim = signed.sim  # type: ignore[attr-defined]
    r = httpx.get(
        f"{sim.base_url}/fapi/v1/commissionRate",
        params={"symbol": "BTCUSDT", "timestamp": now_ms},
        headers={"X-MBX-APIKEY": KEY},
    )
    assert r.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    }


def test_credentials_are_configurable(
    make_sim: Callable[..., simulator.Simulator], now_ms: int
) -> None:
    key, secret = "K" * 64, "s3cret"
    sim = make_sim(api_key=key, api_secret=secret)
    text = urlencode({"symbol": "BTCUSDT", "timestamp": now_ms})
    r = httpx.get(
        f"{sim.base_url}/fapi/v1/commissionRate?{text}&signature={sign(secret, text)}",
        headers={"X-MBX-APIKEY": key},
    )
    assert r.status_code == 200
