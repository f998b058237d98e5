"""The bot as a real process, killed and stopped at awkward moments.

SIGKILL in the middle of a burst of moderators' writes must leave a sound store that holds
every write the moderator saw acknowledged, nothing that was never asked for, and every
write whole (fact, citation, full-text row and audit row together); the bot must start
again on it. SIGTERM must let the commands already running send their answers, close the
store and exit 0.
"""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from bot.checks import MODERATOR_RATE
from tests.fakediscord import FakeDiscord
from tests.faults.conftest import (
    MANAGE_MESSAGES,
    MESSAGES,
    TOKEN,
    added_fact_id,
    embed_text,
    fact_add,
    populate,
    sqlite_rows,
    start_bot,
    stop_process,
    title,
    wait_until,
)

BURST = 40
KILL_AFTER_ACKS = 10
PROBE = re.compile(r"^Crash probe (\d+)\.$")


def probe(number: int) -> str:
    return f"Crash probe {number}."


async def test_sigkill_mid_burst_keeps_every_acknowledged_write_and_nothing_else(
    tmp_path: Path,
) -> None:
    db, log = tmp_path / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30)
            sent: list[int] = []
            # Moderators' writes have a per-user cooldown: spread the burst over enough
            # moderators that none of them is throttled.
            moderators = [server.mod] + [
                fake.add_member(server.guild, f"mod{n}", permissions=MANAGE_MESSAGES)
                for n in range(1, -(-BURST // MODERATOR_RATE))
            ]

            async def burst() -> None:
                for number in range(BURST):
                    author = moderators[number % len(moderators)]
                    await fake.send_message(server.channel, author, fact_add(probe(number)))
                    sent.append(number)
                    await asyncio.sleep(0.003)

            sender = asyncio.create_task(burst())
            await wait_until(
                lambda: len(fake.messages(server.channel)) >= KILL_AFTER_ACKS,
                timeout=20,
                what=f"{KILL_AFTER_ACKS} acknowledgements",
                step=0.001,
            )
            process.kill()
            await asyncio.wait_for(process.wait(), timeout=10)
            await sender
            await wait_until(  # requests already received by the fake are answered
                lambda: all(call.status for call in fake.calls), 5, "the fake's last answers"
            )
        finally:
            await stop_process(process)
        assert process.returncode == -signal.SIGKILL

        acknowledged: dict[int, int] = {}  # probe number -> fact id the moderator was told
        for entry in fake.messages(server.channel):
            fact_id = added_fact_id(entry)
            assert fact_id is not None, embed_text(entry)[:300]
            number = next(
                int(m.group(1)) for m in re.finditer(r"Crash probe (\d+)\.", embed_text(entry))
            )
            assert number not in acknowledged, f"probe {number} acknowledged twice"
            acknowledged[number] = fact_id
        assert len(acknowledged) >= KILL_AFTER_ACKS
        assert len(acknowledged) < BURST, "the kill came after the burst; nothing was tested"

        # The file after the crash: sound, and exactly the writes that were made.
        assert sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert sqlite_rows(db, "PRAGMA foreign_key_check") == []
        stored_rows = sqlite_rows(
            db,
            f"SELECT id, statement FROM facts WHERE guild_id = {server.guild} "
            "AND statement LIKE 'Crash probe %'",
        )
        stored: dict[int, int] = {}
        for fact_id, statement in stored_rows:
            match = PROBE.match(statement)
            assert match, statement
            number = int(match.group(1))
            assert number not in stored, f"probe {number} stored twice"
            stored[number] = fact_id
        for number, fact_id in acknowledged.items():
            assert stored.get(number) == fact_id, f"acknowledged probe {number} was lost"
        assert set(stored) <= set(sent), "a fact nobody asked for was stored"
        # Every stored write is whole: citation, full-text row and one audit row each.
        for fact_id in stored.values():
            assert sqlite_rows(db, f"SELECT count(*) FROM citations WHERE fact_id = {fact_id}") == [
                (1,)
            ]
            assert sqlite_rows(db, f"SELECT count(*) FROM facts_fts WHERE rowid = {fact_id}") == [
                (1,)
            ]
            assert sqlite_rows(
                db,
                "SELECT count(*) FROM audit WHERE object_type = 'fact' "
                f"AND object_id = {fact_id} AND action = 'add'",
            ) == [(1,)]
        unacknowledged = sorted(set(stored) - set(acknowledged))
        # The gap: a write that committed just before the kill, whose "Added fact" reply
        # was never sent. It is whole and it was asked for, but nobody was told.
        print(
            f"sent {len(sent)}, acknowledged {len(acknowledged)}, stored {len(stored)}, "
            f"stored but never acknowledged: {unacknowledged}"
        )

        # The bot starts again on the same file and answers.
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30, count=2)
            await fake.send_message(server.channel, server.alice, "!who kim")
            reply = await fake.wait_for_message(
                server.channel, lambda e: title(e) == "Kim Jong Un", timeout=15
            )
            assert "S1 · Apr 2019 · /sources" in embed_text(reply)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
            await stop_process(process)
        assert process.returncode == 0, log.read_text()[-3000:]


async def test_sigterm_lets_running_commands_answer_then_exits_0(tmp_path: Path) -> None:
    db, log = tmp_path / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        bob = server.new_member("bob")
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30)
            # Hold every answer in this channel for a second: the first send is rate
            # limited, so the commands are running (counted in) when SIGTERM arrives.
            fake.fail_next("POST", MESSAGES, status=429, retry_after=1.0)
            await fake.send_message(server.channel, server.alice, "!who kim")
            await fake.send_message(server.channel, bob, "!sanctions")
            await fake.send_message(server.channel, server.mod, fact_add("Written while stopping."))
            await wait_until(
                lambda: any(c.status == 429 for c in fake.calls_to("POST", MESSAGES)),
                timeout=15,
                what="an answer to be rate limited",
            )
            await asyncio.sleep(0.1)  # the other two commands reach their send as well
            assert not fake.messages(server.channel), "answers arrived before SIGTERM"
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            await stop_process(process)
        text = log.read_text()
        assert process.returncode == 0, text[-3000:]
        assert TOKEN not in text
        assert re.search(r"waiting for [1-9]\d* running handler", text), text[-3000:]
        assert "still running" not in text, text[-3000:]
        assert not re.search(r"\berror [0-9a-f]{8}\b", text), text[-3000:]

        answers = fake.messages(server.channel)
        titles = sorted(title(entry) for entry in answers)
        assert len(answers) == 3, titles
        assert "Kim Jong Un" in titles
        assert "Sanctions on North Korea" in titles
        added = [added_fact_id(entry) for entry in answers if added_fact_id(entry)]
        assert len(added) == 1

        # The store was closed cleanly: sound, and the acknowledged write is in it.
        assert sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert sqlite_rows(db, f"SELECT statement FROM facts WHERE id = {added[0]}") == [
            ("Written while stopping.",)
        ]


async def test_sigterm_while_a_moderator_check_is_running_still_answers(tmp_path: Path) -> None:
    """The first moderator command after start-up looks the application owner up over
    REST inside its permission check, before the command counts as running."""
    db, log = tmp_path / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30)
            rule = fake.fail_next("GET", r"^/oauth2/applications/@me$", 429, retry_after=1.0)
            await fake.send_message(server.channel, server.mod, fact_add("Checked at shutdown."))
            await wait_until(lambda: rule.hits >= 1, timeout=15, what="the owner lookup")
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            await stop_process(process)
        text = log.read_text()
        assert process.returncode == 0, text[-3000:]
        answers = fake.messages(server.channel)
        assert len(answers) == 1, (text[-3000:], [embed_text(a)[:100] for a in answers])
        fact_id = added_fact_id(answers[0])
        assert fact_id is not None, embed_text(answers[0])
        assert sqlite_rows(db, f"SELECT statement FROM facts WHERE id = {fact_id}") == [
            ("Checked at shutdown.",)
        ]


async def test_sigterm_while_an_error_reply_is_being_sent_still_delivers_it(
    tmp_path: Path,
) -> None:
    """A refused write's explanation is sent after the command has finished."""
    db, log = tmp_path / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30)
            await fake.send_message(server.channel, server.alice, "!who kim")
            await fake.wait_for_message(server.channel, timeout=15)
            rule = fake.fail_next("POST", MESSAGES, status=429, retry_after=1.0)
            await fake.send_message(
                server.channel,
                server.mod,
                fact_add("Never stored.", quote="a passage that is not in the article"),
            )
            await wait_until(lambda: rule.hits >= 1, timeout=15, what="the refusal to be sent")
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            await stop_process(process)
        text = log.read_text()
        assert process.returncode == 0, text[-3000:]
        answers = fake.messages(server.channel)[1:]
        assert len(answers) == 1, text[-3000:]
        assert "word for word" in embed_text(answers[0])
