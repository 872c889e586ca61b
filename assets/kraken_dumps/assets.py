"""The two Kraken dump assets. Thin: find the files, hand them to the IO manager.

(No ``from __future__ import annotations`` here: Dagster reads these signatures at runtime.)
"""


from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Config,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
)
from pydantic import Field

from resources.database.imports import ImportOptions
from resources.database.io_manager import ImportItem, ImportPlan
from resources.intervals import KRAKEN_INTERVALS
from resources.kraken_dumps.names import DumpKind, DumpScan
from resources.kraken_dumps.resource import KrakenDumpDirectory
from resources.kraken_dumps.source import dump_target

KRAKEN_PAIRS = DynamicPartitionsDefinition(name="kraken_pairs")
OHLCVT_PARTITIONS = MultiPartitionsDefinition({
    "interval": StaticPartitionsDefinition([str(i) for i in KRAKEN_INTERVALS]),
    "pair": KRAKEN_PAIRS,
})


class KrakenImportConfig(Config):  # type: ignore[misc]
    dry_run: bool = Field(default=False, description="Read and validate; write nothing.")
    skip_existing: bool = Field(
        default=False, description="Skip files whose pair (and interval) already has rows.")
    force: bool = Field(default=False, description="Re-read files the ledger says are unchanged.")
    limit_per_file: int | None = Field(default=None, description="Import only the first N rows.")
    workers: int = Field(default=2, description="Parallel loaders for new trade ranges.")

    def options(self) -> ImportOptions:
        return ImportOptions(dry_run=self.dry_run, skip_existing=self.skip_existing,
                             force=self.force, limit_rows=self.limit_per_file,
                             workers=self.workers)


@asset(
    partitions_def=OHLCVT_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    io_manager_key="market_data_io_manager",
    group_name="kraken_dumps",
    kinds={"postgres", "csv"},
)
def kraken_ohlcvt(
    context: AssetExecutionContext, config: KrakenImportConfig, kraken_dump: KrakenDumpDirectory
) -> ImportPlan:
    """Kraken OHLCVT candles (``{PAIR}_{INTERVAL}.csv``) in the ``candles`` table."""
    scan = kraken_dump.scan()
    items = []
    for key in context.partition_keys:
        dims = key.keys_by_dimension if isinstance(key, MultiPartitionKey) else {}
        items.append(_item(kraken_dump, scan, key, DumpKind.OHLCVT, dims["pair"],
                           int(dims["interval"])))
    return ImportPlan(items, config.options())


@asset(
    partitions_def=KRAKEN_PAIRS,
    backfill_policy=BackfillPolicy.single_run(),
    io_manager_key="market_data_io_manager",
    group_name="kraken_dumps",
    kinds={"postgres", "csv"},
)
def kraken_trades(
    context: AssetExecutionContext, config: KrakenImportConfig, kraken_dump: KrakenDumpDirectory
) -> ImportPlan:
    """Kraken trade history (``{PAIR}.csv``) in the ``trades`` table, every trade kept."""
    scan = kraken_dump.scan()
    items = [_item(kraken_dump, scan, pair, DumpKind.TRADES, pair, None)
             for pair in context.partition_keys]
    return ImportPlan(items, config.options())


def _item(kraken_dump: KrakenDumpDirectory, scan: DumpScan, key: str, kind: DumpKind, pair: str,
          interval: int | None) -> ImportItem:
    """One partition: its instrument and its files (oldest first), not read yet."""
    files = kraken_dump.files_for(kind, pair, interval, scan=scan)
    target = dump_target(kind, pair, interval)
    return ImportItem(
        partition_key=key, dataset=target.dataset, table=target.table,
        instrument=target.instrument, interval_s=target.interval_s,
        files=[kraken_dump.source_file(f) for f in files], label=target.label)
