"""Progress of long imports, reported to whoever is watching this process.

The command line installs a progress bar for the duration of an in-process Dagster run; runs
launched from the UI have no watcher and report through the run's log only. A context variable
(rather than a resource) because the watcher is a property of the process, not of the run's
configuration, and in-process runs execute on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

__all__ = ["Channel", "FileProgress", "ProgressSink", "current", "reporting_to"]

T = TypeVar("T")


class Channel(Generic[T]):
    """Where one kind of progress goes in this process: a silent default, or a watcher
    installed for the duration of a block."""

    def __init__(self, name: str, silent: T) -> None:
        self._sink: ContextVar[T] = ContextVar(name, default=silent)  # stateless

    def current(self) -> T:
        return self._sink.get()

    @contextmanager
    def reporting_to(self, sink: T) -> Iterator[T]:
        token = self._sink.set(sink)
        try:
            yield sink
        finally:
            self._sink.reset(token)


@dataclass(frozen=True)
class FileProgress:
    """One source (a dump file, a REST series) finished or failed."""

    dataset: str
    source: str
    partition: str
    status: str  # "imported" | "unchanged" | "skipped" | "failed" | "absent"
    rows_read: int = 0
    rows_inserted: int = 0
    rows_present: int = 0
    seconds: float = 0.0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    message: str = ""
    bytes_done: int = 0


class ProgressSink(Protocol):
    def planned(self, total_sources: int, total_bytes: int) -> None: ...
    def source_done(self, progress: FileProgress) -> None: ...
    def advance(self, rows: int, nbytes: int) -> None: ...


class _Silent:
    def planned(self, total_sources: int, total_bytes: int) -> None:
        pass

    def source_done(self, progress: FileProgress) -> None:
        pass

    def advance(self, rows: int, nbytes: int) -> None:
        pass


_files: Channel[ProgressSink] = Channel("tickvault_progress", _Silent())
current = _files.current
reporting_to = _files.reporting_to
