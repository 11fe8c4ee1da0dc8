"""Share cards in Arabic script: the campaign card in Arabic and Sorani Kurdish is drawn from the
campaign's translation, shaped (joined letter forms) and laid out right to left, with the font
served from static/fonts; the Arabic page's og:image points to the Arabic card."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageChops

from app.extensions import db
from app.models import CampaignTranslation
from app.services import share_cards
from tests.builders import make_campaign
from tests.conftest import app_context

ARABIC_TITLE = "أنقذوا نهر دجلة"
SORANI_TITLE = "ڕزگارکردنی ڕووباری دیجلە"
TITLE_BAND = (0, 160, share_cards.WIDTH, 430)  # where the title's lines are drawn


@pytest.fixture
def tigris(app):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.add_all(
            [
                CampaignTranslation(campaign_id=campaign.id, locale="ar", title=ARABIC_TITLE, summary="ملخص"),
                CampaignTranslation(
                    campaign_id=campaign.id, locale="ckb", title=SORANI_TITLE, summary="کورتە"
                ),
            ]
        )
        db.session.commit()


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.size == (share_cards.WIDTH, share_cards.HEIGHT)
    return image.convert("RGB")


def ink(image: Image.Image) -> tuple[int, int, int, int]:
    """The bounding box of the title's white letters."""
    band = image.crop(TITLE_BAND).convert("L").point(lambda v: 255 if v > 200 else 0)
    box = band.getbbox()
    assert box is not None, "no title drawn"
    return box


def test_the_font_with_arabic_letters_is_served_from_static(client):
    assert share_cards.FONT_PATH.parent.name == "fonts"
    answer = client.get("/static/fonts/DejaVuSans-Bold.ttf")
    assert answer.status_code == 200 and len(answer.get_data()) == share_cards.FONT_PATH.stat().st_size


def test_arabic_and_sorani_cards_are_their_own(client, tigris):
    english = client.get("/open-data/cards/campaigns/save-the-tigris.png")
    arabic = client.get("/open-data/cards/campaigns/save-the-tigris.png?lang=ar")
    sorani = client.get("/open-data/cards/campaigns/save-the-tigris.png?lang=ckb")
    for answer in (english, arabic, sorani):
        assert answer.status_code == 200 and answer.mimetype == "image/png"
        assert "Set-Cookie" not in answer.headers
    pictures = [picture(a.get_data()) for a in (english, arabic, sorani)]
    assert ImageChops.difference(pictures[0], pictures[1]).getbbox() is not None
    assert ImageChops.difference(pictures[1], pictures[2]).getbbox() is not None
    # A language the campaign is not written in, or not one of ours: its own (English) card.
    assert (
        client.get("/open-data/cards/campaigns/save-the-tigris.png?lang=fr").get_data() == english.get_data()
    )
    assert (
        client.get("/open-data/cards/campaigns/save-the-tigris.png?lang=xx").get_data() == english.get_data()
    )


def test_arabic_titles_run_right_to_left_from_the_right_margin(client, tigris):
    english = ink(picture(client.get("/open-data/cards/campaigns/save-the-tigris.png").get_data()))
    assert english[0] <= share_cards.MARGIN + 10  # starts at the left margin
    assert english[2] < share_cards.WIDTH - share_cards.MARGIN - 100
    for lang in ("ar", "ckb"):
        box = ink(
            picture(client.get(f"/open-data/cards/campaigns/save-the-tigris.png?lang={lang}").get_data())
        )
        assert box[2] >= share_cards.WIDTH - share_cards.MARGIN - 10, lang  # starts at the right margin
        assert box[0] > share_cards.MARGIN + 100, lang


@pytest.mark.parametrize(("title", "lang"), [(ARABIC_TITLE, "ar"), (SORANI_TITLE, "ckb")])
def test_arabic_script_is_shaped(title, lang):
    """The card draws joined letter forms, not the isolated letters of an unshaped layout,
    whether in the typed order or naively reversed for right-to-left."""
    assert share_cards.shaping_available(), "Pillow lacks libraqm: Arabic cards would be unshaped"
    args = ("tigris", 3, 1, "{supporters} · {projects}", lang)
    shaped = picture(share_cards.campaign_card(title, *args))
    unshaped = picture(share_cards.campaign_card(title, *args, shaped=False))
    reversed_unshaped = picture(share_cards.campaign_card(title[::-1], *args, shaped=False))
    for other in (unshaped, reversed_unshaped):
        assert ImageChops.difference(shaped.crop(TITLE_BAND), other.crop(TITLE_BAND)).getbbox() is not None
    # Joined letters: the shaped title is narrower than its isolated letters side by side.
    assert ink(shaped)[2] - ink(shaped)[0] < ink(unshaped)[2] - ink(unshaped)[0]


def test_the_arabic_page_shares_the_arabic_card(client, tigris):
    og_image = re.compile(r'<meta property="og:image" content="([^"]+)">')
    english = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    assert (
        og_image.search(english).group(1)
        == "http://tadamun.test/open-data/cards/campaigns/save-the-tigris.png"
    )
    arabic = client.get("/campaigns/save-the-tigris?lang=ar").get_data(as_text=True)
    image = og_image.search(arabic).group(1)
    assert image == "http://tadamun.test/open-data/cards/campaigns/save-the-tigris.png?lang=ar"
    assert '"image": "http://tadamun.test/open-data/cards/campaigns/save-the-tigris.png?lang=ar"' in arabic
    assert client.get(image.removeprefix("http://tadamun.test")).status_code == 200
