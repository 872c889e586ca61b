"""Watches the Kraken dump directory: registers new pairs, requests imports of new or changed files.

Each tick lists the directory (recursively) and compares every file's size and mtime with the
ingest ledger. Files that are new, changed, or were only partly imported are requested as runs
over contiguous partition ranges (one run for a whole new dump rather than one per file), keyed
by the files' fingerprints so a file is never requested twice. The cursor is a digest of the
listing: an unchanged directory costs one listing and no database query.
"""


import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

from dagster import (
    AssetKey,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.kraken_dumps import KRAKEN_PAIRS, kraken_ohlcvt, kraken_trades
from assets.partition_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from resources.database import PostgresResource
from resources.database.ledger import unchanged_paths
from resources.kraken_dumps.files import DumpFile, DumpKind
from resources.kraken_dumps.resource import KrakenDumpDirectory

__all__ = ["SETTLE_SECONDS", "kraken_ohlcvt_sensor", "kraken_trades_sensor", "partition_runs"]

SETTLE_SECONDS = 10  # a file modified more recently may still be being copied: next tick


def _contiguous(indexes: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in sorted(set(indexes)):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def partition_runs(order: Sequence[str], pairs: Iterable[str]) -> list[tuple[str, str]]:
    """The fewest (first, last) ranges of ``order`` that cover exactly ``pairs``."""
    index = {pair: i for i, pair in enumerate(order)}
    return [(order[a], order[b]) for a, b in _contiguous(index[p] for p in pairs)]


def _fingerprint(files: Iterable[DumpFile]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: str(f.path)):
        digest.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _evaluate(
    kind: DumpKind,
    context: SensorEvaluationContext,
    kraken_dump: KrakenDumpDirectory,
    database: PostgresResource,
) -> SensorResult:
    scan = kraken_dump.scan()
    now_ns = time.time_ns()
    settled = [f for f in scan.files if f.kind is kind
               and now_ns - f.mtime_ns >= SETTLE_SECONDS * 1_000_000_000]
    cursor = _fingerprint(settled)
    if cursor == context.cursor:
        return SensorResult(skip_reason=SkipReason("dump directory unchanged"), cursor=cursor)
    for path, why in scan.rejected:
        context.log.warning(f"skipped {path}: {why}")

    known = list(context.instance.get_dynamic_partitions(KRAKEN_PAIRS.name or "kraken_pairs"))
    new_pairs = sorted({f.pair for f in settled} - set(known))
    order = known + new_pairs  # Dagster appends new dynamic partitions in the order given

    unchanged = unchanged_paths(database.resolved_url(), kind.dataset,
                                [(f.path, f.size, f.mtime_ns) for f in settled])
    pending: dict[int | None, dict[str, list[DumpFile]]] = defaultdict(dict)
    for f in settled:
        if f.path not in unchanged:
            pending[f.interval_min].setdefault(f.pair, []).append(f)

    asset = kraken_ohlcvt if kind is DumpKind.OHLCVT else kraken_trades
    requests: list[RunRequest] = []
    for interval, by_pair in sorted(pending.items(), key=lambda kv: kv[0] or 0):
        for first, last in partition_runs(order, by_pair):
            covered = [f for p in order[order.index(first):order.index(last) + 1]
                       for f in by_pair.get(p, [])]
            if kind is DumpKind.OHLCVT:
                start, end = f"{interval}|{first}", f"{interval}|{last}"
            else:
                start, end = first, last
            requests.append(RunRequest(
                run_key=f"{asset.key.to_user_string()}:{_fingerprint(covered)}",
                asset_selection=[AssetKey(asset.key.path)],
                tags={PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: end,
                      "tickvault/trigger": f"kraken_{kind.value}_sensor"},
            ))
    if new_pairs:
        context.log.info(f"registering {len(new_pairs)} new pairs: {', '.join(new_pairs[:20])}")
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[KRAKEN_PAIRS.build_add_request(new_pairs)] if new_pairs
        else [],
        cursor=cursor,
    )


@sensor(
    name="kraken_ohlcvt_sensor",
    target=kraken_ohlcvt,
    minimum_interval_seconds=60,
    description="Import new or changed OHLCVT files from the Kraken dump directory.",
)
def kraken_ohlcvt_sensor(
    context: SensorEvaluationContext,
    kraken_dump: KrakenDumpDirectory,
    database: PostgresResource,
) -> SensorResult:
    return _evaluate(DumpKind.OHLCVT, context, kraken_dump, database)


@sensor(
    name="kraken_trades_sensor",
    target=kraken_trades,
    minimum_interval_seconds=60,
    description="Import new or changed trade-history files from the Kraken dump directory.",
)
def kraken_trades_sensor(
    context: SensorEvaluationContext,
    kraken_dump: KrakenDumpDirectory,
    database: PostgresResource,
) -> SensorResult:
    return _evaluate(DumpKind.TRADES, context, kraken_dump, database)
