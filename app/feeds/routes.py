"""The feeds' views: one directory read through app/services/open_data.py, written as Atom."""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import Response, abort, current_app, request, url_for
from flask_babel import gettext as _

from app.extensions import limiter
from app.feeds import bp
from app.i18n import current_locale
from app.services import directory, open_data
from app.services.translations import localized_campaign, localized_projects

ATOM = "application/atom+xml"
_EPOCH = datetime(2011, 1, 1, tzinfo=UTC)


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_limit)(bp)


def _site() -> str:
    return current_app.config["SITE_URL"].rstrip("/")


def _entry_title(entry: dict, locale: str) -> str:
    if entry["kind"] == "member":
        return _("New member: %(organization)s", organization=entry["organization"])
    if entry["kind"] == "pledge":
        campaign = localized_campaign(entry["campaign"], locale)
        return _(
            "%(organization)s supports %(campaign)s",
            organization=entry["organization"],
            campaign=campaign.title,
        )
    if entry["kind"] == "update":
        return entry["title"]
    if entry["kind"] == "gathering":
        return _("New gathering: %(title)s", title=entry["title"])
    return _(
        "New project: %(title)s (%(organization)s)", title=entry["title"], organization=entry["organization"]
    )


def _atom(feed_id: str, title: str, page_url: str, entries: list[dict]) -> Response:
    locale = current_locale()
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.language(locale)
    feed.author({"name": _("Tadamun")})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=_site() + request.full_path.rstrip("?"), rel="self", type=ATOM)
    feed.updated(entries[0]["when"] if entries else _EPOCH)
    for entry in reversed(entries):  # feedgen puts the last added first
        item = feed.add_entry()
        item.id(entry["id"])
        item.title(_entry_title(entry, locale))
        item.link(href=entry["url"], rel="alternate", type="text/html")
        item.updated(entry.get("updated") or entry["when"])
        item.published(entry["when"])
        if entry.get("summary"):
            item.summary(entry["summary"])
    body = feed.atom_str(pretty=True)
    response = Response(body, mimetype=ATOM)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/feeds/network.atom")
def network():
    entries = open_data.feed_entries(_site(), locale=current_locale())
    return _atom(
        f"{_site()}/feeds/network.atom",
        _("Tadamun: new in the network"),
        _site() + url_for("main.home"),
        entries,
    )


@bp.get("/feeds/campaigns/<slug>.atom")
def campaign(slug: str):
    found = directory.get_campaign(slug)
    if found is None:
        abort(404)
    text = localized_campaign(found, current_locale())
    return _atom(
        f"{_site()}/feeds/campaigns/{found.slug}.atom",
        _("%(campaign)s: new supporters, projects and updates", campaign=text.title),
        _site() + open_data.campaign_path(found.slug),
        open_data.feed_entries(_site(), campaign=found, locale=current_locale()),
    )


@bp.get("/feeds/organizations/<slug>.atom")
def organization(slug: str):
    found = directory.get_organization(slug)
    if found is None:
        abort(404)
    return _atom(
        f"{_site()}/feeds/organizations/{found.slug}.atom",
        _(
            "%(organization)s: new pledges, projects and updates",
            organization=found.name_in(current_locale()),
        ),
        _site() + open_data.organization_path(found.slug),
        open_data.feed_entries(_site(), organization=found, locale=current_locale()),
    )


@bp.get("/feeds/projects/<slug>.atom")
def project(slug: str):
    """A project's updates (a project in public view only)."""
    found = directory.open_project(slug)
    if found is None:
        abort(404)
    # Its title in the feed's language where its organization wrote one (no query), else its own.
    text = localized_projects([found], current_locale())[0].title
    return _atom(
        f"{_site()}/feeds/projects/{found.slug}.atom",
        _("%(project)s: updates", project=text),
        _site() + open_data.project_path(found.slug),
        open_data.feed_entries(_site(), project=found, locale=current_locale()),
    )
