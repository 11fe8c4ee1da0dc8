from flask import abort, current_app, render_template, request

from app import fragments
from app.i18n import current_locale
from app.search import bp
from app.search_engine import engine
from app.services import translations

KINDS = ("organizations", "campaigns", "projects")
MAX_QUERY_LENGTH = 200
MAX_PAGE = 50  # a ranked list is read from the top; nobody pages past this


@bp.get("/search")
def results():
    """All kinds, the best few of each; or one kind (``type=``), page by page."""
    query = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    kind = request.args.get("type")
    if kind is None:
        body = fragments.cached("search", lambda: _all_kinds(query), slots=1)
        return render_template("search/results.html", body=body)
    if kind not in KINDS:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > MAX_PAGE:
        abort(404)
    body = fragments.cached("search-kind", lambda: _one_kind(query, kind, page), slots=1)
    return render_template("search/kind.html", body=body)


def _all_kinds(query: str) -> str:
    """The search page's body: the same for every reader (app/fragments.py)."""
    sections = engine.search(query) if query else []
    campaigns = [item for section in sections if section.kind == "campaigns" for item in section.items]
    for section in sections:
        if section.kind == "projects" and section.items:
            section.items = translations.localized_projects(section.items, current_locale())
    return render_template(
        "search/_results_body.html",
        query=query,
        sections=sections,
        campaign_texts=translations.campaign_texts(campaigns, current_locale()),
    )


def _one_kind(query: str, kind: str, page: int) -> str:
    per_page = current_app.config["PAGE_SIZE"]
    rows = engine.find(kind, query, limit=per_page + 1, offset=(page - 1) * per_page)
    items = rows[:per_page]
    if kind == "projects":
        items = translations.localized_projects(items, current_locale())
    return render_template(
        "search/_kind_body.html",
        query=query,
        kind=kind,
        items=items,
        campaign_texts=translations.campaign_texts(items if kind == "campaigns" else [], current_locale()),
        page=page,
        has_next=len(rows) > per_page and page < MAX_PAGE,
    )
