"""The Kraken dump directory: full and quarterly incremental dumps, searched recursively."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources import settings
from resources.database.imports import SourceFile
from resources.database.loader import RowError
from resources.kraken_dumps.files import CsvDump, DumpFile, DumpKind, NotADumpFile, classify
from resources.kraken_dumps.source import source_file

__all__ = ["DUMP_DIR_ENV", "DumpScan", "KrakenDumpDirectory"]

DUMP_DIR_ENV = "TICKVAULT_KRAKEN_DUMP_DIR"


@dataclass
class DumpScan:
    files: list[DumpFile] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (path, why)

    def pairs(self) -> list[str]:
        return sorted({f.pair for f in self.files})


class KrakenDumpDirectory(ConfigurableResource):  # type: ignore[misc]
    """Where Kraken's OHLCVT and trade-history CSVs were unpacked.

    Files are found in the directory and its subdirectories, so a full dump and later quarterly
    incremental dumps can sit side by side (``full/XBTUSD.csv``, ``2024Q3/XBTUSD.csv``): the
    files of one pair are imported oldest first.
    """

    directory: str | None = Field(
        default=None,
        description=f"Unset means ${DUMP_DIR_ENV}, then <data dir>/kraken_dump.",
    )
    block_size_bytes: int = Field(default=4 << 20, description="Bytes read per CSV block.")

    def root(self) -> Path:
        configured = self.directory or os.environ.get(DUMP_DIR_ENV)
        return Path(configured).expanduser() if configured else settings.data_dir() / "kraken_dump"

    def scan(self) -> DumpScan:
        scan = DumpScan()
        root = self.root()
        if not root.is_dir():
            return scan
        for path in sorted(root.rglob("*.csv")):
            try:
                scan.files.append(classify(path))
            except NotADumpFile as exc:
                scan.rejected.append((path, str(exc)))
        return scan

    def files_for(self, kind: DumpKind, pair: str, interval_min: int | None = None,
                  scan: DumpScan | None = None) -> list[DumpFile]:
        """The files of one partition, oldest data first."""
        scan = scan or self.scan()
        found = [f for f in scan.files
                 if f.kind is kind and f.pair == pair and f.interval_min == interval_min]

        def _first(file: DumpFile) -> tuple[int, str]:
            try:
                dump = CsvDump(file)
                return (dump.first_ts(dump.whole()) or 0, str(file.path))
            except (RowError, OSError):  # the import itself reports the bad line
                return (0, str(file.path))

        return sorted(found, key=_first) if len(found) > 1 else found

    def source_file(self, file: DumpFile) -> SourceFile:
        return source_file(file, block_size=self.block_size_bytes)
