"""The console: the same commands a Discord user types, answered as text, and the
`python -m bot` command line around it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog import NAMES
from bot.console import Console
from bot.store import Store
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parent.parent
BRIEFING = Path("briefing") / "kim-putin-vladivostok-2019.toml"
STATEMENT = (
    "\u201cThe United States is committed to working with interested parties, including "
    "Russia, on the robust and sustained implementation of U.N. sanctions in order to move "
    "forward with denuclearization,\u201d"
)


@pytest.fixture
def console(store: Store) -> Console:
    return Console(store, clock=lambda: FIXED_NOW)


def _flat(text: str) -> str:
    """The answer with line wrapping undone, to look for phrases that may wrap."""
    return " ".join(text.split())


def _assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert "Error:" not in text
    assert "something went wrong" not in text


async def test_who_kim(console: Console) -> None:
    reply = await console.answer("!who kim")
    _assert_no_traceback(reply)
    lines = reply.splitlines()
    assert lines[0] == "Kim Jong Un"
    assert lines[1] == "=" * len("Kim Jong Un")
    flat = _flat(reply)
    # Kinds stay labelled (by their section, the holder at the end), with the time a
    # 2019 source speaks for (FIXED_NOW is 2026): said once, since every cited line is
    # from that source (it used to be repeated on every line; issue 14).
    assert lines[3] == "Cited lines are as of April 2019."
    opinion = reply.split("The author's opinion (not established fact):")[1].split("\n\n")[0]
    assert opinion.count("  - ") >= 5 and "as of" not in opinion
    assert "— Analysts [7]" in flat
    assert "Citations:" in reply
    assert "Kim Jong Un turns to Putin ahead of the Vladivostok summit (title ours)" in reply
    # Opinion comes after reporting and is headed as opinion.
    assert reply.index("Key reported facts:") < reply.index(
        "The author's opinion (not established fact):"
    )


async def test_who_with_a_typo_suggests(console: Console) -> None:
    reply = await console.answer("!who putn")
    _assert_no_traceback(reply)
    assert reply.splitlines()[0] == "No entry for \u201cputn\u201d"
    assert "Did you mean: Vladimir Putin" in reply
    assert "Citations:" not in reply


async def test_sanctions(console: Console) -> None:
    reply = await console.answer("!sanctions")
    _assert_no_traceback(reply)
    assert reply.startswith("Sanctions on North Korea\n")
    flat = _flat(reply)
    assert "Stated positions (verbatim):" in reply
    assert "Cited lines are as of April 2019." in reply.splitlines()
    assert _flat(f"{STATEMENT} — U.S. State Department [1]") in flat
    positions = reply.index("Stated positions (verbatim):")
    opinion = reply.index("The author's opinion (not established fact):")
    assert positions < opinion
    # The author's opinions are in the opinion section, and only there.
    assert reply.index("The author was sure") > opinion
    assert reply.index("The author described the sanctions") > opinion


async def test_next_meeting(console: Console) -> None:
    reply = await console.answer("!next-meeting")
    _assert_no_traceback(reply)
    flat = _flat(reply)
    assert "No upcoming meeting" in flat
    assert "25 April 2019" in flat
    assert "past" in flat
    assert "Putin–Kim summit in Vladivostok" in flat
    assert "upcoming." not in flat


async def test_timeline(console: Console) -> None:
    reply = await console.answer("!timeline")
    _assert_no_traceback(reply)
    flat = _flat(reply)
    assert "27–28 February 2019" in flat
    assert "25 April 2019" in flat
    assert flat.index("Trump–Kim summit in Hanoi") < flat.index("Putin–Kim summit in Vladivostok")


async def test_search(console: Console) -> None:
    reply = await console.answer("!search sanctions")
    _assert_no_traceback(reply)
    assert reply.startswith("Search: sanctions\n")
    # The six live sanctions facts (facts 8 and 13 are withdrawn).
    assert "6 matches, most relevant first." in reply
    assert "Citations:" in reply


async def test_search_without_words(console: Console) -> None:
    reply = await console.answer("!search")
    assert reply == "Sorry: Search for something, e.g. `search sanctions`."


async def test_fact(console: Console) -> None:
    reply = await console.answer("!fact 12")
    _assert_no_traceback(reply)
    assert reply.startswith("Fact 12\n")
    assert "[quote] The U.S. State Department was quoted" in reply
    assert "Cited lines are as of April 2019." in reply.splitlines()
    assert "— U.S. State Department [1]" in _flat(reply)
    assert _flat(STATEMENT) in _flat(reply)
    assert "Verbatim from the source:" in reply


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!fact abc", "Sorry: Give a fact number, e.g. `fact 3`."),
        ("!fact", "Sorry: Give a fact number, e.g. `fact 3`."),
        ("!fact 9999", "Sorry: There is no fact 9999 in this server's briefing."),
        ("!fact 99999999999999999999", "Sorry: Give a fact number, e.g. `fact 3`."),
        ("!source x", "Sorry: Give a source number, e.g. `source 3`."),
    ],
)
async def test_bad_numbers_get_a_clear_message(console: Console, line: str, expected: str) -> None:
    reply = await console.answer(line)
    assert reply == expected
    _assert_no_traceback(reply)


async def test_sources(console: Console) -> None:
    reply = await console.answer("!sources")
    _assert_no_traceback(reply)
    assert "title ours" in reply
    assert "publisher: unknown" in reply
    assert "author: unknown" in reply
    assert "URL unknown" in reply


async def test_help_lists_every_command(console: Console) -> None:
    reply = await console.answer("!help")
    assert reply.splitlines()[0] == "Commands"
    listed = [line.split()[0] for line in reply.splitlines()[2:] if line.startswith("  !")]
    assert sorted(name.removeprefix("!") for name in listed) == sorted(NAMES)
    for name in NAMES:
        assert f"!{name}" in reply
    assert "Moderators change the briefing on Discord: source add, fact add" in reply


async def test_unknown_command_suggests_the_right_one(console: Console) -> None:
    reply = await console.answer("!nxt-meeting")
    assert reply == (
        "Sorry: there is no command `nxt-meeting`. Did you mean `!next-meeting`? Try `!help`."
    )


async def test_nonsense_command_gets_help_pointer(console: Console) -> None:
    reply = await console.answer("!qqqqqqqq")
    assert reply == "Sorry: there is no command `qqqqqqqq`. Try `!help`."


async def test_blank_line_is_ignored(console: Console) -> None:
    assert await console.answer("   ") == ""


async def test_commands_work_without_prefix_and_in_any_case(console: Console) -> None:
    assert (await console.answer("WHO kim")).splitlines()[0] == "Kim Jong Un"
    assert (await console.answer("/who kim")).splitlines()[0] == "Kim Jong Un"


# --- the command line ----------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "BRIEFING_DB"}}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_ask_one_question(tmp_path: Path) -> None:
    result = _run("--db", str(tmp_path / "ask.sqlite3"), "ask", "!who putin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Vladimir Putin"
    assert "Cited lines are as of April 2019." in result.stdout.splitlines()
    assert "Vladimir Putin: Russian President [1]" in result.stdout
    assert "Traceback" not in result.stderr


def test_console_reads_piped_lines_until_eof(tmp_path: Path) -> None:
    result = _run(
        "--db", str(tmp_path / "console.sqlite3"), "console", stdin="!who kim\n!sanctions\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Kim Jong Un\n===========" in result.stdout
    assert "Sanctions on North Korea\n========================" in result.stdout
    assert result.stdout.index("Kim Jong Un") < result.stdout.index("Sanctions on North Korea")
    assert "Traceback" not in result.stderr


def test_no_token_starts_the_console_with_a_hint(tmp_path: Path) -> None:
    result = _run("--db", str(tmp_path / "run.sqlite3"), stdin="!help\n")
    assert result.returncode == 0, result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert "local console" in result.stderr
    assert result.stdout.startswith("Commands\n")
    for name in NAMES:
        assert f"!{name}" in result.stdout


def test_build_refuses_tampered_data(tmp_path: Path, data_copy: Path) -> None:
    path = data_copy / BRIEFING
    text = path.read_text(encoding="utf-8")
    assert text.count("at = [291, 418]") == 1
    path.write_text(text.replace("at = [291, 418]", "at = [292, 419]"), encoding="utf-8")
    db = tmp_path / "refused.sqlite3"
    result = _run("--data", str(data_copy), "--db", str(db), "build")
    assert result.returncode == 1
    assert "fact 'analysts-global-force'" in result.stderr
    assert "do not point at the quote" in result.stderr
    assert "found at [291, 418]" in result.stderr
    assert "the store was not changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_build_then_check_on_good_data(tmp_path: Path) -> None:
    db = tmp_path / "built.sqlite3"
    result = _run("--db", str(db), "build")
    assert result.returncode == 0, result.stderr
    assert "0 updated, 0 unchanged" in result.stdout
    assert db.exists()
    check = _run("check")
    assert check.returncode == 0
    assert check.stdout.startswith("check passed: 1 source(s), 11 entities,")


# --- reading in a terminal (issue 10, section 6) ----------------------------------------

WIDE_ANSWERS = ["!fact 12", "!who kim", "!sources", "!search kim", "!about", "!help", "!help who"]


@pytest.mark.parametrize("width", [60, 100])
async def test_every_line_fits_the_width_given(store: Store, width: int) -> None:
    console = Console(store, clock=lambda: FIXED_NOW, width=width)
    for line in WIDE_ANSWERS:
        reply = await console.answer(line)
        too_long = [text for text in reply.splitlines() if len(text) > width]
        assert not too_long, (line, too_long)


async def test_the_width_is_the_terminals(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")  # what shutil.get_terminal_size reads first
    reply = await Console(store, clock=lambda: FIXED_NOW).answer("!fact 12")
    assert max(len(text) for text in reply.splitlines()) <= 70
    assert "Sources:" in reply and "URL unknown" in _flat(reply)


async def test_fact_shows_its_quote_once(console: Console) -> None:
    reply = await console.answer("!fact 12")
    assert _flat(reply).count("The United States is committed to working") == 1
    assert "Verbatim from the source:" in reply


async def test_about_says_1_source_not_1_sources(console: Console) -> None:
    reply = _flat(await console.answer("!about"))
    assert "1 source," in reply
    assert "1 sources" not in reply


async def test_help_for_one_command(console: Console) -> None:
    reply = await console.answer("!help who")
    assert reply.splitlines()[0] == "!who [name]"
    assert "e.g. !who putin" in reply
    assert "!sanctions" not in reply
    search = _flat(await console.answer("!help search"))
    assert "OR" in search and "NOT" in search and "page:2" in search
    assert (await console.answer("!help !fact")).splitlines()[0] == "!fact <id>"
    unknown = await console.answer("!help whom")
    assert unknown == "Sorry: there is no command `whom`. Did you mean `!who`? Try `!help`."


@pytest.mark.parametrize(
    ("line", "extra"),
    [("!fact 12 extra", "extra"), ("!source 1 2", "2"), ("!about now", "now")],
)
async def test_too_many_arguments_says_so(console: Console, line: str, extra: str) -> None:
    reply = await console.answer(line)
    assert reply.startswith(f"Sorry: too many arguments: “{extra}” is not needed."), reply
    assert "Usage: `!" in reply
