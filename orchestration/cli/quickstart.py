"""``tickvault quickstart``: the main job on the bundled sample dump, then where to look."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.cli.kraken import import_dump
from orchestration.resources import SHARED
from resources import settings
from resources.database import PostgresResource
from resources.kraken_dumps.files import DumpKind


def _sample_dump() -> Path:
    root = settings.project_root()
    candidate = (root or Path.cwd()) / "data" / "sample_kraken_dump"
    if not candidate.is_dir():
        raise click.ClickException(f"the sample dump is not at {candidate}")
    return candidate


@click.command()
@click.option("--directory", type=click.Path(path_type=Path, file_okay=False),
              help="A Kraken dump directory (default: the bundled sample dump).")
def quickstart(directory: Path | None) -> None:
    """Import a Kraken dump (OHLCVT, then trades) and show what is stored."""
    dump = directory or _sample_dump()
    database: PostgresResource = SHARED["database"]
    click.echo(f"database: {database.display_url()}")
    click.echo(f"importing {dump}")
    failed = 0
    for kind in (DumpKind.OHLCVT, DumpKind.TRADES):
        click.echo(f"\n== {kind.value} ==")
        sink = import_dump(kind, directory=dump)
        sink.echo_summary()
        failed += len(sink.summary.failed)
    status = database.status()
    click.echo(f"\nstorage mode: {status.mode.value}")
    for count in status.counts:
        if count.table in {"candles", "trades", "instruments", "ingest_ledger"}:
            click.echo(f"  {count.table:<16} {count.rows:>12,} rows")
    home = settings.dagster_home()
    root = settings.project_root() or Path.cwd()
    click.echo(
        "\nOpen the Dagster UI to see these runs, partitions and metadata:\n"
        f"  cd {root} && DAGSTER_HOME={home} .venv/bin/dagster dev\n"
        "  then browse http://127.0.0.1:3000  (or: ./run ui)\n"
        "Export what was stored, e.g.:\n"
        "  .venv/bin/tickvault export candles --venue kraken --pair XBTUSD --interval 1440")
    if failed:
        raise SystemExit(1)
