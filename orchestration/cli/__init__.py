"""The ``tickvault`` command line.

Every data-moving command runs the project's Dagster assets in-process against the persistent
instance in ``$DAGSTER_HOME`` (default: ``<data dir>/dagster_home``), so its runs show in the UI.
"""

from __future__ import annotations

import logging
import sys
import warnings

import click
from dagster import BetaWarning, PreviewWarning

# Dagster's notes on beta APIs are for this project's developers, not for its users; silenced
# before the definitions are imported.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from orchestration.cli import binance, db, export, kraken, quickstart, sim  # noqa: E402


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-v", "--verbose", is_flag=True, help="Show Dagster's own event log too.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """tickvault: crypto market data into PostgreSQL/TimescaleDB, exact and complete."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("alembic", "dagster.code_server"):  # Dagster's storage setup chatter
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


main.add_command(db.db)
main.add_command(kraken.kraken)
main.add_command(export.export)
main.add_command(binance.binance)
main.add_command(sim.sim)
main.add_command(quickstart.quickstart)
