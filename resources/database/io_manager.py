"""The IO manager that writes market-data imports to PostgreSQL/TimescaleDB.

An import asset returns an :class:`ImportPlan`: for each of its partitions, the instrument and
the files to read, lazily — nothing has been read yet. This IO manager streams each file as
Arrow record batches into the database (binary COPY, bounded memory), one transaction per file,
and reports per partition. A file that fails fails its partition only: the other partitions of
the run are written and show as materialized, the failed ones as failed, with the file, line
and value in the run's error.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from dagster import (
    AssetMaterialization,
    ConfigurableIOManager,
    Failure,
    InputContext,
    MetadataValue,
    OutputContext,
)

from resources import progress
from resources.database import prestage
from resources.database.imports import (
    ImportOptions,
    Outcome,
    SourceFile,
    import_file,
)
from resources.database.loader import LoadResult, TableSpec, bulk_session
from resources.database.resource import Instrument, PostgresResource

__all__ = ["ImportItem", "ImportPlan", "MarketDataIOManager", "PartitionReport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportItem:
    """One partition: an instrument (and interval) and the files that hold its rows."""

    partition_key: str
    dataset: str
    table: TableSpec
    instrument: Instrument
    interval_s: int
    files: list[SourceFile]
    label: str  # for people: "XBTUSD 1440" or "XBTUSD"


@dataclass(frozen=True)
class ImportPlan:
    items: list[ImportItem]
    options: ImportOptions = field(default_factory=ImportOptions)


@dataclass
class PartitionReport:
    item: ImportItem
    result: LoadResult = field(default_factory=LoadResult)
    statuses: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.failures:
            return "failed"
        if not self.statuses:
            return "absent"
        for status in ("imported", "checked", "skipped"):
            if status in self.statuses:
                return status
        return "unchanged"

    def metadata(self) -> dict[str, Any]:
        r = self.result
        rate = r.rows_read / r.seconds if r.seconds > 0 else 0.0
        meta: dict[str, Any] = {
            "status": self.status,
            "files": len(self.item.files),
            "rows_read": r.rows_read,
            "rows_inserted": r.rows_inserted,
            "rows_already_present": r.rows_present,
            "rows_per_second": round(rate, 1),
            "seconds": round(r.seconds, 3),
            "instrument": f"{self.item.instrument.venue}:{self.item.instrument.venue_symbol} "
                          f"({self.item.instrument.pair})",
        }
        for name, ts in (("first_ts", r.first_ts), ("last_ts", r.last_ts)):
            if isinstance(ts, datetime):
                meta[name] = MetadataValue.timestamp(ts)
                meta[f"{name}_unix"] = ts.timestamp()  # a plain number, so the UI can plot it
        if self.item.files:
            meta["source"] = MetadataValue.path(str(self.item.files[-1].path))
        return meta


def _record_partition_metadata(context: OutputContext, partition: str,
                               metadata: Mapping[str, Any]) -> None:
    # Per-partition metadata for a multi-partition output: Dagster attaches what the step
    # context holds per partition key to each partition's materialization (execute_step.py,
    # _get_output_asset_events). OutputContext has no public route to it in 1.13, and the step
    # context's add_asset_metadata() re-lists every partition key of the run on each call (a
    # storage query each: 45 ms per partition), so the accumulator it fills is filled directly;
    # the partition is one of the output's own (context.asset_partition_keys), so nothing is
    # left unchecked.
    step = context.step_context
    step._metadata_accumulator = step._metadata_accumulator.with_additional_asset_metadata(
        asset_key=context.asset_key, metadata=dict(metadata), partition_key=partition)


class MarketDataIOManager(ConfigurableIOManager):
    """Writes :class:`ImportPlan` outputs (Kraken dumps, archives) to the database."""

    database: PostgresResource

    # A generator, which Dagster accepts from handle_output (execute_step._store_output): its
    # first yield flushes the events logged so far, which the failure path below relies on.
    def handle_output(self, context: OutputContext, obj: ImportPlan  # type: ignore[override]
                      ) -> Iterator[dict[str, Any]]:
        sink = progress.current()
        sink.planned(sum(len(i.files) for i in obj.items),
                     sum(f.size for i in obj.items for f in i.files))
        with self.database.connect() as conn:
            bulk_session(conn)
            conn.commit()
            reports = [self._write(context, conn, item, obj.options, sink) for item in obj.items]
        failed = [r for r in reports if r.failures]
        totals = LoadResult()
        for report in reports:
            totals.add(report.result)
        statuses = Counter(r.status for r in reports)
        context.log.info(
            f"{len(reports)} partitions: " + ", ".join(f"{n} {s}" for s, n in statuses.items())
            + f"; {totals.rows_inserted:,} rows inserted, {totals.rows_present:,} already present")
        summary = {
            "partitions": len(reports),
            "partitions_failed": len(failed),
            "rows_read": totals.rows_read,
            "rows_inserted": totals.rows_inserted,
            "rows_already_present": totals.rows_present,
        }
        if not failed:
            for report in reports:
                _record_partition_metadata(context, report.item.partition_key, report.metadata())
            context.add_output_metadata(summary)
            return
        # Dagster records materializations for a step's partitions only if the step succeeds;
        # the ones that did succeed are recorded here, then the step fails for the others.
        for report in reports:
            if not report.failures:
                context.log_event(AssetMaterialization(
                    asset_key=context.asset_key, partition=report.item.partition_key,
                    metadata=report.metadata()))
        yield summary  # flushes the events above into the event log before the failure
        lines = [f"{r.item.label}: {msg}" for r in failed for msg in r.failures]
        raise Failure(
            description=f"{len(failed)} of {len(reports)} partitions failed:\n" + "\n".join(lines),
            metadata={"failed": MetadataValue.md("\n".join(f"- {line}" for line in lines))},
        )

    def _write(self, context: OutputContext, conn: psycopg.Connection[Any], item: ImportItem,
               options: ImportOptions, sink: progress.ProgressSink) -> PartitionReport:
        report = PartitionReport(item)
        if not item.files:
            context.log.warning(f"{item.label}: no file in the dump directory")
            sink.source_done(progress.FileProgress(item.dataset, "", item.label, "absent"))
        for file in item.files:
            if report.failures:  # later files of a pair build on earlier ones: stop here
                report.failures.append(f"{file.path}: not imported (an earlier file failed)")
                break
            try:
                outcome = self._import(context, conn, item, file, options, sink)
            except Exception as exc:  # a bad file fails its partition, not the others
                message = f"{file.path}: {exc}"
                context.log.error(message)
                report.failures.append(message)
                outcome = Outcome("failed", message=str(exc))
            else:  # (no log line per file: each is an event-log write; the summary says it all)
                report.statuses.append(outcome.status)
                report.result.add(outcome.result)
            sink.source_done(progress.FileProgress(
                dataset=item.dataset, source=str(file.path), partition=item.label,
                status=outcome.status, rows_read=outcome.result.rows_read,
                rows_inserted=outcome.result.rows_inserted,
                rows_present=outcome.result.rows_present, seconds=outcome.result.seconds,
                first_ts=outcome.result.first_ts, last_ts=outcome.result.last_ts,
                message=outcome.message, bytes_done=file.size))
        return report

    def _import(self, context: OutputContext, conn: psycopg.Connection[Any], item: ImportItem,
                file: SourceFile, options: ImportOptions, sink: progress.ProgressSink) -> Outcome:
        key = prestage.PrestageKey.of(
            self.database, dataset=item.dataset, table=item.table, instrument=item.instrument,
            interval_s=item.interval_s, file=file, options=options)
        staged = prestage.claim(key)
        if staged is None:
            return import_file(self.database, dataset=item.dataset, table=item.table,
                               instrument=item.instrument, interval_s=item.interval_s,
                               file=file, options=options, progress=sink,
                               run_id=context.run_id, conn=conn)
        try:
            return staged.claim(context.run_id)
        finally:
            context.log.info(f"{item.label}: the command line started this import "
                             f"{staged.claimed_after:.2f}s before this run claimed it")

    def load_input(self, context: InputContext) -> Any:
        raise NotImplementedError(
            "market data lives in the database: query it (tickvault export, SQL), "
            "don't load it as an asset input")
