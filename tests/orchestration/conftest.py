"""What the command-line tests share: the environment a user's shell would give ``tickvault``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, fresh_database_url: str) -> dict[str, str]:
    """A fresh database, Dagster home and data directory of the test's own."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    return {**os.environ, "TICKVAULT_DATABASE_URL": fresh_database_url,
            "DAGSTER_HOME": str(home), "TICKVAULT_DATA_DIR": str(tmp_path / "data")}
