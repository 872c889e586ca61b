"""Kraken dump files on disk: what a file is, and reading it as Arrow batches in byte ranges.

A file is read in *segments*: byte ranges that start and end on line boundaries. Because Kraken
files are in time order, a segment can be cut at a time (bisection over line starts, a few dozen
small reads) and split into parts at second boundaries, so parts can be loaded in parallel and
each part's trades numbered within their seconds without looking at the other parts.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import replace

import pyarrow as pa
import pyarrow.csv as pcsv

from resources.database.loader import RowError
from resources.database.sources import Segment
from resources.kraken_dumps.names import DumpFile, DumpKind, NotADumpFile, classify
from resources.kraken_dumps.parse import DumpRowError

__all__ = ["CsvDump", "DumpFile", "DumpKind", "NotADumpFile", "Segment", "classify", "oldest_first"]

_BOM = b"\xef\xbb\xbf"


class CsvDump:
    """One dump file, read as raw string batches in segments."""

    def __init__(self, file: DumpFile, *, block_size: int = 1 << 20) -> None:
        self.file = file
        self.block_size = block_size
        self._lines_before: dict[int, int] = {0: 0}
        self.has_header = False
        self.data_start = self._find_data_start()

    # -- layout -------------------------------------------------------------------------------

    def _read(self, start: int, size: int) -> bytes:
        with open(self.file.path, "rb") as handle:
            handle.seek(start)
            return handle.read(size)

    def _find_data_start(self) -> int:
        head = self._read(0, 4096)
        offset = len(_BOM) if head.startswith(_BOM) else 0
        first = head[offset:].split(b"\n", 1)[0].strip(b"\r")
        field = first.split(b",", 1)[0].strip()
        if first and not field.lstrip(b"-").isdigit():  # a header row such as "timestamp,..."
            self.has_header = True
            newline = head.find(b"\n", offset)
            if newline < 0:
                return self.file.size
            self._lines_before[newline + 1] = 1
            return newline + 1
        return offset

    def whole(self) -> Segment:
        return Segment(self.data_start, self.file.size, 2 if self.has_header else 1)

    def line_at(self, offset: int) -> int:
        """The 1-based line number of the line starting at ``offset``."""
        known = max(k for k in self._lines_before if k <= offset)
        count = self._lines_before[known]
        with open(self.file.path, "rb") as handle:
            handle.seek(known)
            remaining = offset - known
            while remaining > 0:
                chunk = handle.read(min(remaining, 8 << 20))
                if not chunk:
                    break
                count += chunk.count(b"\n")
                remaining -= len(chunk)
        self._lines_before[offset] = count
        return count + 1

    def with_line(self, segment: Segment) -> Segment:
        if segment.first_line is not None:
            return segment
        return replace(segment, first_line=self.line_at(segment.start))

    def _next_line_start(self, offset: int, limit: int) -> int:
        """The first line start at or after ``offset`` (``limit`` if none before it)."""
        if offset <= self.data_start:
            return self.data_start
        position = offset - 1
        while position < limit:
            chunk = self._read(position, 4096)
            if not chunk:
                return limit
            newline = chunk.find(b"\n")
            if newline >= 0:
                return min(position + newline + 1, limit)
            position += len(chunk)
        return limit

    def _prev_line_start(self, offset: int, floor: int) -> int:
        """The last line start at or before ``offset`` (not before ``floor``)."""
        end = offset
        while end > floor:
            start = max(floor, end - 4096)
            chunk = self._read(start, end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
        return floor

    def _ts_at(self, offset: int) -> int:
        """The unix second of the first non-blank line at or after ``offset``."""
        chunk = self._read(offset, 4096)
        line = b""
        for line in chunk.split(b"\n"):
            if line.strip(b"\r"):
                break
        field = line.split(b",", 1)[0].strip()
        try:
            return int(field)
        except ValueError:
            raise DumpRowError(self.line_at(offset), "time", field.decode(errors="replace"),
                               "not an integer unix time") from None

    def _last_line_start(self, segment: Segment) -> int | None:
        end = segment.end
        while end > segment.start:
            start = self._prev_line_start(end - 1, segment.start)
            if self._read(start, min(end - start, 64)).strip(b"\r\n"):
                return start
            end = start
        return None

    def first_ts(self, segment: Segment) -> int | None:
        return self._ts_at(segment.start) if segment.nbytes else None

    def last_ts(self, segment: Segment) -> int | None:
        start = self._last_line_start(segment)
        return None if start is None else self._ts_at(start)

    def cut(self, segment: Segment, ts: int) -> tuple[Segment, Segment]:
        """(rows before second ``ts``, rows from it on), by bisection over line starts."""
        lo, hi = segment.start, segment.end
        while lo < hi:
            mid = (lo + hi) // 2
            line = self._prev_line_start(mid, lo)
            if line == lo:
                if self._ts_at(lo) >= ts:
                    break
                lo = self._next_line_start(lo + 1, hi)
            elif self._ts_at(line) >= ts:
                hi = line
            else:
                lo = line
        after_line = segment.first_line if lo == segment.start else None
        return Segment(segment.start, lo, segment.first_line), Segment(lo, segment.end, after_line)

    def split(self, segment: Segment, parts: int) -> list[Segment]:
        """About ``parts`` segments of similar size, each boundary between two seconds."""
        bounds = [segment.start]
        for k in range(1, parts):
            target = segment.start + k * segment.nbytes // parts
            position = self._next_line_start(target, segment.end)
            if position >= segment.end or position <= bounds[-1]:
                continue
            previous = self._ts_at(self._prev_line_start(position - 1, bounds[-1]))
            while position < segment.end and self._ts_at(position) <= previous:
                position = self._next_line_start(position + 1, segment.end)
            if bounds[-1] < position < segment.end:
                bounds.append(position)
        bounds.append(segment.end)
        return [
            Segment(a, b, segment.first_line if a == segment.start else None)
            for a, b in itertools.pairwise(bounds)
        ]

    # -- reading ------------------------------------------------------------------------------

    def raw_batches(self, segment: Segment) -> Iterator[tuple[pa.RecordBatch, int]]:
        """(batch of string columns, line number of its first row), one row per line."""
        segment = self.with_line(segment)
        assert segment.first_line is not None
        if segment.nbytes == 0:
            return
        invalid: list[pcsv.InvalidRow] = []

        def _on_invalid(row: pcsv.InvalidRow) -> str:
            invalid.append(row)
            return "skip"

        columns = self.file.columns
        # Each block (cut after its last newline) is parsed on its own: Arrow's streaming
        # reader reads ~20 blocks ahead (measured: +80 MB per reader at 1 MB blocks), which two
        # parallel loaders and a Dagster process next to them cannot afford.
        read_options = pcsv.ReadOptions(column_names=list(columns), block_size=self.block_size,
                                        use_threads=False)
        parse_options = pcsv.ParseOptions(quote_char=False, ignore_empty_lines=False,
                                          invalid_row_handler=_on_invalid)
        convert_options = pcsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                              strings_can_be_null=False)
        line = segment.first_line
        try:
            for block in self._blocks(segment):
                table = pcsv.read_csv(pa.py_buffer(block), read_options=read_options,
                                      parse_options=parse_options,
                                      convert_options=convert_options)
                if invalid:
                    raise self._column_count_error(segment, len(columns))
                for batch in table.to_batches():
                    yield batch, line
                    line += batch.num_rows
        except pa.ArrowInvalid as exc:
            raise DumpRowError(line, "*", str(exc)[:200], "unreadable CSV") from None

    def _blocks(self, segment: Segment) -> Iterator[bytes | memoryview]:
        """``segment`` in blocks of about ``block_size`` bytes, each ending after a newline (a
        line longer than a block makes a longer block)."""
        with open(self.file.path, "rb") as handle:
            handle.seek(segment.start)
            left = segment.nbytes
            carry = b""  # the previous read's last, unfinished line
            while left > 0:
                data = handle.read(min(self.block_size, left))
                if not data:  # the file shrank under us: what is there is read
                    break
                left -= len(data)
                cut = data.rfind(b"\n") + 1 if left > 0 else len(data)
                if cut == 0:
                    carry += data
                    continue
                view = memoryview(data)
                block = carry + view[:cut] if carry else view[:cut]  # at most one copy
                carry = bytes(view[cut:])
                if block:
                    yield block
            if carry:
                yield carry

    def _column_count_error(self, segment: Segment, expected: int) -> DumpRowError:
        """Find the first line with the wrong number of fields (errors are rare: scan slowly)."""
        assert segment.first_line is not None
        with open(self.file.path, "rb") as handle:
            handle.seek(segment.start)
            for number, raw in enumerate(handle, start=segment.first_line):
                text = raw.rstrip(b"\r\n")
                fields = text.count(b",") + 1
                if text and fields != expected:
                    return DumpRowError(number, "*", text.decode(errors="replace")[:200],
                                        f"expected {expected} columns, got {fields}")
        return DumpRowError(segment.first_line, "*", "", f"expected {expected} columns")

    def head(self, segment: Segment, rows: int) -> Segment:
        """The start of ``segment`` holding its first ``rows`` non-blank lines."""
        position, seen = segment.start, 0
        with open(self.file.path, "rb") as handle:
            handle.seek(segment.start)
            while seen < rows and position < segment.end:
                line = handle.readline()
                if not line:
                    break
                position += len(line)
                seen += bool(line.strip(b"\r\n"))
        return Segment(segment.start, min(position, segment.end), segment.first_line)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        buffer = bytearray(1 << 20)  # one buffer, reused: hashing adds no memory churn
        view = memoryview(buffer)
        with open(self.file.path, "rb") as handle:
            while n := handle.readinto(buffer):
                digest.update(view[:n])
        return digest.hexdigest()


def oldest_first(files: list[DumpFile]) -> list[DumpFile]:
    """The files of one partition (a full dump and quarterly ones), oldest data first."""
    if len(files) < 2:
        return files

    def _first(file: DumpFile) -> tuple[int, str]:
        try:
            dump = CsvDump(file)
            return (dump.first_ts(dump.whole()) or 0, str(file.path))
        except (RowError, OSError):  # the import itself reports the bad line
            return (0, str(file.path))

    return sorted(files, key=_first)
