from __future__ import annotations

import json
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

import simulator

EIGHT_HOURS = 8 * 3_600_000


def _funding(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/fapi/v1/fundingRate", params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


def test_records_have_the_documented_shape(
    client: httpx.Client, fixtures_dir: Path, now_ms: int
) -> None:
    example = json.loads(
        (fixtures_dir / "binance_futures" / "fapi_v1_fundingRate_DOCS_EXAMPLE_with_markPrice.json")
        .read_text()
    )
    rows = _funding(client, symbol="BTCUSDT")
    assert len(rows) == 100  # default limit
    for row in rows:
        assert list(row) == list(example[0])
        assert [type(v) for v in row.values()] == [type(v) for v in example[0].values()]
        assert row["fundingTime"] % EIGHT_HOURS == 0
        assert len(row["fundingRate"].split(".")[1]) == 8
        assert len(row["markPrice"].split(".")[1]) == 8
    times = [r["fundingTime"] for r in rows]
    assert times == sorted(times) and times[-1] == now_ms - now_ms % EIGHT_HOURS
    assert {b - a for a, b in pairwise(times)} == {EIGHT_HOURS}


def test_paging_and_limits(client: httpx.Client) -> None:
    first = _funding(client, symbol="ETHUSDT", startTime=0, limit=1000)
    assert len(first) == 1000
    page = _funding(client, symbol="ETHUSDT", startTime=first[500]["fundingTime"], limit=10)
    assert page == first[500:510]
    ending = _funding(client, symbol="ETHUSDT", endTime=first[499]["fundingTime"], limit=10)
    assert ending == first[490:500]
    r = client.get("/fapi/v1/fundingRate", params={"symbol": "ETHUSDT", "limit": 1001})
    assert r.json() == {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}


def test_mark_price_is_empty_before_2022_as_live(client: httpx.Client) -> None:
    rows = _funding(client, symbol="BTCUSDT", startTime=1640966400000, limit=3)
    assert [r["markPrice"] == "" for r in rows] == [True, False, False]


def test_all_symbols_without_symbol_and_none_for_delivery(client: httpx.Client) -> None:
    rows = _funding(client, limit=10)
    assert len(rows) == 10 and len({r["symbol"] for r in rows}) == 5
    info = client.get("/fapi/v1/exchangeInfo").json()["symbols"]
    quarterly = next(s["symbol"] for s in info if s["contractType"] == "CURRENT_QUARTER")
    assert _funding(client, symbol=quarterly) == []


def test_funding_has_its_own_request_pool(
    make_sim: Callable[..., simulator.Simulator],
) -> None:
    sim = make_sim(funding_limit=3)
    with httpx.Client(base_url=sim.base_url) as c:
        statuses = [c.get("/fapi/v1/fundingRate").status_code for _ in range(4)]
        r = c.get("/fapi/v1/time")
    assert statuses == [200, 200, 200, 429]
    assert r.status_code == 418, "kept calling during the back-off"
    assert sim.stats()["weight"]["used_current_minute"] == 0, "no request weight used"
