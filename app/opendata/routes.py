"""The exports are streamed: rows are read from the database in batches
(app/services/open_data.py) and written as they come, so a directory of any size is sent in
constant memory."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale, gettext
from jinja2.utils import htmlsafe_json_dumps

from app.extensions import limiter
from app.i18n import current_locale
from app.opendata import bp
from app.services import directory, open_data, share_cards, translations

FORMATS = "<any(csv, json):format>"


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _site() -> str:
    return current_app.config["SITE_URL"].rstrip("/")


def _csv(columns: tuple, rows: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _tag, _text in columns])
    writer.writerow([tag for _name, tag, _text in columns])  # HXL hashtags (hxlstandard.org)
    for row in rows:
        writer.writerow([row[name] for name, _tag, _text in columns])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "\n]\n"


def _download(name: str, table: str, fmt: str, rows: Iterable[dict]) -> Response:
    columns = open_data.TABLES[table]
    if fmt == "csv":
        body, mimetype = _csv(columns, rows), "text/csv"
    else:
        body, mimetype = _json(rows), "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/open-data")
def dictionary():
    """The data dictionary: every export, its columns, their HXL hashtags and meaning."""
    campaigns = translations.localized_campaigns(directory.all_campaigns(), current_locale())
    return render_template("opendata/index.html", tables=open_data.TABLES, campaigns=campaigns)


@bp.get(f"/open-data/organizations.{FORMATS}")
@limiter.limit(_api_limit)
def organizations(format: str):
    return _download("organizations", "organizations", format, open_data.directory_rows(_site()))


@bp.get(f"/open-data/campaigns/<slug>/supporters.{FORMATS}")
@limiter.limit(_api_limit)
def campaign_supporters(slug: str, format: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    rows = open_data.supporter_rows(campaign, _site())
    return _download(f"{campaign.slug}-supporters", "supporters", format, rows)


@bp.get(f"/open-data/campaigns/<slug>/projects.{FORMATS}")
@limiter.limit(_api_limit)
def campaign_projects(slug: str, format: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    rows = open_data.project_rows(campaign, _site())
    return _download(f"{campaign.slug}-projects", "projects", format, rows)


# --- For search engines -------------------------------------------------------------------

# Pages no search engine should index: accounts, logging in, moderation, search results.
DISALLOWED = ("/account/", "/auth/", "/moderation/", "/search")


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in DISALLOWED),
        f"Sitemap: {_site()}/sitemap.xml",  # the sitemap, or the index of sitemaps
        "",
    ]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml"'


def _sitemap_paths() -> Iterator[str]:
    """Every public page's path, the fixed lists first (read in batches, never all held)."""
    yield from (
        url_for("main.home"),
        url_for("campaigns.index"),
        url_for("organizations.index"),
        url_for("projects.index"),
        url_for("gatherings.index"),
        url_for("gatherings.past"),
        url_for("opendata.dictionary"),
    )
    yield from open_data.public_page_paths()


def _sitemap_response(body: Iterator[str]) -> Response:
    response = Response(stream_with_context(body), mimetype="application/xml")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _urlset(paths: Iterable[str]) -> Iterator[str]:
    site = _site()
    languages = current_app.config["LANGUAGES"]
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {SITEMAP_NS}>\n'
    for path in paths:
        location = escape(site + path)
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{lang}" href="{location}?lang={lang}"/>'
            for lang in languages
        )
        yield f"<url><loc>{location}</loc>{links}</url>\n"
    yield "</urlset>\n"


@bp.get("/sitemap.xml")
def sitemap():
    """Every public page with its alternates in the four languages; past SITEMAP_MAX_URLS pages,
    an index of sitemaps of at most that many each. Streamed: paths are read in batches and
    counted, never all held."""
    limit = current_app.config["SITEMAP_MAX_URLS"]
    total = sum(1 for _path in _sitemap_paths())
    if total <= limit:
        return _sitemap_response(_urlset(_sitemap_paths()))
    site = _site()

    def index() -> Iterator[str]:
        yield (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        )
        for number in range(1, -(-total // limit) + 1):
            yield f"<sitemap><loc>{escape(site)}/sitemap-{number}.xml</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return _sitemap_response(index())


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int):
    """One sitemap of the index: the ``number``-th run of SITEMAP_MAX_URLS pages (404 past
    the last one)."""
    limit = current_app.config["SITEMAP_MAX_URLS"]
    if number < 1:
        abort(404)
    paths = _sitemap_paths()
    skipped = sum(1 for _path in itertools.islice(paths, (number - 1) * limit))
    if skipped < (number - 1) * limit:
        abort(404)
    first = next(paths, None)
    if first is None:
        abort(404)
    return _sitemap_response(_urlset(itertools.chain([first], itertools.islice(paths, limit - 1))))


# --- Share cards, JSON-LD and preview tags ------------------------------------------------


@bp.get("/open-data/cards/campaigns/<slug>.png")
@limiter.limit(_api_limit)
def campaign_card(slug: str):
    """The campaign's share card, in ``?lang=`` (its translation, shaped right to left in Arabic
    and Sorani), else in its own language."""
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    lang = request.args.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = translations.CAMPAIGN_SOURCE_LOCALE
    text = translations.localized_campaign(campaign, lang)
    with force_locale(text.lang):
        caption = gettext("Supporters: %(supporters)s · Projects: %(projects)s", supporters="{supporters}",
                          projects="{projects}")  # fmt: skip
    png = share_cards.campaign_card(
        text.title, campaign.accent, campaign.supporter_count, campaign.project_count, caption, text.lang
    )
    response = Response(png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    return response.make_conditional(request)


def card_url(campaign_text) -> str:
    """The share card of a campaign page: in the language its title is shown in."""
    return open_data.card_path(campaign_text.slug, campaign_text.lang)


@bp.app_template_global()
def open_data_jsonld(kind: str, obj, description: str | None = None, organizers=None) -> str:
    """The page's schema.org JSON-LD, as a JSON string safe inside a <script> element."""
    site = _site()
    if kind == "gathering":
        data = open_data.gathering_jsonld(obj, organizers or [], site)
    elif kind == "organization":
        data = open_data.organization_jsonld(obj, site, description)
    elif kind == "campaign":
        data = open_data.campaign_jsonld(obj, site)
    else:
        data = open_data.project_jsonld(obj, site)
    return htmlsafe_json_dumps(data)


@bp.app_template_global()
def open_data_card(campaign_text) -> str:
    return card_url(campaign_text)


@bp.app_template_global()
def open_data_site() -> str:
    return _site()


@bp.get("/open-data/murmurations/<slug>.json")
@limiter.limit(_api_limit)
def murmurations(slug: str):
    """A Murmurations profile, only while the organization opts in and is in public view (404
    otherwise, so an index that checks the address drops it)."""
    organization = directory.murmurations_organization(slug)
    if organization is None:
        abort(404)
    response = jsonify(open_data.murmurations_profile(organization, _site()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)
