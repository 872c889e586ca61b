"""``tickvault sim``: run the local exchange simulator in the foreground."""

from __future__ import annotations

import click

from simulator import FaultRule, SimConfig
from simulator import run as run_simulator
from simulator.binance_futures.signing import DOCS_API_KEY, DOCS_API_SECRET

_RATE = click.FloatRange(0.0, 1.0)


def _fault_rules(
    path: str | None,
    error_rate: float,
    error_status: int,
    delay: float,
    drop_rate: float,
    truncate_rate: float,
) -> tuple[FaultRule, ...]:
    rules: list[FaultRule] = []
    if delay > 0:
        rules.append(FaultRule("delay", path=path, delay=delay))
    if error_rate > 0:
        rules.append(FaultRule("error", path=path, rate=error_rate, status=error_status))
    if drop_rate > 0:
        rules.append(FaultRule("drop", path=path, rate=drop_rate))
    if truncate_rate > 0:
        rules.append(FaultRule("truncate", path=path, rate=truncate_rate))
    return tuple(rules)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option("--seed", default=42, show_default=True, type=int, help="Seed of the markets.")
@click.option("--weight-limit", default=2400, show_default=True, type=int,
              help="Binance request weight per IP per minute.")
@click.option("--ban-seconds", default=5.0, show_default=True, type=float,
              help="Length of the 418 ban for calling on during a 429 back-off.")
@click.option("--api-key", default=DOCS_API_KEY, show_default="Binance docs example key",
              help="Key the signed endpoints accept.")
@click.option("--api-secret", default=DOCS_API_SECRET, show_default="Binance docs example",
              help="Secret signatures are checked with.")
@click.option("--string-timestamps", is_flag=True,
              help="Serve /futures/data timestamps as strings, like the docs examples.")
@click.option("--now", default=None, help="Freeze the clock at this time (ISO 8601 or epoch ms).")
@click.option("--now-offset", default=0.0, type=float,
              help="Run the clock this many seconds ahead of (negative: behind) real time.")
@click.option("--no-maintenance", is_flag=True, help="No maintenance gaps in the candles.")
@click.option("--error-rate", default=0.0, type=_RATE, help="Share of requests answered 5xx.")
@click.option("--error-status", default="503", show_default=True,
              type=click.Choice(["500", "502", "503", "504"]), help="Status of those errors.")
@click.option("--delay", default=0.0, type=float, help="Seconds to delay every response.")
@click.option("--drop-rate", default=0.0, type=_RATE,
              help="Share of connections closed without a response.")
@click.option("--truncate-rate", default=0.0, type=_RATE,
              help="Share of responses cut short of their Content-Length.")
@click.option("--fault-path", default=None,
              help="Only inject faults on paths starting with this, e.g. /fapi/v1/klines.")
def sim(
    host: str,
    port: int,
    seed: int,
    weight_limit: int,
    ban_seconds: float,
    api_key: str,
    api_secret: str,
    string_timestamps: bool,
    now: str | None,
    now_offset: float,
    no_maintenance: bool,
    error_rate: float,
    error_status: str,
    delay: float,
    drop_rate: float,
    truncate_rate: float,
    fault_path: str | None,
) -> None:
    """Run the local exchange simulator (Binance USD-M REST and archives) until Ctrl-C.

    Control API: GET /_sim/stats, POST /_sim/faults, POST /_sim/clock, POST /_sim/options.
    """
    config = SimConfig(
        seed=seed,
        weight_limit=weight_limit,
        ban_seconds=ban_seconds,
        api_key=api_key,
        api_secret=api_secret,
        string_timestamps=string_timestamps,
        now=now,
        now_offset_ms=round(now_offset * 1000),
        maintenance=() if no_maintenance else None,
        faults=_fault_rules(
            fault_path, error_rate, int(error_status), delay, drop_rate, truncate_rate
        ),
    )

    def ready(base_url: str) -> None:
        click.echo(f"tickvault exchange simulator (seed {seed}) listening on {base_url}")
        click.echo("Point tickvault at it:")
        click.echo(f"  export TICKVAULT_BINANCE_FAPI_URL={base_url}")
        click.echo(f"Binance public-data archives: {base_url}/data/futures/um/")
        click.echo(f"Control API: {base_url}/_sim/stats   (Ctrl-C to stop)")

    run_simulator(config, host=host, port=port, on_ready=ready)
