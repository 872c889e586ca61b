"""PostgreSQL/TimescaleDB: connection, migrations, and the bulk write path."""

from resources.database.resource import PostgresResource, StorageMode

__all__ = ["PostgresResource", "StorageMode"]
