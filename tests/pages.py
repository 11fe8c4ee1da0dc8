"""Reading pages in tests: the HTML of a page that must answer 200, and its query count."""

from __future__ import annotations

from flask import has_app_context

from app.extensions import db


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def queries_for(client, count_queries, url: str):
    """The queries one page view runs, as in a fresh request."""
    if has_app_context():
        # A module that still holds one context across the test (conftest.HELD_CONTEXT_MODULES)
        # shares its session with the request: start from a clean one.
        db.session.expunge_all()
    with count_queries() as counter:
        page(client, url)
    return counter
