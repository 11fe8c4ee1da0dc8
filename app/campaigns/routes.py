from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.services import directory

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def index():
    campaigns = directory.campaigns_page(page=request.args.get("page", 1, type=int))
    return render_template("campaigns/index.html", campaigns=campaigns)


@bp.get("/<slug>")
def detail(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    supporters = directory.campaign_supporters(
        campaign, current_user, page=request.args.get("page", 1, type=int), after=request.args.get("after")
    )
    if supporters is None:
        abort(404)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        supporters=supporters,
        projects=directory.campaign_projects(campaign),
        project_limit=directory.CAMPAIGN_PROJECTS,
    )
