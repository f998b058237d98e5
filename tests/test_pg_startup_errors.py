"""What an operator sees when BRIEFING_DB names a PostgreSQL store the bot cannot use: the
bot, as a real process (`python -m bot` with a token, and `ask`), stops within a few
seconds with exit status 2 and one line on stderr that names the database and what to
check, never the password and never a traceback.

The wrong password is tried against the tests' cluster, where one role (and only it)
must give a password: a line for it is put before the cluster's trust lines."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pgcluster

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "right-Pass-1"
WRONG = "s3cret-wrong"
# A few seconds: Python and the bot starting on a loaded box, then at most the driver's
# connect timeout for a server that never answers.
QUICK = 8.0
SILENT_LIMIT = 20.0


def run(db: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    env |= {
        "PYTHONIOENCODING": "utf-8",
        "BRIEFING_DB": db,
        "DISCORD_TOKEN": "a-token-for-a-bot-that-never-gets-to-connect",
        "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return result, time.monotonic() - started


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


ENTRY_POINTS = [(), ("ask", "!who kim")]


@pytest.fixture(scope="module")
def password_role(pg_cluster: pgcluster.Cluster) -> Iterator[str]:
    """A role that must log in with PASSWORD (scram), on this cluster; its name."""
    name = "needs_password"
    pgcluster.psql(pg_cluster, f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'")
    pgcluster.psql(pg_cluster, f"CREATE DATABASE {name} OWNER {name}")
    hba = pg_cluster.data / "pg_hba.conf"
    before = hba.read_text()
    hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + before)
    pgcluster.psql(pg_cluster, "SELECT pg_reload_conf()")
    try:
        yield name
    finally:
        hba.write_text(before)
        pgcluster.psql(pg_cluster, "SELECT pg_reload_conf()")
        pgcluster.drop_database(pg_cluster, name)
        pgcluster.psql(pg_cluster, f"DROP ROLE IF EXISTS {name}")


@pytest.mark.parametrize("args", ENTRY_POINTS, ids=["run", "ask"])
def test_a_wrong_password_stops_the_bot_in_one_line_without_it(
    pg_cluster: pgcluster.Cluster, password_role: str, args: tuple[str, ...]
) -> None:
    url = f"postgresql://{password_role}:{WRONG}@127.0.0.1:{pg_cluster.port}/{password_role}"
    result, took = run(url, *args)
    line = one_line(result)
    assert line.startswith(f"error: cannot open the store in database '{password_role}' on ")
    assert "password" in line or "user" in line, line
    assert WRONG not in result.stderr + result.stdout
    assert took < QUICK, f"took {took:.1f} s"


def test_the_right_password_is_let_in(pg_cluster: pgcluster.Cluster, password_role: str) -> None:
    """The check above can fail: with the right password the same role builds the store
    in its own database and answers, so the refusal was the password's."""
    url = f"postgresql://{password_role}:{PASSWORD}@127.0.0.1:{pg_cluster.port}/{password_role}"
    result, _ = run(url, "ask", "!who kim")
    assert result.returncode == 0, result.stderr
    assert "Kim Jong Un" in result.stdout
    assert PASSWORD not in result.stderr + result.stdout


@pytest.mark.parametrize("args", ENTRY_POINTS, ids=["run", "ask"])
@pytest.mark.parametrize("host", ["127.0.0.1:{free}", "no-such-host.invalid"])
def test_an_unreachable_server_stops_the_bot_in_one_line(
    pg_cluster: pgcluster.Cluster, host: str, args: tuple[str, ...]
) -> None:
    where = host.format(free=pgcluster._free_port())
    result, took = run(f"postgresql://bot:{WRONG}@{where}/briefing", *args)
    line = one_line(result)
    assert line.startswith("error: cannot open the store in database 'briefing' on "), line
    assert WRONG not in result.stderr + result.stdout
    assert took < QUICK, f"took {took:.1f} s"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server, or a
    firewall that lets the handshake through); its number."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_stops_the_bot_within_the_connect_timeout(
    pg_cluster: pgcluster.Cluster, silent_server: int
) -> None:
    result, took = run(f"postgresql://bot:{WRONG}@127.0.0.1:{silent_server}/briefing")
    line = one_line(result)
    assert line.startswith("error: cannot open the store in database 'briefing' on "), line
    assert WRONG not in result.stderr + result.stdout
    assert took < SILENT_LIMIT, f"took {took:.1f} s"


@pytest.mark.parametrize(
    "where", ["127.0.0.1:abc", "127.0.0.1:99999", "[::1"], ids=["word", "too-big", "bracket"]
)
def test_a_malformed_url_stops_the_bot_in_one_line_without_its_password(where: str) -> None:
    """An operator's typo in the host or port is a line saying what to check, not a
    driver's traceback (no cluster needed: nothing is ever reached)."""
    result, _ = run(f"postgresql://bot:{WRONG}@{where}/briefing", "ask", "!who kim")
    line = one_line(result)
    assert line.startswith("error: cannot open the store: "), line
    assert "port" in line and "host" in line, line
    assert WRONG not in result.stderr + result.stdout
