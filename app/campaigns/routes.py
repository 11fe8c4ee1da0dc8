from flask import abort, render_template, request
from flask_login import current_user

from app.campaigns import bp
from app.campaigns.pledge_routes import PANEL_FLASH, pledge_panel
from app.i18n import current_locale
from app.services import directory, translations, updates


@bp.get("/")
def index():
    campaigns = directory.campaigns_page(page=request.args.get("page", 1, type=int))
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        campaign_texts=translations.campaign_texts(campaigns.items, current_locale()),
    )


@bp.get("/<slug>")
def detail(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
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
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        text=translations.localized_campaign(campaign, current_locale()),
        panel=pledge_panel(campaign),
        supporters=supporters,
        projects=translations.localized_projects(
            directory.campaign_projects(campaign, current_user), current_locale()
        ),
        project_limit=directory.CAMPAIGN_PROJECTS,
        flashes_shown_in_page=(PANEL_FLASH,),
        life=updates.campaign_page(
            campaign, current_user, current_locale(), page=request.args.get("updates", 1, type=int)
        ),
    )
