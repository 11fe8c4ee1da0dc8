from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.extensions import db
from app.models import OrganizationKind
from app.services import directory

bp = Blueprint("organizations", __name__)


@bp.app_template_filter("country_name")
def country_name_filter(code: str) -> str:
    return directory.country_name(code)


@bp.app_template_filter("kind_label")
def kind_label_filter(kind: str) -> str:
    return directory.kind_label(kind)


@bp.get("/")
def index():
    filters = directory.DirectoryFilters.from_args(request.args)
    organizations = directory.directory_page(
        filters, current_user, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "organizations/index.html",
        organizations=organizations,
        filters=filters,
        kinds=list(OrganizationKind),
        countries=directory.sorted_countries(directory.directory_countries()),
        campaigns=directory.all_campaigns(),
    )


@bp.get("/<slug>")
def detail(slug: str):
    organization = directory.get_organization(slug)
    if organization is None:
        abort(404)
    html = render_template(
        "organizations/detail.html",
        org=organization,
        website=directory.external_url(organization.website),
        # Records in the organization's access log when it shows private details to an outsider.
        contacts=directory.visible_contacts(organization, current_user),
        pledges=directory.organization_pledges(organization, current_user),
        projects=directory.organization_projects(
            organization, current_user, page=request.args.get("page", 1, type=int)
        ),
    )
    # After rendering, so that the page's objects are not reloaded; if the record cannot be
    # written, the page is not shown (the error handler answers instead).
    db.session.commit()
    return html
