"""PostgreSQL/TimescaleDB: connection, migrations, and the bulk write path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resources.database.resource import PostgresResource, StorageMode

__all__ = ["PostgresResource", "StorageMode"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the resource imports Dagster, which the command line's fast paths
    # (and the light modules of this package) must not pay for.
    if name in __all__:
        from resources.database import resource

        return getattr(resource, name)
    raise AttributeError(name)
