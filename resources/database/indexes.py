"""``--drop-indexes``: secondary indexes off during a bulk import, rebuilt after.

Only indexes that back no constraint are dropped: primary keys make every import idempotent and
stay. tickvault's own tables have no secondary indexes (trades load into new, unindexed
partitions anyway); this is for indexes users add for their queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from psycopg import sql as pgsql

import sql
from resources.database.resource import PostgresResource

__all__ = ["secondary_indexes_dropped"]


@contextmanager
def secondary_indexes_dropped(
    database: PostgresResource, tables: Sequence[str], *, enabled: bool,
    log: Callable[[str], None],
) -> Iterator[list[str]]:
    if not enabled:
        yield []
        return
    with database.connect() as conn:
        found = [(str(name), str(definition)) for name, definition in conn.execute(
            sql.load("select_secondary_indexes"), {"tables": list(tables)})]
        for name, _ in found:
            conn.execute(pgsql.SQL("DROP INDEX {}").format(pgsql.Identifier(name)))
    log(f"--drop-indexes: dropped {len(found)} secondary index(es) on {', '.join(tables)}"
        + (f": {', '.join(n for n, _ in found)}" if found else " (keys are kept)"))
    try:
        yield [name for name, _ in found]
    finally:
        with database.connect() as conn:
            for name, definition in found:
                # the server's own pg_get_indexdef() text, captured above: not user input
                conn.execute(definition.encode())
                log(f"--drop-indexes: rebuilt {name}")
