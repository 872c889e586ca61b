"""Finding a database: the private cluster when no server answers, a clear error without one."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest

from resources.database import bootstrap


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unset_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKVAULT_DATABASE_URL", raising=False)
    monkeypatch.setenv(bootstrap.LOCAL_PORT_ENV, str(_free_port()))  # nothing answers there


def test_without_a_server_or_binaries_the_error_says_what_to_install(unset_url, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("TICKVAULT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(bootstrap, "_server_bindir", lambda: None)
    with pytest.raises(bootstrap.DatabaseUnavailable) as info:
        bootstrap.resolve_url(None)
    assert "apt-get install postgresql" in str(info.value)
    assert "TICKVAULT_DATABASE_URL" in str(info.value)


def test_without_a_server_a_private_cluster_is_started_and_reused(unset_url, monkeypatch):
    # The cluster may run as the 'postgres' account: its directory must be reachable by it.
    root = Path(tempfile.mkdtemp(prefix="tickvault-cluster-", dir="/tmp"))
    os.chmod(root, 0o755)
    monkeypatch.setenv("TICKVAULT_DATA_DIR", str(root))
    cluster = bootstrap.PrivateCluster(root / "postgres")
    try:
        url = bootstrap.resolve_url(None)
        assert url == cluster.url()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("tickvault",)
        assert bootstrap.resolve_url(None) == url  # running already: the same cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
