from flask import jsonify, render_template
from flask_login import current_user

from app import fragments, readiness
from app.i18n import current_locale
from app.main import bp
from app.services import directory, gatherings, translations, updates
from app.services.campaigns import home_page_campaigns


@bp.get("/healthz")
def healthz():
    """For load balancers and monitors: is the database answering?"""
    if readiness.check_database() != readiness.OK:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def home():
    return render_template("main/home.html", body=fragments.cached("home", _public_home)[0])


def _public_home() -> str:
    """The home page's body: the same for every reader of one audience (app/fragments.py)."""
    campaigns, more_campaigns = home_page_campaigns()
    organizations = directory.newest_organizations()
    pledges = directory.newest_pledges(current_user)
    return render_template(
        "main/_home_body.html",
        campaigns=campaigns,
        more_campaigns=more_campaigns,
        organizations=organizations,
        pledges=pledges,
        latest_updates=updates.home_page(current_locale()),
        upcoming_gatherings=gatherings.home_page(current_locale()),
        campaign_texts=translations.campaign_texts(
            [*campaigns, *(pledge.campaign for pledge in pledges)], current_locale()
        ),
    )
