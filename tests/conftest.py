"""Shared fixtures: a private database per test session on the real PostgreSQL server, and a
private Dagster home and data directory.

``TICKVAULT_TEST_ADMIN_URL`` names a server and role allowed to create databases (default:
127.0.0.1:5432 as the current user). Each session gets ``tickvault_test_<pid>_<n>``, dropped at
the end, so parallel sessions and helpers never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo
from psycopg import sql as pgsql

ADMIN_URL = os.environ.get("TICKVAULT_TEST_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres")
FIXTURES = Path(__file__).parent / "fixtures"


def _create_database(prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    return conninfo.make_conninfo(ADMIN_URL, dbname=name)


def _drop_database(url: str) -> None:
    name = conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for database in (str(name), f"{name}_dagster"):  # the CLI's Dagster storage, if made
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(database)))


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point everything that reads the environment at private, throwaway places."""
    home = tmp_path_factory.mktemp("tickvault")
    url = _create_database("tickvault_test")
    saved = {k: os.environ.get(k) for k in
             ("TICKVAULT_DATABASE_URL", "TICKVAULT_DATA_DIR", "DAGSTER_HOME")}
    os.environ["TICKVAULT_DATABASE_URL"] = url
    os.environ["TICKVAULT_DATA_DIR"] = str(home / "data")
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    (home / "dagster_home").mkdir()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _drop_database(url)


@pytest.fixture(scope="session")
def database_url(_isolated_environment: None) -> str:
    return os.environ["TICKVAULT_DATABASE_URL"]


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    """An empty database of its own, for tests that need a clean slate."""
    url = _create_database("tickvault_fresh")
    try:
        yield url
    finally:
        _drop_database(url)


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    from resources.database import PostgresResource

    return PostgresResource(url=database_url)


@pytest.fixture
def admin_url() -> str:
    """A role on the test server that may create and drop databases."""
    return ADMIN_URL


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
