from flask import abort, render_template, request
from flask_login import current_user

from app import fragments
from app.campaigns import bp
from app.campaigns.pledge_routes import PANEL_FLASH, pledge_panel
from app.i18n import current_locale
from app.models import Campaign
from app.services import directory, offers, translations, updates


@bp.get("/")
def index():
    return render_template("campaigns/index.html", body=fragments.cached("campaigns", _public_index)[0])


def _public_index() -> str:
    campaigns = directory.campaigns_page(page=request.args.get("page", 1, type=int))
    return render_template(
        "campaigns/_index_body.html",
        campaigns=campaigns,
        campaign_texts=translations.campaign_texts(campaigns.items, current_locale()),
    )


@bp.get("/<slug>")
def detail(slug: str):
    # A logged-in reader's page reads three columns of the campaign with their own questions
    # (updates.campaign_for_reader); the whole campaign is read when the body is rendered. The
    # reader's own parts: may they post updates (coordinators share a body with the links to
    # edit them), their follow button and their organization's pledge for the panel.
    found = updates.campaign_for_reader(slug, current_user)
    if found is None:
        abort(404)
    campaign, reader = found
    name = "campaign:coordinating" if reader.may_post else "campaign"
    body = fragments.cached(name, lambda: _public_body(campaign, reader.may_post), slots=5)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        body=body,
        panel=pledge_panel(campaign, reader=reader),
        follow=reader.follow,
        flashes_shown_in_page=(PANEL_FLASH,),
    )


def _public_body(campaign: Campaign | directory.CampaignRef, may_post: bool) -> str:
    """What every reader of this audience sees of the campaign page (app/fragments.py)."""
    if not isinstance(campaign, Campaign):
        campaign = directory.get_campaign(campaign.slug)
        if campaign is None:
            abort(404)  # gone between the two reads
    try:
        supporters = directory.campaign_supporters(
            campaign,
            current_user,
            page=request.args.get("page", 1, type=int),
            after=request.args.get("after"),
        )
    except directory.InvalidCursor:
        abort(400)
    if supporters is None:
        abort(404)
    locale = current_locale()
    return render_template(
        "campaigns/_detail_body.html",
        campaign=campaign,
        text=translations.localized_campaign(campaign, locale),
        supporters=supporters,
        projects=translations.localized_projects(directory.campaign_projects(campaign, current_user), locale),
        project_limit=directory.CAMPAIGN_PROJECTS,
        campaign_statements=offers.campaign_statements(campaign, current_user),
        audience=fragments.audience(),
        life=updates.campaign_page(campaign, locale, page=request.args.get("updates", 1, type=int)),
        may_post=may_post,
    )
