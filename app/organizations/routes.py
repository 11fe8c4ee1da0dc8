from flask import abort, current_app, render_template, request
from flask_login import current_user

from app import fragments, labels, params, security, urls
from app.i18n import current_locale
from app.models import OrganizationKind
from app.organizations import bp
from app.services import access_log, cosponsors, directory, following, offers, translations
from app.transactions import may_write, records_views_unless


@bp.get("/")
def index():
    return render_template("organizations/index.html", body=fragments.cached("directory", _public_index)[0])


def _public_index() -> str:
    """The directory's body: the same for every reader of one audience (app/fragments.py)."""
    filters = params.directory_filters(request.args)
    organizations = directory.directory_page(
        filters, current_user, page=request.args.get("page", 1, type=int), locale=current_locale()
    )
    return render_template(
        "organizations/_index_body.html",
        organizations=organizations,
        filters=filters,
        kinds=list(OrganizationKind),
        countries=labels.sorted_countries(directory.directory_countries()),
        campaigns=directory.directory_campaign_choices(
            filters.campaign, current_locale(), current_app.config["DIRECTORY_CAMPAIGN_CHOICES"]
        ),
    )


def _view_already_recorded() -> bool:
    # A member reading again a profile whose private details this worker has recorded for them
    # today (the access log counts the repeat after the answer), or a profile this worker found
    # with nothing private under the current generation token: no write lock is taken. The token
    # is read here, before any query, and the view hands the same one to visible_contacts.
    slug = (request.view_args or {}).get("slug", "")
    return access_log.needs_no_write(security.session_user_id(), slug, fragments.generation())


@bp.get("/<slug>")
@records_views_unless(_view_already_recorded)
def detail(slug: str):
    organization = directory.get_organization(slug)
    if organization is None:
        abort(404)
    body = fragments.cached("organization", lambda: _public_detail(organization), slots=5)
    html = render_template(
        "organizations/detail.html",
        body=body,
        org=organization,
        follow=following.panel("organization", organization, current_user),
        # Decided for each reader, never shared: records in the organization's access log when it
        # shows private details to an outsider.
        contacts=directory.visible_contacts(
            organization, current_user, generation=fragments.generation(), writable=may_write()
        ),
    )
    # The request commits the access-log record after rendering, so the page's objects are not
    # reloaded; if the record cannot be written, the page is not shown (a 503 answers instead).
    return html


def _public_detail(organization) -> str:
    """The profile's body but the contact details (app/fragments.py)."""
    locale = current_locale()
    pledges = directory.organization_pledges(organization, current_user)
    projects = directory.organization_projects(
        organization, current_user, page=request.args.get("page", 1, type=int)
    )
    projects.items = translations.localized_projects(projects.items, locale)
    campaigns = [pledge.campaign for pledge in pledges]
    campaigns += [link.campaign for project in projects.items for link in project.campaign_links]
    org_statements = offers.organization_statements(organization, current_user)
    campaigns += [offer.campaign for offer in org_statements.offers + org_statements.needs if offer.campaign]
    return render_template(
        "organizations/_detail_body.html",
        org=organization,
        about=translations.localized_organization(organization, locale),
        website=urls.website_url(organization.website),
        pledges=pledges,
        projects=projects,
        campaign_texts=translations.campaign_texts(campaigns, locale),
        org_statements=org_statements,
        cosponsored=cosponsors.cosponsored_projects(organization),
    )
