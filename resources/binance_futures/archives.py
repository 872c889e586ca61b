"""Binance public-data kline archives (https://data.binance.vision): find, verify, parse, download.

USD-M futures klines are published as ``data/futures/um/{monthly,daily}/klines/<SYMBOL>/<INTERVAL>/
<SYMBOL>-<INTERVAL>-<YYYY-MM[-DD]>.zip``, each zip holding one CSV of the same name, beside a
``.zip.CHECKSUM`` file (``<sha256>  <name>.zip``). Newer files start with a header row, older ones
do not; spot files from 2025 on carry microsecond timestamps. All of these are accepted.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from resources.binance_futures.config import KLINE_INTERVALS
from resources.binance_futures.parsers import KLINE_SCHEMA
from resources.binance_futures.symbols import InvalidSymbol, validate_symbol

__all__ = [
    "ARCHIVE_SCHEMA",
    "ArchiveError",
    "ArchiveFile",
    "ChecksumError",
    "DownloadResult",
    "archive_url",
    "download_archives",
    "find_archives",
    "parse_archive_csv",
    "plan_downloads",
    "read_archive",
    "sha256_of",
    "verify_checksum",
]

_NAME = re.compile(
    r"(?P<symbol>[A-Z0-9_]+)-(?P<interval>\d+[mhdwM]|1mo)-(?P<year>\d{4})-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2}))?\.(?P<ext>zip|csv)")
_HEADER = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
           "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore")
_DECIMALS = ("open", "high", "low", "close", "volume", "quote_volume", "taker_buy_volume",
             "taker_buy_quote_volume")
_DECIMAL_RE = r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$"

# The klines of the REST parser, plus the source line each row came from (for error messages).
ARCHIVE_SCHEMA = KLINE_SCHEMA.append(pa.field("line", pa.int64()))


class ArchiveError(ValueError):
    """A file that cannot be imported; the message names the file (and line)."""


class ChecksumError(ArchiveError):
    """The file's SHA-256 differs from its ``.CHECKSUM``."""


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    symbol: str
    interval: str
    period_start: date
    daily: bool
    checksum_path: Path | None

    @property
    def period_end(self) -> date:
        if self.daily:
            return self.period_start + timedelta(days=1)
        year, month = self.period_start.year, self.period_start.month
        return date(year + month // 12, month % 12 + 1, 1)

    @property
    def series(self) -> str:
        return f"{self.symbol}-{self.interval}"


def _archive_interval(interval: str) -> str:
    """Archive names spell the month interval ``1mo`` (``1M`` would clash with ``1m``)."""
    return "1mo" if interval == "1M" else interval


def _from_archive_interval(name: str) -> str:
    return "1M" if name == "1mo" else name


def _describe(path: Path) -> ArchiveFile | None:
    match = _NAME.fullmatch(path.name)
    if not match:
        return None
    try:
        symbol = validate_symbol(match["symbol"])
    except InvalidSymbol:
        return None
    interval = _from_archive_interval(match["interval"])
    if interval not in KLINE_INTERVALS:
        return None
    day = int(match["day"]) if match["day"] else 1
    try:
        start = date(int(match["year"]), int(match["month"]), day)
    except ValueError:
        return None
    checksum = path.with_name(path.name + ".CHECKSUM")
    return ArchiveFile(path, symbol, interval, start, match["day"] is not None,
                       checksum if checksum.is_file() else None)


def find_archives(directory: Path) -> tuple[list[ArchiveFile], list[tuple[Path, str]]]:
    """Kline archives under ``directory`` (recursively), in (series, period) order, and the
    files refused with the reason (spot data, an unzipped CSV beside its zip)."""
    if not directory.is_dir():
        raise ArchiveError(f"{directory} is not a directory")
    found: list[ArchiveFile] = []
    refused: list[tuple[Path, str]] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            described = _describe(path)
            if described is None:
                continue
            if "spot" in path.relative_to(directory).parts[:-1]:
                refused.append((path, "spot klines are not USD-M futures klines"))
                continue
            if path.suffix == ".csv" and path.with_suffix(".zip").is_file():
                refused.append((path, f"{path.with_suffix('.zip').name} is imported instead"))
                continue
            found.append(described)
    found.sort(key=lambda f: (f.symbol, f.interval, f.period_start, not f.daily, str(f.path)))
    return found, refused


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_checksum(checksum_path: Path, name: str) -> str:
    """``<hex>  <name>`` (sha256sum's format); a bare hex digest is accepted too."""
    text = checksum_path.read_text(encoding="utf-8", errors="replace").strip()
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        listed = parts[1].lstrip("*") if len(parts) > 1 else name
        if Path(listed).name == name and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            return parts[0].lower()
    raise ChecksumError(f"{checksum_path}: no SHA-256 for {name} in it")


def verify_checksum(path: Path, checksum_path: Path, digest: str | None = None) -> str:
    """The file's SHA-256 if it matches ``checksum_path``; else :class:`ChecksumError`."""
    expected = _expected_checksum(checksum_path, path.name)
    actual = digest or sha256_of(path)
    if actual != expected:
        raise ChecksumError(f"{path}: SHA-256 is {actual} but {checksum_path.name} says "
                            f"{expected}; the file is damaged or incomplete, nothing imported")
    return actual


def read_archive(path: Path) -> bytes:
    """The CSV bytes of a ``.zip`` (its one CSV member) or a ``.csv``."""
    if path.suffix == ".csv":
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".csv")]
            if len(members) != 1:
                raise ArchiveError(f"{path}: expected one CSV inside, found {members}")
            return archive.read(members[0])
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{path}: not a readable zip ({exc})") from None


def parse_archive_csv(data: bytes, *, source: str) -> pa.RecordBatch:
    """A public-data kline CSV as candle columns with the source ``line`` of each row.

    With a header (USD-M files since 2022), e.g. ``ALGOUSDT-1m-2023-02.csv``::

        open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,...
        1675209600000,0.2413,0.2418,0.2413,0.2418,283971.0,1675209659999,68569.21705,270,...

    Older files have the same twelve columns without the header row. Times are epoch
    milliseconds, or microseconds (16 digits, spot files from 2025): both become UTC timestamps.
    """
    text_start = data.lstrip()[:1]
    has_header = bool(text_start) and not text_start.isdigit()
    if not data.strip():
        raise ArchiveError(f"{source}: the file is empty")
    types: dict[str, pa.DataType] = dict.fromkeys(_HEADER, pa.string())
    types.update(open_time=pa.int64(), close_time=pa.int64(), count=pa.int64())
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=list(_HEADER),
                                           skip_rows=1 if has_header else 0),
            parse_options=pacsv.ParseOptions(),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise ArchiveError(f"{source}: {_csv_problem(str(exc), data)}") from None
    first_line = 2 if has_header else 1
    lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
    if table.num_rows == 0:
        return pa.RecordBatch.from_pylist([], schema=ARCHIVE_SCHEMA)
    for name in ("open_time", "close_time"):
        column = table.column(name)
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise ArchiveError(f"{source} line {lines[row]}: {name} is empty")
    for name in _DECIMALS:
        ok = pc.match_substring_regex(table.column(name), _DECIMAL_RE).to_numpy(
            zero_copy_only=False)
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            value = table.column(name)[row].as_py()
            raise ArchiveError(f"{source} line {lines[row]}: {name} is not a decimal: {value!r}")
    open_raw = table.column("open_time").to_numpy()
    close_raw = table.column("close_time").to_numpy()
    # 13 digits are milliseconds; 16 digits microseconds (spot files from 2025 on)
    micros = open_raw >= 10**14
    open_us = np.where(micros, open_raw, open_raw * 1000)
    close_us = np.where(close_raw >= 10**14, close_raw, close_raw * 1000)
    if np.any(close_us <= open_us):
        row = int(np.flatnonzero(close_us <= open_us)[0])
        raise ArchiveError(f"{source} line {lines[row]}: close_time is not after open_time")
    if len(open_us) > 1 and not np.all(open_us[1:] > open_us[:-1]):
        row = int(np.flatnonzero(open_us[1:] <= open_us[:-1])[0]) + 1
        raise ArchiveError(f"{source} line {lines[row]}: open_time does not increase "
                           "(a repeated or out-of-order row)")
    if np.any(open_us % 1000):
        row = int(np.flatnonzero(open_us % 1000)[0])
        raise ArchiveError(f"{source} line {lines[row]}: open_time is not a whole millisecond")
    ts = pa.array(open_us // 1000, pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
    return pa.RecordBatch.from_arrays(
        [ts, *(table.column(n).combine_chunks() for n in ("open", "high", "low", "close",
                                                           "volume")),
         table.column("count").combine_chunks(), table.column("quote_volume").combine_chunks(),
         table.column("taker_buy_volume").combine_chunks(),
         table.column("taker_buy_quote_volume").combine_chunks(), pa.array(lines)],
        schema=ARCHIVE_SCHEMA)


def _csv_problem(message: str, data: bytes) -> str:
    """Arrow's "CSV parse error: Expected 12 columns, got 3: <row text>", with the line."""
    match = re.search(r"Expected \d+ columns, got \d+: (.*)", message, re.S)
    if match:
        text = match.group(1).strip()
        shortened = text.endswith("...")  # Arrow cuts long rows short
        wanted = text.removesuffix("...").rstrip().encode()
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip() == wanted or (shortened and line.startswith(wanted)):
                return f"line {number}: " + message.split("error: ", 1)[-1][:200]
    return message[:300]


# -- download ---------------------------------------------------------------------------------

def archive_url(data_url: str, symbol: str, interval: str, period: date, daily: bool) -> str:
    """The URL of a USD-M futures kline archive on data.binance.vision (or a mirror)."""
    stamp = period.isoformat() if daily else period.strftime("%Y-%m")
    kind = "daily" if daily else "monthly"
    name = _archive_interval(interval)
    return (f"{data_url.rstrip('/')}/data/futures/um/{kind}/klines/{symbol}/{name}/"
            f"{symbol}-{name}-{stamp}.zip")


def plan_downloads(start: date, end: date, today: date, *, daily_files: bool = True
                   ) -> list[tuple[date, bool]]:
    """(period, daily) to fetch for days in [start, end): whole months before the current one as
    monthly files, the rest as daily files up to yesterday (today's is not published yet).
    Without ``daily_files`` (3d, 1w, 1M klines exist only monthly) partial months are skipped."""
    end = min(end, today)
    plan: list[tuple[date, bool]] = []
    day = start
    while day < end:
        month_start = day.replace(day=1)
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        next_month = month_start + timedelta(days=days_in_month)
        if day == month_start and next_month <= end and next_month <= today.replace(day=1):
            plan.append((month_start, False))
            day = next_month
        elif daily_files:
            plan.append((day, True))
            day += timedelta(days=1)
        else:
            day = next_month
    return plan


@dataclass
class DownloadResult:
    downloaded: list[Path]
    present: list[Path]  # already there with a matching checksum
    missing: list[str]  # not published (404): before listing, or not yet
    failed: list[str]


def _get(client: httpx.Client, url: str, retries: int, sleep: Callable[[float], None]
         ) -> httpx.Response | None:
    for attempt in range(retries + 1):
        try:
            response = client.get(url)
        except httpx.TransportError:
            if attempt == retries:
                raise
        else:
            if response.status_code == 404:
                return None
            if response.status_code < 500 and response.status_code != 429:
                response.raise_for_status()
                return response
            if attempt == retries:
                response.raise_for_status()
        sleep(min(30.0, 0.5 * 2**attempt))
    return None


def download_archives(
    *, data_url: str, symbol: str, interval: str, start: date, end: date, directory: Path,
    transport: httpx.BaseTransport | None = None, timeout_s: float = 60.0, retries: int = 4,
    today: date | None = None, on_file: Callable[[str, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DownloadResult:
    """Download the archives covering [start, end) into ``directory``, keeping Binance's folder
    layout; each zip is verified against its ``.CHECKSUM`` before it is moved into place."""
    symbol = validate_symbol(symbol)
    if interval not in KLINE_INTERVALS:
        raise ArchiveError(f"{interval!r} is not a Binance kline interval")
    today = today or datetime.now(UTC).date()
    result = DownloadResult([], [], [], [])
    with httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=True) as client:
        daily_files = interval not in ("3d", "1w", "1M")
        for period, daily in plan_downloads(start, end, today, daily_files=daily_files):
            url = archive_url(data_url, symbol, interval, period, daily)
            relative = url.split("/data/", 1)[1]
            target = directory / "data" / relative
            checksum_target = target.with_name(target.name + ".CHECKSUM")
            name = target.name
            try:
                checksum = _get(client, url + ".CHECKSUM", retries, sleep)
                if checksum is None:
                    result.missing.append(name)
                    if on_file:
                        on_file(name, "not published")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                checksum_target.write_bytes(checksum.content)
                if target.is_file():
                    try:
                        verify_checksum(target, checksum_target)
                        result.present.append(target)
                        if on_file:
                            on_file(name, "present")
                        continue
                    except ChecksumError:
                        pass  # damaged or partial: fetch again
                response = _get(client, url, retries, sleep)
                if response is None:
                    result.missing.append(name)
                    if on_file:
                        on_file(name, "not published")
                    continue
                with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-",
                                                 delete=False) as part:
                    part.write(response.content)
                part_path = Path(part.name)
                try:
                    expected = _expected_checksum(checksum_target, name)
                    actual = hashlib.sha256(response.content).hexdigest()
                    if actual != expected:
                        raise ChecksumError(f"{url}: SHA-256 is {actual} but the published "
                                            f"checksum is {expected}; not saved")
                    os.replace(part_path, target)
                finally:
                    if part_path.exists():
                        part_path.unlink()
                result.downloaded.append(target)
                if on_file:
                    on_file(name, "downloaded")
            except (httpx.HTTPError, ArchiveError, OSError) as exc:
                result.failed.append(f"{name}: {exc}")
                if on_file:
                    on_file(name, f"failed: {exc}")
    return result


def iter_batches(batch: pa.RecordBatch, size: int = 200_000) -> Iterator[pa.RecordBatch]:
    for offset in range(0, batch.num_rows, size):
        yield batch.slice(offset, size)
