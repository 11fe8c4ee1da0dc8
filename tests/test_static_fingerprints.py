"""Static files are named with a hash of their content and may then be kept for a year."""

from __future__ import annotations

import hashlib
import re

from app import static_files

YEAR = "max-age=31536000"


def stylesheet_url(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert match, "the page links no stylesheet"
    return match.group(1)


def test_pages_name_the_stylesheet_with_a_hash_of_its_content(client, static_dir):
    digest = hashlib.sha256((static_dir / "css/tadamun.css").read_bytes()).hexdigest()[:12]

    assert stylesheet_url(client) == f"/static/css/tadamun.css?v={digest}"


def test_a_fingerprinted_file_is_kept_for_a_year(client):
    response = client.get(stylesheet_url(client))

    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert YEAR in cache_control and "immutable" in cache_control and "public" in cache_control
    assert "no-cache" not in cache_control


def test_a_plain_or_outdated_url_is_revalidated(client):
    for url in ("/static/css/tadamun.css", "/static/css/tadamun.css?v=000000000000"):
        cache_control = client.get(url).headers.get("Cache-Control", "")
        assert YEAR not in cache_control and "immutable" not in cache_control, url


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    app.static_folder = str(tmp_path)
    (tmp_path / "site.css").write_text("body { color: blue }")
    with app.test_request_context("/"):
        before = static_files.static_url("site.css")
        (tmp_path / "site.css").write_text("body { color: darkblue }")
        after = static_files.static_url("site.css")

    assert before.startswith("/static/site.css?v=") and after.startswith("/static/site.css?v=")
    assert before != after


def test_a_missing_or_escaping_name_gets_a_plain_url(app):
    with app.test_request_context("/"):
        assert static_files.static_url("css/none.css") == "/static/css/none.css"
        assert static_files.fingerprint("../config.py") is None
