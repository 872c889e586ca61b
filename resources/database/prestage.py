"""Imports started before the Dagster run that owns them.

A command-line import spends 1.5-2 s starting Dagster (imports, instance, run) before its
asset's IO manager writes a row: on a two-core machine, the database and one core sit idle
meanwhile. So the command line starts the import of the file it is about to hand a run *here*,
before importing Dagster, and the run's IO manager claims it instead of starting it again. It is
the same :func:`~resources.database.imports.import_file` call, begun earlier: it reads, checks and
loads, then waits before committing until a run claims it, and commits inside that run with the
run's id in the ledger. Nothing is visible to readers before the claim; an import nobody claims
(the run failed before writing, or wanted something else) is cancelled and rolls back like any
failed import.

The import runs in a forked process, not a thread: the loader's many short GIL-free calls would
each wait for the GIL behind Dagster's imports (measured: a thread made both sides 2-3x slower,
the whole command slower than not overlapping at all). It is forked before Dagster is imported,
so it carries only the loader's modules; a dead parent closes the control pipe, which cancels it.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import BinaryIO

from resources.database.imports import ImportOptions, Outcome, SourceFile, import_file
from resources.database.loader import TableSpec
from resources.database.postgres import Database
from resources.database.records import Instrument
from resources.progress import FileProgress, ProgressSink

__all__ = ["Cancelled", "PrestageKey", "Prestaged", "available", "cancel_all", "claim", "start"]

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """No run claimed the import: it rolled back."""


class ImportProcessDied(RuntimeError):
    """The process importing ahead ended without an outcome."""


@dataclass(frozen=True)
class PrestageKey:
    """Everything that decides what an import writes: a run's import must match all of it."""

    url: str
    dataset: str
    table: str
    path: Path
    size: int
    mtime_ns: int
    instrument: Instrument
    interval_s: int
    options: ImportOptions

    @classmethod
    def of(cls, db: Database, *, dataset: str, table: TableSpec, instrument: Instrument,
           interval_s: int, file: SourceFile, options: ImportOptions) -> PrestageKey:
        """The key of importing ``file`` with these arguments (those of ``import_file``)."""
        return cls(url=db.resolved_url(), dataset=dataset, table=table.name, path=file.path,
                   size=file.size, mtime_ns=file.mtime_ns, instrument=instrument,
                   interval_s=interval_s, options=options)


def available() -> bool:
    """Whether an import can start ahead here: forking needs POSIX, and a process without other
    threads (a fork copies only the calling thread, whatever locks the others held)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _Forwarding:
    """The child's progress sink: row counts go to the parent, which shows them."""

    def __init__(self, results: Connection) -> None:
        self._results = results

    def planned(self, total_sources: int, total_bytes: int) -> None:
        pass

    def source_done(self, progress: FileProgress) -> None:
        pass

    def advance(self, rows: int, nbytes: int) -> None:
        self._results.send(("rows", rows, nbytes))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an error with the same message."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return copy if isinstance(copy, BaseException) else RuntimeError(str(exc))


def _child(key: PrestageKey, db: Database, table: TableSpec, file: SourceFile,
           control: BinaryIO, results: Connection) -> None:
    waited = 0.0

    def wait_for_claim() -> str | None:
        nonlocal waited
        began = time.perf_counter()
        line = control.readline()
        waited = time.perf_counter() - began
        if not line:  # closed by cancel(), or by the parent's death
            raise Cancelled(f"{key.path}: no run claimed the import")
        run_id = line.decode().strip()
        return run_id or None

    try:
        outcome = import_file(
            db, dataset=key.dataset, table=table, instrument=key.instrument,
            interval_s=key.interval_s, file=file, options=key.options,
            progress=_Forwarding(results), run_id=wait_for_claim)
        outcome.result.seconds -= waited  # the import's own time, not the run's start
        results.send(("done", outcome))
    except BaseException as exc:  # the parent raises it where the run claims the import
        results.send(("error", _portable(exc)))


class Prestaged:
    """One import running ahead of its run, in a child process (see the module docstring)."""

    def __init__(self, key: PrestageKey, db: Database, table: TableSpec, file: SourceFile,
                 progress: ProgressSink) -> None:
        self.key = key
        self.started = time.perf_counter()
        self.claimed_after: float | None = None  # seconds from start to the claim
        control_read, control_write = os.pipe()
        results_read, results_write = Pipe(duplex=False)
        sys.stdout.flush()  # else the child's exit could print the parent's pending output too
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: import, report, and leave without running the parent's exits
            code = 0
            try:
                os.close(control_write)
                results_read.close()
                with os.fdopen(control_read, "rb") as control:
                    _child(key, db, table, file, control, results_write)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(control_read)
        results_write.close()
        self.pid = pid
        self._control: BinaryIO | None = os.fdopen(control_write, "wb", buffering=0)
        self._results = results_read
        self._outcome: Outcome | None = None
        self._error: BaseException | None = None
        self._ended = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(progress,), daemon=True,
                                        name=f"prestage {file.path.name}")
        self._reader.start()

    def _read(self, progress: ProgressSink) -> None:
        try:
            while True:
                message = self._results.recv()
                if message[0] == "rows":
                    progress.advance(message[1], message[2])
                elif message[0] == "done":
                    self._outcome = message[1]
                    return
                else:
                    self._error = message[1]
                    return
        except (EOFError, OSError):
            self._error = ImportProcessDied(f"{self.key.path}: the import process ended "
                                            "without a result")
        finally:
            self._results.close()
            self._ended.set()

    def _finish(self) -> None:
        self._ended.wait()
        self._reader.join()
        os.waitpid(self.pid, 0)

    def _send(self, data: bytes | None) -> None:
        if self._control is None:
            return
        try:
            if data is not None:
                self._control.write(data)
        except OSError:  # the child is gone; _read reports why
            pass
        finally:
            if data is None:
                self._control.close()
                self._control = None

    def claim(self, run_id: str | None) -> Outcome:
        """Let the import commit as part of ``run_id``; its outcome, or its error."""
        self.claimed_after = time.perf_counter() - self.started
        self._send(f"{run_id or ''}\n".encode())
        self._send(None)
        self._finish()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome

    def cancel(self) -> None:
        """Roll the import back (if it has not committed) and wait for it to end."""
        self._send(None)
        self._finish()
        if self._error is not None and not isinstance(self._error, Cancelled):
            log.warning("the import started ahead of its run failed: %s", self._error)


_pending: dict[Path, Prestaged] = {}
_lock = threading.Lock()


def start(db: Database, *, dataset: str, table: TableSpec, instrument: Instrument,
          interval_s: int, file: SourceFile, options: ImportOptions,
          progress: ProgressSink) -> Prestaged:
    """Start importing ``file`` now, for the run that will :func:`claim` it."""
    # Resolved (and migrated) here, once, so that the child inherits a ready database.
    key = PrestageKey.of(db, dataset=dataset, table=table, instrument=instrument,
                         interval_s=interval_s, file=file, options=options)
    with _lock:
        if file.path in _pending:
            raise RuntimeError(f"{file.path} is already being imported ahead of its run")
        staged = _pending[file.path] = Prestaged(key, db, table, file, progress)
    return staged


def claim(key: PrestageKey) -> Prestaged | None:
    """The import of ``key`` started ahead, if any. Any other import of the same instrument
    started ahead (another file, or this file with other options) is cancelled: it holds the
    instrument's lock, which the caller's own import would otherwise wait for forever."""
    with _lock:
        staged = _pending.pop(key.path, None)
        others = [p for p in _pending.values()
                  if (p.key.url, p.key.instrument) == (key.url, key.instrument)]
        for other in others:
            del _pending[other.key.path]
    for other in others:
        other.cancel()
    if staged is None:
        return None
    if staged.key != key:
        staged.cancel()
        return None
    return staged


def cancel_all() -> None:
    """Cancel every import nobody claimed (the command line, once its runs are over)."""
    with _lock:
        pending = list(_pending.values())
        _pending.clear()
    for staged in pending:
        staged.cancel()
