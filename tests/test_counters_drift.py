"""Counters never drift: a long, random but repeatable mix of what members and moderators do.

Every step goes through the services the pages use; after each one the counters stored on
campaigns and organizations must equal the one aggregate over the rows. Organization-level
events reach the numbers through hidden pledges only at a refresh; after the last one, every
number counts the active pledges of approved organizations by their country today.
"""

from __future__ import annotations

import random

import pytest

from app.extensions import db
from app.models import OrganizationStatus, PledgeVisibility
from app.services import DomainError, counters, membership, moderation, moderation_content, pledges, projects
from tests.builders import make_campaign, make_moderator, make_organization, make_user
from tests.test_counters import truth_counts

STEPS = 200


@pytest.mark.parametrize("seed", [1, 2])
def test_counters_match_the_rows_after_every_operation(app_ctx, seed):
    rng = random.Random(seed)
    moderator = make_moderator()
    campaigns = [make_campaign(f"Campaign {n}") for n in range(4)]
    members = []
    for n in range(8):
        status = OrganizationStatus.PENDING if n % 4 == 3 else OrganizationStatus.APPROVED
        org = make_organization(f"Org {n}", status=status, country="IQ" if n % 2 else "FR")
        members.append(make_user(org))
    db.session.commit()
    visibilities = [v.value for v in PledgeVisibility]
    done: dict[str, int] = {}

    for _step in range(STEPS):
        user = rng.choice(members)
        org = user.organization
        campaign = rng.choice(campaigns)
        active = [p for p in org.pledges if p.is_active]
        existing = rng.choice(active) if active else None
        own_projects = list(org.projects)
        action = rng.choice(
            ["pledge", "pledge", "pledge", "change", "withdraw", "withdraw", "suspend", "reinstate",
             "reinstate", "approve", "move", "refresh", "create_project", "edit_project", "delete_project",
             "hide", "unhide"]
        )  # fmt: skip
        try:
            if action == "pledge":
                pledges.pledge(org, campaign, ["advocacy"], visibility=rng.choice(visibilities), actor=user)
            elif action == "change" and existing:
                pledges.update_pledge(existing, ["funding"], visibility=rng.choice(visibilities), actor=user)
            elif action == "withdraw" and existing:
                pledges.withdraw(existing, actor=user)
            elif action == "suspend":
                moderation.suspend_organization(moderator, org, "Breaking the network's rules.")
            elif action == "reinstate":
                moderation.reinstate_organization(moderator, org, "Cleared.")
            elif action == "approve":
                moderation.approve_organization(moderator, org)
            elif action == "move":
                country = "FR" if org.country == "IQ" else "IQ"
                membership.update_profile(org, user, {"country": country})
            elif action == "refresh":
                counters.refresh()
            elif action == "create_project":
                ids = [c.id for c in rng.sample(campaigns, rng.randint(1, 3))]
                projects.create_project(user, title=f"Project {_step}", campaign_ids=ids)
            elif action == "edit_project" and own_projects:
                ids = [c.id for c in rng.sample(campaigns, rng.randint(1, 3))]
                public = [i for i in ids if rng.random() < 0.5]
                project = rng.choice(own_projects)
                projects.update_project(
                    project, user, title=project.title, campaign_ids=ids, public_campaign_ids=public
                )
            elif action == "delete_project" and own_projects:
                projects.delete_project(rng.choice(own_projects), user)
            elif action == "hide" and own_projects:
                moderation_content.hide_project(rng.choice(own_projects), moderator, "Off topic.")
            elif action == "unhide" and own_projects:
                moderation_content.unhide_project(rng.choice(own_projects), moderator)
            else:
                continue
        except DomainError:
            db.session.rollback()  # refused (e.g. a suspended org pledging): nothing written
            done[f"refused {action}"] = done.get(f"refused {action}", 0) + 1
        else:
            db.session.commit()
            done[action] = done.get(action, 0) + 1
        assert counters.stored_counts() == counters.computed_counts(), (action, done)

    # The mix really exercised the counters, refusals included.
    assert done.get("pledge", 0) > 5 and done.get("withdraw", 0) >= 2 and done.get("suspend", 0) >= 1
    assert done.get("create_project", 0) > 3 and done.get("move", 0) >= 1
    assert counters.recount_all() == 0
    counters.refresh()
    db.session.commit()
    assert counters.stale_pledges() == []
    assert counters.stored_counts() == counters.computed_counts()
    assert {
        campaign_id: values[:2] for campaign_id, values in counters.stored_counts()["campaigns"].items()
    } == {campaign.id: truth_counts().get(campaign.id, (0, 0)) for campaign in campaigns}
