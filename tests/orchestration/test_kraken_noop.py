"""A re-run of ``tickvault kraken ingest-*`` over an unchanged dump: answered from the ledger
before click, psycopg, rich or Dagster load, with the same output as the full command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchestration.cli.unchanged import _parse
from resources.kraken_dumps.names import DumpKind
from simulator.kraken_dump import generate_dump

HEAVY = ("click", "psycopg", "rich", "dagster")


def tickvault(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the command as the benchmark does; returns the result and the top-level packages it
    imported (from -X importtime, whose lines are removed from stderr)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "orchestration.cli", *args],
                            env=env, capture_output=True, text=True, timeout=300)
    imported, stderr = set(), []
    for line in result.stderr.splitlines(keepends=True):
        if line.startswith("import time:"):
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
        else:
            stderr.append(line)
    result.stderr = "".join(stderr)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result, imported


def test_unchanged_dump_is_answered_before_anything_heavy_loads(tmp_path, env, monkeypatch):
    dump = tmp_path / "dump"
    generate_dump(dump, pairs=3, days=1, trades_per_pair=500, intervals=(1, 1440))
    _, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump))
    assert "dagster" in imported  # a real import first
    tickvault(env, "kraken", "ingest-ohlcv", "--directory", str(dump))

    again, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump))
    assert not imported & set(HEAVY), imported & set(HEAVY)
    lines = again.stderr.splitlines()
    assert lines[-1] == ("all 3 files unchanged since their last import; nothing to do "
                         "(--force re-reads them)")
    assert sorted(lines[:-1]) == [f"{p:<22} unchanged" for p in ("ETHUSD", "XBTEUR", "XBTUSD")]
    assert "skipped                       3   (3 unchanged since last import)" in again.stdout

    # The same through click (an option only it parses): the same output, still no psycopg.
    through_click, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump),
                                        "--workers", "2")
    assert "click" in imported and not imported & {"psycopg", "rich", "dagster"}
    assert (through_click.stdout, through_click.stderr) == (again.stdout, again.stderr)

    ohlcv, imported = tickvault(env, "kraken", "ingest-ohlcv", f"--directory={dump}",
                                "--pair", "BTC/USD", "--pair=XBTEUR")
    assert not imported & set(HEAVY)
    assert ohlcv.stderr.splitlines()[:-1] == [
        f"{label:<22} unchanged" for label in
        ("XBTEUR 1", "XBTEUR 1440", "XBTUSD 1", "XBTUSD 1440")]

    # Without an answer from libpq, the full command asks through psycopg: still a no-op.
    from orchestration.cli import kraken

    for key in ("TICKVAULT_DATABASE_URL", "DAGSTER_HOME", "TICKVAULT_DATA_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setattr(kraken, "unchanged_paths_quick", lambda *a: None)
    monkeypatch.setattr(kraken, "_run_imports", lambda *a, **k: pytest.fail("imported"))
    sink = kraken.import_dump(DumpKind.TRADES, directory=dump)
    assert (sink.summary.files, sink.summary.unchanged) == (3, 3)

    # --force re-reads: the full command, Dagster and all
    forced, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump),
                                 "--force", "--pair", "ETHUSD")
    assert "dagster" in imported and "unchanged since" not in forced.stderr

    # a changed file (its mtime): the full command
    changed = dump / "ETHUSD.csv"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    rerun, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump))
    assert "dagster" in imported and "all 3 files unchanged" not in rerun.stderr
    assert "ETHUSD" in rerun.stderr

    # ...after which the dump is unchanged again
    _, imported = tickvault(env, "kraken", "ingest-trades", "--directory", str(dump))
    assert not imported & set(HEAVY)


@pytest.mark.parametrize(("argv", "parsed"), [
    ("kraken ingest-trades", (DumpKind.TRADES, None, [])),
    ("kraken ingest-trades --directory /d", (DumpKind.TRADES, "/d", [])),
    ("kraken ingest-ohlcv --directory=/a=b --pair X --pair=Y",
     (DumpKind.OHLCVT, "/a=b", ["X", "Y"])),
])
def test_the_plain_forms_are_answered_early(argv, parsed):
    assert _parse(argv.split()) == parsed


@pytest.mark.parametrize("argv", [
    "", "kraken", "kraken scan", "-v kraken ingest-trades", "kraken ingest-trades -h",
    "kraken ingest-trades --help", "kraken ingest-trades --force",
    "kraken ingest-trades --dry-run", "kraken ingest-trades --limit-per-file 10",
    "kraken ingest-trades --skip-existing", "kraken ingest-trades --drop-indexes",
    "kraken ingest-trades --workers 2", "kraken ingest-trades --batch-size 5000",
    "kraken ingest-ohlcv --intervals 1", "kraken ingest-trades --directory",
    "kraken ingest-trades --directory /a --directory /b", "kraken ingest-trades --directory=",
    "kraken ingest-trades --pair --force", "kraken ingest-trades extra",
    "kraken ingest-trades --directory /d --", "kraken ingest-trades --dir /d",
])
def test_everything_else_is_left_to_click(argv):
    assert _parse(argv.split()) is None
