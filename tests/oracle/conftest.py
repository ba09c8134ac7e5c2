"""Fixtures for the oracle tests: a throwaway PostgreSQL cluster and SQLite files.

pg_url        session: a private cluster (initdb into a temp dir, unix socket in
              that dir + 127.0.0.1 on a free port); the `postgres` database.
pg_db_url     per test: an empty database in that cluster, emptied again after
              (PostgresCluster.lease_database).
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
        self.free_databases: list[str] = []
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
        with self.connect("postgres") as conn:
            conn.execute(sql)

    def connect(self, database: str):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True)

    # Creating a database costs the server 170-330 ms of CPU (CREATE DATABASE
    # copies template1's 7 MB of catalogs); emptying a used one, 10-20 ms. The
    # suites take about 3,000 databases a run, so a test gets a used one,
    # emptied, when there is one.

    def lease_database(self) -> str:
        """The name of an empty database, as fresh as a new one for the
        tests: no schema but the system ones and an empty `public`."""
        if self.free_databases:
            return self.free_databases.pop()
        name = f"case_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def release_database(self, name: str) -> None:
        """Empties the database for the next lease: ends its sessions, drops
        every schema but the system ones, and makes `public` again as initdb
        does. A database that does not come out as empty as a new one (an
        extension, a per-database setting) is dropped instead."""
        try:
            with self.connect(name) as conn:
                conn.execute(EMPTY_DATABASE)
                leftovers = conn.execute(NOT_AS_NEW).fetchone()[0]
        except Exception:  # noqa: BLE001 - a database that cannot be emptied is dropped
            leftovers = -1
        if leftovers == 0:
            self.free_databases.append(name)
        else:
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


EMPTY_DATABASE = r"""
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid();
DO $$
DECLARE
    schema name;
BEGIN
    FOR schema IN
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', schema);
    END LOOP;
END $$;
-- public as initdb makes it (PostgreSQL 15): owned by the database owner,
-- usable by everyone.
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""

# What a new database would not have: 0 when the database is as new.
NOT_AS_NEW = """
SELECT (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
     + (SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database())
     + (SELECT count(*) FROM pg_event_trigger)
     + (SELECT count(*) FROM pg_publication);
"""


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
    """An empty database for one test (fixtures reuse table names)."""
    name = pg_cluster.lease_database()
    yield pg_cluster.database_url(name)
    pg_cluster.release_database(name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'oracle.db'}"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "analyzer: compares with the sqla-analyzer binary (deselect with -m 'not analyzer')"
    )
