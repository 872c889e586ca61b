"""Running the project's assets in-process against the persistent Dagster instance.

The command line uses this so that its runs are ordinary Dagster runs: they show in the UI
(``dagster dev`` with the same ``DAGSTER_HOME``), with their partitions and metadata.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetsDefinition,
    DagsterInstance,
    DagsterRunStatus,
    ExecuteInProcessResult,
    RunsFilter,
    materialize,
)
from psycopg import conninfo

from assets.partition_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from resources import settings
from resources.database import bootstrap

__all__ = [
    "PARTITION_RANGE_END_TAG",
    "PARTITION_RANGE_START_TAG",
    "POOL_LIMITS",
    "instance",
    "run_assets",
]

log = logging.getLogger(__name__)


# Pools cap concurrent work per external system across all runs of this instance.
POOL_LIMITS = {"binance_futures_api": 2}


# Materializations of a multi-partition run are written to the event log in batches of this many
# (Dagster's own mechanism; only its PostgreSQL storage implements batch writes).
EVENT_BATCH_SIZE = "1000"


def _storage_config(database_url: str) -> dict[str, Any]:
    """Dagster's run and event storage in ``<database>_dagster`` on tickvault's own server."""
    params = conninfo.conninfo_to_dict(database_url)
    name = f"{params.get('dbname') or 'tickvault'}_dagster"
    bootstrap.ensure_database(conninfo.make_conninfo(database_url, dbname=name))
    db: dict[str, Any] = {
        "username": str(params.get("user") or getpass.getuser()),
        "hostname": str(params.get("host") or "127.0.0.1"),
        "port": int(params.get("port") or 5432),
        "db_name": name,
        # dagster-postgres is written for psycopg2; SQLAlchemy 2.1 would pick psycopg 3 for a
        # bare postgresql:// URL.
        "scheme": "postgresql+psycopg2",
        # Dagster commits every event on its own: waiting for each WAL flush made a run's
        # bookkeeping several times slower than its imports. Losing the last instant of the
        # event log in a machine crash is harmless; this is a session setting, not a server one.
        "params": {"options": "-c synchronous_commit=off"},
    }
    if params.get("password"):
        db["password"] = {"env": "PGPASSWORD"}  # never written to disk
    storage = {"postgres_db": db}
    return {
        "run_storage": {"module": "dagster_postgres.run_storage",
                        "class": "PostgresRunStorage", "config": storage},
        "schedule_storage": {"module": "dagster_postgres.schedule_storage",
                             "class": "PostgresScheduleStorage", "config": storage},
        "event_log_storage": {"module": "orchestration.storage",
                              "class": "PooledPostgresEventLogStorage", "config": storage},
    }


def _default_config(database_url: str) -> dict[str, Any]:
    return {
        "telemetry": {"enabled": False},
        **_storage_config(database_url),
        # Two cores: a few runs at once is plenty; more only contend for the database.
        "concurrency": {
            "runs": {"max_concurrent_runs": 4},
            "pools": {"granularity": "op", "default_limit": 4},
        },
    }


def write_instance_config(home: Path, database_url: str) -> Path:
    """``dagster.yaml`` for a new DAGSTER_HOME (an existing one is left as the user made it)."""
    path = home / "dagster.yaml"
    if not path.exists():
        path.write_text(
            "# Written by tickvault for a new DAGSTER_HOME; edit freely, it is not rewritten.\n"
            + yaml.safe_dump(_default_config(database_url), sort_keys=False)
        )
    return path


PID_TAG = "tickvault/pid"
HOST_TAG = "tickvault/host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def reap_dead_runs(inst: DagsterInstance) -> int:
    """Mark failed the in-process runs of this host whose command was killed, and free their
    pool slots: a run killed mid-way still holds its slots, and later runs would wait forever."""
    host = socket.gethostname()
    records = inst.get_run_records(RunsFilter(
        statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING], tags={HOST_TAG: host}))
    reaped = 0
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid <= 0 or pid == os.getpid() or _alive(pid):
            continue
        inst.report_run_failed(run, f"the command running it (pid {pid}) is gone")
        with suppress(NotImplementedError):
            inst.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped += 1
    return reaped


_opened: list[DagsterInstance] = []


def dispose() -> None:
    """Release the instances this process opened (their storage connections)."""
    while _opened:
        _opened.pop().dispose()


def instance(database_url: str | None = None) -> DagsterInstance:
    """The persistent instance in ``$DAGSTER_HOME`` (created with defaults if new)."""
    home = settings.dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
    if not (home / "dagster.yaml").exists():
        write_instance_config(home, database_url or bootstrap.resolve_url(None))
    inst = DagsterInstance.get()
    for pool, limit in POOL_LIMITS.items():
        try:
            if inst.event_log_storage.get_concurrency_info(pool).slot_count == 0:
                inst.event_log_storage.set_concurrency_slots(pool, limit)
        except NotImplementedError:  # storages without op concurrency support
            pass
    reap_dead_runs(inst)
    _opened.append(inst)
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
    # Who runs it: lets a later command recognize (and reap) this run if the process is killed.
    all_tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), **(tags or {})}
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
