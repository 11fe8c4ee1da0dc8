from flask import abort, render_template, request
from flask_login import current_user

from app.i18n import current_locale
from app.projects import bp
from app.services import directory, translations


@bp.get("/")
def index():
    slug = request.args.get("campaign", "").strip()
    campaign = directory.get_campaign(slug) if slug else None
    if slug and campaign is None:
        abort(404)
    projects = directory.projects_page(campaign, current_user, page=request.args.get("page", 1, type=int))
    projects.items = translations.localized_projects(projects.items, current_locale())
    shown = [link.campaign for project in projects.items for link in project.campaign_links]
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
    project = directory.get_project(key, current_user)
    if project is None:
        abort(404)
    return render_template(
        "projects/detail.html",
        project=translations.localized_project(project, current_locale()),
        campaign_texts=translations.campaign_texts(
            [link.campaign for link in project.campaign_links], current_locale()
        ),
    )
