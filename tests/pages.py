"""Reading pages in tests: the HTML of a page that must answer 200, and its query count."""

from __future__ import annotations


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def queries_for(client, count_queries, url: str):
    """The queries one page view runs (each request has a context and a session of its own)."""
    with count_queries() as counter:
        page(client, url)
    return counter
