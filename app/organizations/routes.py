from flask import abort, render_template, request
from flask_login import current_user

from app import labels, params, urls
from app.i18n import current_locale
from app.models import OrganizationKind
from app.organizations import bp
from app.services import directory, following, translations
from app.transactions import records_views


@bp.get("/")
def index():
    filters = params.directory_filters(request.args)
    organizations = directory.directory_page(
        filters, current_user, page=request.args.get("page", 1, type=int), locale=current_locale()
    )
    return render_template(
        "organizations/index.html",
        organizations=organizations,
        filters=filters,
        kinds=list(OrganizationKind),
        countries=labels.sorted_countries(directory.directory_countries()),
        campaigns=translations.localized_campaigns(directory.all_campaigns(), current_locale()),
    )


@bp.get("/<slug>")
@records_views
def detail(slug: str):
    organization = directory.get_organization(slug)
    if organization is None:
        abort(404)
    locale = current_locale()
    pledges = directory.organization_pledges(organization, current_user)
    projects = directory.organization_projects(
        organization, current_user, page=request.args.get("page", 1, type=int)
    )
    projects.items = translations.localized_projects(projects.items, locale)
    campaigns = [pledge.campaign for pledge in pledges]
    campaigns += [link.campaign for project in projects.items for link in project.campaign_links]
    html = render_template(
        "organizations/detail.html",
        org=organization,
        about=translations.localized_organization(organization, locale),
        website=urls.website_url(organization.website),
        # Records in the organization's access log when it shows private details to an outsider.
        contacts=directory.visible_contacts(organization, current_user),
        pledges=pledges,
        projects=projects,
        campaign_texts=translations.campaign_texts(campaigns, locale),
        follow=following.panel("organization", organization, current_user),
    )
    # The request commits the access-log record after rendering, so the page's objects are not
    # reloaded; if the record cannot be written, the page is not shown (a 503 answers instead).
    return html
