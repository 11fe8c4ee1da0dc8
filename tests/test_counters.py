"""Counters on campaigns and organizations never drift from the rows they count."""

from app.extensions import db
from app.models import OrganizationStatus, PledgeVisibility
from app.services import counters
from tests.builders import make_campaign, make_organization, make_pledge, make_project


def test_counters_follow_pledges_projects_and_suspension(app):
    tigris = make_campaign("Save the Tigris")
    iraqi = make_organization(country="IQ")
    italian = make_organization(country="IT")
    make_pledge(iraqi, tigris, visibility=PledgeVisibility.COUNTED)
    make_pledge(italian, tigris)
    make_project(iraqi, [tigris])
    db.session.commit()

    assert (tigris.supporter_count, tigris.iraqi_supporter_count, tigris.project_count) == (2, 1, 1)
    assert tigris.international_supporter_count == 1
    assert counters.stored_counts() == counters.computed_counts()

    iraqi.status = OrganizationStatus.SUSPENDED
    counters.organization_visibility_changed(iraqi, -1)
    db.session.commit()
    assert (tigris.supporter_count, tigris.iraqi_supporter_count, tigris.project_count) == (1, 0, 0)
    assert counters.stored_counts() == counters.computed_counts()


def test_recount_repairs_drifted_counters(app):
    campaign = make_campaign()
    make_pledge(make_organization(), campaign)
    campaign.supporter_count = 40
    db.session.commit()

    assert counters.recount_all() == 1
    db.session.commit()
    assert campaign.supporter_count == 1
    assert counters.recount_all() == 0
