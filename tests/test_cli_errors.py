"""What a new user sees when the configuration or the store is wrong: each entry point,
as a real process, exits promptly with one line on stderr that names the variable or
path and says what to do, and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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
