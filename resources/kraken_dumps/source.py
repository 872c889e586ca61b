"""A Kraken dump file as a :class:`~resources.database.sources.SegmentedSource`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from resources.database.imports import SourceFile
from resources.database.loader import TableSpec
from resources.database.records import Instrument
from resources.database.sources import Segment
from resources.database.tables import CANDLES, TRADES
from resources.kraken_dumps.files import CsvDump, DumpFile, DumpKind
from resources.kraken_dumps.pairs import parse_pair
from resources.kraken_dumps.parse import (
    OhlcvtCarry,
    TradeCarry,
    parse_ohlcvt_batch,
    parse_trades_batch,
)

__all__ = ["DumpSource", "DumpTarget", "dump_target", "source_file"]


class DumpSource:
    """Reads a dump file's segments and normalizes them with the pure parsers."""

    def __init__(self, dump: CsvDump) -> None:
        self.dump = dump
        self.name = str(dump.file.path)

    def whole(self) -> Segment:
        return self.dump.whole()

    def cut(self, segment: Segment, ts: int) -> tuple[Segment, Segment]:
        return self.dump.cut(segment, ts)

    def split(self, segment: Segment, parts: int) -> list[Segment]:
        return self.dump.split(segment, parts)

    def first_ts(self, segment: Segment) -> int | None:
        return self.dump.first_ts(segment)

    def last_ts(self, segment: Segment) -> int | None:
        return self.dump.last_ts(segment)

    def batches(self, segment: Segment) -> Iterator[pa.RecordBatch]:
        if self.dump.file.kind is DumpKind.TRADES:
            # A segment starts on a second boundary (see CsvDump.split), so its first trade is
            # seq 0 of its second, and none of its rows may be earlier than its first row.
            carry = TradeCarry()
            for raw, line in self.dump.raw_batches(segment):
                batch, carry = parse_trades_batch(raw, line, carry)
                yield batch
        else:
            ohlcvt = OhlcvtCarry()
            for raw, line in self.dump.raw_batches(segment):
                batch, ohlcvt = parse_ohlcvt_batch(raw, line, ohlcvt)
                yield batch


def source_file(file: DumpFile, *, block_size: int = 1 << 20) -> SourceFile:
    dump = CsvDump(file, block_size=block_size)
    return SourceFile(path=file.path, size=file.size, mtime_ns=file.mtime_ns,
                      source=DumpSource(dump), head=dump.head, sha256=dump.sha256)


@dataclass(frozen=True)
class DumpTarget:
    """Where the files of one dump partition (a pair, and an interval for candles) go."""

    dataset: str
    table: TableSpec
    instrument: Instrument
    interval_s: int
    label: str  # for people: "XBTUSD 1440" or "XBTUSD"


def dump_target(kind: DumpKind, pair: str, interval_min: int | None) -> DumpTarget:
    return DumpTarget(
        dataset=kind.dataset, table=TRADES if kind is DumpKind.TRADES else CANDLES,
        instrument=parse_pair(pair), interval_s=(interval_min or 0) * 60,
        label=pair if interval_min is None else f"{pair} {interval_min}")
