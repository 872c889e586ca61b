"""Find a PostgreSQL server and database to use, creating what is missing.

With ``TICKVAULT_DATABASE_URL`` set, that URL is used as given (its database is created if
missing). Unset: PostgreSQL on 127.0.0.1:5432, database ``tickvault``. If nothing answers there, a
private cluster is initialised and started under the data directory with the PostgreSQL server
binaries found on this machine; without any, a clear error says what to install.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from resources import settings

log = logging.getLogger(__name__)

DEFAULT_DATABASE = settings.DEFAULT_DATABASE
LOCAL_PORT_ENV = settings.LOCAL_PORT_ENV
PRIVATE_USER = "tickvault"


class DatabaseUnavailable(RuntimeError):
    """No usable PostgreSQL: the message says what to do."""


def default_url() -> str:
    return conninfo.make_conninfo(**settings.local_database())


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_database(url: str) -> None:
    """Create the URL's database if the server has none by that name."""
    try:
        psycopg.connect(url, connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    params = conninfo.conninfo_to_dict(url)
    dbname = str(params.get("dbname") or DEFAULT_DATABASE)
    for maintenance in ("postgres", "template1"):
        admin = conninfo.make_conninfo(url, dbname=maintenance)
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                    log.info("created database %s", dbname)
                except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                    # Two processes creating it at once: the loser sees a duplicate (or, mid-
                    # race, a unique violation on pg_database). Fine only if it now exists.
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                          (dbname,)).fetchone()
                    if exists is None:
                        raise
            return
        except psycopg.OperationalError:
            continue
    raise DatabaseUnavailable(f"database {dbname!r} does not exist and could not be created")


def resolve_url(explicit: str | None) -> str:
    """The URL to use, with its server running and its database present."""
    url = explicit or os.environ.get(settings.DATABASE_URL_ENV)
    if url:
        ensure_database(url)
        return url
    url = default_url()
    params = conninfo.conninfo_to_dict(url)
    host, port = str(params["host"]), int(params["port"] or 5432)
    if _answers(host, port):
        try:
            ensure_database(url)
            return url
        except psycopg.OperationalError as exc:
            refusal = str(exc).strip().splitlines()[0]
        # A stock Debian server answers but only lets its own roles in (peer/scram): rather than
        # fail a first run, use tickvault's own cluster, and say how to use the server instead.
        log.warning(
            "PostgreSQL at %s:%d answered but refused us (%s). Using tickvault's private "
            "cluster instead. To use that server, set %s (e.g. postgresql://user:password@"
            "127.0.0.1:5432/tickvault) or give your OS user a role: "
            "sudo -u postgres createuser --superuser %s",
            host, port, refusal, settings.DATABASE_URL_ENV, params["user"])
    return PrivateCluster(settings.data_dir() / "postgres").ensure_running()


def _server_bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    def _version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version,
                                           reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PrivateCluster:
    """A PostgreSQL cluster owned by tickvault, under ``<data dir>/postgres``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pgdata = root / "data"
        self.sockets = root / "run"
        self.logfile = root / "server.log"
        self.port_file = root / "port"

    def _run_as(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        # PostgreSQL refuses to run as root; use the system's postgres account for the cluster.
        for name in ("postgres", "nobody"):
            try:
                account = pwd.getpwnam(name)
            except KeyError:
                continue
            for path in (self.root, self.pgdata, self.sockets):
                path.mkdir(parents=True, exist_ok=True)
                os.chown(path, account.pw_uid, account.pw_gid)
            self.logfile.touch()
            os.chown(self.logfile, account.pw_uid, account.pw_gid)
            return ["runuser", "-u", name, "--"]
        raise DatabaseUnavailable("running as root and no 'postgres' account to run PostgreSQL as")

    def _port(self) -> int:
        if self.port_file.is_file():
            return int(self.port_file.read_text().strip())
        with socket.socket() as probe:
            for port in range(55432, 55532):
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    self.port_file.write_text(str(port))
                    return port
        raise DatabaseUnavailable("no free port in 55432-55531 for the private PostgreSQL cluster")

    def url(self) -> str:
        return conninfo.make_conninfo(host="127.0.0.1", port=self._port(), dbname=DEFAULT_DATABASE,
                                      user=PRIVATE_USER)

    def ensure_running(self) -> str:
        bindir = _server_bindir()
        if bindir is None:
            raise DatabaseUnavailable(
                "No PostgreSQL server answers on 127.0.0.1:5432 and no PostgreSQL server binaries "
                "(initdb, pg_ctl) were found to start a private one. Install PostgreSQL "
                "(Debian/Ubuntu: sudo apt-get install postgresql; add TimescaleDB if you want "
                f"hypertables), or set {settings.DATABASE_URL_ENV} to an existing server."
            )
        self.root.mkdir(parents=True, exist_ok=True)
        prefix = self._run_as()
        port = self._port()
        if not (self.pgdata / "PG_VERSION").is_file():
            log.warning("no PostgreSQL answers on 127.0.0.1:5432; initialising a private cluster "
                        "in %s", self.pgdata)
            subprocess.run(
                [*prefix, str(bindir / "initdb"), "-D", str(self.pgdata), "-U", PRIVATE_USER,
                 "-A", "trust", "-E", "UTF8", "--locale", "C.UTF-8"],
                check=True, capture_output=True, text=True,
            )
        status = subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(self.pgdata), "status"],
                                capture_output=True, text=True, check=False)
        if status.returncode != 0:
            log.warning("starting tickvault's private PostgreSQL cluster (%s) on 127.0.0.1:%d",
                        self.pgdata, port)
            options = f"-p {port} -k {self.sockets} -c listen_addresses=127.0.0.1"
            result = subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.logfile),
                 "-o", options, "-w", "-t", "60", "start"],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise DatabaseUnavailable(
                    f"could not start the private PostgreSQL cluster: {result.stderr.strip()} "
                    f"(see {self.logfile}; its last lines: {self._log_tail()!r})"
                )
        url = self.url()
        ensure_database(url)
        return url

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " / ".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        bindir = _server_bindir()
        if bindir is None or not (self.pgdata / "PG_VERSION").is_file():
            return
        subprocess.run([*self._run_as(), str(bindir / "pg_ctl"), "-D", str(self.pgdata), "-m",
                        "fast", "-w", "stop"], capture_output=True, check=False)
