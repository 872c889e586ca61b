from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import simulator

BASE = "/data/futures/um"
DAY = 86_400_000


def _unzip(content: bytes) -> tuple[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        (name,) = z.namelist()
        text = z.read(name).decode()
    assert text.endswith("\n") and "\r" not in text
    return name, list(csv.reader(io.StringIO(text)))


def _klines(client: httpx.Client, **params: Any) -> list[list[Any]]:
    r = client.get("/fapi/v1/klines", params=params)
    assert r.status_code == 200
    rows: list[list[Any]] = r.json()
    return rows


def test_daily_zip_matches_the_public_format_and_the_rest_candles(
    client: httpx.Client, fixtures_dir: Path
) -> None:
    url = f"{BASE}/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-04-30.zip"
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    name, rows = _unzip(r.content)
    assert name == "BTCUSDT-1m-2024-04-30.csv"
    with (fixtures_dir / "binance_public" / "ALGOUSDT-1m-2023-02_head5000.csv").open() as f:
        real = list(csv.reader(f))
    assert rows[0] == real[0], "same header row"
    body = rows[1:]
    assert len(body) == 1440
    for ours, theirs in zip(body[:50], real[1:50], strict=False):
        assert len(ours) == len(theirs) == 12
        assert [v.lstrip("-").isdigit() for v in ours] == [v.isdigit() for v in theirs]
        assert int(ours[6]) - int(ours[0]) == int(theirs[6]) - int(theirs[0]) == 59_999
    day_start = 1714435200000
    rest = _klines(client, symbol="BTCUSDT", interval="1m", startTime=day_start, limit=1000)
    rest += _klines(client, symbol="BTCUSDT", interval="1m", startTime=rest[-1][0] + 60_000,
                    endTime=day_start + DAY - 1, limit=1000)
    assert [[str(v) for v in row] for row in rest] == body

    checksum = client.get(url + ".CHECKSUM")
    assert checksum.status_code == 200
    assert checksum.text == f"{hashlib.sha256(r.content).hexdigest()}  BTCUSDT-1m-2024-04-30.zip\n"
    assert client.get(url).content == r.content, "byte-identical on every download"


def test_monthly_files(client: httpx.Client) -> None:
    r = client.get(f"{BASE}/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-2024-02.zip")
    name, rows = _unzip(r.content)
    assert name == "ETHUSDT-1h-2024-02.csv" and len(rows) == 1 + 29 * 24
    r = client.get(f"{BASE}/monthly/klines/ETHUSDT/1mo/ETHUSDT-1mo-2024-02.zip")
    _, rows = _unzip(r.content)
    rest = _klines(client, symbol="ETHUSDT", interval="1M", startTime=1706745600000, limit=1)
    assert rows[1:] == [[str(v) for v in rest[0]]]
    checksum = client.get(f"{BASE}/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-2024-02.zip.CHECKSUM")
    assert checksum.text.endswith("  ETHUSDT-1h-2024-02.zip\n")


@pytest.mark.parametrize(
    "path",
    [
        "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-05-01.zip",  # today: not published yet
        "monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-05.zip",  # this month
        "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2019-01-01.zip",  # before listing
        "daily/klines/NOPEUSDT/1m/NOPEUSDT-1m-2024-04-01.zip",
        "daily/klines/BTCUSDT/1m/ETHUSDT-1m-2024-04-01.zip",
        "daily/klines/BTCUSDT/7m/BTCUSDT-7m-2024-04-01.zip",
        "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-04.zip",
        "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02-30.zip",
        "weekly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-04-01.zip",
    ],
)
def test_missing_files_are_s3_404s(client: httpx.Client, path: str) -> None:
    for suffix in ("", ".CHECKSUM"):
        r = client.get(f"{BASE}/{path}{suffix}")
        assert r.status_code == 404
        assert "<Code>NoSuchKey</Code>" in r.text


def test_archives_keep_maintenance_gaps(
    make_sim: Callable[..., simulator.Simulator],
) -> None:
    gap = (1714435200000 + 3_600_000, 1714435200000 + 3_600_000 + 45 * 60_000)
    sim = make_sim(maintenance=[gap])
    r = httpx.get(f"{sim.base_url}{BASE}/daily/klines/XRPUSDT/1m/XRPUSDT-1m-2024-04-30.zip")
    _, rows = _unzip(r.content)
    opens = [int(row[0]) for row in rows[1:]]
    assert len(opens) == 1440 - 45
    assert not any(gap[0] <= t < gap[1] for t in opens)
