"""What the bulk writers read: rows in time order, in segments that can be cut and split.

A source (a dump file, say) is read in *segments*: contiguous byte ranges of whole lines. Since
rows are in time order, a segment can be cut at a second (rows before it / from it on) and split
into parts at second boundaries, which is what lets the trades writer load the new part of a file
into fresh partitions, in parallel, and merge only the part that may already be stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

__all__ = ["Segment", "SegmentedSource"]


@dataclass(frozen=True)
class Segment:
    """Bytes ``[start, end)`` of a source: whole lines. ``first_line`` is 1-based, if known."""

    start: int
    end: int
    first_line: int | None = None

    @property
    def nbytes(self) -> int:
        return self.end - self.start


class SegmentedSource(Protocol):
    name: str  # for messages: a file path

    def whole(self) -> Segment: ...

    def cut(self, segment: Segment, ts: int) -> tuple[Segment, Segment]:
        """(rows before unix second ``ts``, rows from it on)."""
        ...

    def split(self, segment: Segment, parts: int) -> list[Segment]:
        """Up to ``parts`` segments, each boundary between two seconds."""
        ...

    def first_ts(self, segment: Segment) -> int | None: ...

    def last_ts(self, segment: Segment) -> int | None: ...

    def batches(self, segment: Segment) -> Iterator[pa.RecordBatch]:
        """Normalized record batches of the segment's rows (with a ``line`` column)."""
        ...
