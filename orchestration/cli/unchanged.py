"""``tickvault kraken ingest-trades|ingest-ohlcv`` over a dump with nothing new in it, answered
before click and the rest of the command line load.

Such a re-run asks the ingest ledger one question, and the answer ("all N files unchanged") is
all it prints. Python's start, click (~20 ms to import) and psycopg (~110 ms) would otherwise be
most of its time. :func:`answer` recognises the plain form of those two commands (options
``--directory`` and ``--pair`` only), asks the ledger through libpq
(:func:`resources.database.ledger.unchanged_paths_quick`) and, when every file is unchanged,
prints what the full command prints. In every other case (another option, help, a rejected or
changed file, no answer from the ledger, any error) it returns None having printed nothing, and
the command runs through click, whose ``import_dump`` does the same check with the same helpers.

Keep this module's imports free of click, psycopg, rich and Dagster.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from orchestration.cli.progress import Summary
from resources.database.ledger import unchanged_paths_quick
from resources.intervals import KRAKEN_INTERVALS
from resources.kraken_dumps.names import DumpFile, DumpKind, DumpScan, dump_root, scan_directory
from resources.kraken_dumps.pairs import parse_pair

__all__ = ["answer", "matches_pair", "selected", "unchanged_lines"]

_COMMANDS = {"ingest-trades": DumpKind.TRADES, "ingest-ohlcv": DumpKind.OHLCVT}


def matches_pair(file_pair: str, wanted: Sequence[str]) -> bool:
    """Whether a file's pair is one of ``--pair`` (as in file names or normalized; all if none)."""
    if not wanted:
        return True
    instrument = parse_pair(file_pair)
    return any(w.upper() in {file_pair.upper(), instrument.pair.upper()} for w in wanted)


def selected(scan: DumpScan, kind: DumpKind, pairs: Sequence[str],
             intervals: Sequence[int]) -> list[DumpFile]:
    """The scanned files a command imports: of its kind, pairs and (OHLCVT) intervals."""
    return [f for f in scan.files if f.kind is kind and matches_pair(f.pair, pairs)
            and (kind is DumpKind.TRADES or f.interval_min in intervals)]


def unchanged_lines(files: Sequence[DumpFile], *, quiet: bool) -> list[str]:
    """What a command prints (on stderr) when all its files are unchanged."""
    lines = []
    if not quiet:
        for f in files:
            label = f.pair if f.interval_min is None else f"{f.pair} {f.interval_min}"
            lines.append(f"{label:<22} unchanged")
    lines.append(f"all {len(files)} files unchanged since their last import; nothing to do "
                 "(--force re-reads them)")
    return lines


def _parse(argv: Sequence[str]) -> tuple[DumpKind, str | None, list[str]] | None:
    """``kraken ingest-trades|ingest-ohlcv [--directory D] [--pair P]...`` as (kind, D, [P...]);
    None for anything else, so that click parses (and validates, and explains) it."""
    if len(argv) < 2 or argv[0] != "kraken" or argv[1] not in _COMMANDS:
        return None
    directory: str | None = None
    pairs: list[str] = []
    rest = list(argv[2:])
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        if not value or value.startswith("-"):
            return None
        if name == "--directory" and directory is None:
            directory = value
        elif name == "--pair":
            pairs.append(value)
        else:
            return None
    return _COMMANDS[argv[1]], directory, pairs


def _unchanged_files(argv: Sequence[str]) -> list[DumpFile] | None:
    parsed = _parse(argv)
    if parsed is None:
        return None
    kind, directory, pairs = parsed
    root = dump_root(directory)
    if not root.is_dir():
        return None
    scan = scan_directory(root)
    files = selected(scan, kind, pairs, KRAKEN_INTERVALS)
    if scan.rejected or not files:
        return None
    same = unchanged_paths_quick(kind.dataset, [(f.path, f.size, f.mtime_ns) for f in files])
    if same is None or len(same) != len(files):
        return None
    return files


def answer(argv: Sequence[str]) -> int | None:
    """Answer the command line ``argv`` (without the program name) if it is a re-run over an
    unchanged dump: print what ``tickvault`` prints then and return its exit code (0). None,
    with nothing printed, in every other case."""
    try:
        files = _unchanged_files(argv)
    except Exception:  # the full command meets the same problem and reports it properly
        return None
    if files is None:
        return None
    summary = Summary(files=len(files), unchanged=len(files))
    sys.stderr.write("".join(f"{line}\n" for line in unchanged_lines(files, quiet=False)))
    sys.stdout.write("".join(f"{line}\n" for line in summary.lines()))
    return 0
