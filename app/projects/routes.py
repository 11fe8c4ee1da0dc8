from flask import abort, render_template, request

from app.i18n import current_locale
from app.projects import bp
from app.services import directory, translations


@bp.get("/")
def index():
    slug = request.args.get("campaign", "").strip()
    campaign = directory.get_campaign(slug) if slug else None
    if slug and campaign is None:
        abort(404)
    projects = directory.projects_page(campaign, page=request.args.get("page", 1, type=int))
    shown = [c for project in projects.items for c in project.campaigns]
    campaign_texts = translations.campaign_texts(
        [campaign, *shown] if campaign is not None else shown, current_locale()
    )
    return render_template(
        "projects/index.html",
        projects=projects,
        campaign=campaign,
        campaign_text=campaign_texts[campaign.id] if campaign is not None else None,
        campaign_texts=campaign_texts,
    )


@bp.get("/<key>")
def detail(key: str):
    project = directory.get_project(key)
    if project is None:
        abort(404)
    return render_template(
        "projects/detail.html",
        project=project,
        campaign_texts=translations.campaign_texts(project.campaigns, current_locale()),
    )
