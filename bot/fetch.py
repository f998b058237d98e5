"""Fetching a page or a feed for a moderator, without becoming a way into our network.

Moderators are untrusted, and a URL they give (or a feed's item link, or a redirect a
site answers with) may point anywhere. So:
- only http(s), no credentials in the URL, at most `max_redirects` redirects, each one
  followed here and checked again like the first URL;
- the host's addresses are resolved once, every one must be public (no loopback,
  private, link-local, multicast, reserved, unspecified or cloud-metadata address, also
  when written as a decimal number or hidden in an IPv6 form), and the connection is
  made to exactly those checked addresses (the resolver below is the connector's), so a
  name that answers differently a second time (DNS rebinding) gains nothing;
- the whole fetch, every hop and the body, has one time limit, and the body a size cap;
- only the content types asked for are accepted, and text is decoded from the declared
  charset, the page's own declaration, or UTF-8, never failing on bad bytes.
An operator may allow named hosts (`BRIEFING_FETCH_ALLOW`, e.g. `127.0.0.1:8123,localhost`)
that are otherwise refused; the tests use it to reach their local server.
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import hashlib
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.errors import BadInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/xml", "text/xml"}
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "peninsula-briefing-bot/0.1 (fetches pages a server's moderators ask for)"

# Cloud metadata services, named so the refusal says what they are (they are also
# link-local or private, so the general rules refuse them too).
METADATA = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchRefused(BadInput):
    """The bot will not fetch this (address, scheme, type, size...); safe to show."""


class FetchFailed(BadInput):
    """The site could not be reached or answered with an error; safe to show."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = 2_000_000
    total_seconds: float = 20.0
    connect_seconds: float = 5.0
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int  # 200, or 304 for a conditional request that found nothing new
    content_type: str
    body: bytes
    fetched_at: datetime
    charset: str | None = None  # declared in the Content-Type header
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def text(self) -> str:
        return decode(self.body, self.charset, self.content_type)


# --- which addresses ---------------------------------------------------------------


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself: `1.2.3.4`, `[::1]`, and the forms C's
    inet_aton also reads (`2130706433`, `0x7f.1`, `017700000001`), which resolvers accept."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", bare) and re.search(r"\d", bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped (::ffff:a.b.c.d), 6to4, Teredo,
    NAT64 (64:ff9b::a.b.c.d) or the old compatible form (::a.b.c.d)."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why the bot may not connect to `address`, or None if it is a public address."""
    if address in METADATA:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address) and (inner := embedded_ipv4(address)):
        return blocked_reason(inner)
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


@dataclass(frozen=True)
class Allowlist:
    """Hosts the operator lets the bot reach although the rules above refuse them:
    `host` (any port) or `host:port`; a host is a name as written in URLs or an address."""

    entries: frozenset[tuple[str, int | None]] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        entries = set()
        for part in text.replace(";", ",").split(","):
            item = part.strip().lower()
            if not item:
                continue
            host, port = _split_host_port(item)
            entries.add((host, port))
        return cls(frozenset(entries))

    def allows(self, host: str, port: int) -> bool:
        key = host.strip("[]").lower()
        return (key, port) in self.entries or (key, None) in self.entries


def _split_host_port(item: str) -> tuple[str, int | None]:
    if item.startswith("["):  # [::1]:8123
        host, _, rest = item[1:].partition("]")
        return host, _port(rest.removeprefix(":")) if rest else None
    if item.count(":") == 1:
        host, port = item.split(":")
        return host, _port(port)
    return item, None  # a bare name or IPv4, or a bare IPv6 address


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"not a port: {text!r}")
    return int(text)


def check_address(host: str, port: int, address: IPAddress, allow: Allowlist) -> None:
    if allow.allows(host, port) or allow.allows(str(address), port):
        return
    reason = blocked_reason(address)
    if reason:
        raise FetchRefused(f"I won't fetch from {host}: it is {reason}, not a public web server.")


class CheckedResolver(AbstractResolver):
    """Resolves a name once and returns only addresses that passed the checks; aiohttp
    connects to what this returns, so the checked address is the one connected to."""

    def __init__(self, allow: Allowlist) -> None:
        self.allow = allow
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError:
            raise FetchFailed(f"I couldn't find the site {host} (DNS lookup failed).") from None
        if not found:
            raise FetchFailed(f"I couldn't find the site {host}.")
        for info in found:
            check_address(host, port, ipaddress.ip_address(info["host"]), self.allow)
        return found

    async def close(self) -> None:
        await self._inner.close()


# --- which URLs ----------------------------------------------------------------------


def checked_url(text: str, allow: Allowlist) -> yarl.URL:
    """A URL the bot may ask for: http(s), a host, no user:password, and if the host is
    an address, a public one (names are checked when resolved)."""
    try:
        url = yarl.URL(text.strip())
    except (ValueError, TypeError):
        raise FetchRefused("That is not a URL I can read.") from None
    if url.scheme not in {"http", "https"}:
        raise FetchRefused("Only http:// and https:// links can be fetched.")
    if not url.host:
        raise FetchRefused("That URL has no host name.")
    if url.user or url.password:
        raise FetchRefused("Links with a user name or password in them are not fetched.")
    port = url.port or (443 if url.scheme == "https" else 80)
    address = literal_address(url.host)
    if address is not None:
        check_address(url.host, port, address, allow)
    return url


# --- decoding ----------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(name: str | bytes | None) -> str | None:
    """A real text codec for a declared charset, or None (unknown names and non-text
    codecs such as rot13 are ignored, not trusted)."""
    if not name:
        return None
    label = name.decode("ascii", "ignore") if isinstance(name, bytes) else name
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in {"utf-7"}:
        return None
    return info.name


def declared_charset(body: bytes, header_charset: str | None) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    head = body[:4096]
    for found in (
        _codec(header_charset),
        _codec(m.group(1)) if (m := _XML_ENCODING.match(head)) else None,
        _codec(m.group(1)) if (m := _META_CHARSET.search(head)) else None,
    ):
        if found:
            return found
    return None


def decode(body: bytes, header_charset: str | None = None, content_type: str = "") -> str:
    """Text from bytes, never raising: the declared charset (header, BOM, XML or meta
    declaration), else UTF-8, else Windows-1252; undecodable bytes become U+FFFD."""
    charset = declared_charset(body, header_charset)
    if charset:
        return body.decode(charset, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


# --- fetching ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetcher:
    allow: Allowlist = field(default_factory=Allowlist)
    limits: FetchLimits = field(default_factory=FetchLimits)

    async def fetch(
        self,
        url: str,
        types: Iterable[str],
        now: datetime,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """GET `url` (following redirects), bounded in time, size and destination."""
        first = checked_url(url, self.allow)
        accepted = frozenset(types)
        try:
            async with asyncio.timeout(self.limits.total_seconds), self._session() as session:
                found = await self._follow(session, first, accepted, now, etag, last_modified)
        except TimeoutError:
            raise FetchFailed(
                f"The site took longer than {self.limits.total_seconds:g} seconds; "
                "nothing was saved."
            ) from None
        except aiohttp.ClientError as error:
            raise FetchFailed(f"I couldn't fetch that page ({_describe(error)}).") from None
        return dataclasses.replace(found, url=str(first))

    def _session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=CheckedResolver(self.allow), use_dns_cache=False, limit=4
        )
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.limits.connect_seconds, sock_read=self.limits.total_seconds
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            trust_env=False,  # never a proxy from the environment
            headers={"User-Agent": USER_AGENT},
            auto_decompress=True,
        )

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        url: yarl.URL,
        types: frozenset[str],
        now: datetime,
        etag: str | None,
        last_modified: str | None,
    ) -> Fetched:
        headers = {"Accept": ", ".join(sorted(types)) + ", */*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.limits.max_redirects + 1):
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in REDIRECTS:
                    url = self._next_hop(url, response)
                    continue
                return await self._read(url, response, types, now)
        raise FetchRefused(f"The page redirected more than {self.limits.max_redirects} times.")

    def _next_hop(self, url: yarl.URL, response: aiohttp.ClientResponse) -> yarl.URL:
        location = response.headers.get("Location", "")
        if not location:
            raise FetchFailed(f"The site answered {response.status} with nowhere to go.")
        return checked_url(urljoin(str(url), location), self.allow)

    async def _read(
        self,
        url: yarl.URL,
        response: aiohttp.ClientResponse,
        types: frozenset[str],
        now: datetime,
    ) -> Fetched:
        if response.status not in (200, 304):
            raise FetchFailed(f"The site answered {response.status} {response.reason or ''}.")
        content_type = response.content_type.lower() if response.status == 200 else ""
        if response.status == 200 and content_type not in types:
            shown = content_type or "no content type"
            raise FetchRefused(f"That link is {shown}, not a page or feed I can read.")
        body = b"" if response.status == 304 else await self._body(response)
        return Fetched(
            url=str(url),
            final_url=str(url),
            status=response.status,
            content_type=content_type,
            body=body,
            fetched_at=now,
            charset=response.charset,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    async def _body(self, response: aiohttp.ClientResponse) -> bytes:
        cap = self.limits.max_bytes
        declared = response.content_length
        if declared is not None and declared > cap:
            raise FetchRefused(f"That page is over {cap // 1_000_000} MB; I fetch at most that.")
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > cap:
                raise FetchRefused(
                    f"That page is over {cap // 1_000_000} MB; I fetch at most that."
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _describe(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return "the connection failed"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the answer was cut off or malformed"
    return type(error).__name__
