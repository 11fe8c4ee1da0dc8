"""The leak test of issue #20's records: Hypothesis builds networks with offers and needs of each
visibility (on the profile and per campaign, over pledges of every visibility), organizations of
every status (pending, rejected, suspended) and gone ones (dark, being deleted), introductions
(pending, accepted, declined, each side choosing contact details to share), and joint
statements with named and counted-only signatures (one open, one frozen); then walks every door
that shows these records, as a visitor and as a member of another approved organization:
profiles, the campaign page and its offers, the member's dashboard (partner suggestions),
the statement pages, PDF text and CSV, the network's shape (page, map and charts), and each
organization's introductions page.

It fails on any members-only offer or need shown to a visitor, any offer of an organization out
of public view (or on a campaign whose pledge the reader may not see), any counted-only
signatory's name, any name of an organization out of public view, any contact detail outside
an accepted introduction whose side chose it, and any count of 1 or 2 on the shape pages.
Each private datum carries a unique marker (``LEAK...``), so "not in any answer" is a search.
(The API, feeds and open-data exports carry none of these records: tests/test_open_data_leaks.py
walks them.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import (
    Introduction,
    IntroductionStatus,
    JointStatement,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    OrganizationStatus,
    PledgeVisibility,
    StatementSignature,
    Visibility,
)
from app.models.base import utcnow
from app.services import statements
from app.services.visibility import is_publicly_listed
from tests.builders import make_campaign, make_moderator, make_organization, make_pledge, make_user
from tests.conftest import app_context, empty_all_tables, log_in
from tests.test_solidarity_statements import _pdf_lines, _to_unicode

SHARED = ("contact_email", "contact_phone")
CATEGORIES = list(OfferCategory)

organization_specs = st.fixed_dictionaries(
    {
        "status": st.one_of(st.just(OrganizationStatus.APPROVED), st.sampled_from(list(OrganizationStatus))),
        "gone": st.one_of(st.none(), st.none(), st.sampled_from(["dark_at", "deletion_requested_at"])),
        "iraqi": st.booleans(),
        "city": st.sampled_from(["Basra", "Baghdad", "Erbil"]),
        "pledge": st.one_of(st.none(), st.sampled_from(list(PledgeVisibility))),
        "offers": st.lists(
            st.fixed_dictionaries(
                {
                    "direction": st.sampled_from(list(OfferDirection)),
                    "category": st.sampled_from(CATEGORIES[:3]),
                    "visibility": st.sampled_from(list(OfferVisibility)),
                    "campaign": st.booleans(),
                }
            ),
            max_size=3,
            unique_by=lambda o: (o["direction"], o["category"], o["campaign"]),
        ),
        "signs": st.sampled_from([None, "named", "counted"]),
    }
)
introduction_specs = st.lists(
    st.fixed_dictionaries(
        {
            "pair": st.tuples(st.integers(0, 4), st.integers(0, 4)),
            "status": st.sampled_from(list(IntroductionStatus)),
            "requester_fields": st.lists(st.sampled_from(SHARED), unique=True),
            "recipient_fields": st.lists(st.sampled_from(SHARED), unique=True),
        }
    ),
    max_size=4,
)


@dataclass
class World:
    n: int = 0
    visitor_secrets: set[str] = field(default_factory=set)  # hidden from visitors
    member_secrets: set[str] = field(default_factory=set)  # hidden from the walking member too
    counted_names: set[str] = field(default_factory=set)  # never on a statement's doors
    contacts: dict[str, str] = field(default_factory=dict)  # marker -> "org index:field"
    exchanged: set[tuple[int, str]] = field(default_factory=set)  # (reader org, contact marker)
    shown: set[str] = field(default_factory=set)  # offers a visitor must find on some door
    members: dict[int, str] = field(default_factory=dict)  # org index -> a member's email
    statements: tuple[int, int] = (0, 0)


def _offer_shown(listed: bool, offer: dict, pledge: PledgeVisibility | None, member: bool) -> bool:
    if not listed:
        return False
    if offer["visibility"] == OfferVisibility.MEMBERS and not member:
        return False
    if offer["campaign"]:
        named = (PledgeVisibility.PUBLIC, PledgeVisibility.MEMBERS) if member else (PledgeVisibility.PUBLIC,)
        return pledge in named
    return True


def build(specs: list[dict], introductions: list[dict]) -> World:
    world = World(n=len(specs))
    campaign = make_campaign(slug="leak-camp")
    moderator = make_moderator("leak-moderator@example.org")
    texts = {"en": ("LEAKFREE statement", "Free the rivers.")}
    deadline = utcnow() + timedelta(days=2)
    opened = statements.publish(moderator, campaign, deadline=deadline, allow_counted=True, texts=texts)
    frozen = statements.publish(moderator, campaign, deadline=deadline, allow_counted=True, texts=texts)
    world.statements = (opened.id, frozen.id)
    # The walking member: an approved Iraqi organization on the campaign that needs everything.
    walker = make_organization("Walker Org", slug="walker-org", country="IQ", city="Basra")
    make_pledge(walker, campaign)
    for category in CATEGORIES:
        db.session.add(
            Offer(organization_id=walker.id, direction=OfferDirection.NEED, category=category,
                  text="walker needs", visibility=OfferVisibility.PUBLIC)
        )  # fmt: skip
    make_user(walker, email="walker@example.org")
    listed_of = {}
    for n, spec in enumerate(specs):
        name = f"Org{n} LEAKNAME{n}x"
        organization = make_organization(
            name, slug=f"org-{n}", status=spec["status"], country="IQ" if spec["iraqi"] else "IT",
            city=spec["city"] if spec["iraqi"] else "Rome",
            contact_email=f"leakcontact{n}@example.org", contact_email_visibility=Visibility.HIDDEN,
            contact_phone=f"+964LEAKPHONE{n}", contact_phone_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        if spec["gone"]:
            setattr(organization, spec["gone"], utcnow())
        db.session.flush()
        listed = listed_of[n] = is_publicly_listed(organization)
        world.members[n] = make_user(organization, email=f"leakmember{n}@example.org").email
        world.contacts[f"leakcontact{n}@example.org"] = f"{n}:contact_email"
        world.contacts[f"+964LEAKPHONE{n}"] = f"{n}:contact_phone"
        if not listed:
            world.member_secrets.add(f"LEAKNAME{n}x")
        if spec["pledge"] is not None:
            make_pledge(organization, campaign, visibility=spec["pledge"])
        for k, offer in enumerate(spec["offers"]):
            marker = f"LEAKOFFER{n}x{k}y"
            db.session.add(
                Offer(
                    organization_id=organization.id, campaign_id=campaign.id if offer["campaign"] else None,
                    direction=offer["direction"], category=offer["category"], text=marker,
                    visibility=offer["visibility"],
                )
            )  # fmt: skip
            if not _offer_shown(listed, offer, spec["pledge"], member=True):
                world.member_secrets.add(marker)
            elif not _offer_shown(listed, offer, spec["pledge"], member=False):
                world.visitor_secrets.add(marker)
            else:
                world.shown.add(marker)
        if spec["signs"]:
            for statement in (opened, frozen):
                db.session.add(
                    StatementSignature(
                        statement_id=statement.id, organization_id=organization.id,
                        named=spec["signs"] == "named", version=1,
                    )
                )  # fmt: skip
            if spec["signs"] == "counted":
                world.counted_names.add(f"LEAKNAME{n}x")
    for intro in introductions:
        requester, recipient = intro["pair"]
        if requester == recipient or requester >= len(specs) or recipient >= len(specs):
            continue
        db.session.add(
            Introduction(
                requester_id=_org_id(requester), recipient_id=_org_id(recipient), message="Hello",
                status=intro["status"], requester_fields=" ".join(intro["requester_fields"]),
                recipient_fields=" ".join(intro["recipient_fields"]),
            )
        )  # fmt: skip
        if intro["status"] != IntroductionStatus.ACCEPTED:
            continue
        # Each side reads the other's chosen details while the other is in public view.
        for reader, other, fields in (
            (requester, recipient, intro["recipient_fields"]),
            (recipient, requester, intro["requester_fields"]),
        ):
            if listed_of[other]:
                for name in fields:
                    marker = next(m for m, where in world.contacts.items() if where == f"{other}:{name}")
                    world.exchanged.add((reader, marker))
    db.session.flush()
    db.session.execute(
        db.update(JointStatement)
        .where(JointStatement.id == frozen.id)
        .values(deadline=utcnow() - timedelta(1))
    )
    db.session.commit()
    return world


def _org_id(n: int) -> int:
    from app.models import Organization

    return db.session.scalar(db.select(Organization.id).where(Organization.slug == f"org-{n}"))


def doors(world: World, *, member: bool) -> list[str]:
    paths = [
        "/campaigns/leak-camp",
        "/solidarity/campaigns/leak-camp/offers",
        "/solidarity/campaigns/leak-camp/statements",
        *(f"/organizations/org-{n}" for n in range(world.n)),
        "/organizations/walker-org",
        "/solidarity/shape",
        "/solidarity/shape/leak-camp",
    ]
    if member:
        paths.append("/account/")  # the dashboard's partner suggestions
    return paths


STATEMENT_DOORS = ("", "/signatories.csv", "/statement.pdf")
SMALL_COUNT = re.compile(
    r"<td>[12]</td>|<title>[^<]*: [12]</title>|class=\"shape-tile-count\">[12]<|counted:</strong> [12]<"
)


def text_of(answer) -> str:
    if answer.mimetype == "application/pdf":
        pdf = answer.data
        cmap = _to_unicode(pdf)
        return "\n".join("".join(cmap.get(code, "") for code in codes) for _x, _y, codes in _pdf_lines(pdf))
    return answer.get_data(as_text=True)


def check(path: str, answer, secrets: set[str]) -> str:
    assert answer.status_code in (200, 404), (path, answer.status_code)
    body = text_of(answer)
    for secret in secrets:
        assert secret not in body, f"{path} shows {secret}"
    if "/shape" in path:
        assert not SMALL_COUNT.search(body), f"{path} shows a count below 3: {SMALL_COUNT.search(body)[0]}"
    return body


def walk(world: World, client, *, member: bool) -> str:
    """Every door's answer checked; returns them all, for what must show."""
    secrets = set(world.member_secrets) | set(world.contacts)
    if not member:
        secrets |= world.visitor_secrets
    bodies = [check(path, client.get(path), secrets) for path in doors(world, member=member)]
    for statement_id in world.statements:
        for suffix in STATEMENT_DOORS:
            path = f"/solidarity/statements/{statement_id}{suffix}"
            bodies.append(check(path, client.get(path), secrets | world.counted_names))
    return "\n".join(bodies)


# No shrinking: a failure names the door and the datum at once.
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
@given(specs=st.lists(organization_specs, min_size=1, max_size=5), introductions=introduction_specs)
def test_no_solidarity_record_leaves_through_a_door(app, specs, introductions):
    with app_context(app):
        empty_all_tables()
        world = build(specs, introductions)
    seen = walk(world, app.test_client(), member=False)
    # The doors do show what is public (the test would pass vacuously on empty pages).
    assert all(marker in seen for marker in world.shown), world.shown - {m for m in world.shown if m in seen}
    assert "Walker Org" in seen
    member = app.test_client()
    log_in(member, "walker@example.org")
    walk(world, member, member=True)
    # Each organization's introductions page shows only the details exchanged with it.
    for n, email in world.members.items():
        client = app.test_client()
        log_in(client, email)
        answer = client.get("/solidarity/introductions")
        if answer.status_code != 200:
            continue  # an organization not approved is sent away
        body = answer.get_data(as_text=True)
        assert all(marker in body for reader, marker in world.exchanged if reader == n)
        for marker in world.contacts:
            if (n, marker) not in world.exchanged and not marker.startswith(
                (f"leakcontact{n}@", f"+964LEAKPHONE{n}")
            ):
                assert marker not in body, f"org-{n}'s introductions show {marker}"
