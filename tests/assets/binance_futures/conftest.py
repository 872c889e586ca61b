"""Fixtures for the Binance asset tests: a simulator on loopback, a fresh database, resources
pointing at both, and helpers running real materializations on an ephemeral instance.

(Test modules cannot import this file under ``--import-mode=importlib``: the helpers come as the
``kit`` fixture.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetsDefinition, DagsterInstance, ExecuteInProcessResult, materialize

import simulator
from assets.binance_futures import KLINE_SERIES, binance_futures_klines, kline_partition_key
from resources.binance_futures import BinanceFuturesResource
from resources.database import PostgresResource

NOW = "2024-05-01T12:00:30Z"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Kit:
    def __init__(self, sim: simulator.Simulator, database: PostgresResource,
                 instance: DagsterInstance, state: Path) -> None:
        self.sim = sim
        self.database = database
        self.instance = instance
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        (state / "empty.yaml").write_text("{}\n")  # no user config file leaks in

    utc = staticmethod(utc)

    def binance(self, **fields: Any) -> BinanceFuturesResource:
        """A resource on the simulator with fast retries; every one made by this kit shares
        one weight-budget file, like processes on one machine."""
        defaults: dict[str, Any] = {
            "base_url": self.sim.base_url, "state_dir": str(self.state),
            "backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0,
            "config_path": str(self.state / "empty.yaml"),
        }
        return BinanceFuturesResource(**{**defaults, **fields})

    def resources(self, **fields: Any) -> dict[str, Any]:
        return {"binance_futures": self.binance(**fields), "database": self.database}

    def run_klines(self, resources: dict[str, Any], series: Sequence[str], first_month: str,
                   last_month: str, **config: Any) -> ExecuteInProcessResult:
        """One run of the klines asset over [first_month, last_month] x series (a range)."""
        known = set(self.instance.get_dynamic_partitions(KLINE_SERIES.name or ""))
        new = [s for s in series if s not in known]
        if new:
            self.instance.add_dynamic_partitions(KLINE_SERIES.name or "", new)
        tags = {
            "dagster/asset_partition_range_start": str(kline_partition_key(series[0],
                                                                           first_month)),
            "dagster/asset_partition_range_end": str(kline_partition_key(series[-1],
                                                                         last_month)),
        }
        run_config = {"ops": {"binance_futures__klines": {"config": config}}} if config else None
        return materialize([binance_futures_klines], instance=self.instance,
                           resources=resources, tags=tags, run_config=run_config,
                           raise_on_error=False)

    def materialize(self, assets: AssetsDefinition | Sequence[AssetsDefinition],
                    resources: dict[str, Any], partition_key: str | None = None
                    ) -> ExecuteInProcessResult:
        chosen = list(assets) if isinstance(assets, Sequence) else [assets]
        return materialize(chosen, instance=self.instance, resources=resources,
                           partition_key=partition_key, raise_on_error=False)

    def query(self, text: str, *params: object) -> list[tuple[Any, ...]]:
        with self.database.connect() as conn:
            cursor = conn.execute(text, params)  # type: ignore[call-overload]
            return [tuple(row) for row in cursor] if cursor.description else []

    def count(self, table: str = "candles") -> int:
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608

    def expected_candles(self, start: str, end: str, interval_ms: int = 60_000) -> int:
        """Candles the simulator has opening in [start, end): all but those lying entirely
        inside a maintenance window (no trades at all)."""
        lo, hi = int(utc(start).timestamp() * 1000), int(utc(end).timestamp() * 1000)
        windows = self.sim.maintenance_windows(lo - interval_ms, hi + interval_ms)
        return sum(1 for t in range(lo, hi, interval_ms)
                   if not any(s <= t and t + interval_ms <= e for s, e in windows))

    @staticmethod
    def failure(result: ExecuteInProcessResult) -> str:
        texts = []
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE" and event.event_specific_data:
                error = event.event_specific_data.error
                while error is not None:
                    texts.append(error.message + "".join(error.stack))
                    error = error.cause
        return "\n".join(texts)

    @staticmethod
    def metadata(result: ExecuteInProcessResult, partition: str | None = None,
                 asset: AssetsDefinition | None = None) -> dict[str, Any]:
        for event in result.get_asset_materialization_events():
            if asset is not None and event.asset_key != asset.key:
                continue
            if partition is None or str(event.partition) == partition:
                materialization = event.materialization
                return {k: v.value for k, v in materialization.metadata.items()}
        raise AssertionError(f"no materialization of {partition}")

    def materialized(self, asset_key: Any) -> list[str]:
        """Partitions with a materialization in the instance (also those a failing step
        recorded for the partitions that succeeded)."""
        records = self.instance.fetch_materializations(asset_key, limit=10_000).records
        return sorted(str(r.event_log_entry.asset_materialization.partition)  # type: ignore[union-attr]
                      for r in records)

    def logs(self, result: ExecuteInProcessResult) -> str:
        """Everything the run logged, user messages included."""
        return "\n".join(entry.user_message for entry in self.instance.all_logs(result.run_id))


@pytest.fixture
def sim() -> Iterator[simulator.Simulator]:
    with simulator.serve(seed=42, now=NOW) as running:
        yield running


@pytest.fixture
def kit(sim: simulator.Simulator, fresh_database_url: str, tmp_path: Path) -> Iterator[Kit]:
    with DagsterInstance.ephemeral() as instance:
        yield Kit(sim, PostgresResource(url=fresh_database_url), instance, tmp_path / "state")
