"""The API's views: parse the query, call one directory read, answer the records
(app/services/open_data.py) with a ``next`` link. No view reads the session."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, request, url_for
from flask.views import MethodView

from app.api import bp, schemas
from app.extensions import limiter
from app.models import CampaignStatus, OrganizationKind
from app.services import directory, open_data, updates
from app.services import gatherings as gathering_service

READ_ONLY = "GET, HEAD, OPTIONS"
EXPOSED = "ETag, Link, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-ID"

ERRORS_OF_LISTS = (400, 404, 429)  # 404: the campaign or organization filtered on does not exist
ERRORS_OF_ITEMS = (400, 404, 429)


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_limit)(bp)


def _site() -> str:
    return current_app.config["SITE_URL"].rstrip("/")


def _problems(*statuses: int):
    """Document the problem answers of a view (application/problem+json, schemas.Problem)."""

    def decorate(view):
        for status in statuses:
            view = bp.alt_response(
                status,
                schema=schemas.Problem,
                content_type="application/problem+json",
                description="A problem.",
            )(view)
        return bp.alt_response(304, description="Not modified (the ETag matched).")(view)

    return decorate


def _next_link(args: dict, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = {key: value for key, value in args.items() if key != "after" and value is not None}
    query["after"] = cursor
    return f"{_site()}{request.path}?{urlencode(query)}"


def _page(items: list, more: bool, args: dict, cursor_of) -> dict:
    link = _next_link(args, cursor_of(items[-1]) if more and items else None)
    return {"items": items, "next": link}


def _campaign_filter(slug: str | None):
    if slug is None:
        return None
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404, description="No campaign has this slug.")
    return campaign


def _organization_filter(slug: str | None):
    if slug is None:
        return None
    organization = directory.open_organization(slug)
    if organization is None:
        abort(404, description="No organization in the directory has this slug.")
    return organization


def _kind(value: str | None):
    return OrganizationKind(value) if value else None


def open_read_only(response):
    """CORS for anyone, read-only and without credentials; ETags and a short public cache life."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = READ_ONLY
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, If-None-Match"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    response.headers["Access-Control-Max-Age"] = "86400"
    if request.method in ("GET", "HEAD") and response.status_code == 200 and response.is_json:
        response.cache_control.public = True
        response.cache_control.max_age = 60
        response.add_etag()
        response.make_conditional(request)
    return response


@bp.route("/")
class Root(MethodView):
    @bp.response(200, schemas.Index)
    @bp.alt_response(429, schema=schemas.Problem, content_type="application/problem+json")
    def get(self):
        """Where everything is."""
        site = _site()
        return {
            "campaigns": f"{site}/api/v1/campaigns",
            "organizations": f"{site}/api/v1/organizations",
            "pledges": f"{site}/api/v1/pledges",
            "projects": f"{site}/api/v1/projects",
            "updates": f"{site}/api/v1/updates",
            "gatherings": f"{site}/api/v1/gatherings",
            "openapi": f"{site}/api/v1/openapi.json",
            "documentation": site + url_for("static", filename="api/index.html"),
        }


@bp.route("/campaigns")
class Campaigns(MethodView):
    @bp.arguments(schemas.CampaignQuery, location="query")
    @bp.response(200, schemas.CampaignPage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Campaigns, by slug, with their texts in every language and their public counters."""
        status = CampaignStatus(args["status"]) if args.get("status") else None
        found, more = directory.open_campaigns(status=status, after=args.get("after"), limit=args["limit"])
        items = [open_data.campaign_record(c, _site(), args.get("lang")) for c in found]
        return _page(items, more, args, lambda item: item["slug"])


@bp.route("/campaigns/<slug>", parameters=[schemas.SLUG_PARAMETER])
class CampaignItem(MethodView):
    @bp.arguments(schemas.LangQuery, location="query")
    @bp.response(200, schemas.CampaignOut)
    @_problems(*ERRORS_OF_ITEMS)
    def get(self, args, slug):
        """One campaign."""
        campaign = directory.open_campaign(slug)
        if campaign is None:
            abort(404)
        return open_data.campaign_record(campaign, _site(), args.get("lang"))


@bp.route("/organizations")
class Organizations(MethodView):
    @bp.arguments(schemas.DirectoryQuery, location="query")
    @bp.response(200, schemas.OrganizationPage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Organizations in the directory, by slug; contact details only where they are public.
        ``campaign`` keeps those that support it publicly."""
        filters = directory.DirectoryFilters(
            kind=_kind(args.get("kind")),
            country=args.get("country"),
            campaign=_campaign_filter(args.get("campaign")),
        )
        found, more = directory.open_organizations(filters, after=args.get("after"), limit=args["limit"])
        items = [open_data.organization_record(o, _site(), args.get("lang")) for o in found]
        return _page(items, more, args, lambda item: item["slug"])


@bp.route("/organizations/<slug>", parameters=[schemas.SLUG_PARAMETER])
class OrganizationItem(MethodView):
    @bp.arguments(schemas.LangQuery, location="query")
    @bp.response(200, schemas.OrganizationOut)
    @_problems(*ERRORS_OF_ITEMS)
    def get(self, args, slug):
        """One organization of the directory."""
        organization = directory.open_organization(slug)
        if organization is None:
            abort(404)
        return open_data.organization_record(organization, _site(), args.get("lang"))


@bp.route("/pledges")
class Pledges(MethodView):
    @bp.arguments(schemas.PledgeQuery, location="query")
    @bp.response(200, schemas.PledgePage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Public pledges, newest first (members-only and counted-only pledges are never listed)."""
        filters = directory.PledgeFilters(
            campaign=_campaign_filter(args.get("campaign")),
            country=args.get("country"),
            kind=_kind(args.get("kind")),
            organization=_organization_filter(args.get("organization")),
        )
        try:
            found, more = directory.open_pledges(filters, after=args.get("after"), limit=args["limit"])
        except directory.InvalidOpenCursor:
            abort(400, description="This cursor is not one of ours: start from the first page.")
        items = [open_data.pledge_record(p, _site()) for p in found]
        link = _next_link(args, directory.pledge_cursor(found[-1]) if more and found else None)
        return {"items": items, "next": link}


@bp.route("/projects")
class Projects(MethodView):
    @bp.arguments(schemas.ProjectQuery, location="query")
    @bp.response(200, schemas.ProjectPage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Projects, by slug, with the campaigns they are publicly linked to."""
        filters = directory.ProjectFilters(
            campaign=_campaign_filter(args.get("campaign")),
            country=args.get("country"),
            kind=_kind(args.get("kind")),
        )
        found, more = directory.open_projects(filters, after=args.get("after"), limit=args["limit"])
        items = [open_data.project_record(p, _site(), args.get("lang")) for p in found]
        return _page(items, more, args, lambda item: item["slug"])


@bp.route("/projects/<slug>", parameters=[schemas.SLUG_PARAMETER])
class ProjectItem(MethodView):
    @bp.arguments(schemas.LangQuery, location="query")
    @bp.response(200, schemas.ProjectOut)
    @_problems(*ERRORS_OF_ITEMS)
    def get(self, args, slug):
        """One project."""
        project = directory.open_project(slug)
        if project is None:
            abort(404)
        return open_data.project_record(project, _site(), args.get("lang"))


def _project_filter(slug: str | None):
    if slug is None:
        return None
    project = directory.open_project(slug)
    if project is None:
        abort(404, description="No project in public view has this slug.")
    return project


@bp.route("/updates")
class Updates(MethodView):
    @bp.arguments(schemas.UpdateQuery, location="query")
    @bp.response(200, schemas.UpdatePage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Campaign and project updates anyone may see, newest first: never a deleted one, one
        posted by an organization out of public view, or one of a hidden project."""
        try:
            found, more = updates.open_updates(
                campaign=_campaign_filter(args.get("campaign")),
                project=_project_filter(args.get("project")),
                language=args.get("language"),
                after=args.get("after"),
                limit=args["limit"],
            )
        except updates.InvalidUpdateCursor:
            abort(400, description="This cursor is not one of ours: start from the first page.")
        items = [open_data.update_record(u, _site(), args.get("lang")) for u in found]
        link = _next_link(args, updates.update_cursor(found[-1]) if more and found else None)
        return {"items": items, "next": link}


@bp.route("/gatherings")
class Gatherings(MethodView):
    @bp.arguments(schemas.GatheringQuery, location="query")
    @bp.response(200, schemas.GatheringPage)
    @_problems(*ERRORS_OF_LISTS)
    def get(self, args):
        """Published (and cancelled) gatherings by start time: ``when=upcoming`` soonest first,
        ``when=past`` most recent first, without ``when`` all from the earliest; ties by slug."""
        try:
            found, more = gathering_service.open_gatherings(
                campaign=_campaign_filter(args.get("campaign")),
                when=args.get("when"),
                country=args.get("country"),
                after=args.get("after"),
                limit=args["limit"],
            )
        except gathering_service.InvalidGatheringCursor:
            abort(400, description="This cursor is not one of ours: start from the first page.")
        items = [open_data.gathering_record(g, _site(), args.get("lang")) for g in found]
        link = _next_link(args, gathering_service.gathering_cursor(found[-1]) if more and found else None)
        return {"items": items, "next": link}


@bp.route("/gatherings/<slug>", parameters=[schemas.SLUG_PARAMETER])
class GatheringItem(MethodView):
    @bp.arguments(schemas.LangQuery, location="query")
    @bp.response(200, schemas.GatheringDetailOut)
    @_problems(*ERRORS_OF_ITEMS)
    def get(self, args, slug):
        """One gathering, with its programme and the registered organizations named publicly."""
        gathering = gathering_service.open_gathering(slug)
        if gathering is None:
            abort(404)
        return open_data.gathering_record(gathering, _site(), args.get("lang"), detail=True)
