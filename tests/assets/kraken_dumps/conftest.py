from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dagster import DagsterInstance

from resources.database import PostgresResource
from resources.database.io_manager import MarketDataIOManager
from resources.kraken_dumps.resource import KrakenDumpDirectory


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as inst:
        yield inst


@pytest.fixture
def make_resources(fresh_database_url: str):  # type: ignore[no-untyped-def]
    def _make(directory: str) -> dict[str, Any]:
        database = PostgresResource(url=fresh_database_url)
        return {"database": database,
                "market_data_io_manager": MarketDataIOManager(database=database),
                "kraken_dump": KrakenDumpDirectory(directory=directory)}
    return _make
