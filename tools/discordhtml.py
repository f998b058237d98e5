"""Bot messages as Discord shows them, in HTML: dark theme, the embed's colour bar, title,
description, fields, image and footer, and buttons and select menus under the message.

Faithful to what Discord renders, not to what the bot meant: footers and field names are
plain text (Discord gives them no markdown), descriptions and field values get the
markdown subset Discord shows (bold, italics, underline, strike, inline code, masked
links as their text, `<t:…>` timestamps as dates, `-#` subtext, `>` quotes, `-` lists),
and a backslash-escaped character shows as itself. Every piece of stored text is
HTML-escaped; the page's only script is ours (it measures heights).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

# Longest first where one is a prefix of another (** before *, __ before _).
_INLINE = re.compile(
    r"(?P<escape>\\(?P<escaped>[^\w\s]))"
    r"|(?P<code>`(?P<code_text>[^`\n]+)`)"
    r"|(?P<stamp><t:(?P<seconds>-?\d{1,13})(?::(?P<style>[tTdDfFR]))?>)"
    r"|(?P<masked>\[(?P<link_text>[^\]\n]+)\]\((?P<href><?https?://[^)\s]+>?)\))"
    r"|(?P<url><(?P<bare>https?://[^>\s]+)>)"
    r"|(?P<mention><(?P<sigil>@[!&]?|#)(?P<target>\d{1,20})>)"
    r"|(?P<bold>\*\*(?P<bold_text>.+?)\*\*(?!\*))"
    r"|(?P<under>__(?P<under_text>.+?)__(?!_))"
    r"|(?P<strike>~~(?P<strike_text>.+?)~~)"
    r"|(?P<spoiler>\|\|(?P<spoiler_text>.+?)\|\|)"
    r"|(?P<star>\*(?P<star_text>[^*\s](?:[^*]*?[^*\s])?)\*)"
    r"|(?P<under1>\b_(?P<under1_text>[^_\s](?:[^_]*?[^_\s])?)_\b)",
    re.DOTALL,
)

_STYLES = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%d/%m/%Y",
    "D": "%-d %B %Y",
    "f": "%-d %B %Y %H:%M",
    "F": "%A, %-d %B %Y %H:%M",
}


def relative(moment: datetime, now: datetime) -> str:
    """Discord's `<t:…:R>`: "in 2 days", "7 years ago"."""
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    units = (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3600))
    unit, length = next(((u, n) for u, n in units if size >= n), ("minute", 60))
    count = max(1, int(size // length))
    words = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"in {words}" if seconds > 0 else f"{words} ago"


def timestamp(seconds: int, style: str | None, now: datetime) -> str:
    """A Discord timestamp as a reader in UTC sees it (Discord uses each reader's zone)."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return f"&lt;t:{seconds}&gt;"
    if style == "R":
        return relative(moment, now)
    return moment.strftime(_STYLES.get(style or "f", _STYLES["f"]))


def inline(text: str, now: datetime) -> str:
    """Discord's inline markdown of `text`, as HTML; everything not markup is escaped."""
    out = []
    position = 0
    for found in _INLINE.finditer(text):
        out.append(html.escape(text[position : found.start()]))
        out.append(_markup(found, now))
        position = found.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def _markup(found: re.Match[str], now: datetime) -> str:
    kind = found.lastgroup
    group = found.group
    nested: Callable[[str], str] = lambda name: inline(group(name), now)  # noqa: E731
    if found.group("escape"):
        return html.escape(group("escaped"))
    if found.group("code"):
        return f"<code>{html.escape(group('code_text'))}</code>"
    if found.group("stamp"):
        shown = timestamp(int(group("seconds")), group("style"), now)
        return f'<span class="stamp">{html.escape(shown)}</span>'
    if found.group("masked"):
        return f'<span class="link">{nested("link_text")}</span>'
    if found.group("url"):
        return f'<span class="link">{html.escape(group("bare"))}</span>'
    if found.group("mention"):
        sigil = "#" if group("sigil") == "#" else "@"
        return f'<span class="mention">{sigil}{html.escape(group("target"))}</span>'
    tags = {
        "bold": "strong",
        "under": "u",
        "strike": "s",
        "spoiler": "mark",
        "star": "em",
        "under1": "em",
    }
    for name, tag in tags.items():
        if found.group(name):
            return f"<{tag}>{nested(name + '_text')}</{tag}>"
    raise AssertionError(kind)  # pragma: no cover: every alternative is handled above


def markdown(text: str, now: datetime) -> str:
    """Discord's block markdown: `-#` subtext, `>` quotes, `-`/`*` lists, `#` headings;
    other lines as they are, line breaks kept."""
    lines = []
    for line in text.split("\n"):
        if line.startswith("-# "):
            lines.append(f'<div class="subtext">{inline(line[3:], now)}</div>')
        elif line.startswith("> "):
            lines.append(f'<div class="quote">{inline(line[2:], now)}</div>')
        elif re.match(r"^\s*[-*] ", line):
            item = re.sub(r"^\s*[-*] ", "", line)
            lines.append(f'<div class="item">{inline(item, now)}</div>')
        elif heading := re.match(r"^(#{1,3}) (.+)$", line):
            level = len(heading.group(1))
            lines.append(f'<div class="h{level}">{inline(heading.group(2), now)}</div>')
        else:
            lines.append(f'<div class="line">{inline(line, now) or "&nbsp;"}</div>')
    return "".join(lines)


def plain(text: str) -> str:
    """Footers and field names: no markdown at all; line breaks kept."""
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def colour(value: int | None) -> str:
    return f"#{value:06x}" if isinstance(value, int) and 0 <= value <= 0xFFFFFF else "#1e1f22"


def embed_html(embed: dict, now: datetime, images: dict[str, str]) -> str:
    """One embed; `images` maps an image url to the data: URI to show for it."""
    parts = []
    if embed.get("title"):
        parts.append(f'<div class="title">{plain(str(embed["title"]))}</div>')
    if embed.get("description"):
        parts.append(f'<div class="description">{markdown(str(embed["description"]), now)}</div>')
    fields = []
    for field in embed.get("fields") or []:
        inline_class = " inline" if field.get("inline") else ""
        fields.append(
            f'<div class="field{inline_class}"><div class="name">{plain(str(field["name"]))}'
            f'</div><div class="value">{markdown(str(field["value"]), now)}</div></div>'
        )
    if fields:
        parts.append(f'<div class="fields">{"".join(fields)}</div>')
    image = (embed.get("image") or {}).get("url")
    if image:
        source = images.get(image, "")
        parts.append(f'<img class="image" alt="" src="{html.escape(source, quote=True)}">')
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(f'<div class="footer">{plain(str(footer))}</div>')
    return (
        f'<div class="embed" style="border-left-color: {colour(embed.get("color"))}">'
        f"{''.join(parts)}</div>"
    )


_BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}


def component_html(component: dict) -> str:
    kind = component.get("type")
    disabled = " disabled" if component.get("disabled") else ""
    if kind == 2:
        style = _BUTTON_STYLES.get(int(component.get("style") or 2), "secondary")
        emoji = (component.get("emoji") or {}).get("name") or ""
        label = html.escape(f"{emoji} {component.get('label') or ''}".strip())
        arrow = " ↗" if style == "link" else ""
        return f'<span class="button {style}{disabled}">{label}{arrow}</span>'
    if kind in (3, 5, 6, 7, 8):  # select menus
        placeholder = component.get("placeholder") or "Make a selection"
        return (
            f'<div class="select{disabled}"><span>{html.escape(placeholder)}</span>'
            '<span class="chevron">⌄</span></div>'
        )
    return ""


def components_html(rows: list[dict]) -> str:
    out = []
    for row in rows:
        items = "".join(component_html(c) for c in row.get("components") or [])
        out.append(f'<div class="row">{items}</div>')
    return "".join(out)


def message_html(
    message: dict,
    now: datetime,
    images: dict[str, str],
    *,
    author: str = "Briefing",
    asked: str = "",
    asker: str = "",
) -> str:
    """A bot message (and, above it, the member's command) as Discord's chat shows it."""
    out = []
    if asked:
        out.append(
            f'<div class="message user"><div class="avatar member"></div><div class="body">'
            f'<div class="author">{html.escape(asker)}</div>'
            f'<div class="content">{inline(asked, now)}</div></div></div>'
        )
    content = message.get("content") or ""
    embeds = "".join(embed_html(e, now, images) for e in message.get("embeds") or [])
    ephemeral = int(message.get("flags") or 0) & 64
    note = '<div class="ephemeral">Only you can see this</div>' if ephemeral else ""
    out.append(
        '<div class="message bot"><div class="avatar"></div><div class="body">'
        f'<div class="author">{html.escape(author)} <span class="tag">APP</span></div>'
        f'<div class="content">{markdown(content, now) if content else ""}</div>'
        f'<div class="embeds">{embeds}</div>'
        f'<div class="components">{components_html(message.get("components") or [])}</div>'
        f"{note}</div></div>"
    )
    return "".join(out)


CSS = """
@font-face { font-family: "Noto Sans"; src: url("FONT_URL"); }
html, body { margin: 0; background: #313338; }
body { font-family: "Noto Sans", "NanumGothic", "Noto Sans CJK KR", "DejaVu Sans", sans-serif;
  color: #dbdee1; font-size: 16px; line-height: 1.375; width: WIDTHpx; padding: 8px 0 16px; }
.message { display: flex; padding: 4px 16px 4px 16px; }
.message.user { margin-bottom: 12px; }
.avatar { flex: 0 0 40px; height: 40px; border-radius: 50%; background: #5865f2;
  margin-right: 16px; margin-top: 2px; }
.avatar.member { background: #3ba55c; }
.body { min-width: 0; flex: 1; }
.author { font-weight: 600; color: #f2f3f5; }
.tag { font-size: 10px; background: #5865f2; color: #fff; border-radius: 3px;
  padding: 1px 4px; vertical-align: 2px; font-weight: 600; }
.embeds { margin-top: 4px; }
.embed { max-width: 516px; background: #2b2d31; border-left: 4px solid; border-radius: 4px;
  padding: 8px 16px 16px 12px; box-sizing: border-box; display: grid; gap: 8px;
  font-size: 14px; line-height: 18px; }
.title { line-height: 22px; }
.title { font-weight: 600; color: #f2f3f5; font-size: 16px; margin-top: 8px; }
.description, .value { white-space: pre-wrap; word-wrap: break-word; }
.fields { display: flex; flex-wrap: wrap; gap: 8px; }
.field { flex: 1 1 100%; min-width: 0; }
.field.inline { flex: 1 1 30%; }
.name { font-weight: 600; color: #f2f3f5; margin-bottom: 2px; }
.footer { font-size: 12px; color: #b5bac1; white-space: pre-wrap; }
.image { max-width: 400px; max-height: 300px; border-radius: 4px; }
.subtext { font-size: 12px; color: #949ba4; }
.quote { border-left: 4px solid #4e5058; padding-left: 12px; }
.item::before { content: "•"; margin: 0 8px 0 4px; }
.item { padding-left: 0; }
.h1 { font-size: 24px; font-weight: 700; } .h2 { font-size: 20px; font-weight: 700; }
.h3 { font-size: 16px; font-weight: 700; }
code { font-family: "DejaVu Sans Mono", monospace; background: #1e1f22; border-radius: 3px;
  padding: 0 2px; font-size: 85%; }
.link, .mention { color: #00a8fc; }
.stamp { background: #3f4147; border-radius: 3px; padding: 0 2px; }
mark { background: #1e1f22; color: transparent; border-radius: 3px; }
.components { margin-top: 4px; }
.row { display: flex; gap: 8px; margin-top: 4px; flex-wrap: wrap; }
.button { display: inline-block; font-size: 14px; font-weight: 500; color: #fff;
  border-radius: 3px; padding: 2px 16px; line-height: 28px; }
.button.primary { background: #5865f2; } .button.secondary { background: #4e5058; }
.button.success { background: #248046; } .button.danger { background: #da373c; }
.button.link { background: #4e5058; } .button.disabled { opacity: 0.5; }
.select { display: flex; justify-content: space-between; width: 400px; background: #1e1f22;
  border-radius: 4px; padding: 8px 12px; color: #949ba4; font-size: 14px; }
.ephemeral { font-size: 12px; color: #949ba4; margin-top: 4px; }
"""

# Writes each embed's and each message's rendered height into the page, for --dump-dom.
MEASURE = """
<script>
window.addEventListener("load", () => {
  const px = (el) => Math.round(el.getBoundingClientRect().height);
  const bot = document.querySelector(".message.bot");
  const embeds = [...document.querySelectorAll(".embed")].map(px);
  document.body.setAttribute("data-heights", JSON.stringify({
    embeds: embeds, message: bot ? px(bot) : 0, page: px(document.body)}));
});
</script>
"""


def page_html(body: str, *, font_url: str = "", width: int = 640) -> str:
    css = CSS.replace("FONT_URL", html.escape(font_url, quote=True)).replace("WIDTH", str(width))
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<style>{css}</style>{MEASURE}</head><body>{body}</body></html>"
    )
