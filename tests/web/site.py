"""A local news site (aiohttp.web on 127.0.0.1) for the fetch and feed tests.

It serves two realistic articles (a wire report and an op-ed, in tests/web/pages), an RSS
and an Atom feed whose items a test can add to, and hostile pages: huge, slow, endless
redirects, redirects to loopback and metadata addresses, a wrong content type, bad
encodings, a feed with 10,000 items, and a feed that fails on demand. It records every
request, and answers conditional requests with 304.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

PAGES = Path(__file__).with_name("pages")


@dataclass
class Entry:
    slug: str
    title: str
    published: datetime
    summary: str = "A short summary."
    paragraphs: tuple[str, ...] = ()  # the article's own text; generated when empty


@dataclass
class Site:
    entries: list[Entry] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failing: bool = False
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def allow(self) -> str:
        """The BRIEFING_FETCH_ALLOW an operator would set to reach this site."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def add_entry(
        self, slug: str, title: str, published: datetime, paragraphs: tuple[str, ...] = ()
    ) -> None:
        self.entries.insert(0, Entry(slug, title, published, paragraphs=paragraphs))

    async def start(self, port: int = 0) -> Site:
        app = web.Application(middlewares=[self._record])
        app.add_routes(self.routes())
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        tcp = web.TCPSite(self.runner, "127.0.0.1", port)
        await tcp.start()
        self.port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.requests.append((request.path_qs, dict(request.headers)))
        return await handler(request)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/world/koreas-hotline", self.page("wire.html")),
            web.get("/opinion/sanctions", self.page("oped.html")),
            web.get("/notes.txt", self.plain),
            web.get("/feeds/news.rss", self.rss),
            web.get("/feeds/news.atom", self.atom),
            web.get("/feeds/huge.rss", self.huge_feed),
            web.get("/feeds/flaky.rss", self.flaky),
            web.get("/a/{slug}", self.article),
            web.get("/huge", self.huge),
            web.get("/huge-declared", self.huge_declared),
            web.get("/slow", self.slow),
            web.get("/loop/{n}", self.loop),
            web.get("/go", self.go),
            web.get("/image.png", self.image),
            web.get("/latin1", self.latin1),
            web.get("/bad-bytes", self.bad_bytes),
            web.get("/meta-charset", self.meta_charset),
            web.get("/bogus-charset", self.bogus_charset),
            web.get("/gzip-bomb", self.gzip_bomb),
            web.get("/hostile-meta", self.hostile_meta),
        ]

    # --- articles ---------------------------------------------------------------------

    def page(self, name: str):  # type: ignore[no-untyped-def]
        body = (PAGES / name).read_bytes()

        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        return handler

    async def plain(self, request: web.Request) -> web.Response:
        return web.Response(text="Notes from the briefing\nLine two.\n", content_type="text/plain")

    async def article(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        entry = next((e for e in self.entries if e.slug == slug), None)
        if entry is None:
            raise web.HTTPNotFound()
        paragraphs = "".join(
            f"<p>{escape(entry.title)}: paragraph {n} of the report, with enough words in it "
            "to count as the main text of the article for the extractor to keep.</p>"
            for n in range(1, 6)
        )
        if entry.paragraphs:
            paragraphs = "".join(f"<p>{escape(text)}</p>" for text in entry.paragraphs)
        html = (
            f"<html><head><title>{escape(entry.title)}</title>"
            '<meta name="author" content="Staff Reporter">'
            '<meta property="og:site_name" content="Harbour Wire">'
            f'<meta property="article:published_time" content="{entry.published.isoformat()}">'
            f"</head><body><article><h1>{escape(entry.title)}</h1>{paragraphs}</article>"
            "</body></html>"
        )
        return web.Response(text=html, content_type="text/html")

    # --- feeds ------------------------------------------------------------------------

    def _conditional(self, request: web.Request, body: str) -> web.Response:
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            text=body,
            content_type=request.match_info.get("type", "application/rss+xml"),
            headers={"ETag": etag},
        )

    def rss_body(self, entries: list[Entry]) -> str:
        items = "".join(
            "<item>"
            f"<title>{escape(e.title)}</title>"
            f"<link>{self.base}/a/{e.slug}</link>"
            f'<guid isPermaLink="false">harbour-{e.slug}</guid>'
            f"<pubDate>{format_datetime(e.published)}</pubDate>"
            f"<description>{escape(e.summary)}</description>"
            "</item>"
            for e in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Harbour Wire: Asia</title><link>{self.base}/</link>"
            f"<description>Asia news</description>{items}</channel></rss>"
        )

    async def rss(self, request: web.Request) -> web.Response:
        response = self._conditional(request, self.rss_body(self.entries))
        return response

    async def atom(self, request: web.Request) -> web.Response:
        entries = "".join(
            "<entry>"
            f"<title>{escape(e.title)}</title>"
            f'<link href="{self.base}/a/{e.slug}"/>'
            f"<id>urn:harbour:{e.slug}</id>"
            f"<updated>{e.published.isoformat()}</updated>"
            f"<summary>{escape(e.summary)}</summary>"
            "</entry>"
            for e in self.entries
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Peninsula Review</title>'
            f"<id>urn:review</id><updated>2026-11-24T00:00:00Z</updated>{entries}</feed>"
        )
        return web.Response(text=body, content_type="application/atom+xml")

    async def huge_feed(self, request: web.Request) -> web.Response:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        entries = [
            Entry(f"bulk-{n}", f"Bulk item {n}", start + timedelta(minutes=n))
            for n in range(10_000, 0, -1)
        ]
        return web.Response(text=self.rss_body(entries), content_type="application/rss+xml")

    async def flaky(self, request: web.Request) -> web.Response:
        if self.failing:
            raise web.HTTPInternalServerError()
        return await self.rss(request)

    # --- hostile ----------------------------------------------------------------------

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """3 MB of HTML, streamed without a Content-Length."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"<p>" + b"x" * 65_000 + b"</p>"
        try:
            for _ in range(48):
                await response.write(chunk)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async def huge_declared(self, request: web.Request) -> web.Response:
        """5 MB, with a Content-Length that says so."""
        return web.Response(body=b"<p>" + b"y" * 5_000_000, content_type="text/html")

    async def slow(self, request: web.Request) -> web.StreamResponse:
        """A trickle: one byte every 0.2 s, for a minute."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for _ in range(300):
                await response.write(b"x")
                await asyncio.sleep(0.2)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async def loop(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/loop/{n + 1}")

    async def go(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def image(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")

    async def latin1(self, request: web.Request) -> web.Response:
        html = "<html><body><p>Café in Pyeongyang: élan, naïve, €</p></body></html>"
        return web.Response(
            body=html.replace("€", "").encode("latin-1"),
            headers={"Content-Type": "text/html; charset=ISO-8859-1"},
        )

    async def bad_bytes(self, request: web.Request) -> web.Response:
        body = b"<html><body><p>Broken \xff\xfe\xc3 bytes here</p></body></html>"
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})

    async def meta_charset(self, request: web.Request) -> web.Response:
        html = (
            '<html><head><meta charset="windows-1251"></head>'
            "<body><p>Пхеньян и Москва</p></body></html>"
        )
        return web.Response(body=html.encode("cp1251"), headers={"Content-Type": "text/html"})

    async def hostile_meta(self, request: web.Request) -> web.Response:
        """Metadata written to abuse a renderer: markdown, a masked link, a mass mention."""
        title = "**Breaking** [click me](https://evil.example/) @everyone"
        body = "<p>" + "An ordinary paragraph of the story. " * 10 + "</p>"
        html = (
            f"<html><head><title>{escape(title)}</title>"
            '<meta property="og:site_name" content="__Evil__ News &lt;@123456789012345678&gt;">'
            f"</head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
        )
        return web.Response(text=html, content_type="text/html")

    async def gzip_bomb(self, request: web.Request) -> web.Response:
        """20 MB of zeros, sent gzip-compressed as about 20 kB."""
        body = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
        return web.Response(
            body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    async def bogus_charset(self, request: web.Request) -> web.Response:
        body = "<html><body><p>Seoul — Pyongyang</p></body></html>".encode()
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=rot13"})
