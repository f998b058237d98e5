"""Screenshots of real answers as Discord shows them: `python -m tools.screenshots`.

Runs the bot against the loopback fake Discord (tools.collect), renders what it posted as
Discord-like HTML (tools.discordhtml) and screenshots each message with Debian's
`chromium` in headless mode. Writes docs/screenshots/<name>.png (who, sanctions,
timeline, digest, digest-all: what the digest's Show all button shows a member, and the
timeline picture itself) and prints each embed's rendered height: the target is no
answer taller than one laptop screen (~600 px of embed) before its buttons are used.

Needs chromium (`apt-get install chromium`); says so and stops if it is missing. Hangul
in the answers (aliases) needs a Korean font too, and the kind tags an emoji font:
`apt-get install fonts-nanum fonts-noto-color-emoji`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from tools.collect import Shot, collect
from tools.discordhtml import message_html, page_html

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
WIDTH = 640  # px: a laptop's chat column, about
TARGET = 600  # px of embed
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
HEIGHTS = re.compile(r'data-heights="([^"]*)"')


@dataclass
class Measured:
    name: str
    embeds: list[int]
    message: int
    page: int


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    sys.exit(
        "chromium is not installed, so no screenshots can be made.\n"
        "On Debian: apt-get update && apt-get install -y chromium"
    )


def _font_url() -> str:
    """Noto Sans as a data: URI (Chromium does not load file:// fonts into file:// pages)."""
    try:
        import fontpkg_noto_sans
    except ImportError:
        return ""
    data = (fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf").read_bytes()
    return "data:font/ttf;base64," + base64.b64encode(data).decode()


def _images(shot: Shot) -> dict[str, str]:
    """Embed image urls -> data: URIs of the attached bytes they name."""
    found = {}
    for embed in shot.message.get("embeds") or []:
        url = (embed.get("image") or {}).get("url") or ""
        name = url.rsplit("/", 1)[-1].removeprefix("attachment:")
        if name in shot.files:
            found[url] = "data:image/png;base64," + base64.b64encode(shot.files[name]).decode()
    return found


def shot_html(shot: Shot, now: datetime, font_url: str) -> str:
    body = message_html(shot.message, now, _images(shot), asked=shot.asked, asker=shot.asker)
    return page_html(body, font_url=font_url, width=WIDTH)


def _chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def measure(browser: str, page: Path, profile: Path) -> dict:
    done = _chromium(
        browser,
        profile,
        f"--window-size={WIDTH},2000",
        "--virtual-time-budget=3000",
        "--dump-dom",
        page.as_uri(),
    )
    found = HEIGHTS.search(done.stdout)
    if not found:
        sys.exit(f"chromium did not render {page.name}: {done.stderr.strip()[-400:]}")
    return json.loads(found.group(1).replace("&quot;", '"'))


def screenshot(browser: str, page: Path, profile: Path, height: int, target: Path) -> None:
    raw = page.with_suffix(".raw.png")
    _chromium(
        browser,
        profile,
        f"--window-size={WIDTH},{height}",
        "--virtual-time-budget=3000",
        f"--screenshot={raw}",
        page.as_uri(),
    )
    if not raw.exists():
        sys.exit(f"chromium made no screenshot of {page.name}")
    small(raw.read_bytes(), target)


def small(png: bytes, target: Path) -> None:
    """A palette PNG: a dark chat screenshot needs few colours, and stays small."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def run(out: Path, now: datetime | None) -> list[Measured]:
    browser = find_chromium()
    shots = asyncio.run(collect(now))
    shown_at = now or datetime.now(UTC)
    out.mkdir(parents=True, exist_ok=True)
    font_url = _font_url()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for shot in shots:
            page = work / f"{shot.name}.html"
            page.write_text(shot_html(shot, shown_at, font_url), encoding="utf-8")
            heights = measure(browser, page, work / f"profile-{shot.name}")
            results.append(
                Measured(shot.name, heights["embeds"], heights["message"], heights["page"])
            )
            target = out / f"{shot.name}.png"
            screenshot(browser, page, work / f"profile-{shot.name}", heights["page"], target)
            if shot.name == "timeline" and "timeline.png" in shot.files:
                small(shot.files["timeline.png"], out / "timeline-picture.png")
    return results


def _shown(path: Path) -> str:
    """The folder relative to here when it is below, so logs name no machine paths."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report(results: list[Measured], out: Path) -> None:
    print(f"Screenshots in {_shown(out)}/ (embed heights as rendered in chromium):")
    for result in results:
        tallest = max(result.embeds, default=0)
        verdict = "fits" if tallest <= TARGET else f"over the {TARGET} px target"
        embeds = ", ".join(f"{h} px" for h in result.embeds)
        print(
            f"  {result.name + '.png':<15} embed {embeds} ({verdict}); "
            f"message with buttons {result.message} px"
        )
    total = sum(p.stat().st_size for p in out.glob("*.png"))
    print(f"  total size {total // 1024} KB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    parser.add_argument(
        "--now",
        type=lambda text: datetime.fromisoformat(text).astimezone(UTC),
        default=None,
        help="the bot's clock, ISO 8601 (default: the real time)",
    )
    args = parser.parse_args(argv)
    report(run(args.out, args.now), args.out)


if __name__ == "__main__":
    main()
