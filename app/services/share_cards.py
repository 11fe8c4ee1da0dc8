"""Share cards: the picture a messaging app shows beside a link to a campaign (1200x630 PNG),
drawn on the server with Pillow from public data only (the campaign's title in the asked
language and its public counters), and kept in memory by what it shows, so each is drawn once
per change.

Arabic and Sorani Kurdish titles are shaped (joined letter forms, ligatures) and laid out right
to left by libraqm through Pillow (``ImageFont.Layout.RAQM``), with the DejaVu Sans font served
from static/fonts (Latin, Arabic and Kurdish letters). Without libraqm, Pillow's basic layout
would draw isolated letters left to right: ``shaping_available()`` says which one runs, and
tests/test_share_cards.py fails if the Arabic card is not shaped.
"""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

WIDTH, HEIGHT = 1200, 630
MARGIN = 70
ACCENT_COLOURS = {
    "tigris": "#1f4e79",
    "reed": "#2f6b3c",
    "clay": "#9a4a1c",
    "saffron": "#b07d00",
    "rose": "#9b2d55",
    "slate": "#4a5866",
}
FONT_PATH = Path(__file__).resolve().parents[2] / "static" / "fonts" / "DejaVuSans-Bold.ttf"
RIGHT_TO_LEFT = frozenset({"ar", "ckb"})


def shaping_available() -> bool:
    """Whether Pillow has libraqm, which shapes Arabic script and lays it out right to left."""
    return bool(features.check("raqm"))


@lru_cache(maxsize=8)
def _font(size: int, shaped: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if shaped else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONT_PATH), size=size, layout_engine=engine)


def _line(draw: ImageDraw.ImageDraw, y: int, text: str, font, lang: str, shaped: bool) -> None:
    """One line, from the start edge of the language's direction."""
    if lang in RIGHT_TO_LEFT:
        options = {"direction": "rtl", "language": lang} if shaped else {}
        draw.text((WIDTH - MARGIN, y), text, font=font, fill="#ffffff", anchor="ra", **options)
    else:
        options = {"direction": "ltr", "language": lang} if shaped else {}
        draw.text((MARGIN, y), text, font=font, fill="#ffffff", anchor="la", **options)


@lru_cache(maxsize=256)
def campaign_card(
    title: str,
    accent: str,
    supporters: int,
    projects: int,
    caption: str,
    lang: str = "en",
    shaped: bool | None = None,
) -> bytes:
    """The card's PNG. Arguments are the whole of what it shows, so they key the cache.
    ``lang`` is the language of ``title`` and ``caption`` (right to left for Arabic and Sorani);
    ``shaped`` defaults to whether libraqm is there (False draws unshaped letters, for tests)."""
    shaped = shaping_available() if shaped is None else shaped
    image = Image.new("RGB", (WIDTH, HEIGHT), ACCENT_COLOURS.get(accent, ACCENT_COLOURS["tigris"]))
    draw = ImageDraw.Draw(image)
    big, small = _font(60, shaped), _font(34, shaped)
    _line(draw, 60, "Tadamun", small, "en", shaped)
    y = 170
    for line in textwrap.wrap(title, width=30)[:3]:
        _line(draw, y, line, big, lang, shaped)
        y += 84
    _line(draw, HEIGHT - 110, caption.format(supporters=supporters, projects=projects), small, lang, shaped)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
