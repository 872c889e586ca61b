"""The Kraken dump directory: full and quarterly incremental dumps, searched recursively."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from resources.database.imports import SourceFile
from resources.kraken_dumps.files import oldest_first
from resources.kraken_dumps.names import (
    DUMP_DIR_ENV,
    DumpFile,
    DumpKind,
    DumpScan,
    dump_root,
    scan_directory,
)
from resources.kraken_dumps.source import source_file

__all__ = ["DUMP_DIR_ENV", "DumpScan", "KrakenDumpDirectory"]


class KrakenDumpDirectory(ConfigurableResource):  # type: ignore[type-arg]
    """Where Kraken's OHLCVT and trade-history CSVs were unpacked.

    Files are found in the directory and its subdirectories, so a full dump and later quarterly
    incremental dumps can sit side by side (``full/XBTUSD.csv``, ``2024Q3/XBTUSD.csv``): the
    files of one pair are imported oldest first.
    """

    directory: str | None = Field(
        default=None,
        description=f"Unset means ${DUMP_DIR_ENV}, then <data dir>/kraken_dump.",
    )
    block_size_bytes: int = Field(default=1 << 20, description="Bytes read per CSV block.")

    def root(self) -> Path:
        return dump_root(self.directory)

    def scan(self) -> DumpScan:
        return scan_directory(self.root())

    def files_for(self, kind: DumpKind, pair: str, interval_min: int | None = None,
                  scan: DumpScan | None = None) -> list[DumpFile]:
        """The files of one partition, oldest data first."""
        return oldest_first((scan or self.scan()).of(kind, pair, interval_min))

    def source_file(self, file: DumpFile) -> SourceFile:
        return source_file(file, block_size=self.block_size_bytes)
