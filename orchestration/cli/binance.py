"""``tickvault binance``: Binance USD-M klines, statistics, fees and public-data archives.

Every command that moves data runs the project's assets in-process as a real Dagster run
(``orchestration.runner``), so it shows in the UI with its partitions and metadata.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from dagster import AssetsDefinition

from assets.binance_futures import (
    KLINE_SERIES,
    STATS_ASSETS,
    binance_futures_fees,
    binance_futures_instruments,
    binance_futures_kline_archives,
    binance_futures_klines,
    kline_partition_key,
)
from orchestration import runner
from orchestration.binance_futures import COMPONENT
from orchestration.cli.progress import CliProgress
from resources import progress as file_progress
from resources.binance_futures import BinanceFuturesResource, BinancePublicDataResource
from resources.binance_futures import progress as kline_progress
from resources.binance_futures.archives import find_archives
from resources.binance_futures.config import ConfigError, Pair, parse_pair, parse_time

__all__ = ["binance"]


def _op_name(asset: AssetsDefinition) -> str:
    return asset.key.to_python_identifier()


def _resources(config_path: str | None) -> dict[str, Any]:
    resources = dict(COMPONENT.resources)
    if config_path:
        resources["binance_futures"] = BinanceFuturesResource(config_path=config_path)
        resources["binance_public_data"] = BinancePublicDataResource(config_path=config_path)
    return resources


def _tags(command: str) -> dict[str, str]:
    return {"tickvault/trigger": f"cli:binance {command}"}


def _report(result: Any, what: str) -> None:
    if result.success:
        return
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    for event in failures:
        error = event.event_specific_data.error if event.event_specific_data else None
        message = error.message.strip() if error is not None else "failed"
        click.echo(f"error: {message}", err=True)
    click.echo(f"{what} failed (run {result.run_id}; details in the Dagster UI)", err=True)
    sys.exit(1)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="YAML configuration (default: $TICKVAULT_CONFIG).")
@click.pass_context
def binance(ctx: click.Context, config_path: str | None) -> None:
    """Binance USD-M futures: klines, funding, open interest, ratios, fees, archives.

    The REST base URL is $TICKVAULT_BINANCE_FAPI_URL (the testnet, the simulator), else the
    configuration file, else https://fapi.binance.com.
    """
    ctx.ensure_object(dict)
    ctx.obj["binance_config"] = config_path
    # httpx logs every request at INFO: far too chatty beside a progress bar
    logging.getLogger("httpx").setLevel(logging.WARNING)


# -- progress ---------------------------------------------------------------------------------

@dataclass
class _Counters:
    requests: int = 0
    candles: int = 0
    weight: int = 0
    used_weight_1m: int | None = None


class _KlineBar:
    """A rich progress bar over the time span to fetch, with requests, candles and weight."""

    def __init__(self, weight_limit: int, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.counters = _Counters()
        self.weight_limit = weight_limit
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), disable=not enabled, transient=False,
            console=Console(stderr=True))
        self.task = self.progress.add_task("klines", total=0, stats="")
        self.series: str = ""

    def __enter__(self) -> _KlineBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _refresh(self) -> None:
        c = self.counters
        used = f"{c.used_weight_1m}/{self.weight_limit}" if c.used_weight_1m is not None else "-"
        self.progress.update(self.task, description=self.series or "klines",
                             stats=f"{c.requests:,} requests  {c.candles:,} candles  "
                                   f"weight {c.weight:,} (server 1m: {used})")

    def planned(self, series: str, span_ms: int) -> None:
        self.series = series
        total = (self.progress.tasks[0].total or 0) + max(span_ms, 0)
        self.progress.update(self.task, total=total)
        self._refresh()

    def page(self, series: str, *, candles: int, covered_ms: int, requests: int, weight: int,
             used_weight_1m: int | None) -> None:
        c = self.counters
        c.requests += requests
        c.candles += candles
        c.weight += weight
        c.used_weight_1m = used_weight_1m if used_weight_1m is not None else c.used_weight_1m
        self.progress.advance(self.task, max(covered_ms, 0))
        self._refresh()

    def skipped(self, series: str, span_ms: int) -> None:
        self.progress.advance(self.task, max(span_ms, 0))


def _verbose(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.obj and root.obj.get("verbose"))


# -- commands ---------------------------------------------------------------------------------

def _month(when: datetime) -> datetime:
    return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def kline_runs(pairs: Sequence[Pair], start: datetime, end: datetime | None,
               now: datetime) -> list[tuple[Pair, str, str]]:
    """(pair, first partition key, last partition key) per series."""
    last = _month(min(end - timedelta(milliseconds=1), now) if end else now)
    first = _month(start)
    if first > last:
        raise click.BadParameter(f"--start {start:%Y-%m-%d} is after the end of the range")
    return [(p, str(kline_partition_key(p.series, first)),
             str(kline_partition_key(p.series, last))) for p in pairs]


@binance.command("backfill-klines")
@click.option("--symbol", "symbols", multiple=True, required=True,
              help="e.g. BTCUSDT (repeat for several).")
@click.option("--interval", "intervals", multiple=True, required=True,
              help="1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (repeatable).")
@click.option("--start", required=True, help="ISO date or time (UTC unless an offset is given).")
@click.option("--end", default=None, help="ISO date or time, exclusive (default: now).")
@click.option("--repair", is_flag=True,
              help="Re-fetch the whole window, ignoring the resume pointers.")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Progress bar (default: when stderr is a terminal).")
@click.pass_context
def backfill_klines(ctx: click.Context, symbols: tuple[str, ...], intervals: tuple[str, ...],
                    start: str, end: str | None, repair: bool,
                    show_progress: bool | None) -> None:
    """Fetch klines for SYMBOL/INTERVAL from --start (or the resume pointer, if later).

    Runs the binance_futures/klines asset over the months of the window, one run per series;
    a killed run resumes where its last stored page ended.
    """
    try:
        pairs = [parse_pair(f"{s}/{i}", "--symbol/--interval") for s in symbols
                 for i in intervals]
        start_at = parse_time(start, what="--start")
        end_at = parse_time(end, what="--end") if end else None
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    if end_at is not None and end_at <= start_at:
        raise click.BadParameter("--end must be after --start")
    resources = _resources(ctx.obj.get("binance_config"))
    binance_resource: BinanceFuturesResource = resources["binance_futures"]
    try:
        settings = binance_resource.settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    instance = runner.instance()
    known = set(instance.get_dynamic_partitions(KLINE_SERIES.name or ""))
    new = [p.series for p in pairs if p.series not in known]
    if new:
        instance.add_dynamic_partitions(KLINE_SERIES.name or "", new)
    run_config = {"ops": {_op_name(binance_futures_klines): {"config": {
        "start": start_at.isoformat(), "end": end_at.isoformat() if end_at else None,
        "repair": repair}}}}
    enabled = sys.stderr.isatty() if show_progress is None else show_progress
    failed = False
    started = time.perf_counter()
    with _KlineBar(settings.weight_limit, enabled) as bar, kline_progress.reporting_to(bar):
        for pair, first, last in kline_runs(pairs, start_at, end_at, datetime.now(UTC)):
            result = runner.run_assets(
                [binance_futures_klines], resources=resources, partition_range=(first, last),
                run_config=run_config, tags=_tags("backfill-klines"), dagster_instance=instance,
                verbose=_verbose(ctx))
            if not result.success:
                failed = True
                _print_failure(result, pair.series)
            else:
                click.echo(f"{pair.series}: run {result.run_id} succeeded", err=True)
    c = bar.counters
    seconds = time.perf_counter() - started
    click.echo(f"{c.candles:,} new candles in {c.requests:,} requests (weight {c.weight:,}) in "
               f"{seconds:,.1f} s ({c.candles / seconds if seconds else 0:,.0f} candles/s)")
    if failed:
        sys.exit(1)


def _print_failure(result: Any, label: str) -> None:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.event_specific_data:
            error = event.event_specific_data.error
            message = error.message.strip() if error is not None else "failed"
            click.echo(f"error ({label}): {message}", err=True)
    click.echo(f"{label}: run {result.run_id} failed (details in the Dagster UI)", err=True)


@binance.command("import-archives")
@click.option("--directory", required=True, type=click.Path(file_okay=False, exists=True),
              help="Searched recursively for SYMBOL-INTERVAL-YYYY-MM[-DD].zip/.csv files.")
@click.option("--require-checksum", is_flag=True, help="Refuse files without a .CHECKSUM.")
@click.option("--force", is_flag=True, help="Read files the ledger says are unchanged.")
@click.pass_context
def import_archives(ctx: click.Context, directory: str, require_checksum: bool,
                    force: bool) -> None:
    """Import Binance public-data kline archives (data.binance.vision layout or flat)."""
    instance = runner.instance()
    root = Path(directory).resolve()
    files, _refused = find_archives(root)
    run_config = {"ops": {_op_name(binance_futures_kline_archives): {"config": {
        "directory": str(root), "require_checksum": require_checksum, "force": force}}}}
    sink = CliProgress(len(files), sum(f.path.stat().st_size for f in files))
    with file_progress.reporting_to(sink), sink:
        result = runner.run_assets(
            [binance_futures_kline_archives], resources=_resources(ctx.obj.get("binance_config")),
            run_config=run_config, tags=_tags("import-archives"), dagster_instance=instance,
            verbose=_verbose(ctx))
    sink.echo_summary()
    _report(result, "import")


@binance.command("download-archives")
@click.option("--symbol", required=True)
@click.option("--interval", required=True)
@click.option("--start", required=True, help="ISO date (first day).")
@click.option("--end", default=None, help="ISO date, exclusive (default: today).")
@click.option("--directory", required=True, type=click.Path(file_okay=False),
              help="Files land under DIRECTORY/data/futures/um/... as on data.binance.vision.")
@click.option("--import", "then_import", is_flag=True, help="Import them afterwards.")
@click.pass_context
def download_archives(ctx: click.Context, symbol: str, interval: str, start: str,
                      end: str | None, directory: str, then_import: bool) -> None:
    """Download public-data kline archives (monthly, then daily), verifying each checksum.

    The server is $TICKVAULT_BINANCE_DATA_URL, else the config file, else
    https://data.binance.vision.
    """
    try:
        pair = parse_pair(f"{symbol}/{interval}", "--symbol/--interval")
        first = parse_time(start, what="--start").date()
        last = parse_time(end, what="--end").date() if end else datetime.now(UTC).date()
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    public: BinancePublicDataResource = _resources(ctx.obj.get("binance_config"))[
        "binance_public_data"]
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    result = public.download(symbol=pair.symbol, interval=pair.interval, start=first, end=last,
                             directory=target,
                             on_file=lambda name, status: click.echo(f"  {status:<13} {name}"))
    click.echo(f"{len(result.downloaded)} downloaded, {len(result.present)} already present, "
               f"{len(result.missing)} not published, {len(result.failed)} failed")
    if result.failed:
        for line in result.failed:
            click.echo(f"error: {line}", err=True)
        sys.exit(1)
    if then_import:
        ctx.invoke(import_archives, directory=str(target), require_checksum=True, force=False)


def _run_simple(ctx: click.Context, assets: Sequence[AssetsDefinition], what: str,
                partition_key: str | None = None) -> None:
    instance = runner.instance()
    result = runner.run_assets(list(assets), resources=_resources(
        ctx.obj.get("binance_config")), partition_key=partition_key, tags=_tags(what),
        dagster_instance=instance, verbose=_verbose(ctx))
    _report(result, what)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        numbers = {k: v.value for k, v in materialization.metadata.items()
                   if isinstance(v.value, int)}
        shown = ", ".join(f"{k} {v:,}" for k, v in numbers.items())
        click.echo(f"{materialization.asset_key.to_user_string()}: {shown}")
    if not result.get_asset_materialization_events():
        click.echo(f"{what}: nothing materialized (see the warnings above or the run's log)")


@binance.command("stats")
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Fetch funding rates, open interest and long/short ratios of the configured symbols."""
    _run_simple(ctx, STATS_ASSETS, "stats")


@binance.command("fees")
@click.pass_context
def fees(ctx: click.Context) -> None:
    """Snapshot today's maker/taker fees (needs TICKVAULT_BINANCE_API_KEY/_SECRET)."""
    _run_simple(ctx, [binance_futures_fees], "fees",
                partition_key=datetime.now(UTC).strftime("%Y-%m-%d"))


@binance.command("instruments")
@click.pass_context
def instruments(ctx: click.Context) -> None:
    """Refresh the USD-M contract list from exchangeInfo."""
    _run_simple(ctx, [binance_futures_instruments], "instruments")


@binance.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """The shared weight budget (and any ban) of the configured REST server."""
    resource: BinanceFuturesResource = _resources(ctx.obj.get("binance_config"))[
        "binance_futures"]
    try:
        settings = resource.settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    budget = resource.budget(settings).status()
    now = time.time()
    click.echo(f"server: {settings.rest_url} (config: {settings.source})")
    click.echo(f"series: {', '.join(p.series for p in settings.pairs) or '(none configured)'}")
    for name, used in budget.used.items():
        click.echo(f"budget {name}: {used:,} of {budget.limits[name]:,} in use")
    if budget.banned_until > now:
        until = datetime.fromtimestamp(budget.banned_until, UTC).isoformat(timespec="seconds")
        click.echo(f"BANNED by Binance (HTTP 418) until {until}: no request will be sent")
    elif budget.paused_until > now:
        click.echo(f"paused after a 429 for {budget.paused_until - now:.0f} more seconds")

