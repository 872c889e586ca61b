"""The resources shared by every component, built once."""

from __future__ import annotations

from resources.database import PostgresResource
from resources.database.io_manager import MarketDataIOManager
from resources.kraken_dumps.resource import KrakenDumpDirectory

database = PostgresResource()

SHARED = {
    "database": database,
    "market_data_io_manager": MarketDataIOManager(database=database),
    "kraken_dump": KrakenDumpDirectory(),
}
