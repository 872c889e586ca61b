import hashlib
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest

import simulator
from resources.binance_futures.archives import (
    ArchiveError,
    ChecksumError,
    archive_url,
    download_archives,
    find_archives,
    parse_archive_csv,
    plan_downloads,
    read_archive,
    verify_checksum,
)

SAMPLE = "ALGOUSDT-1m-2023-02_head5000.csv"


def sample(fixtures_dir: Path) -> bytes:
    return (fixtures_dir / "binance_public" / SAMPLE).read_bytes()


def test_a_file_with_header(fixtures_dir: Path) -> None:
    batch = parse_archive_csv(sample(fixtures_dir), source=SAMPLE)
    assert batch.num_rows == 4999
    first = batch.slice(0, 1).to_pylist()[0]
    assert first == {
        "ts": first["ts"], "open": "0.2413", "high": "0.2418", "low": "0.2413",
        "close": "0.2418", "volume": "283971.0", "trade_count": 270,
        "quote_volume": "68569.21705", "taker_buy_base_volume": "179373.9",
        "taker_buy_quote_volume": "43319.35309", "line": 2}
    assert first["ts"].isoformat() == "2023-02-01T00:00:00+00:00"


def test_the_same_rows_without_header(fixtures_dir: Path) -> None:
    data = sample(fixtures_dir)
    headless = data.split(b"\n", 1)[1]
    with_header = parse_archive_csv(data, source="a").drop_columns(["line"])
    without = parse_archive_csv(headless, source="b")
    assert without.drop_columns(["line"]).equals(with_header)
    assert without.column("line")[0].as_py() == 1


def test_microsecond_timestamps_as_in_2025_spot_files(fixtures_dir: Path) -> None:
    lines = sample(fixtures_dir).decode().splitlines()[1:4]
    micro = "\n".join(",".join([f"{p[0]}000", *p[1:6], f"{p[6]}999", *p[7:]])
                      for p in (line.split(",") for line in lines))
    expected = parse_archive_csv("\n".join(lines).encode(), source="ms").column("ts")
    assert parse_archive_csv(micro.encode(), source="us").column("ts").equals(expected)


@pytest.mark.parametrize(("line", "message"), [
    ("1675209780000,0.2420,oops,0.2420,0.2423,207567.1,1675209839999,50318.2,232,1.0,2.0,0",
     "x.csv line 5: high is not a decimal: 'oops'"),
    ("1675209780000,0.2420,0.2426", "x.csv: line 5: Expected 12 columns, got 3"),
    ("1675209660000,0.2417,0.2418,0.2415,0.2415,300353.9,1675209719999,7.2,301,8.0,2.1,0",
     "x.csv line 5: open_time does not increase"),
])
def test_a_bad_line_is_named(fixtures_dir: Path, line: str, message: str) -> None:
    head = sample(fixtures_dir).decode().splitlines()[:4]
    with pytest.raises(ArchiveError) as error:
        parse_archive_csv("\n".join([*head, line]).encode(), source="x.csv")
    assert message in str(error.value)


def _zip(directory: Path, name: str, data: bytes) -> Path:
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.csv", data)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (directory / f"{name}.zip.CHECKSUM").write_text(f"{digest}  {name}.zip\n")
    return path


def test_finding_zips_csvs_and_checksums(tmp_path: Path, fixtures_dir: Path) -> None:
    um = tmp_path / "data" / "futures" / "um" / "monthly" / "klines" / "ALGOUSDT" / "1m"
    um.mkdir(parents=True)
    zipped = _zip(um, "ALGOUSDT-1m-2023-02", sample(fixtures_dir))
    (um / "ALGOUSDT-1m-2023-02.csv").write_bytes(sample(fixtures_dir))  # unzipped beside it
    (tmp_path / "BTCUSDT-1mo-2024-01.csv").write_text("")
    (tmp_path / "ETHUSDT-1h-2024-03-05.csv").write_text("")
    spot = tmp_path / "data" / "spot" / "daily" / "klines"
    spot.mkdir(parents=True)
    (spot / "BTCUSDT-1m-2025-01-01.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an archive")
    files, refused = find_archives(tmp_path)
    assert [(f.series, f.period_start, f.daily, f.checksum_path is not None) for f in files] == [
        ("ALGOUSDT-1m", date(2023, 2, 1), False, True),
        ("BTCUSDT-1M", date(2024, 1, 1), False, False),
        ("ETHUSDT-1h", date(2024, 3, 5), True, False),
    ]
    assert files[0].path == zipped and files[2].period_end == date(2024, 3, 6)
    assert sorted(reason.split()[0] for _, reason in refused) == ["ALGOUSDT-1m-2023-02.zip",
                                                                   "spot"]
    assert read_archive(zipped) == sample(fixtures_dir)
    assert files[0].checksum_path is not None
    verify_checksum(zipped, files[0].checksum_path)


def test_a_bad_checksum_names_the_file(tmp_path: Path, fixtures_dir: Path) -> None:
    path = _zip(tmp_path, "ALGOUSDT-1m-2023-02", sample(fixtures_dir))
    path.write_bytes(path.read_bytes()[:-10])  # an interrupted download
    with pytest.raises(ChecksumError, match=r"ALGOUSDT-1m-2023-02.zip: SHA-256 is [0-9a-f]{64} "
                                            r"but ALGOUSDT-1m-2023-02.zip.CHECKSUM says"):
        verify_checksum(path, tmp_path / "ALGOUSDT-1m-2023-02.zip.CHECKSUM")


def test_download_plan_months_then_days() -> None:
    plan = plan_downloads(date(2024, 1, 15), date(2024, 4, 3), today=date(2024, 3, 4))
    assert plan[0] == (date(2024, 1, 15), True)
    assert (date(2024, 2, 1), False) in plan
    assert plan[-1] == (date(2024, 3, 3), True)  # yesterday; today is not published yet
    assert len(plan) == 17 + 1 + 3
    assert plan_downloads(date(2024, 1, 1), date(2024, 3, 1), today=date(2024, 3, 4),
                          daily_files=False) == [(date(2024, 1, 1), False), (date(2024, 2, 1),
                                                                              False)]
    assert archive_url("https://data.binance.vision", "BTCUSDT", "1M", date(2024, 1, 1), False) \
        == ("https://data.binance.vision/data/futures/um/monthly/klines/BTCUSDT/1mo/"
            "BTCUSDT-1mo-2024-01.zip")


def test_download_verifies_and_resumes(tmp_path: Path) -> None:
    with simulator.serve(seed=7, now="2024-03-03T10:00:00Z") as sim:
        seen: list[tuple[str, str]] = []

        def run() -> object:
            return download_archives(
                data_url=sim.base_url, symbol="SOLUSDT", interval="1h", start=date(2024, 1, 30),
                end=date(2024, 3, 10), directory=tmp_path, today=date(2024, 3, 3),
                on_file=lambda name, status: seen.append((name, status)))

        first = run()
        assert [n for n, s in seen if s == "downloaded"] == [
            "SOLUSDT-1h-2024-01-30.zip", "SOLUSDT-1h-2024-01-31.zip", "SOLUSDT-1h-2024-02.zip",
            "SOLUSDT-1h-2024-03-01.zip", "SOLUSDT-1h-2024-03-02.zip"]
        assert not first.failed  # type: ignore[attr-defined]
        files, _ = find_archives(tmp_path)
        assert len(files) == 5 and all(f.checksum_path for f in files)
        for f in files:
            assert f.checksum_path is not None
            verify_checksum(f.path, f.checksum_path)
        month = next(f for f in files if not f.daily)
        month.path.write_bytes(b"damaged")
        seen.clear()
        run()
        assert sorted(s for _, s in seen) == ["downloaded"] + ["present"] * 4
        assert sim.stats()["responses_429"] == 0


def test_a_corrupted_download_is_not_saved(tmp_path: Path, fixtures_dir: Path) -> None:
    good = _zip(tmp_path, "ALGOUSDT-1m-2023-02", sample(fixtures_dir)).read_bytes()
    checksum = (tmp_path / "ALGOUSDT-1m-2023-02.zip.CHECKSUM").read_bytes()
    target = tmp_path / "download"

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".CHECKSUM"):
            return httpx.Response(200, content=checksum)
        return httpx.Response(200, content=good[:-100])  # a proxy cut it short

    result = download_archives(
        data_url="https://data.example", symbol="ALGOUSDT", interval="1m",
        start=date(2023, 2, 1), end=date(2023, 3, 1), directory=target, today=date(2024, 1, 1),
        transport=httpx.MockTransport(serve))
    assert len(result.failed) == 1
    assert "ALGOUSDT-1m-2023-02.zip" in result.failed[0]
    assert "SHA-256 is" in result.failed[0] and "not saved" in result.failed[0]
    assert not list(target.rglob("*.zip")) and not list(target.rglob(".part-*"))
