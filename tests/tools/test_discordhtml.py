"""The screenshot script's Discord-like HTML renderer: Discord's markdown subset, text
shown literally where Discord shows it literally, and no markup from stored text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tools import screenshots
from tools.discordhtml import embed_html, inline, markdown, message_html, page_html

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_bold_italics_underline_strike_and_code() -> None:
    assert inline("**Kim** and *Putin*", NOW) == "<strong>Kim</strong> and <em>Putin</em>"
    assert inline("__under__ ~~gone~~ `fact <id>`", NOW) == (
        "<u>under</u> <s>gone</s> <code>fact &lt;id&gt;</code>"
    )
    assert inline("***both***", NOW) == "<strong><em>both</em></strong>"
    assert inline("snake_case_name stays", NOW) == "snake_case_name stays"


def test_escaped_characters_show_as_typed() -> None:
    assert inline(r"\*not italic\* and 2 \* 3", NOW) == "*not italic* and 2 * 3"
    assert inline(r"a \<t:0:R\> stamp", NOW) == "a &lt;t:0:R&gt; stamp"


def test_links_show_as_their_text_and_timestamps_as_dates() -> None:
    assert inline("[the source](https://example.org/a)", NOW) == (
        '<span class="link">the source</span>'
    )
    assert inline("<https://example.org/a>", NOW) == (
        '<span class="link">https://example.org/a</span>'
    )
    stamp = int(datetime(2026, 12, 3, 1, 0, tzinfo=UTC).timestamp())
    assert "3 December 2026 01:00" in inline(f"<t:{stamp}:f>", NOW)
    assert "Thursday, 3 December 2026 01:00" in inline(f"<t:{stamp}:F>", NOW)
    assert ">in 1 day<" in inline(f"<t:{stamp}:R>", NOW)
    assert ">7 years ago<" in inline("<t:1556150400:R>", NOW)


def test_block_markdown_subtext_quotes_and_lists() -> None:
    rendered = markdown("-# small print\n> quoted\n- item\nplain", NOW)
    assert '<div class="subtext">small print</div>' in rendered
    assert '<div class="quote">quoted</div>' in rendered
    assert '<div class="item">item</div>' in rendered
    assert '<div class="line">plain</div>' in rendered


def test_footers_and_field_names_get_no_markdown() -> None:
    embed = {
        "title": "**not bold**",
        "fields": [{"name": "*Name*", "value": "*value*", "inline": False}],
        "footer": {"text": "press `Quotes`\nPage 1/2"},
        "color": 0x5865F2,
    }
    rendered = embed_html(embed, NOW, {})
    assert "**not bold**" in rendered and "*Name*" in rendered
    assert "<em>value</em>" in rendered
    assert "press `Quotes`<br>Page 1/2" in rendered
    assert "border-left-color: #5865f2" in rendered


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "**<script>x</script>**",
    '[<b>x</b>](https://example.org/"onmouseover=alert(1))',
    "`</code><script>y</script>`",
    '"><svg onload=alert(1)>',
    "<t:99999999999999:f>",
]


def test_stored_text_can_never_become_markup() -> None:
    for text in HOSTILE:
        message = {
            "content": text,
            "embeds": [
                {
                    "title": text,
                    "description": text,
                    "fields": [{"name": text, "value": text}],
                    "footer": {"text": text},
                    "image": {"url": text},
                    "color": text,
                }
            ],
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 2, "label": text, "custom_id": "x"},
                        {"type": 3, "placeholder": text, "custom_id": "y"},
                    ],
                }
            ],
        }
        page = page_html(message_html(message, NOW, {}, asked=text, asker=text))
        body = page.split("<body>", 1)[1]
        assert "<script" not in body.lower(), text
        assert not re.search(r"<(img|svg|b)\b[^>]*\bon\w+=", body), text
        assert "<b>" not in body and "<svg" not in body, text
        # the only tags are the renderer's own
        tags = set(re.findall(r"<([a-z0-9]+)", body))
        assert tags <= {"div", "span", "strong", "em", "u", "s", "mark", "code", "br", "img"}
        assert len(re.findall(r"<img", body)) == 1  # the embed's image, src escaped


def test_buttons_and_menus_show_under_the_message() -> None:
    message = {
        "embeds": [{"title": "Kim Jong Un"}],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Quotes", "custom_id": "q"},
                    {"type": 2, "style": 2, "label": "Next ▶", "custom_id": "n", "disabled": True},
                ],
            },
            {"type": 1, "components": [{"type": 3, "placeholder": "Open a kind"}]},
        ],
    }
    rendered = message_html(message, NOW, {})
    assert '<span class="button primary">Quotes</span>' in rendered
    assert '<span class="button secondary disabled">Next ▶</span>' in rendered
    assert "Open a kind" in rendered and 'class="select"' in rendered
    assert rendered.index("Kim Jong Un") < rendered.index("Quotes")


def test_the_script_says_clearly_when_chromium_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit) as stopped:
        screenshots.find_chromium()
    assert "chromium is not installed" in str(stopped.value)
    assert "apt-get install -y chromium" in str(stopped.value)
