"""Migrations: ordered, idempotent, mode chosen once; TimescaleDB variants where they exist."""

from __future__ import annotations

import psycopg

import sql
from resources.database.migrate import chosen_files, migrate


def test_timescaledb_mode_uses_the_hypertable_variants():
    plain = dict((v, text) for v, _, text in chosen_files("postgresql"))
    tsdb = dict((v, text) for v, _, text in chosen_files("timescaledb"))
    assert list(plain) == sorted(plain)  # applied in version order
    assert "create_hypertable('trades'" in tsdb["0003"]
    assert "PARTITION BY LIST" in plain["0003"] and "create_hypertable" not in plain["0003"]
    for version, text in tsdb.items():
        if "create_hypertable" in text:  # compression segmented by instrument, with a policy
            assert "compress_segmentby" in text and "add_compression_policy" in text, version
    variants = {v for v, _, _, variant in sql.migrations() if variant}
    assert {"0002", "0003"} <= variants


def test_migrate_is_idempotent_and_records_the_mode(fresh_database_url):
    with psycopg.connect(fresh_database_url) as conn:
        first = migrate(conn)
        second = migrate(conn)
        mode = conn.execute("SELECT value FROM tickvault_settings "
                            "WHERE key = 'storage_mode'").fetchone()
    assert first.mode == "postgresql" and len(first.applied) == len(sql.migrations())
    assert second.applied == []
    assert mode == ("postgresql",)


def test_concurrent_migrations_do_not_collide(fresh_database_url):
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(fresh_database_url) as conn:
                migrate(conn)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_creating_the_database_from_many_processes_at_once(tmp_path, admin_url):
    import concurrent.futures

    from psycopg import conninfo
    from psycopg import sql as pgsql

    from resources.database.bootstrap import ensure_database
    name = f"tickvault_race_{tmp_path.name[-8:].replace('-', '_')}"
    url = conninfo.make_conninfo(admin_url, dbname=name)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(ensure_database, url) for _ in range(4)]:
                future.result()
        psycopg.connect(url).close()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))
