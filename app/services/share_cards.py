"""Share cards: the picture a messaging app shows beside a link to a campaign (1200x630 PNG),
drawn on the server with Pillow from public data only (the campaign's title and public
counters), and kept in memory by the campaign's state, so each is drawn once per change."""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
ACCENT_COLOURS = {
    "tigris": "#1f4e79",
    "reed": "#2f6b3c",
    "clay": "#9a4a1c",
    "saffron": "#b07d00",
    "rose": "#9b2d55",
    "slate": "#4a5866",
}


@lru_cache(maxsize=256)
def campaign_card(title: str, accent: str, supporters: int, projects: int, caption: str) -> bytes:
    """The card's PNG. Arguments are the whole of what it shows, so they key the cache."""
    image = Image.new("RGB", (WIDTH, HEIGHT), ACCENT_COLOURS.get(accent, ACCENT_COLOURS["tigris"]))
    draw = ImageDraw.Draw(image)
    big = ImageFont.load_default(size=64)
    small = ImageFont.load_default(size=36)
    draw.text((70, 60), "Tadamun", font=small, fill="#ffffff")
    y = 170
    for line in textwrap.wrap(title, width=30)[:3]:
        draw.text((70, y), line, font=big, fill="#ffffff")
        y += 80
    draw.text(
        (70, HEIGHT - 110),
        caption.format(supporters=supporters, projects=projects),
        font=small,
        fill="#ffffff",
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
