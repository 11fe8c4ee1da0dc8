from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user

from app import fragments, labels, params
from app.i18n import current_locale
from app.models import OrganizationKind
from app.projects import bp
from app.services import cosponsors, directory, translations, updates


@bp.get("/")
def index():
    filters = params.project_filters(request.args)
    if params.campaign_slug(request.args) and filters.campaign is None:
        abort(404)  # a campaign's projects page whose campaign is gone
    body = fragments.cached("projects", lambda: _public_index(filters), slots=1)
    return render_template("projects/index.html", body=body)


def _public_index(filters) -> str:
    """The projects page's body: the same for every reader of one audience (app/fragments.py)."""
    locale = current_locale()
    page = request.args.get("page", 1, type=int)
    campaign = filters.campaign
    return render_template(
        "projects/_index_body.html",
        projects=directory.project_cards_page(filters, current_user, locale, page=page),
        filters=filters,
        campaign=campaign,
        campaign_text=translations.localized_campaign(campaign, locale) if campaign is not None else None,
        campaigns=directory.project_campaign_choices(
            campaign, current_user, locale, current_app.config["DIRECTORY_CAMPAIGN_CHOICES"]
        ),
        kinds=list(OrganizationKind),
        countries=labels.sorted_countries(directory.directory_countries()),
    )


@bp.get("/<key>")
def detail(key: str):
    # On a fragment hit the page needs only a few columns of the project (one query): the
    # reader's own parts are whether they may post updates (the project's organization shares a
    # body with the links to edit them) and their follow button.
    project = directory.find_project_ref(key, getattr(current_user, "organization_id", None))
    if project is None:
        abort(404)
    # The reader's own parts: their follow button and the link to post an update (in the slot);
    # the members of an organization that posts here (the project's own or a co-sponsor) share a
    # body of their own with the links to manage its updates (updates.Reader.fragment_name).
    reader = updates.project_reader(project, current_user)
    editor = reader if reader.may_post else None
    return render_template(
        "projects/detail.html",
        body=fragments.cached(reader.fragment_name, lambda: _public_detail(key, editor), slots=4),
        follow=reader.follow,
        post_url=url_for("updates.new_project_update", key=project.slug) if reader.may_post else None,
    )


def _public_detail(key: str, editor: updates.Reader | None) -> str:
    """A project page's body: the same for every reader of one audience (app/fragments.py)."""
    project = directory.get_project(key, current_user)
    if project is None:
        abort(404)  # hidden between the two reads
    return render_template(
        "projects/_detail_body.html",
        project=translations.localized_project(project, current_locale()),
        campaign_texts=translations.campaign_texts(
            [link.campaign for link in project.campaign_links], current_locale()
        ),
        cosponsors=cosponsors.project_cosponsors(project),
        life=updates.project_page(project, current_locale()),
        editor=editor,
    )
