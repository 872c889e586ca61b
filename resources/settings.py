"""Where tickvault keeps its local state. Read at call time, never at import time."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "TICKVAULT_DATA_DIR"
DATABASE_URL_ENV = "TICKVAULT_DATABASE_URL"
DEFAULT_DATABASE = "tickvault"
LOCAL_PORT_ENV = "TICKVAULT_LOCAL_PGPORT"  # where the default URL looks; tests point it elsewhere


def local_database() -> dict[str, str]:
    """Connection parameters of the default database, used when ``$TICKVAULT_DATABASE_URL`` is
    unset: PostgreSQL on 127.0.0.1 (port ``$TICKVAULT_LOCAL_PGPORT``, else 5432), database
    ``tickvault``, as ``$PGUSER`` or else the current user."""
    import getpass

    port = int(os.environ.get(LOCAL_PORT_ENV, "5432"))
    user = os.environ.get("PGUSER") or getpass.getuser()
    return {"host": "127.0.0.1", "port": str(port), "dbname": DEFAULT_DATABASE, "user": user}


def project_root() -> Path | None:
    """The source checkout this code runs from, if it runs from one (an editable install)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "workspace.yaml").is_file():
        return root
    return None


def data_dir() -> Path:
    """``$TICKVAULT_DATA_DIR``, else ``.tickvault/`` in the checkout, else ``~/.local/share``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        path = Path(configured).expanduser()
    elif (root := project_root()) is not None:
        path = root / ".tickvault"
    else:
        path = Path.home() / ".local" / "share" / "tickvault"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def dagster_home() -> Path:
    """``$DAGSTER_HOME``, else ``<data dir>/dagster_home``."""
    configured = os.environ.get("DAGSTER_HOME")
    path = Path(configured).expanduser() if configured else data_dir() / "dagster_home"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
