"""Configuration: `.env` conventions, validation of every variable, the log level."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import BadInput


def config_from(tmp_path: Path, dotenv: str | bytes, **environ: str) -> Config:
    path = tmp_path / ".env"
    if isinstance(dotenv, bytes):
        path.write_bytes(dotenv)
    else:
        path.write_text(dotenv, encoding="utf-8")
    return Config.from_env(environ=environ, dotenv=path)


# --- .env conventions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "token"),
    [
        ('DISCORD_TOKEN="abc.def" # my token', "abc.def"),
        ("DISCORD_TOKEN='abc.def'   # my token", "abc.def"),
        ("DISCORD_TOKEN=abc.def # my token", "abc.def"),
        ("DISCORD_TOKEN=abc.def\t# my token", "abc.def"),
        ("export DISCORD_TOKEN=abc.def", "abc.def"),
        ("  DISCORD_TOKEN = abc.def  ", "abc.def"),
        ('DISCORD_TOKEN="abc # not a comment"', "abc # not a comment"),
        ("DISCORD_TOKEN='it''s'", None),  # text after the closing quote: refused below
        ("DISCORD_TOKEN=abc#def", "abc#def"),  # no space before #: part of the value
        ('DISCORD_TOKEN="say \\"hi\\""', 'say "hi"'),
        ("DISCORD_TOKEN='a\\nb'", "a\\nb"),  # single quotes are literal
    ],
)
def test_dotenv_values_follow_the_usual_conventions(
    tmp_path: Path, line: str, token: str | None
) -> None:
    if token is None:
        with pytest.raises(BadInput, match="line 1"):
            config_from(tmp_path, line + "\n")
        return
    assert config_from(tmp_path, line + "\n").token == token


def test_dotenv_comments_blank_lines_and_the_environment_winning(tmp_path: Path) -> None:
    text = "# the bot's settings\n\nBRIEFING_PREFIX=?  # question mark\nBRIEFING_DB=/x.db\n"
    config = config_from(tmp_path, text, BRIEFING_DB="/from/env.db")
    assert config.prefix == "?"
    assert config.db_path == Path("/from/env.db")


def test_a_bom_from_a_windows_editor_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    assert config_from(tmp_path, "\ufeffBRIEFING_PREFIX=?\n").prefix == "?"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("DISCORD_TOKEN abc\n", "line 1: expected NAME=value"),
        ("# fine\nBAD NAME=1\n", "line 2: expected NAME=value"),
        ('DISCORD_TOKEN="abc\n', 'line 1: the closing " is missing'),
        ("DISCORD_TOKEN='abc\" \n", "line 1: the closing ' is missing"),
        ('DISCORD_TOKEN="abc" extra\n', "line 1: unexpected text after the closing quote"),
    ],
)
def test_a_malformed_dotenv_line_is_named(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(BadInput) as raised:
        config_from(tmp_path, text)
    assert str(raised.value) == f"{tmp_path / '.env'} {says}"


def test_a_non_utf8_dotenv_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as raised:
        config_from(tmp_path, b"BRIEFING_PREFIX=\xe9\n")
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / '.env'} is not UTF-8 text")
    assert "\n" not in message


def test_a_missing_dotenv_is_fine(tmp_path: Path) -> None:
    assert Config.from_env(environ={}, dotenv=tmp_path / "none").prefix == "!"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["LOUD", "10", "info level", "-"])
def test_a_bad_log_level_names_the_variable(value: str) -> None:
    with pytest.raises(BadInput) as raised:
        Config.from_env(environ={"BRIEFING_LOG_LEVEL": value}, dotenv=Path("/nonexistent"))
    assert str(raised.value).startswith("BRIEFING_LOG_LEVEL must be one of DEBUG, INFO,")


@pytest.mark.parametrize("value", ["alice", "12,x", "-5", "0", str(2**64), "1.5"])
def test_bad_owner_ids_name_the_variable(value: str) -> None:
    with pytest.raises(BadInput) as raised:
        Config.from_env(environ={"BRIEFING_OWNER_IDS": value}, dotenv=Path("/nonexistent"))
    assert str(raised.value).startswith("BRIEFING_OWNER_IDS must be user ids")


def test_owner_ids_by_commas_or_spaces() -> None:
    config = Config.from_env(
        environ={"BRIEFING_OWNER_IDS": "12, 34 56"}, dotenv=Path("/nonexistent")
    )
    assert config.owner_ids == {12, 34, 56}


# --- the log level ---------------------------------------------------------------------------


def test_the_log_level_defaults_to_info_and_warnings_in_the_console() -> None:
    config = Config.from_env(environ={}, dotenv=Path("/nonexistent"))
    assert (config.log_level, config.console_log_level) == ("INFO", "WARNING")


def test_a_log_level_from_dotenv_applies_to_the_console_too(tmp_path: Path) -> None:
    config = config_from(tmp_path, "BRIEFING_LOG_LEVEL=debug\n")
    assert (config.log_level, config.console_log_level) == ("DEBUG", "DEBUG")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DISCORD_API_BASE", "localhost:8080", "DISCORD_API_BASE must be an http(s) URL"),
        ("DISCORD_API_BASE", "ftp://x/api", "DISCORD_API_BASE must be an http(s) URL"),
        ("DISCORD_GATEWAY_URL", "127.0.0.1:9/gateway", "DISCORD_GATEWAY_URL must be a ws(s) URL"),
    ],
)
def test_a_malformed_discord_address_names_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(BadInput) as raised:
        Config.from_env(environ={name: value}, dotenv=Path("/nonexistent"))
    assert str(raised.value).startswith(says), str(raised.value)


def test_well_formed_discord_addresses_are_kept() -> None:
    environ = {
        "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
        "DISCORD_GATEWAY_URL": "wss://gateway.example/",
    }
    config = Config.from_env(environ=environ, dotenv=Path("/nonexistent"))
    assert config.api_base == "http://127.0.0.1:8080/api/v10"
    assert config.gateway_url == "wss://gateway.example/"
