"""The leak test of the open-data doors (issue #18): Hypothesis builds random networks with every
status (pending, approved, rejected, suspended), dark, delisted and being-deleted organizations,
every visibility of contact details (registration identifiers included), Murmurations opt-ins,
pledges and project links, withdrawn pledges, hidden messages and hidden projects, moderators'
reasons and pending names; then walks every API endpoint, feed, export, Murmurations profile, the
sitemap, robots.txt and the pages' JSON-LD and preview tags as a visitor (and with a member's
cookie, which must change nothing), and fails on any datum a visitor may not see.

Each private datum carries a unique marker (``LEAK...``), so "not in any answer" is a plain search.
Campaign and project updates (deleted ones, on hidden projects, by organizations out of public
view) and a gathering (in every status, past or not, organized, supported and registered to by
organizations of every kind, with registrants' private needs and people registering alone) are
part of each world; their doors (the API's /updates and /gatherings, the network, campaign and
project feeds, the gathering's page with its Event JSON-LD, the sitemap) are walked too. New
doors are added to ``doors()``; new private data to ``build()``'s markers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import (
    CampaignStatus,
    GatheringCampaign,
    GatheringOrganization,
    GatheringRole,
    GatheringStatus,
    LinkVisibility,
    OrganizationStatus,
    PledgeVisibility,
    Registration,
    RegistrationState,
    Update,
    UpdateText,
    Visibility,
)
from app.models.base import utcnow
from app.models.gathering import HOLDS_PLACE
from app.models.organization import CONTACT_FIELDS
from app.open_doors import is_open_path
from app.services.visibility import is_publicly_listed
from tests.builders import make_campaign, make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context, empty_all_tables, log_in
from tests.gathering_support import delegate_type, make_gathering

organization_specs = st.fixed_dictionaries(
    {
        # Listed organizations half of the time (their private data is what can leak), any other
        # status or absence the other half.
        "status": st.one_of(st.just(OrganizationStatus.APPROVED), st.sampled_from(list(OrganizationStatus))),
        "gone": st.one_of(st.none(), st.sampled_from(["dark_at", "delisted_at", "deletion_requested_at"])),
        "contacts": st.fixed_dictionaries(
            {name: st.sampled_from(list(Visibility)) for name in CONTACT_FIELDS}
        ),
        "pledges": st.lists(
            st.fixed_dictionaries(
                {
                    "campaign": st.integers(0, 1),
                    "visibility": st.sampled_from(list(PledgeVisibility)),
                    "withdrawn": st.booleans(),
                    "message_hidden": st.booleans(),
                }
            ),
            max_size=2,
            unique_by=lambda pledge: pledge["campaign"],
        ),
        "projects": st.lists(
            st.fixed_dictionaries(
                {"hidden": st.booleans(), "link": st.sampled_from([None, *LinkVisibility])}
            ),
            max_size=2,
        ),
        "proposed_name": st.booleans(),
        "murmurations": st.booleans(),
        # Updates it posts: on a campaign (as a coordinator) or on its first project, deleted or not.
        "updates": st.lists(
            st.fixed_dictionaries({"on": st.sampled_from(["campaign", "project"]), "hidden": st.booleans()}),
            max_size=2,
        ),
        # Its part in the world's gathering: organizer, supporter, registrant (with a visibility
        # and a state), and the private needs of its registration.
        "gathering": st.fixed_dictionaries(
            {
                "role": st.sampled_from([None, *GatheringRole]),
                "registration": st.one_of(
                    st.none(),
                    st.tuples(
                        st.sampled_from(list(PledgeVisibility)), st.sampled_from(list(RegistrationState))
                    ),
                ),
            }
        ),
    }
)

gathering_specs = st.fixed_dictionaries(
    {"status": st.sampled_from(list(GatheringStatus)), "past": st.booleans(), "online": st.booleans()}
)


@dataclass
class World:
    secrets: set[str] = field(default_factory=set)  # must appear in no answer
    public_pairs: set[tuple[str, str]] = field(default_factory=set)  # (organization, campaign) pledges
    public_links: dict[str, set[str]] = field(default_factory=dict)  # project slug -> campaign slugs
    listed: set[str] = field(default_factory=set)
    campaigns: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    named_registrants: set[str] = field(default_factory=set)  # organizations a visitor sees registered
    gathering_shown: bool = False
    member_email: str = ""


GATHERING = "leak-gathering"


def build(specs: list[dict], gathering_spec: dict | None = None) -> World:
    world = World()
    campaigns = [
        make_campaign(slug="leak-camp-0"),
        make_campaign(slug="leak-camp-1", status=CampaignStatus.ARCHIVED),
    ]
    world.campaigns = [c.slug for c in campaigns]
    gathering_spec = gathering_spec or {"status": GatheringStatus.PUBLISHED, "past": False, "online": False}
    gathering = make_gathering(
        "Gathering LEAKGATHERING",
        slug=GATHERING,
        status=gathering_spec["status"],
        days_ahead=-10 if gathering_spec["past"] else 10,
        capacity=100,
        outcome="LEAKOUTCOME",
        online_url="https://meet.example/leak" if gathering_spec["online"] else None,
    )
    db.session.add(GatheringCampaign(gathering_id=gathering.id, campaign_id=campaigns[0].id))
    world.gathering_shown = gathering_spec["status"] != GatheringStatus.DRAFT
    if not world.gathering_shown:
        world.secrets.add("LEAKGATHERING")
    if not (gathering_spec["status"] == GatheringStatus.PUBLISHED and gathering_spec["past"]):
        world.secrets.add("LEAKOUTCOME")
    # An update by the network itself, deleted: never shown.
    make_update(campaigns[0], None, None, "LEAKNETWORKDELETED", hidden=True)
    world.secrets.update({"LEAKNETWORKDELETED", "LEAKUPDATEWHYNETWORKDELETED"})
    # And one shown, posted by the network (no organization).
    make_update(campaigns[0], None, None, "NETWORKNEWS")
    for n, spec in enumerate(specs):
        contacts = {}
        for name, visibility in spec["contacts"].items():
            value = f"LEAK{n}{name.replace('_', '')}" if name != "contact_email" else f"leak{n}@example.org"
            contacts[name] = value
            contacts[f"{name}_visibility"] = visibility
        organization = make_organization(
            f"Org{n} LEAKNAME{n}",
            slug=f"org-{n}",
            status=spec["status"],
            status_reason=f"LEAKREASON{n}",
            proposed_name=f"LEAKPROPOSED{n}" if spec["proposed_name"] else None,
            publishes_murmurations=spec["murmurations"],
            **contacts,
        )
        if spec["gone"]:
            setattr(organization, spec["gone"], utcnow())
        db.session.flush()
        world.organizations.append(organization.slug)
        listed = is_publicly_listed(organization)
        user = make_user(organization, email=f"leakuser{n}@example.org")
        world.secrets.add(user.email)
        world.secrets.add(f"LEAKREASON{n}")
        world.secrets.add(f"LEAKPROPOSED{n}")
        if listed:
            world.listed.add(organization.slug)
            if spec["status"] == OrganizationStatus.APPROVED:
                world.member_email = user.email
        else:
            world.secrets.add(f"LEAKNAME{n}")
        for name, visibility in spec["contacts"].items():
            if not listed or visibility != Visibility.PUBLIC:
                world.secrets.add(contacts[name])
        for p, pledge_spec in enumerate(spec["pledges"]):
            campaign = campaigns[pledge_spec["campaign"]]
            message = f"LEAKMSG{n}x{p}"
            pledge = make_pledge(
                organization,
                campaign,
                visibility=pledge_spec["visibility"],
                withdrawn=pledge_spec["withdrawn"],
                message=message,
            )
            if pledge_spec["message_hidden"]:
                pledge.message_hidden_at = utcnow()
                pledge.message_hidden_reason = f"LEAKHIDDENWHY{n}x{p}"
                world.secrets.add(pledge.message_hidden_reason)
            public = (
                listed
                and pledge_spec["visibility"] == PledgeVisibility.PUBLIC
                and not pledge_spec["withdrawn"]
            )
            if public:
                world.public_pairs.add((organization.slug, campaign.slug))
            if not public or pledge_spec["message_hidden"]:
                world.secrets.add(message)
        for p, project_spec in enumerate(spec["projects"]):
            linked = [] if project_spec["link"] is None else [campaigns[p % 2]]
            project = make_project(
                organization,
                linked,
                f"Project LEAKPROJECT{n}x{p}",
                slug=f"project-{n}-{p}",
                link_visibility=project_spec["link"] or LinkVisibility.PUBLIC,
            )
            if project_spec["hidden"]:
                project.hidden_at = utcnow()
                project.hidden_reason = f"LEAKPROJECTWHY{n}x{p}"
            world.secrets.add(f"LEAKPROJECTWHY{n}x{p}")
            world.projects.append(project.slug)
            if listed and not project_spec["hidden"]:
                world.public_links[project.slug] = {
                    c.slug for c in linked if project_spec["link"] == LinkVisibility.PUBLIC
                }
            else:
                world.secrets.add(f"LEAKPROJECT{n}x{p}")
            if p == 0:
                first_project, first_project_hidden = project, project_spec["hidden"]
        for u, update_spec in enumerate(spec["updates"]):
            marker = f"LEAKUPDATE{n}x{u}"
            world.secrets.add(f"LEAKUPDATEWHY{n}x{u}")
            if update_spec["on"] == "project" and spec["projects"]:
                make_update(None, first_project, organization, marker, hidden=update_spec["hidden"])
                shown = listed and not first_project_hidden and not update_spec["hidden"]
            else:
                make_update(campaigns[u % 2], None, organization, marker, hidden=update_spec["hidden"])
                shown = listed and not update_spec["hidden"]
            if not shown:
                world.secrets.add(marker)
        role, registration = spec["gathering"]["role"], spec["gathering"]["registration"]
        if role is not None:
            db.session.add(
                GatheringOrganization(gathering_id=gathering.id, organization_id=organization.id, role=role)
            )
        if registration is not None:
            visibility, state = registration
            db.session.add(
                Registration(
                    gathering_id=gathering.id,
                    registration_type_id=delegate_type(gathering).id,
                    organization_id=organization.id,
                    user_id=user.id,
                    state=state,
                    visibility=visibility,
                    dietary_needs=f"LEAKDIET{n}",
                    interpretation_needs=f"LEAKINTERPRETATION{n}",
                )
            )
            world.secrets.update({f"LEAKDIET{n}", f"LEAKINTERPRETATION{n}"})
            if listed and visibility == PledgeVisibility.PUBLIC and state in HOLDS_PLACE:
                world.named_registrants.add(organization.slug)
        # A member registering alone, as a person, is never named; the needs never shown.
        db.session.add(
            Registration(
                gathering_id=gathering.id,
                registration_type_id=delegate_type(gathering).id,
                user_id=user.id,
                state=RegistrationState.CONFIRMED,
                visibility=PledgeVisibility.PUBLIC,
                dietary_needs=f"LEAKPERSONDIET{n}",
            )
        )
        world.secrets.add(f"LEAKPERSONDIET{n}")
    db.session.commit()
    return world


def make_update(campaign, project, organization, marker: str, *, hidden: bool = False) -> None:
    update = Update(
        campaign_id=campaign.id if campaign else None,
        project_id=project.id if project else None,
        organization_id=organization.id if organization else None,
        locale="en",
        texts=[UpdateText(locale="en", title=f"Update {marker}", body=f"Body {marker}")],
    )
    if hidden:
        update.hidden_at = utcnow()
        update.hidden_reason = marker.replace("LEAKUPDATE", "LEAKUPDATEWHY")
    db.session.add(update)
    db.session.flush()


def doors(world: World) -> list[str]:
    """Every open-data address of this world, items of hidden things included."""
    paths = [
        "/api/v1/",
        "/api/v1/openapi.json",
        "/api/v1/campaigns?limit=100",
        "/api/v1/organizations?limit=100",
        "/api/v1/pledges?limit=100",
        "/api/v1/projects?limit=100",
        "/feeds/network.atom",
        "/open-data/organizations.csv",
        "/open-data/organizations.json",
        "/open-data",
        "/sitemap.xml",
        "/robots.txt",
        "/api/v1/updates?limit=100",
        "/api/v1/gatherings?limit=100",
        "/api/v1/gatherings?when=past&limit=100",
        f"/api/v1/gatherings/{GATHERING}",
    ]
    for slug in world.campaigns:
        paths += [
            f"/api/v1/campaigns/{slug}",
            f"/api/v1/organizations?campaign={slug}&limit=100",
            f"/api/v1/pledges?campaign={slug}&limit=100",
            f"/api/v1/projects?campaign={slug}&limit=100",
            f"/feeds/campaigns/{slug}.atom",
            f"/open-data/campaigns/{slug}/supporters.csv",
            f"/open-data/campaigns/{slug}/supporters.json",
            f"/open-data/campaigns/{slug}/projects.csv",
            f"/open-data/campaigns/{slug}/projects.json",
            f"/api/v1/updates?campaign={slug}&limit=100",
            f"/api/v1/gatherings?campaign={slug}&limit=100",
            f"/campaigns/{slug}/updates.atom",
        ]
    for slug in world.organizations:
        paths += [
            f"/api/v1/organizations/{slug}",
            f"/feeds/organizations/{slug}.atom",
            f"/open-data/murmurations/{slug}.json",
        ]
    for slug in [
        *world.public_links,
        *(f"project-{n}-{p}" for n in range(len(world.organizations)) for p in range(2)),
    ]:
        paths.append(f"/api/v1/projects/{slug}")
    for slug in world.projects:
        paths += [f"/api/v1/updates?project={slug}&limit=100", f"/feeds/projects/{slug}.atom"]
    return paths


def no_internal_ids(value, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert key != "id" and not key.endswith("_id"), f"{where}: internal id {key}"
            no_internal_ids(item, where)
    elif isinstance(value, list):
        for item in value:
            no_internal_ids(item, where)


def check_answer(world: World, path: str, answer) -> None:
    assert answer.status_code in (200, 404), (path, answer.status_code)
    assert answer.status_code < 500
    if answer.mimetype == "image/png":
        return  # a share card draws the campaign's public title and counters only
    body = answer.get_data(as_text=True)
    for secret in world.secrets:
        assert secret not in body, f"{path} shows {secret}"
    if is_open_path(path.split("?")[0]):
        assert "Set-Cookie" not in answer.headers, path
    if answer.status_code != 200 or not path.startswith("/api/v1/") or "openapi" in path:
        return
    data = json.loads(body)
    no_internal_ids(data, path)
    items = data.get("items", [data]) if isinstance(data, dict) else data
    for item in items:
        if "organization" in item and "campaign" in item and "support" in item:
            assert (item["organization"], item["campaign"]) in world.public_pairs, (path, item)
        if ("public_pledges" in item or "organization_name" in item) and "body" not in item:
            assert item.get("organization", item.get("slug")) in world.listed, (path, item)
        if "campaigns" in item and item.get("slug") in world.public_links:
            assert set(item["campaigns"]) <= world.public_links[item["slug"]], (path, item)
        if item.get("slug") == GATHERING:
            assert world.gathering_shown, path
            for role in ("organizers", "supporters", "registered_organizations"):
                assert {o["slug"] for o in item.get(role, [])} <= world.listed, (path, role, item)
            named = {o["slug"] for o in item.get("registered_organizations", [])}
            assert named <= world.named_registrants, (path, item)
        if "kind" in item and item.get("kind") in ("campaign", "project") and "body" in item:
            assert item["organization"] is None or item["organization"] in world.listed, (path, item)


PREVIEW = re.compile(
    r'<script type="application/ld\+json">.*?</script>|<meta (?:property|name)="(?:og|twitter):[^>]*>', re.S
)


def pages(world: World) -> list[str]:
    """Public pages whose head carries JSON-LD and OpenGraph/Twitter tags."""
    paths = [f"/campaigns/{slug}" for slug in world.campaigns]
    paths += [f"/organizations/{slug}" for slug in world.organizations]
    paths += [f"/projects/{slug}" for slug in world.public_links]
    paths += [f"/gatherings/{GATHERING}", f"/gatherings/{GATHERING}/outcome"]
    return paths


def walk(world: World, client, *, member: bool = False) -> None:
    for path in doors(world) + [f"/open-data/cards/campaigns/{slug}.png" for slug in world.campaigns]:
        check_answer(world, path, client.get(path))
    for path in pages(world):
        answer = client.get(path)
        assert answer.status_code in (200, 404), path
        html = answer.get_data(as_text=True)
        # A visitor's whole page; on a member's page, what it publishes for machines (JSON-LD,
        # previews), which must be the visitor's.
        shown = "".join(PREVIEW.findall(html)) if member else html
        for secret in world.secrets:
            assert secret not in shown, f"{path} shows {secret}"


def _spec(
    status=OrganizationStatus.APPROVED, gone=None, *, updates=(), projects=(), role=None, registration=None
):
    return {
        "status": status, "gone": gone,
        "contacts": {name: Visibility.PUBLIC for name in CONTACT_FIELDS},
        "pledges": [], "projects": list(projects), "proposed_name": False, "murmurations": False,
        "updates": list(updates), "gathering": {"role": role, "registration": registration},
    }  # fmt: skip


# One world that holds every case at once, tried before the random ones: listed organizations
# registered members-only, counted-only and publicly; a suspended organizer, a dark supporter;
# deleted updates, an update on a hidden project, updates by organizations out of view.
EVERY_CASE = [
    _spec(registration=(PledgeVisibility.MEMBERS, RegistrationState.CONFIRMED),
          updates=[{"on": "campaign", "hidden": True}, {"on": "project", "hidden": False}],
          projects=[{"hidden": True, "link": LinkVisibility.PUBLIC}]),
    _spec(registration=(PledgeVisibility.COUNTED, RegistrationState.ATTENDED), role=GatheringRole.ORGANIZER,
          updates=[{"on": "project", "hidden": False}, {"on": "campaign", "hidden": False}],
          projects=[{"hidden": False, "link": LinkVisibility.PUBLIC}]),
    _spec(registration=(PledgeVisibility.PUBLIC, RegistrationState.WAITING)),
    _spec(OrganizationStatus.SUSPENDED, role=GatheringRole.ORGANIZER,
          registration=(PledgeVisibility.PUBLIC, RegistrationState.CONFIRMED),
          updates=[{"on": "campaign", "hidden": False}]),
    _spec(gone="dark_at", role=GatheringRole.SUPPORTER, updates=[{"on": "campaign", "hidden": False}],
          registration=(PledgeVisibility.PUBLIC, RegistrationState.CONFIRMED)),
]  # fmt: skip


# No shrinking: a failure names the door and the datum at once, within the minute.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
@example(specs=EVERY_CASE, gathering_spec={"status": GatheringStatus.PUBLISHED, "past": True, "online": True})
@given(specs=st.lists(organization_specs, min_size=1, max_size=4), gathering_spec=gathering_specs)
def test_no_private_datum_leaves_through_an_open_door(app, specs, gathering_spec):
    with app_context(app):
        empty_all_tables()
        world = build(specs, gathering_spec)
    client = app.test_client()
    walk(world, client)
    if world.member_email:
        # A member of an approved organization asks the same doors: the same visitor's answers.
        log_in(client, world.member_email)
        walk(world, client, member=True)
    # The supporters the doors name are exactly the public pledges, nothing more.
    named = set()
    for slug in world.campaigns:
        for row in client.get(f"/open-data/campaigns/{slug}/supporters.json").get_json():
            named.add((row["organization"], row["campaign"]))
    assert named == world.public_pairs
