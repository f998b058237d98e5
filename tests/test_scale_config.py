"""Sharding and slash-only settings: BRIEFING_SHARD_COUNT, BRIEFING_SHARD_IDS and
BRIEFING_MESSAGE_COMMANDS are checked like every other variable (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import BadInput
from tests.test_cli_errors import one_line, run

NO_DOTENV = Path("/nonexistent")


def config(**environ: str) -> Config:
    return Config.from_env(environ=environ, dotenv=NO_DOTENV)


def test_by_default_discord_picks_the_shard_count_and_this_process_runs_all() -> None:
    chosen = config()
    assert (chosen.shard_count, chosen.shard_ids, chosen.message_commands) == (None, None, True)


@pytest.mark.parametrize(
    ("text", "ids"),
    [("0-3", (0, 1, 2, 3)), ("0,2", (0, 2)), ("0-1, 3", (0, 1, 3)), ("2", (2,)), ("1,1", (1,))],
)
def test_shard_ids_by_ranges_and_commas(text: str, ids: tuple[int, ...]) -> None:
    chosen = config(BRIEFING_SHARD_COUNT="4", BRIEFING_SHARD_IDS=text)
    assert (chosen.shard_count, chosen.shard_ids) == (4, ids)


@pytest.mark.parametrize("value", ["0", "-1", "four", "1.5", "10001"])
def test_a_bad_shard_count_names_the_variable(value: str) -> None:
    with pytest.raises(BadInput) as raised:
        config(BRIEFING_SHARD_COUNT=value)
    assert str(raised.value).startswith("BRIEFING_SHARD_COUNT must be a whole number from 1")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("4", "BRIEFING_SHARD_IDS: '4' is not within shards 0 to 3"),
        ("2-9", "BRIEFING_SHARD_IDS: '2-9' is not within shards 0 to 3"),
        ("3-1", "BRIEFING_SHARD_IDS: '3-1' is not within shards 0 to 3"),
        ("a", "BRIEFING_SHARD_IDS must be shard numbers or ranges"),
        ("0-", "BRIEFING_SHARD_IDS must be shard numbers or ranges"),
        ("0,,1", "BRIEFING_SHARD_IDS must be shard numbers or ranges"),
        ("-1", "BRIEFING_SHARD_IDS must be shard numbers or ranges"),
    ],
)
def test_bad_shard_ids_name_the_variable(value: str, says: str) -> None:
    with pytest.raises(BadInput) as raised:
        config(BRIEFING_SHARD_COUNT="4", BRIEFING_SHARD_IDS=value)
    assert str(raised.value).startswith(says)


def test_shard_ids_without_a_count_are_refused() -> None:
    with pytest.raises(BadInput) as raised:
        config(BRIEFING_SHARD_IDS="0-1")
    assert str(raised.value).startswith("BRIEFING_SHARD_IDS needs BRIEFING_SHARD_COUNT")


@pytest.mark.parametrize(
    ("value", "on"), [("off", False), ("OFF", False), ("0", False), ("on", True)]
)
def test_message_commands_switch(value: str, on: bool) -> None:
    assert config(BRIEFING_MESSAGE_COMMANDS=value).message_commands is on


def test_a_bad_message_commands_value_names_the_variable() -> None:
    with pytest.raises(BadInput) as raised:
        config(BRIEFING_MESSAGE_COMMANDS="sometimes")
    assert str(raised.value) == "BRIEFING_MESSAGE_COMMANDS must be on or off; not 'sometimes'"


def test_bad_shard_ids_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite3")
    env = {"BRIEFING_SHARD_COUNT": "4", "BRIEFING_SHARD_IDS": "3-5", "DISCORD_TOKEN": "x"}
    result, _ = run(tmp_path, "--db", db, env=env)
    assert result.returncode == 2
    assert one_line(result) == (
        "error: BRIEFING_SHARD_IDS: '3-5' is not within shards 0 to 3 (BRIEFING_SHARD_COUNT is 4)"
    )
    assert not Path(db).exists()


@pytest.mark.parametrize("url", ["postgresql://bot@db/briefing", "postgres://bot:pw@db:5433/x"])
def test_a_postgresql_url_selects_postgresql_and_is_kept_as_text(url: str) -> None:
    chosen = config(BRIEFING_DB=url)
    assert chosen.db_path == url
    assert "pw" not in repr(chosen)


@pytest.mark.parametrize("url", ["sqlite:///a", "mysql://bot@db/briefing"])
def test_another_database_url_is_refused_in_words_not_made_into_folders(url: str) -> None:
    with pytest.raises(BadInput) as raised:
        config(BRIEFING_DB=url)
    assert str(raised.value).startswith(
        "BRIEFING_DB must be the path of a SQLite file or a postgresql:// URL; "
    )
    assert "not supported" in str(raised.value)


def test_an_unreachable_postgresql_is_one_line_and_exit_2_and_makes_nothing(
    tmp_path: Path,
) -> None:
    """Nothing listens on port 9: the line names the host and database, never the password."""
    url = "postgresql://bot:s3cret-pw@127.0.0.1:9/briefing"
    result, _ = run(tmp_path, "build", env={"BRIEFING_DB": url})
    assert result.returncode == 2
    assert one_line(result) == (
        "error: cannot open the store in database 'briefing' on 127.0.0.1:9: cannot connect "
        "(is PostgreSQL running there, and the port right?)"
    )
    assert "s3cret" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_plain_path_with_a_colon_is_still_a_path() -> None:
    assert config(BRIEFING_DB="var/a:b.sqlite3").db_path == Path("var/a:b.sqlite3")
