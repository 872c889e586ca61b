"""The command line's progress display: a line per file above a live bar, then a summary."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from resources.progress import FileProgress

__all__ = ["CliProgress", "Summary"]


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@dataclass
class Summary:
    files: int = 0
    rows_read: int = 0
    rows_created: int = 0
    rows_present: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def lines(self, dry_run: bool = False) -> list[str]:
        elapsed = time.perf_counter() - self.started
        created = "rows that would be read" if dry_run else "rows created"
        out = [
            "",
            "Summary",
            f"  files            {self.files:>14,}",
            f"  {created:<16} {self.rows_read if dry_run else self.rows_created:>14,}",
        ]
        if not dry_run:
            out.append(f"  rows already present {self.rows_present:>10,}")
        out += [
            f"  skipped          {self.skipped + self.unchanged:>14,}"
            f"   ({self.unchanged:,} unchanged since last import)",
            f"  failed           {len(self.failed):>14,}",
            f"  elapsed          {_duration(elapsed):>14}"
            f"   ({self.rows_read / elapsed if elapsed else 0:,.0f} rows/s read)",
        ]
        if self.failed:
            out.append("Failures:")
            out += [f"  {line}" for line in self.failed]
        return out


class CliProgress:
    """A :class:`resources.progress.ProgressSink` that draws on the terminal.

    The bar (and rich, ~35 ms to import) is set up only when the import starts (``with``): a
    command with nothing to import never loads it.
    """

    def __init__(self, total_files: int, total_bytes: int, *, quiet: bool = False,
                 summary: Summary | None = None) -> None:
        self.summary = summary or Summary()
        self.total_files = total_files
        self.total_bytes = max(1, total_bytes)
        self._finished_bytes = 0  # sizes of the files done
        self._partial_bytes = 0.0  # the current files' rows so far, in estimated bytes
        self._bytes_per_row = 40.0  # refined from each finished file
        self.quiet = quiet
        self._display: Progress | None = None
        self._task: TaskID | None = None

    @property
    def _progress(self) -> Progress:
        if self._display is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(stderr=True, highlight=False)
            self._display = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>5.1f}%"),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
                disable=self.quiet or not console.is_terminal,
            )
        return self._display

    def __enter__(self) -> CliProgress:
        self._progress.__enter__()
        self._task = self._progress.add_task("importing", total=self.total_bytes)
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    # ProgressSink
    def planned(self, total_sources: int, total_bytes: int) -> None:
        pass  # the command planned the whole import itself

    @property
    def _done_bytes(self) -> float:
        return min(self._finished_bytes + self._partial_bytes, self.total_bytes)

    def advance(self, rows: int, nbytes: int) -> None:
        self._partial_bytes += nbytes or rows * self._bytes_per_row
        if self._task is not None:
            self._progress.update(self._task, completed=self._done_bytes)

    def source_done(self, item: FileProgress) -> None:
        s = self.summary
        self._finished_bytes += item.bytes_done
        self._partial_bytes = 0.0
        if item.rows_read and item.bytes_done:
            self._bytes_per_row = item.bytes_done / item.rows_read
        if item.status != "absent":
            s.files += 1
        s.rows_read += item.rows_read
        s.rows_created += item.rows_inserted
        s.rows_present += item.rows_present
        if item.status == "unchanged":
            s.unchanged += 1
        elif item.status == "skipped":
            s.skipped += 1
        elif item.status == "failed":
            s.failed.append(f"{item.source}: {item.message}")
        if self._task is not None:
            self._progress.update(self._task, completed=self._done_bytes,
                                  description=item.partition)
        elapsed = time.perf_counter() - s.started
        share = min(1.0, (self._done_bytes or 1) / self.total_bytes)
        eta = elapsed / share - elapsed if share > 0 else 0.0
        status = {"imported": f"+{item.rows_inserted:,} rows ({item.rows_present:,} present)",
                  "checked": f"{item.rows_read:,} rows valid (dry run)",
                  "unchanged": "unchanged", "skipped": "skipped (has rows)",
                  "absent": "no file", "failed": "FAILED"}[item.status]
        line = (f"{item.partition:<22} {status:<38} {share * 100:5.1f}%  "
                f"{_duration(elapsed)}  ETA {_duration(eta)}")
        if item.status == "failed":
            line += f"\n    {item.message}"
        if not self.quiet:
            self._progress.console.print(line, markup=False, soft_wrap=True)

    def echo_summary(self, dry_run: bool = False) -> None:
        import click  # not at the top: orchestration.cli.unchanged uses Summary without click

        for line in self.summary.lines(dry_run):
            click.echo(line, file=sys.stdout)
