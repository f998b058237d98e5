"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free port,
a unix socket beside the data, trust authentication, no fsync; stopped and removed at the
end of the session (or at exit, after a crash).

`Cluster.start()` returns None when PostgreSQL is not installed; callers skip then, unless
BRIEFING_TEST_POSTGRES=required (CI), when a missing PostgreSQL fails the tests instead.
initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

REQUIRED = os.environ.get("BRIEFING_TEST_POSTGRES", "") == "required"
USER = "briefing"  # the superuser initdb makes (trust auth: no password)


def bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: PATH, pg_config --bindir, Debian's folders
    (or only BRIEFING_TEST_PG_BIN, when set: how a test pretends PostgreSQL is missing)."""
    chosen = os.environ.get("BRIEFING_TEST_PG_BIN")
    if chosen is not None:
        return Path(chosen) if (Path(chosen) / "initdb").exists() else None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, check=True)
            folder = Path(out.stdout.decode().strip())
            if (folder / "initdb").exists():
                return folder
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self, bin_dir: Path, root: Path, port: int, run_as: str | None) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = port
        self.run_as = run_as
        self.running = False

    @classmethod
    def start(cls) -> Cluster | None:
        bin_dir = bindir()
        if bin_dir is None:
            return None
        root = Path(tempfile.mkdtemp(prefix="briefing-pg-"))
        run_as = "postgres" if os.geteuid() == 0 else None
        if run_as:
            entry = pwd.getpwnam(run_as)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bin_dir, root, _free_port(), run_as)
        atexit.register(cluster.stop)
        try:
            cluster._init_and_start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.decode(errors='replace')}")

    def _init_and_start(self) -> None:
        # Locale C: text sorts by code point, as SQLite's; UTF8 for every script.
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = f"-F -p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200 -c full_page_writes=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.running = True

    def url(self, database: str = "postgres") -> str:
        """A URL for `database` over TCP (as an operator would write one)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.running:
            self.running = False
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_counter = iter(range(1, 1_000_000))


def database_name(prefix: str = "t") -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


@contextlib.contextmanager
def session_cluster() -> Iterator[Cluster | None]:
    cluster = Cluster.start()
    try:
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()


def psql(cluster: Cluster, sql: str, database: str = "postgres") -> str:
    """Run one statement as the cluster's superuser (over its unix socket)."""
    command = [
        str(cluster.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
        "-h", str(cluster.root), "-p", str(cluster.port), "-U", USER, "-d", database, "-c", sql,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"psql failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def create_database(cluster: Cluster, template: str | None = None) -> str:
    """A new database (a copy of `template`, if given); its name."""
    name = database_name()
    psql(cluster, f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return name


def drop_database(cluster: Cluster, name: str) -> None:
    with contextlib.suppress(RuntimeError):
        psql(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Snapshot:
    """One database whose tables are put back as they were, for each test: faster than
    a new database a test (CREATE DATABASE takes half a second; this a few hundredths).
    The tables' rows are kept in a schema `kept` beside them; restoring ends any
    connection a test left open, empties the tables and copies the rows back."""

    def __init__(self, cluster: Cluster, database: str) -> None:
        self.cluster = cluster
        self.database = database
        tables = psql(
            cluster,
            "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            database,
        ).split()
        psql(
            cluster,
            "CREATE SCHEMA kept; "
            + " ".join(f"CREATE TABLE kept.{t} AS SELECT * FROM public.{t};" for t in tables),
            database,
        )
        identities = psql(
            cluster,
            "SELECT string_agg(table_name || '.' || column_name, ' ')"
            " FROM information_schema.columns"
            " WHERE table_schema = 'public' AND is_identity = 'YES'",
            database,
        ).split()
        renumber = " ".join(
            f"SELECT setval(pg_get_serial_sequence('{t}', '{c}'),"
            f" COALESCE((SELECT max({c}) FROM {t}), 0) + 1, false);"
            for t, c in (pair.split(".") for pair in identities)
        )
        self._restore = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid();"
            f" TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE;"
            " SET session_replication_role = replica;"  # the rows are consistent: no FK checks
            + " ".join(
                f"INSERT INTO public.{t} OVERRIDING SYSTEM VALUE SELECT * FROM kept.{t};"
                for t in tables
            )
            + renumber
        )

    def restore(self) -> None:
        psql(self.cluster, self._restore, self.database)
