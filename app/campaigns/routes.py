from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from app.campaigns.forms import SUPPORT_KIND_LABELS
from app.services import directory

bp = Blueprint("campaigns", __name__)

_support_kind_labels: dict[str, dict[str, str]] = {}


@bp.app_template_global("support_kind_labels")
def support_kind_labels() -> dict[str, str]:
    """The kinds of support in the reader's language, translated once per language and process:
    a supporters list shows them on every row (translating them per row was a third of the
    campaign page's rendering time)."""
    locale = str(get_locale())
    labels = _support_kind_labels.get(locale)
    if labels is None:
        labels = {kind.value: str(label) for kind, label in SUPPORT_KIND_LABELS.items()}
        _support_kind_labels[locale] = labels
    return labels


@bp.get("/")
def index():
    campaigns = directory.campaigns_page(page=request.args.get("page", 1, type=int))
    return render_template("campaigns/index.html", campaigns=campaigns)


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
        supporters=supporters,
        projects=directory.campaign_projects(campaign, current_user),
        project_limit=directory.CAMPAIGN_PROJECTS,
    )
