"""The ``tickvault`` click group: global options, and subcommands imported when used."""

from __future__ import annotations

import importlib
import logging
import sys

import click

# Subcommands are imported when used: `tickvault kraken ...` should not pay for loading the
# Binance client or the simulator's web server.
_COMMANDS = {
    "db": "orchestration.cli.db:db",
    "kraken": "orchestration.cli.kraken:kraken",
    "export": "orchestration.cli.export:export",
    "binance": "orchestration.cli.binance:binance",
    "sim": "orchestration.cli.sim:sim",
    "quickstart": "orchestration.cli.quickstart:quickstart",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def run() -> int:
    """Run ``main`` on ``sys.argv``; its exit code (click's errors shown as click shows them)."""
    try:
        main.main(standalone_mode=False)
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
