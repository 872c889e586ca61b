"""Running the project's assets in-process against the persistent Dagster instance.

The command line uses this so that its runs are ordinary Dagster runs: they show in the UI
(``dagster dev`` with the same ``DAGSTER_HOME``), with their partitions and metadata.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from dagster import AssetsDefinition, DagsterInstance, ExecuteInProcessResult, materialize

from resources import settings

__all__ = [
    "PARTITION_RANGE_END_TAG",
    "PARTITION_RANGE_START_TAG",
    "POOL_LIMITS",
    "instance",
    "run_assets",
]

log = logging.getLogger(__name__)

# Dagster's own tag names for a single run over a partition key range (not exported publicly).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# Pools cap concurrent work per external system across all runs of this instance.
POOL_LIMITS = {"binance_futures_api": 2}


def _default_config() -> dict[str, Any]:
    return {
        "telemetry": {"enabled": False},
        # Two cores: a few runs at once is plenty; more only contend for the database.
        "concurrency": {
            "runs": {"max_concurrent_runs": 4},
            "pools": {"granularity": "op", "default_limit": 4},
        },
    }


def write_instance_config(home: Path) -> Path:
    """``dagster.yaml`` for a new DAGSTER_HOME (an existing one is left as the user made it)."""
    path = home / "dagster.yaml"
    if not path.exists():
        path.write_text(
            "# Written by tickvault for a new DAGSTER_HOME; edit freely, it is not rewritten.\n"
            + yaml.safe_dump(_default_config(), sort_keys=False)
        )
    return path


def instance() -> DagsterInstance:
    """The persistent instance in ``$DAGSTER_HOME`` (created with defaults if new)."""
    home = settings.dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    write_instance_config(home)
    inst = DagsterInstance.get()
    for pool, limit in POOL_LIMITS.items():
        try:
            if inst.event_log_storage.get_concurrency_info(pool).slot_count == 0:
                inst.event_log_storage.set_concurrency_slots(pool, limit)
        except NotImplementedError:  # storages without op concurrency support
            pass
    return inst


def run_assets(
    assets: Sequence[AssetsDefinition],
    *,
    resources: Mapping[str, Any],
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    dagster_instance: DagsterInstance | None = None,
    verbose: bool = False,
) -> ExecuteInProcessResult:
    """Materialize ``assets`` in one run, for one partition or one (rectangular) key range."""
    config = dict(run_config or {})
    if not verbose:  # the command's own progress lines say what happens; Dagster's DEBUG is noise
        config.setdefault("loggers", {"console": {"config": {"log_level": "WARNING"}}})
    all_tags = dict(tags or {})
    if partition_range is not None:
        all_tags[PARTITION_RANGE_START_TAG], all_tags[PARTITION_RANGE_END_TAG] = partition_range
    return materialize(
        list(assets),
        instance=dagster_instance or instance(),
        resources=dict(resources),
        partition_key=partition_key,
        run_config=config or None,
        tags=all_tags,
        raise_on_error=False,
    )
