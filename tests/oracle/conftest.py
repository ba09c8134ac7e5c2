"""Fixtures for the oracle tests: a throwaway PostgreSQL cluster and SQLite files.

pg_url        session: a private cluster (initdb into a temp dir, unix socket in
              that dir + 127.0.0.1 on a free port); the `postgres` database.
pg_db_url     per test: a fresh, empty database in that cluster, dropped after.
sqlite_url    per test: a SQLite file in tmp_path (harness.make_engine turns
              PRAGMA foreign_keys=ON on for it).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _pg_bindir() -> Path:
    candidates = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = initdb.parent.parent.name
        key = tuple(int(p) for p in re.findall(r"\d+", version)) or (0,)
        candidates.append((key, initdb.parent))
    if not candidates:
        pytest.fail(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
            "(scripts/test installs Debian's `postgresql` package)",
            pytrace=False,
        )
    return max(candidates)[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """initdb + pg_ctl in a temp dir; as root, runs them as the `postgres` user."""

    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        as_root = os.geteuid() == 0
        # as root the server runs as `postgres`, which must reach the directory: keep it in /tmp
        self.root = Path(tempfile.mkdtemp(prefix="sqla-pg-", dir="/tmp" if as_root else None))
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"
        self.port = _free_port()
        self.prefix: list[str] = []
        self.started = False
        if as_root:
            # initdb refuses to run as root: use the account the Debian package creates.
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root but there is no `postgres` system user", pytrace=False)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [*self.prefix, str(self.bindir / args[0]), *args[1:]]
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n--- server log\n{log}"
            )
        return proc

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self.started = True
        # Several test processes start clusters at once (scripts/test runs
        # the suites side by side): a port another one took between
        # _free_port() and the bind is retried with a new one.
        for attempt in range(5):
            options = (
                f"-k {self.root} -h 127.0.0.1 -p {self.port} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=50"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile),
                    "-o", options, "-w", "-t", "60", "start",
                )  # fmt: skip
                return
            except RuntimeError:
                log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
                if attempt == 4 or "could not bind" not in log:
                    raise
                self.port = _free_port()

    def stop(self) -> None:
        if self.started:
            self.started = False
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            except Exception as exc:  # noqa: BLE001 - best effort at teardown
                print(f"warning: could not stop PostgreSQL in {self.root}: {exc}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)


@pytest.fixture(scope="session")
def pg_cluster(request) -> PostgresCluster:
    cluster = PostgresCluster()
    atexit.register(cluster.stop)
    request.addfinalizer(cluster.stop)
    cluster.start()
    return cluster


@pytest.fixture(scope="session")
def pg_url(pg_cluster) -> str:
    """SQLAlchemy URL of the throwaway cluster's `postgres` database."""
    return pg_cluster.url


@pytest.fixture
def pg_db_url(pg_cluster) -> str:
    """A fresh empty database for one test (fixtures reuse table names)."""
    name = f"case_{uuid.uuid4().hex[:12]}"
    pg_cluster.admin(f'CREATE DATABASE "{name}"')
    yield pg_cluster.database_url(name)
    pg_cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'oracle.db'}"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "analyzer: compares with the sqla-analyzer binary (deselect with -m 'not analyzer')"
    )
