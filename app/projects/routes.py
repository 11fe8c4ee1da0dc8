from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.services import directory

bp = Blueprint("projects", __name__)


@bp.get("/")
def index():
    slug = request.args.get("campaign", "").strip()
    campaign = directory.get_campaign(slug) if slug else None
    if slug and campaign is None:
        abort(404)
    projects = directory.projects_page(campaign, current_user, page=request.args.get("page", 1, type=int))
    return render_template("projects/index.html", projects=projects, campaign=campaign)


@bp.get("/<key>")
def detail(key: str):
    project = directory.get_project(key, current_user)
    if project is None:
        abort(404)
    return render_template("projects/detail.html", project=project)
