"""What a new user sees when the configuration or the store is wrong: each entry point,
as a real process, exits promptly with one line on stderr that names the variable or
path and says what to do, and never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Long enough for a loaded machine to start Python; a hang (the old failure) never ends.
HANG = 20.0
ENTRY_POINTS = [("ask", "!who kim"), ("console",), ("build",), ("export",), ()]


def run(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    dotenv: str | bytes | None = None,
    stdin: str = "",
) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -m bot ARGS` with its working directory in tmp_path (where a `.env` is
    read from); the result and how long it took."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    base |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", **(env or {})}
    if isinstance(dotenv, bytes):
        (tmp_path / ".env").write_bytes(dotenv)
    elif dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    if "export" in args:
        args = (*args, "--out", str(tmp_path / "exported"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG,
        check=False,
    )
    return result, time.monotonic() - started


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """stderr, which must be a single line and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_bad_log_level_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    db = str(tmp_path / "store.sqlite3")
    if where == "environment":
        result, _ = run(tmp_path, "--db", db, "ask", "!who kim", env={"BRIEFING_LOG_LEVEL": "LOUD"})
    else:
        result, _ = run(tmp_path, "--db", db, "ask", "!who kim", dotenv="BRIEFING_LOG_LEVEL=LOUD\n")
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("error: BRIEFING_LOG_LEVEL must be one of DEBUG, INFO, WARNING"), line
    assert not Path(db).exists()


def test_bad_owner_ids_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite3")
    result, _ = run(tmp_path, "--db", db, "build", env={"BRIEFING_OWNER_IDS": "12, alice"})
    assert result.returncode == 2
    assert one_line(result) == (
        "error: BRIEFING_OWNER_IDS must be user ids separated by commas; 'alice' is not one"
    )
    assert not Path(db).exists()


def test_a_non_utf8_dotenv_is_one_line_naming_it_and_exit_2(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "check", dotenv=b"BRIEFING_PREFIX=\xff\xfe?\n")
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"error: {tmp_path / '.env'} is not UTF-8 text"), line


def test_a_malformed_dotenv_line_is_one_line_naming_it_and_exit_2(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "check", dotenv='# settings\nDISCORD_TOKEN="abc\n')
    assert result.returncode == 2
    assert one_line(result) == f'error: {tmp_path / ".env"} line 2: the closing " is missing'


def test_the_log_level_in_dotenv_applies_to_the_console(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite3")
    result, _ = run(tmp_path, "--db", db, "ask", "!who kim", dotenv="BRIEFING_LOG_LEVEL=INFO\n")
    assert result.returncode == 0, result.stderr
    assert " INFO    bot.build: store built from " in result.stderr, result.stderr


def test_the_console_keeps_the_log_to_warnings_by_default(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite3")
    result, _ = run(tmp_path, "--db", db, "ask", "!who kim")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_comment_after_a_value_in_dotenv_is_not_part_of_it(tmp_path: Path) -> None:
    """`BRIEFING_PREFIX=? # comment` once made the prefix `? # comment`."""
    db = str(tmp_path / "store.sqlite3")
    dotenv = 'BRIEFING_PREFIX="?"  # question mark\nBRIEFING_DB=' + db + "  # my store\n"
    result, _ = run(tmp_path, "console", dotenv=dotenv, stdin="?who kim\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Kim Jong Un\n"), result.stdout
    assert Path(db).exists()


# --- the store -------------------------------------------------------------------------------

# A plausible token: the bot with a store it cannot use must stop before it connects.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.store-errors-test-token-value"
# Nothing listens here (the discard port): if the bot tried to connect, it would fail
# differently, so the store's message can only come from checking the store first.
NOWHERE = "http://127.0.0.1:9/api/v10"


def entry_args(entry: tuple[str, ...], db: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """Arguments and environment for an entry point; `("bot",)` is the bot with a token."""
    if entry == ("bot",):
        return (), {"BRIEFING_DB": str(db), "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": NOWHERE}
    return ("--db", str(db), *entry), {}


ALL_ENTRIES = [*ENTRY_POINTS, ("bot",)]
ENTRY_IDS = ["ask", "console", "build", "export", "console-without-token", "bot"]


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=ENTRY_IDS)
def test_a_damaged_store_is_one_line_and_a_prompt_exit(
    tmp_path: Path, entry: tuple[str, ...]
) -> None:
    db = tmp_path / "store.sqlite3"
    db.write_bytes(b"this is not a database\n" * 100)
    args, env = entry_args(entry, db)
    result, took = run(tmp_path, *args, env=env, stdin="!who kim\n")
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: {db} is not a usable SQLite store"), line
    assert "move it aside" in line
    assert took < 2.0, f"took {took:.2f}s"
    assert result.stdout == ""


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=ENTRY_IDS)
def test_a_store_path_that_cannot_be_created_is_one_line_and_exit_2(
    tmp_path: Path, entry: tuple[str, ...]
) -> None:
    (tmp_path / "notes.txt").write_text("a file where a folder should be")
    db = tmp_path / "notes.txt" / "store.sqlite3"
    args, env = entry_args(entry, db)
    result, took = run(tmp_path, *args, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: cannot create the store at {db}: "), line
    assert "BRIEFING_DB" in line
    assert took < 2.0, f"took {took:.2f}s"


# --- read-only -------------------------------------------------------------------------------


def unprivileged() -> tuple[str, ...]:
    """A wrapper under which the process is subject to file modes. Root ignores them, so
    as root it runs without the capabilities that let it (setpriv drops them)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a 0555 folder would still be writable")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A built store, closed cleanly (no -wal or -shm left), in a folder of mode 0555."""
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "store.sqlite3"
    built, _ = run(tmp_path, "--db", str(db), "build")
    assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["store.sqlite3"]
    folder.chmod(0o555)
    yield db
    folder.chmod(0o755)


def run_unprivileged(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    base |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*unprivileged(), sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG,
        check=False,
    )


READ_ONLY_LINE = "is read-only: answering from it; changes cannot be saved"


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
def test_the_wrapper_really_cannot_write_the_read_only_folder(
    tmp_path: Path, read_only_store: Path
) -> None:
    """The tests below mean something only if the process is refused the folder."""
    probe = read_only_store.parent / "probe"
    script = f"open({str(probe)!r}, 'w')"
    result = subprocess.run(
        [*unprivileged(), sys.executable, "-c", script], capture_output=True, text=True
    )
    assert "PermissionError" in result.stderr
    assert not probe.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
@pytest.mark.parametrize("entry", [("ask", "!who kim"), ("console",)], ids=["ask", "console"])
def test_a_store_in_a_read_only_folder_answers_and_says_writes_are_off(
    tmp_path: Path, read_only_store: Path, entry: tuple[str, ...]
) -> None:
    result = run_unprivileged(tmp_path, "--db", str(read_only_store), *entry, stdin="!who kim\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("Kim Jong Un\n"), result.stdout
    line = one_line(result)
    assert f"{read_only_store} {READ_ONLY_LINE}" in line, line
    assert sorted(p.name for p in read_only_store.parent.iterdir()) == ["store.sqlite3"]


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
def test_a_store_in_a_read_only_folder_exports(tmp_path: Path, read_only_store: Path) -> None:
    out = tmp_path / "exported"
    result = run_unprivileged(tmp_path, "--db", str(read_only_store), "export", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"exported shared rows to {out}: 1 source(s)"), result.stdout
    assert READ_ONLY_LINE in one_line(result)


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
def test_building_a_store_in_a_read_only_folder_is_refused_in_one_line(
    tmp_path: Path, read_only_store: Path
) -> None:
    result = run_unprivileged(tmp_path, "--db", str(read_only_store), "build")
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: {read_only_store} is read-only, so it cannot be built"), line


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
def test_a_new_store_in_a_read_only_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    db = folder / "store.sqlite3"
    result = run_unprivileged(tmp_path, "--db", str(db), "ask", "!who kim")
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: cannot create the store at {db}: "), line
    assert "BRIEFING_DB" in line


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
def test_a_damaged_store_in_a_read_only_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "store.sqlite3"
    db.write_bytes(b"this is not a database\n" * 100)
    folder.chmod(0o555)
    try:
        started = time.monotonic()
        result = run_unprivileged(tmp_path, "--db", str(db), "ask", "!who kim")
        took = time.monotonic() - started
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: {db} is not a usable SQLite store"), line
    assert took < 2.0, f"took {took:.2f}s"


def test_a_store_damaged_inside_answers_clearly_and_tells_the_operator(tmp_path: Path) -> None:
    """The header is sound, so it opens; 20 pages further on are overwritten."""
    db = tmp_path / "store.sqlite3"
    built, _ = run(tmp_path, "--db", str(db), "build")
    assert built.returncode == 0, built.stderr
    with db.open("r+b") as file:
        file.seek(4096 * 3)
        file.write(b"\xff" * 4096 * 20)
    result, _ = run(tmp_path, "--db", str(db), "ask", "!sanctions")
    assert result.stdout.strip() == (
        "Sorry: The fact store is damaged, so this cannot be answered; the bot's log says more."
    )
    line = one_line(result)
    assert f"{db} is damaged (database disk image is malformed): stop the bot, move it" in line
