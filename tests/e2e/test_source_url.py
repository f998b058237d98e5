"""`source add url:` through the real client: the page is fetched from a local site
(allowed by BRIEFING_FETCH_ALLOW), the reply shows what was extracted, and Confirm /
Edit metadata work for the moderator who added it only."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from tests.e2e.conftest import World, button_ids, embed_text
from tests.web.site import Site

ARTICLE = "/world/koreas-hotline"


@pytest.fixture
async def site(world: World) -> AsyncIterator[Site]:
    running = await Site().start()
    allow(world, running)
    yield running
    await running.stop()


def allow(world: World, site: Site) -> None:
    world.bot.config = dataclasses.replace(world.bot.config, fetch_allow=site.allow)


def buttons(message: dict) -> dict[str, str]:
    """label -> custom_id of a message's buttons."""
    return {
        component["label"]: component["custom_id"]
        for row in message.get("components") or []
        for component in row.get("components", [])
        if "custom_id" in component
    }


async def add_article(world: World, site: Site, user: int = 0) -> dict:
    return await world.ask(f"!source add url: {site.url(ARTICLE)}", user=user or world.mod)


async def test_source_add_url_shows_the_extracted_metadata(world: World, site: Site) -> None:
    reply = await add_article(world, site)
    text = embed_text(reply)
    assert "Added source S2 (this server only) from the page." in text
    assert "Title: Koreas agree to reopen liaison hotline, Seoul says" in text
    assert "Author: Min-ji Park" in text
    assert "Publisher: Harbour Wire" in text
    assert "Published: 24 November 2026 (from the page's metadata)" in text
    assert f"Fetched: <{site.url(ARTICLE)}> at 2026-11-27 12:00 UTC" in text
    assert "Check the metadata" in text
    assert set(buttons(reply)) == {"Confirm", "Edit metadata"}
    source = await world.bot.store.source(2, world.guild, with_text=True)
    assert source is not None and source.text is not None
    assert "liaison officers would resume twice-daily calls from Thursday" in source.text
    record = await world.bot.store.source_fetch(2)
    assert record is not None and len(record.body_sha256) == 64
    assert await world.bot.store.source(2, world.guild_b) is None  # this server's only


async def test_a_fetched_source_can_be_cited_word_for_word(world: World, site: Site) -> None:
    await add_article(world, site)
    reply = await world.ask(
        "!fact add subject: North Korea statement: Liaison calls resume. kind: reported "
        "source: 2 quote: liaison officers would resume twice-daily calls from Thursday",
        user=world.mod,
    )
    assert "Added fact" in embed_text(reply)


async def test_slash_source_add_url(world: World, site: Site) -> None:
    answer = await world.slash(
        "source add", {"url": site.url("/opinion/sanctions")}, user=world.mod
    )
    text = embed_text(answer)
    assert "Author: Daniel Whitcombe" in text
    assert "Publisher: The Peninsula Review" in text


async def test_confirm_is_for_the_moderator_who_added_it(world: World, site: Site) -> None:
    reply = await add_article(world, site)
    confirm = buttons(reply)["Confirm"]
    other = await world.fake.click_button(world.channel, world.owner, int(reply["id"]), confirm)
    refused = await world.fake.wait_for_interaction_response(other, timeout=10)
    assert refused["ephemeral"] and "opened by someone else" in embed_text(refused)
    mine = await world.fake.click_button(world.channel, world.mod, int(reply["id"]), confirm)
    done = await world.fake.wait_for_interaction_response(mine, timeout=10)
    assert "Metadata confirmed." in embed_text(done)
    assert "24 November 2026 (from the page's metadata, confirmed by a moderator)" in embed_text(
        done
    )
    record = await world.bot.store.source_fetch(2)
    assert record is not None and record.confirmed_by == world.mod
    again = await world.fake.click_button(world.channel, world.mod, int(reply["id"]), confirm)
    used = await world.fake.wait_for_interaction_response(again, timeout=10)
    assert "expired or was already sent" in embed_text(used)


async def test_edit_metadata_opens_a_prefilled_form(world: World, site: Site) -> None:
    reply = await add_article(world, site)
    edit = buttons(reply)["Edit metadata"]
    clicked = await world.fake.click_button(world.channel, world.mod, int(reply["id"]), edit)
    callback = await world.fake.wait_for_interaction_callback(clicked, timeout=10)
    assert callback["type"] == 9  # a modal
    form_id = callback["data"]["custom_id"]
    assert form_id.startswith("source:metaform:")
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        form_id,
        {
            "title": "Koreas to reopen military hotline",
            "author": "Park Min-ji",
            "publisher": "Harbour Wire",
            "published": "2026-11-24",
        },
    )
    answer = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    text = embed_text(answer)
    assert "Metadata corrected." in text
    assert "Author: Park Min-ji" in text
    source = await world.bot.store.source(2, world.guild)
    assert source is not None and source.title == "Koreas to reopen military hotline"
    audit = await world.ask("!audit 1", user=world.mod)
    assert "confirm metadata" in embed_text(audit)


async def test_another_servers_moderator_cannot_submit_the_form(world: World, site: Site) -> None:
    reply = await add_article(world, site)
    edit = buttons(reply)["Edit metadata"]
    clicked = await world.fake.click_button(world.channel, world.mod, int(reply["id"]), edit)
    form_id = (await world.fake.wait_for_interaction_callback(clicked, timeout=10))["data"][
        "custom_id"
    ]
    hostile = await world.fake.submit_modal(
        world.channel_b, world.bmod, form_id, {"title": "Hijacked"}
    )
    refused = await world.fake.wait_for_interaction_response(hostile, timeout=10)
    assert refused["ephemeral"] and "opened by someone else" in embed_text(refused)
    source = await world.bot.store.source(2, world.guild)
    assert source is not None and source.title.startswith("Koreas agree")


async def test_source_edit_corrects_metadata_by_command(world: World, site: Site) -> None:
    await add_article(world, site)
    reply = await world.ask("!source edit 2 published: 2026-11-25", user=world.mod)
    assert "Published: 25 November 2026" in embed_text(reply)
    refused = await world.ask("!source edit 2 author: Me", user=world.bmod, channel=world.channel_b)
    assert "There is no fetched source S2" in embed_text(refused)


async def test_internal_addresses_are_refused_with_one_line(world: World, site: Site) -> None:
    for target in ("http://169.254.169.254/latest/meta-data/", "http://2130706433/"):
        reply = await world.ask(f"!source add url: {site.url('/go?to=' + target)}", user=world.mod)
        assert "I won't fetch from" in embed_text(reply)
        assert "not a public web server" in embed_text(reply)
    assert (await world.bot.store.counts(world.guild)).sources == 1


async def test_without_the_allowlist_the_local_site_is_refused(world: World, site: Site) -> None:
    world.bot.config = dataclasses.replace(world.bot.config, fetch_allow="")
    reply = await add_article(world, site)
    assert "it is a loopback address" in embed_text(reply)
    assert site.requests == []


async def test_hostile_pages_are_refused_and_nothing_is_stored(world: World, site: Site) -> None:
    expected = {
        "/huge": "over 2 MB",
        "/image.png": "image/png, not a page or feed",
        "/loop/0": "redirected more than 5 times",
        "/a/missing": "answered 404",
    }
    for path, message in expected.items():
        reply = await world.ask(f"!source add url: {site.url(path)}", user=world.mod)
        assert message in embed_text(reply), path
        assert not button_ids(reply)
    assert (await world.bot.store.counts(world.guild)).sources == 1


async def test_members_cannot_fetch(world: World, site: Site) -> None:
    reply = await add_article(world, site, user=world.alice)
    assert "Only this server's moderators" in embed_text(reply)
    assert site.requests == []


async def test_a_pages_metadata_shows_literally(world: World, site: Site) -> None:
    reply = await world.ask(f"!source add url: {site.url('/hostile-meta')}", user=world.mod)
    text = embed_text(reply)
    assert "\\*\\*Breaking\\*\\* \\[click me\\](https://evil.example/)" in text
    assert "Publisher: \\_\\_Evil\\_\\_ News" in text
    assert reply["allowed_mentions"] == {"parse": []}


async def test_a_typed_title_and_date_replace_the_pages(world: World, site: Site) -> None:
    reply = await world.ask(
        f"!source add title: Hotline to reopen published: 2026-11-23 url: {site.url(ARTICLE)}",
        user=world.mod,
    )
    text = embed_text(reply)
    assert "Title: Hotline to reopen" in text
    assert "Published: 23 November 2026" in text and "metadata)" not in text
    assert "Author: Min-ji Park" in text  # what was not typed comes from the page
    bad = await world.ask(
        f"!source add published: someday url: {site.url(ARTICLE)}", user=world.mod
    )
    assert "Could not read `someday` as a date" in embed_text(bad)
    assert site.paths().count(ARTICLE) == 1  # refused before fetching
