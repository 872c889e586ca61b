"""Kraken dump file names: what a file holds, from its name alone (no reading, no heavy imports).
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from resources import settings
from resources.intervals import KRAKEN_INTERVALS
from resources.kraken_dumps.pairs import UnknownPair, parse_pair

__all__ = [
    "DUMP_DIR_ENV",
    "OHLCVT_COLUMNS",
    "TRADE_COLUMNS",
    "DumpFile",
    "DumpKind",
    "DumpScan",
    "NotADumpFile",
    "classify",
    "dump_root",
    "scan_directory",
]

DUMP_DIR_ENV = "TICKVAULT_KRAKEN_DUMP_DIR"

OHLCVT_COLUMNS = ("time", "open", "high", "low", "close", "volume", "count")
TRADE_COLUMNS = ("time", "price", "volume")

_FILE_NAME = re.compile(r"(?P<pair>[^_/\\]+?)(?:_(?P<interval>\d+))?\.csv")


class DumpKind(enum.Enum):
    OHLCVT = "ohlcvt"
    TRADES = "trades"

    @property
    def dataset(self) -> str:
        """The name of its imports in the ingest ledger (and of its asset)."""
        return f"kraken_{self.value}"


class NotADumpFile(ValueError):
    """A file whose name is not ``{PAIR}.csv`` or ``{PAIR}_{INTERVAL}.csv`` for a Kraken pair."""


@dataclass(frozen=True)
class DumpFile:
    path: Path
    kind: DumpKind
    pair: str  # the venue symbol, as in the file name
    interval_min: int | None
    size: int
    mtime_ns: int

    @property
    def interval_s(self) -> int:
        return (self.interval_min or 0) * 60

    @property
    def columns(self) -> tuple[str, ...]:
        return OHLCVT_COLUMNS if self.kind is DumpKind.OHLCVT else TRADE_COLUMNS


def classify(path: Path) -> DumpFile:
    """What a dump file holds, from its name. Raises NotADumpFile (or UnknownPair)."""
    match = _FILE_NAME.fullmatch(path.name)
    if not match:
        raise NotADumpFile(f"{path.name}: not a Kraken dump file name (PAIR.csv or PAIR_MIN.csv)")
    interval = int(match["interval"]) if match["interval"] else None
    if interval is not None and interval not in KRAKEN_INTERVALS:
        raise NotADumpFile(f"{path.name}: {interval} is not a Kraken OHLCVT interval "
                           f"({', '.join(map(str, KRAKEN_INTERVALS))})")
    try:
        parse_pair(match["pair"])
    except UnknownPair as exc:
        raise NotADumpFile(f"{path.name}: {exc}") from None
    stat = path.stat()
    return DumpFile(
        path=path,
        kind=DumpKind.TRADES if interval is None else DumpKind.OHLCVT,
        pair=match["pair"],
        interval_min=interval,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
    )


@dataclass
class DumpScan:
    files: list[DumpFile] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (path, why)
    _index: dict[tuple[DumpKind, str, int | None], list[DumpFile]] | None = field(
        default=None, init=False, repr=False)

    def pairs(self) -> list[str]:
        return sorted({f.pair for f in self.files})

    def of(self, kind: DumpKind, pair: str, interval_min: int | None) -> list[DumpFile]:
        """The files of one partition (an index built once: a full dump has ~9,800 files and
        ~8,700 partitions)."""
        if self._index is None:
            self._index = {}
            for f in self.files:
                self._index.setdefault((f.kind, f.pair, f.interval_min), []).append(f)
        return list(self._index.get((kind, pair, interval_min), ()))


def dump_root(directory: str | None) -> Path:
    """``directory``, else ``$TICKVAULT_KRAKEN_DUMP_DIR``, else ``<data dir>/kraken_dump``."""
    configured = directory or os.environ.get(DUMP_DIR_ENV)
    root = Path(configured).expanduser() if configured else settings.data_dir() / "kraken_dump"
    return root.resolve()  # the ledger keys files by path: the same file, the same key


def scan_directory(root: Path) -> DumpScan:
    """Every ``*.csv`` under ``root`` (recursively), classified by name."""
    scan = DumpScan()
    if not root.is_dir():
        return scan
    for path in sorted(root.rglob("*.csv")):
        try:
            scan.files.append(classify(path))
        except NotADumpFile as exc:
            scan.rejected.append((path, str(exc)))
    return scan
