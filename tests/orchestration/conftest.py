"""What the command-line tests share: the environment a user's shell would give ``tickvault``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, fresh_database_url: str) -> dict[str, str]:
    """A fresh database, Dagster home and data directory of the test's own."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    return {**os.environ, "TICKVAULT_DATABASE_URL": fresh_database_url,
            "DAGSTER_HOME": str(home), "TICKVAULT_DATA_DIR": str(tmp_path / "data")}


class Tickvault:
    """``tickvault`` as a user's shell runs it: a fresh process, output captured."""

    command = [sys.executable, "-m", "orchestration.cli"]

    def __call__(self, env: dict[str, str], *args: str, check: bool = True
                 ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*self.command, *args], env=env, capture_output=True,
                                text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def tickvault() -> Tickvault:
    """Runs the command line; fails the test on a non-zero exit unless ``check=False``."""
    return Tickvault()
