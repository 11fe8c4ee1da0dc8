"""Reading pages in tests: the HTML of a page that must answer 200, and its query count."""

from __future__ import annotations

from flask import g

from app.extensions import db


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def queries_for(client, count_queries, url: str):
    """The queries one page view runs, as in a fresh request.

    The test shares its application context (so its session and ``g``) with the
    requests it makes: start from a clean session and no cached logged-in user."""
    db.session.expunge_all()
    g.pop("_login_user", None)
    with count_queries() as counter:
        page(client, url)
    return counter
