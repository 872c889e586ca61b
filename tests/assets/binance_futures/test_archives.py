"""Public-data archives into the candles table: verified, idempotent, consistent with REST."""

import hashlib
import zipfile
from datetime import date
from pathlib import Path

from dagster import materialize

from assets.binance_futures import binance_futures_kline_archives, binance_futures_klines
from resources.binance_futures.archives import download_archives

SAMPLE = "ALGOUSDT-1m-2023-02_head5000.csv"


def run_import(kit, directory: Path, **config: object):  # type: ignore[no-untyped-def]
    return materialize(
        [binance_futures_kline_archives], instance=kit.instance,
        resources={"database": kit.database},
        run_config={"ops": {"binance_futures__kline_archives": {"config": {
            "directory": str(directory), **config}}}}, raise_on_error=False)


def test_archives_then_rest_agree_and_resume(kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "archives"
    kit.sim.set_now("2024-04-03T10:00:00Z")
    downloaded = download_archives(
        data_url=kit.sim.base_url, symbol="SOLUSDT", interval="1m", start=date(2024, 2, 1),
        end=date(2024, 4, 3), directory=directory, today=date(2024, 4, 3))
    assert len(downloaded.downloaded) == 4  # February, March, April 1 and 2
    result = run_import(kit, directory, require_checksum=True)
    assert result.success, kit.failure(result)
    meta = kit.metadata(result, asset=binance_futures_kline_archives)
    expected = kit.expected_candles("2024-02-01T00:00:00Z", "2024-04-03T00:00:00Z")
    assert (meta["files_imported"], meta["rows_inserted"]) == (4, expected)
    assert kit.count() == expected
    # whole months an archive covers show as materialized kline partitions
    assert kit.materialized(binance_futures_klines.key) == [
        "2024-02-01|SOLUSDT-1m", "2024-03-01|SOLUSDT-1m"]

    # REST picks up where the archives end, without asking again for what they hold
    kit.sim.set_now("2024-04-03T10:00:30Z")
    resources = kit.resources(pairs=["SOLUSDT/1m"], start="2024-02-01")
    rest = kit.run_klines(resources, ["SOLUSDT-1m"], "2024-02-01", "2024-04-01")
    assert rest.success, kit.failure(rest)
    assert kit.metadata(rest, "2024-03-01|SOLUSDT-1m")["requests"] == 0
    assert kit.metadata(rest, "2024-04-01|SOLUSDT-1m")["rows_inserted"] == 600
    assert kit.sim.stats()["requests"]["/fapi/v1/klines"] == 1
    # and a repair over the archived days finds every REST candle equal to the archive's
    repair = kit.run_klines(resources, ["SOLUSDT-1m"], "2024-03-01", "2024-03-01",
                            start="2024-03-10", end="2024-03-12", repair=True)
    assert repair.success, kit.failure(repair)
    assert kit.metadata(repair, "2024-03-01|SOLUSDT-1m")["rows_already_present"] == 2880

    again = run_import(kit, directory)
    assert again.success
    assert kit.metadata(again, asset=binance_futures_kline_archives)["files_unchanged"] == 4


def _zip(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.csv", data)
    (directory / f"{name}.zip.CHECKSUM").write_text(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}.zip\n")
    return path


def test_header_or_not_bad_checksums_and_bad_lines(kit, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   fixtures_dir: Path) -> None:
    text = (fixtures_dir / "binance_public" / SAMPLE).read_text()
    lines = text.splitlines()
    directory = tmp_path / "archives"
    # the real file (with header) as published, zipped with its checksum
    _zip(directory, "ALGOUSDT-1m-2023-02", text.encode())
    # an old-style daily file without header, unzipped, no checksum
    (directory / "ALGOUSDT-1h-2023-02-01.csv").write_text(
        "1675209600000,0.2413,0.2440,0.2400,0.2431,9876543.2,1675213199999,2400000.1,"
        "16000,5000000.0,1210000.2,0\n")
    # a damaged download: the checksum does not match
    damaged = _zip(directory / "bad", "ALGOUSDT-5m-2023-02", "\n".join(lines[:10]).encode())
    damaged.write_bytes(damaged.read_bytes()[:-7])
    # a file with a bad value on its fourth line
    broken = [*lines[:3], lines[3].replace("0.2421", "0,2421", 1), *lines[4:6]]
    (directory / "ALGOUSDT-15m-2023-02.csv").write_text("\n".join(broken) + "\n")

    result = run_import(kit, directory)
    assert not result.success
    failure = kit.failure(result)
    assert "2 of 4 archive files failed (the others were imported)" in failure
    assert f"{damaged}: SHA-256 is" in failure and "nothing imported" in failure
    assert "ALGOUSDT-15m-2023-02.csv: line 4: Expected 12 columns, got 13" in failure
    counts = dict(kit.query("SELECT interval_s, count(*) FROM candles GROUP BY 1"))
    assert counts == {60: 4999, 3600: 1}
    assert kit.query("SELECT open::text, volume::text, quote_volume::text, trade_count, "
                     "taker_buy_base_volume::text FROM candles WHERE interval_s = 60 "
                     "ORDER BY ts LIMIT 1") == [("0.2413", "283971.0", "68569.21705", 270,
                                                 "179373.9")]
    # the importer refuses files without checksum when asked to
    strict = run_import(kit, directory, require_checksum=True, force=True)
    assert "ALGOUSDT-1h-2023-02-01.csv: no ALGOUSDT-1h-2023-02-01.csv.CHECKSUM" in kit.failure(
        strict)

    # a stored candle is never silently replaced by a differing archive row
    changed = text.replace("1675209600000,0.2413,0.2418,0.2413,0.2418,",
                           "1675209600000,0.2413,0.2419,0.2413,0.2418,", 1)
    other = tmp_path / "changed"
    _zip(other, "ALGOUSDT-1m-2023-02", changed.encode())
    conflict = run_import(kit, other)
    assert not conflict.success
    assert "ALGOUSDT-1m-2023-02.zip line 2: candles already holds" in kit.failure(conflict)
