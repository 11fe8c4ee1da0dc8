"""The network's shape (issue #20): aggregates only, small numbers suppressed, visitor's view."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import OrganizationKind, OrganizationStatus, PledgeVisibility
from app.models.base import utcnow
from app.services import network_shape
from app.services.network_shape import Cell, suppress
from tests import builders
from tests.conftest import app_context


def test_cells_below_three_are_suppressed_and_never_worked_out_from_the_total():
    cells = {cell.key: cell for cell in suppress({"a": 10, "b": 5, "c": 2})}
    assert cells["a"].count == 10
    assert cells["c"].suppressed
    # Only one would be hidden: a total of 17 minus 10 and 5 would give c away.
    assert cells["b"].suppressed
    assert not any(cell.suppressed for cell in suppress({"a": 3, "b": 4}))
    # A lone zero names nobody: the others stay shown.
    assert [cell.count for cell in suppress({"a": 3, "b": 0}, ("a", "b"))] == [3, None]
    both = suppress({"iraqi": 7, "international": 1}, ("iraqi", "international"))
    assert [cell.count for cell in both] == [None, None]
    zeros = suppress({"x": 5}, ("x", "y", "z"))
    assert [cell.count for cell in zeros] == [5, None, None]
    assert Cell("a", None).share == 0.0


def test_cities_are_counted_in_their_governorate():
    assert network_shape.governorate_of("Mosul") == "nineveh"
    assert network_shape.governorate_of("البصرة") == "basra"
    assert network_shape.governorate_of("Hawler") == "erbil"
    assert network_shape.governorate_of("Atlantis") == network_shape.ELSEWHERE
    assert network_shape.governorate_of("") == network_shape.ELSEWHERE
    assert len(network_shape.TILES) == len(network_shape.GOVERNORATES) == 18


def _numbers(html: str, caption: str) -> dict[str, str]:
    table = html.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]*)</th>\s*<td>([^<]*)</td>', table))


def test_the_whole_network_counts_listed_organizations_only_and_suppresses_small_cells(app):
    with app_context(app):
        for n in range(4):
            builders.make_organization(f"Baghdad {n}", city="Baghdad")
        for n in range(3):
            builders.make_organization(f"Mosul {n}", city="Mosul", kind=OrganizationKind.YOUTH_GROUP)
        builders.make_organization("Lonely Basra", city="Basra")
        for n in range(3):
            builders.make_organization(f"Rome {n}", country="IT", kind=OrganizationKind.INTERNATIONAL_NGO)
        # Out of public view: never counted (else Basra would read 3).
        builders.make_organization("Dark Basra", city="Basra", dark_at=utcnow())
        builders.make_organization("Pending Basra", city="Basra", status=OrganizationStatus.PENDING)
        builders.make_organization("Suspended Basra", city="Basra", status=OrganizationStatus.SUSPENDED)
        builders.make_organization("Delisted Basra", city="Basra", delisted_at=utcnow())
        db.session.commit()
    response = app.test_client().get("/solidarity/shape")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    governorates = _numbers(html, "By governorate")
    assert governorates["Baghdad"] == "4"
    assert governorates["Nineveh"] == "3"
    assert governorates["Basra"] == "fewer than 3"
    assert governorates["Erbil"] == "fewer than 3"
    assert _numbers(html, "Iraqi and international") == {"Iraqi": "8", "International": "3"}
    countries = _numbers(html, "By country")
    assert countries == {"Iraq": "8", "Italy": "3"}
    assert "<title>Basra: fewer than 3</title>" in html
    assert "<title>Baghdad: 4</title>" in html
    assert "11" in html.split("Organizations counted:", 1)[1].split("</p>", 1)[0]
    for name in ("Lonely Basra", "Dark Basra", "Pending Basra", "Baghdad 0"):
        assert name not in html  # aggregates only


def test_a_campaigns_shape_counts_public_pledges_only(app):
    with app_context(app):
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        for n in range(3):
            builders.make_pledge(builders.make_organization(f"Public {n}", city="Basra"), campaign)
        for visibility in (PledgeVisibility.MEMBERS, PledgeVisibility.COUNTED):
            builders.make_pledge(builders.make_organization(f"{visibility}", city="Erbil"), campaign,
                                 visibility=visibility)  # fmt: skip
        builders.make_pledge(builders.make_organization("Gone", city="Erbil"), campaign, withdrawn=True)
        builders.make_organization("Not a supporter", city="Basra")
        member = builders.make_user(builders.make_organization("Reader", country="FR"), email="r@example.org")
        db.session.commit()
    from tests.conftest import log_in

    for email in (None, member.email):
        client = app.test_client()
        if email:
            log_in(client, email)
        html = client.get("/solidarity/shape/save-the-tigris").get_data(as_text=True)
        governorates = _numbers(html, "By governorate")
        assert governorates["Basra"] == "3"
        assert governorates["Erbil"] == "fewer than 3"
        # Members-only and counted-only supporters are not counted, even for a member.
        assert _numbers(html, "Iraqi and international") == {"Iraqi": "3", "International": "fewer than 3"}
    assert app.test_client().get("/solidarity/shape/no-such-campaign").status_code == 404


def test_shape_pages_cost_the_same_queries_at_any_size(app, count_queries):
    with app_context(app):
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        builders.make_pledge(builders.make_organization("First", city="Basra"), campaign)
        db.session.commit()
    client = app.test_client()
    urls = ("/solidarity/shape", "/solidarity/shape/save-the-tigris")
    for url in urls:
        client.get(url)
    before = {}
    for url in urls:
        with count_queries() as counter:
            client.get(url)
        before[url] = counter.count
    with app_context(app):
        import sqlalchemy as sa

        from app.models import Campaign

        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "save-the-tigris"))
        for n, city in enumerate(["Mosul", "Erbil", "Kirkuk", "Najaf", "Nowhere"] * 4):
            builders.make_pledge(builders.make_organization(f"More {n}", city=city), campaign)
        db.session.commit()
    for url in urls:
        with count_queries() as counter:
            client.get(url)
        assert counter.count == before[url] <= 4, url
