"""The screenshot script's first half, without chromium: the real bot, driven through the
fake Discord, yields the four answers the README shows, and each renders as a page."""

from __future__ import annotations

from datetime import UTC, datetime

from tools.collect import collect
from tools.screenshots import shot_html


async def test_collect_gets_the_readmes_answers_and_renders_them() -> None:
    shots = await collect()
    names = ["who", "sanctions", "timeline", "digest", "digest-all"]
    assert [shot.name for shot in shots] == names
    titles = [shot.message["embeds"][0]["title"] for shot in shots]
    assert titles[:3] == ["Kim Jong Un", "Sanctions on North Korea", "Timeline"]
    assert titles[3].startswith("Daily briefing") and titles[4] == titles[3]
    # the digest is a summary; the rest is one press away, privately
    assert "What changed since the last digest: **4 reported · 1 view · 1 meeting**" in str(
        shots[3].message["embeds"][0]["description"]
    )
    assert int(shots[4].message.get("flags") or 0) & 64
    for shot in shots:
        assert ("timeline.png" in shot.files) == (shot.name in ("timeline", "digest"))
        page = shot_html(shot, datetime.now(UTC), font_url="")
        assert titles[shots.index(shot)] in page
    timeline = shot_html(shots[2], datetime.now(UTC), font_url="")
    assert '<img class="image" alt="" src="data:image/png;base64,' in timeline
