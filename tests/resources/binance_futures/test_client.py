"""The REST client against httpx.MockTransport: weights, 429, 418, retries, errors, signing."""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from resources.binance_futures.budget import WEIGHT, BannedError, WeightBudget, default_buckets
from resources.binance_futures.client import (
    BinanceApiError,
    BinanceFuturesClient,
    BinanceUnavailableError,
    MissingCredentialsError,
    kline_weight,
)

KEY = "k" * 64
SECRET = "s3cr3t-" * 9
KLINE = [0, "1.0", "1.0", "1.0", "1.0", "0", 59999, "0", 1, "0", "0", "0"]

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/fapi/v1/time":
            return httpx.Response(200, json={"serverTime": int(time.time() * 1000)})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


def make(tmp_path: Path, recorder: Recorder, *, sleeps: list[float] | None = None,
         **kwargs: object) -> BinanceFuturesClient:
    budget = WeightBudget(tmp_path / "budget.json", default_buckets(2400))
    slept = sleeps if sleeps is not None else []
    return BinanceFuturesClient(
        "https://fapi.example", budget, transport=httpx.MockTransport(recorder),
        sleep=slept.append, **kwargs)  # type: ignore[arg-type]


def ok(body: object, used: int = 10, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers={"X-MBX-USED-WEIGHT-1M": str(used), **headers})


def test_klines_reserve_their_documented_weight(tmp_path: Path) -> None:
    assert [kline_weight(n) for n in (1, 99, 100, 499, 500, 1000, 1001, 1500)] == [
        1, 1, 2, 2, 5, 5, 10, 10]
    recorder = Recorder(ok([KLINE], used=5))
    client = make(tmp_path, recorder)
    client.klines("BTCUSDT", "1m", 0, 59_999, 1000)
    (request,) = recorder.calls("/fapi/v1/klines")
    assert dict(parse_qsl(request.url.query.decode())) == {
        "symbol": "BTCUSDT", "interval": "1m", "startTime": "0", "endTime": "59999",
        "limit": "1000"}
    assert client.stats.weight == 5
    assert client.stats.used_weight_1m == 5
    assert client.budget.status().used[WEIGHT] == 5


def test_the_server_count_corrects_the_shared_budget(tmp_path: Path) -> None:
    client = make(tmp_path, Recorder(ok([KLINE], used=900)))
    client.klines("BTCUSDT", "1m", 0, 59_999, 1000)
    assert client.budget.status().used[WEIGHT] == 900


def test_429_pauses_everyone_then_continues(tmp_path: Path) -> None:
    limited = httpx.Response(429, json={"code": -1003, "msg": "Too many requests"},
                             headers={"Retry-After": "3"})
    recorder = Recorder(limited, ok([KLINE]))
    sleeps: list[float] = []
    client = make(tmp_path, recorder, sleeps=sleeps)
    client.budget._sleep = sleeps.append  # the budget's wait is what a 429 pause costs
    client.budget._clock = lambda: 0.0 if not sleeps else 10.0
    assert len(client.klines("BTCUSDT", "1m", 0, 59_999, 1000)) == 1
    assert client.stats.rate_limited == 1
    assert len(recorder.calls("/fapi/v1/klines")) == 2
    assert sleeps and sleeps[0] == pytest.approx(3.0, abs=0.05)


def test_418_stops_all_binance_work_until_the_ban_ends(tmp_path: Path) -> None:
    banned = httpx.Response(418, json={"code": -1003, "msg": "Way too many requests; IP banned "
                                       "until 1999999999999."}, headers={"Retry-After": "120"})
    client = make(tmp_path, Recorder(banned))
    with pytest.raises(BannedError, match=r"banned this IP until .*418.*/fapi/v1/klines"):
        client.klines("BTCUSDT", "1m", 0, 59_999, 1000)
    other = Recorder(ok([KLINE]))
    second = make(tmp_path, other)  # another process: same state file
    with pytest.raises(BannedError):
        second.klines("ETHUSDT", "1m", 0, 59_999, 1000)
    assert other.requests == []  # nothing was sent
    assert second.budget.status().banned_until == pytest.approx(time.time() + 120, abs=5)


def test_a_ban_without_retry_after_ends_when_the_message_says(tmp_path: Path) -> None:
    until_ms = int(time.time() * 1000) + 600_000
    banned = httpx.Response(418, json={"code": -1003,
                                       "msg": f"Way too many requests; IP(1.2.3.4) banned until "
                                              f"{until_ms}. Please use the websocket"})
    client = make(tmp_path, Recorder(banned))
    with pytest.raises(BannedError):
        client.exchange_info()
    assert client.budget.status().banned_until == pytest.approx(until_ms / 1000, abs=0.01)


@pytest.mark.parametrize("failure", [
    httpx.Response(503, text="Service Unavailable"),
    httpx.Response(502, text="<html>Bad Gateway</html>"),
    httpx.Response(500, json={"code": -1001, "msg": "Internal error; unable to process"}),
    httpx.Response(400, json={"code": -1008, "msg": "Server is currently overloaded"}),
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.ConnectError("connection refused"),
    httpx.Response(200, text='[[0,"1.0","1.0","1.0","1.0","0",59'),  # cut short
])
def test_transient_failures_are_retried_with_backoff(tmp_path: Path,
                                                     failure: httpx.Response | Exception) -> None:
    recorder = Recorder(failure, failure, ok([KLINE]))
    sleeps: list[float] = []
    client = make(tmp_path, recorder, sleeps=sleeps, backoff_base_s=0.5)
    assert len(client.klines("BTCUSDT", "1m", 0, 59_999, 1000)) == 1
    assert client.stats.retries == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential, jittered


def test_retries_are_bounded(tmp_path: Path) -> None:
    recorder = Recorder(httpx.Response(503, text="down"))
    client = make(tmp_path, recorder, max_retries=3)
    with pytest.raises(BinanceUnavailableError,
                       match=r"GET /fapi/v1/klines for BTCUSDT failed 4 times .*HTTP 503"):
        client.klines("BTCUSDT", "1m", 0, 59_999, 1000)
    assert len(recorder.calls("/fapi/v1/klines")) == 4


def test_a_bad_symbol_is_a_clear_error_without_retry(tmp_path: Path, fixtures_dir: Path) -> None:
    body = (fixtures_dir / "binance_futures" / "error_-1121_invalid_symbol.json").read_text()
    recorder = Recorder(httpx.Response(400, text=body))
    client = make(tmp_path, recorder)
    with pytest.raises(BinanceApiError) as error:
        client.klines("NOPEUSDT", "1m", 0, 59_999, 1000)
    assert str(error.value) == (
        "Binance refused GET /fapi/v1/klines for NOPEUSDT: HTTP 400 -1121 Invalid symbol.")
    assert (error.value.code, error.value.symbol) == (-1121, "NOPEUSDT")
    assert len(recorder.calls("/fapi/v1/klines")) == 1


def _verify_signature(request: httpx.Request) -> httpx.Response:
    query = request.url.query.decode()
    unsigned, _, signature = query.rpartition("&signature=")
    expected = hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
    params = dict(parse_qsl(unsigned))
    if (request.headers.get("X-MBX-APIKEY") != KEY or signature != expected
            or "timestamp" not in params or params.get("recvWindow") != "5000"):
        return httpx.Response(400, json={"code": -1022, "msg": "Signature for this request "
                                         "is not valid."})
    return ok({"symbol": params["symbol"], "makerCommissionRate": "0.0002",
               "takerCommissionRate": "0.0005"})


def test_signed_requests_carry_key_timestamp_and_signature(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(_verify_signature)
    client = make(tmp_path, recorder, api_key=KEY, api_secret=SECRET)
    with caplog.at_level(logging.DEBUG):
        assert client.commission_rate("BTCUSDT")["makerCommissionRate"] == "0.0002"
    assert client.stats.weight == 21  # commissionRate 20, plus the time sync
    (request,) = recorder.calls("/fapi/v1/commissionRate")
    signature = request.url.query.decode().rpartition("&signature=")[2]
    logged = caplog.text + repr([r.args for r in caplog.records])
    assert "/fapi/v1/commissionRate" in logged  # httpx logged the request...
    for secret in (KEY, SECRET, signature, "timestamp="):
        assert secret not in logged  # ...without its key, secret or signed query


def test_the_secret_never_reaches_an_error(tmp_path: Path) -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    client = make(tmp_path, recorder, api_key=KEY, api_secret=SECRET, max_retries=1)
    recorder.answers = [httpx.ConnectError("refused")]
    with pytest.raises(BinanceUnavailableError) as error:
        client.commission_rate("BTCUSDT")
    text = f"{error.value!r} {error.value.__cause__!r} {error.value.__context__!r}"
    assert SECRET not in text and KEY not in text and "signature=" not in text


def test_a_clock_drift_resyncs_once(tmp_path: Path) -> None:
    drift = httpx.Response(400, json={"code": -1021, "msg": "Timestamp for this request is "
                                      "outside of the recvWindow."})
    recorder = Recorder(drift, _verify_signature)
    client = make(tmp_path, recorder, api_key=KEY, api_secret=SECRET)
    assert client.commission_rate("ETHUSDT")["symbol"] == "ETHUSDT"
    assert len(recorder.calls("/fapi/v1/time")) == 2


def test_signed_endpoints_need_credentials(tmp_path: Path) -> None:
    recorder = Recorder(ok({}))
    with pytest.raises(MissingCredentialsError):
        make(tmp_path, recorder).commission_rate("BTCUSDT")
    assert recorder.requests == []


def test_json_numbers_keep_their_digits(tmp_path: Path) -> None:
    body = '[[0, 0.10, 1.0, 1.0, 1.0, 0, 59999, 0, 1, 0, 0, 0]]'
    client = make(tmp_path, Recorder(httpx.Response(200, text=body)))
    assert client.klines("BTCUSDT", "1m", 0, 59_999, 10)[0][1] == "0.10"
    assert json.loads(body)[0][1] == 0.1  # what a plain json.loads would have kept
