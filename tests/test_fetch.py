"""Fetching is bounded and cannot be pointed at the operator's network.

Address rules are unit-tested on every form an address can take; the fetcher itself
runs against a local site (tests/web/site.py) that the allowlist lets it reach, and
against a second local site that is not allowlisted (loopback, as an attacker's
redirect target would be)."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import BadInput
from bot.fetch import (
    FEED_TYPES,
    PAGE_TYPES,
    Allowlist,
    Fetcher,
    FetchFailed,
    FetchLimits,
    FetchRefused,
    blocked_reason,
    checked_url,
    decode,
    literal_address,
)
from tests.conftest import FIXED_NOW
from tests.web.site import Site


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    running = await Site().start()
    yield running
    await running.stop()


@pytest.fixture
async def other_site() -> AsyncIterator[Site]:
    """A second local server, not on the allowlist: what a redirect must not reach."""
    running = await Site().start()
    yield running
    await running.stop()


def fetcher(site: Site, **limits: float) -> Fetcher:
    return Fetcher(Allowlist.parse(site.allow), FetchLimits(**limits))  # type: ignore[arg-type]


# --- address rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("100.100.100.200", "metadata"),
        ("100.64.0.1", "public"),  # carrier-grade NAT: "not a public address"
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::5", "private"),
        ("fd00:ec2::254", "metadata"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 form of 127.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("::127.0.0.1", "loopback"),  # the deprecated IPv4-compatible form
    ],
)
def test_non_public_addresses_are_refused(text: str, why: str) -> None:
    reason = blocked_reason(ipaddress.ip_address(text))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    "text", ["93.184.215.14", "8.8.8.8", "2606:4700::6810:84e5", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(text: str) -> None:
    assert blocked_reason(ipaddress.ip_address(text)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f000001", "127.0.0.1"),  # hex
        ("017700000001", "127.0.0.1"),  # octal
        ("0x7f.1", "127.0.0.1"),  # mixed short form
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("169.254.169.254", "169.254.169.254"),
    ],
)
def test_numeric_hosts_are_read_as_addresses(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "deadbeef", "1e100.net", "cafe.example"])
def test_names_are_not_addresses(host: str) -> None:
    assert literal_address(host) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f000001/latest",
        "http://127.1:8123/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/admin",
    ],
)
def test_urls_naming_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="not a public web server"):
        checked_url(url, Allowlist())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/file", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://example.com/", "Only http:// and https://"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https:///nohost", "no host"),
    ],
)
def test_other_schemes_and_credentials_are_refused(url: str, message: str) -> None:
    with pytest.raises(FetchRefused, match=message):
        checked_url(url, Allowlist())


def test_the_allowlist_lets_named_hosts_and_ports_through_only() -> None:
    allow = Allowlist.parse("127.0.0.1:8123, localhost ,[::1]:9000")
    checked_url("http://127.0.0.1:8123/page", allow)
    checked_url("http://[::1]:9000/", allow)
    assert allow.allows("localhost", 5)
    with pytest.raises(FetchRefused):
        checked_url("http://127.0.0.1:8124/page", allow)
    with pytest.raises(FetchRefused):
        checked_url("http://[::1]:9001/", allow)


def test_a_bad_allowlist_is_a_one_line_config_error() -> None:
    nowhere = Path("/nonexistent")  # no .env
    with pytest.raises(BadInput, match=r"^BRIEFING_FETCH_ALLOW must be hosts") as raised:
        Config.from_env({"BRIEFING_FETCH_ALLOW": "127.0.0.1:notaport"}, dotenv=nowhere)
    assert "\n" not in str(raised.value)
    config = Config.from_env({"BRIEFING_FETCH_ALLOW": "127.0.0.1:8123,localhost"}, dotenv=nowhere)
    assert config.fetch_allow == "127.0.0.1:8123,localhost"


# --- decoding -------------------------------------------------------------------------


def test_decoding_follows_header_then_declaration_then_utf8() -> None:
    assert decode("Café".encode("latin-1"), "iso-8859-1") == "Café"
    meta = '<meta charset="windows-1251"><p>Пхеньян</p>'.encode("cp1251")
    assert "Пхеньян" in decode(meta)
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert "é" in decode(xml)
    assert decode("평양".encode()) == "평양"
    assert decode(b"caf\xe9") == "café"  # not UTF-8: Windows-1252
    assert decode(b"ok \xff\xfe", "utf-8") == "ok \ufffd\ufffd"
    assert decode(b"Seoul", "rot13") == "Seoul"  # not a text codec: ignored
    assert decode(b"x", "no-such-charset") == "x"


# --- fetching from the local site -----------------------------------------------------


async def test_an_article_is_fetched_with_its_metadata(site: Site) -> None:
    page = await fetcher(site).fetch(site.url("/world/koreas-hotline"), PAGE_TYPES, FIXED_NOW)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "liaison officers would resume" in page.text()
    assert len(page.sha256) == 64
    assert page.fetched_at == FIXED_NOW


async def test_the_local_site_is_refused_without_the_allowlist(site: Site) -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        await Fetcher().fetch(site.url("/world/koreas-hotline"), PAGE_TYPES, FIXED_NOW)
    assert site.requests == []


async def test_a_name_is_checked_after_it_is_resolved(site: Site) -> None:
    """`localhost` is a name: it is refused once resolved to 127.0.0.1."""
    url = f"http://localhost:{site.port}/world/koreas-hotline"
    with pytest.raises(FetchRefused, match="loopback"):
        await Fetcher().fetch(url, PAGE_TYPES, FIXED_NOW)
    assert site.requests == []


async def test_redirects_are_followed_and_each_hop_checked(site: Site, other_site: Site) -> None:
    hop = site.url("/go?to=/world/koreas-hotline")
    page = await fetcher(site).fetch(hop, PAGE_TYPES, FIXED_NOW)
    assert page.final_url == site.url("/world/koreas-hotline")
    assert page.url == hop
    with pytest.raises(FetchRefused, match="loopback"):
        await fetcher(site).fetch(
            site.url(f"/go?to={other_site.url('/world/koreas-hotline')}"), PAGE_TYPES, FIXED_NOW
        )
    assert other_site.requests == [], "the redirect reached a server that is not allowed"


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[fd00:ec2::254]/latest/",
        "http://2130706433/",
        "http://10.0.0.1/",
    ],
)
async def test_a_redirect_to_an_internal_address_is_refused(site: Site, target: str) -> None:
    with pytest.raises(FetchRefused, match="not a public web server"):
        await fetcher(site).fetch(site.url(f"/go?to={target}"), PAGE_TYPES, FIXED_NOW)


async def test_endless_redirects_stop_at_the_cap(site: Site) -> None:
    with pytest.raises(FetchRefused, match="redirected more than 5 times"):
        await fetcher(site).fetch(site.url("/loop/0"), PAGE_TYPES, FIXED_NOW)
    assert len(site.requests) == 6


async def test_a_huge_page_is_cut_off_at_the_cap(site: Site) -> None:
    with pytest.raises(FetchRefused, match="over 2 MB"):
        await fetcher(site).fetch(site.url("/huge"), PAGE_TYPES, FIXED_NOW)
    with pytest.raises(FetchRefused, match="over 2 MB"):
        await fetcher(site).fetch(site.url("/huge-declared"), PAGE_TYPES, FIXED_NOW)


async def test_a_compressed_bomb_is_cut_off_at_the_cap(site: Site) -> None:
    with pytest.raises(FetchRefused, match="over 2 MB"):
        await fetcher(site).fetch(site.url("/gzip-bomb"), PAGE_TYPES, FIXED_NOW)


async def test_a_trickling_page_stops_at_the_time_cap_without_blocking(site: Site) -> None:
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"longer than 1\.5 seconds"):
        await fetcher(site, total_seconds=1.5).fetch(site.url("/slow"), PAGE_TYPES, FIXED_NOW)
    elapsed = time.monotonic() - started
    beat.cancel()
    assert 1.4 < elapsed < 3.0
    assert ticks >= 15, "the event loop was blocked while the page trickled in"


async def test_the_wrong_content_type_is_refused(site: Site) -> None:
    with pytest.raises(FetchRefused, match="image/png, not a page or feed"):
        await fetcher(site).fetch(site.url("/image.png"), PAGE_TYPES, FIXED_NOW)
    with pytest.raises(FetchRefused, match="text/html, not a page or feed"):
        await fetcher(site).fetch(site.url("/world/koreas-hotline"), FEED_TYPES, FIXED_NOW)


async def test_encodings_are_handled_without_crashing(site: Site) -> None:
    fetch = fetcher(site).fetch
    assert (
        "Café in Pyeongyang: élan, naïve"
        in (await fetch(site.url("/latin1"), PAGE_TYPES, FIXED_NOW)).text()
    )
    assert (
        "Пхеньян и Москва" in (await fetch(site.url("/meta-charset"), PAGE_TYPES, FIXED_NOW)).text()
    )
    assert "Broken \ufffd" in (await fetch(site.url("/bad-bytes"), PAGE_TYPES, FIXED_NOW)).text()
    assert (
        "Seoul — Pyongyang"
        in (await fetch(site.url("/bogus-charset"), PAGE_TYPES, FIXED_NOW)).text()
    )


async def test_errors_and_unreachable_sites_are_one_line(site: Site) -> None:
    with pytest.raises(FetchFailed, match="answered 404"):
        await fetcher(site).fetch(site.url("/a/missing"), PAGE_TYPES, FIXED_NOW)
    closed = Allowlist.parse("127.0.0.1:9")
    with pytest.raises(FetchFailed, match="connection failed"):
        await Fetcher(closed).fetch("http://127.0.0.1:9/", PAGE_TYPES, FIXED_NOW)


async def test_conditional_requests_get_not_modified(site: Site) -> None:
    first = await fetcher(site).fetch(site.url("/feeds/news.rss"), FEED_TYPES, FIXED_NOW)
    assert first.etag
    again = await fetcher(site).fetch(
        site.url("/feeds/news.rss"), FEED_TYPES, FIXED_NOW, etag=first.etag
    )
    assert again.not_modified
    assert site.requests[-1][1]["If-None-Match"] == first.etag
