"""Security headers on every response, private pages never cached, errors that leak nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.builders import make_campaign, make_user
from tests.conftest import app_context, empty_all_tables

REQUIRED_CSP_DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
)
SAFE_REFERRER_POLICIES = {"strict-origin-when-cross-origin", "no-referrer", "same-origin"}
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)


def csp_directives(response) -> list[str]:
    return [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]


@pytest.mark.parametrize(
    "path", ["/", "/campaigns/", "/auth/login", "/no-such-page", "/static/css/tadamun.css"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    directives = csp_directives(response)
    for directive in REQUIRED_CSP_DIRECTIVES:
        assert directive in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "strict-origin-when-cross-origin",
        "no-referrer",
        "same-origin",
    }
    assert response.headers["X-Frame-Options"] == "DENY"
    response.close()


def test_the_csp_allows_no_inline_script_or_style(client):
    directives = csp_directives(client.get("/"))
    joined = " ".join(directives)
    assert "'unsafe-inline'" not in joined
    assert "'unsafe-eval'" not in joined
    for kind in ("script-src", "style-src"):
        declared = [d for d in directives if d.startswith(kind)]
        assert declared in ([], [f"{kind} 'self'"])


def test_hsts_is_sent_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers

    secure = client.get("/", base_url="https://localhost")
    hsts = secure.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 180 * 24 * 3600


def test_pages_for_a_logged_in_user_are_never_cached(app, client, auth):
    with app_context(app):
        make_user(email="member@example.org")
        db.session.commit()
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")

    auth.login("member@example.org")

    for path in ("/", "/account/", "/campaigns/"):
        response = client.get(path)
        assert "no-store" in response.headers.get("Cache-Control", ""), path

    # Static files are the same for everyone: a member's browser keeps the fingerprinted CSS.
    from app.static_files import static_url

    with app.test_request_context():
        css = static_url("css/tadamun.css")
    cache_control = client.get(css).headers["Cache-Control"]
    assert "no-store" not in cache_control and "immutable" in cache_control


def test_each_response_has_a_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{16}", first)


def test_a_forged_request_id_is_not_echoed(client):
    response = client.get("/", headers={"X-Request-ID": "<script>evil</script> forged log line"})
    assert "evil" not in response.headers["X-Request-ID"]


# Error pages ------------------------------------------------------------------------------------

SECRET_SQL = "SELECT password_hash FROM users WHERE email = 'leak@example.org'"


@pytest.fixture
def failing_app(make_app):
    application = make_app()

    @application.get("/_test/boom")
    def boom():
        raise RuntimeError(f"exploded in {__file__} while running {SECRET_SQL}")

    @application.get("/_test/bad-sql")
    def bad_sql():
        db.session.execute(sa.text("SELECT secret_column FROM no_such_table_xyz"))
        return "unreachable"

    yield application
    with application.app_context():
        empty_all_tables()


@pytest.mark.parametrize("path", ["/_test/boom", "/_test/bad-sql"])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_error_pages_leak_no_traceback_sql_or_path(failing_app, path, accept):
    response = failing_app.test_client().get(path, headers={"Accept": accept})

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    for leak in (
        "Traceback",
        'File "',
        PROJECT_ROOT,
        "test_headers.py",
        "password_hash",
        "no_such_table_xyz",
        "secret_column",
        "sqlalchemy",
        "RuntimeError",
    ):
        assert leak not in body
    # What it does show: a way to quote the failure to the team.
    assert response.headers["X-Request-ID"] in body


def test_the_error_is_logged_with_its_details_for_the_team(failing_app, caplog):
    with caplog.at_level("ERROR"):
        response = failing_app.test_client().get("/_test/boom")
    assert response.status_code == 500
    assert any("unhandled error" in record.getMessage() for record in caplog.records)


def test_a_failed_request_leaves_the_session_usable(failing_app):
    client = failing_app.test_client()
    assert client.get("/_test/bad-sql").status_code == 500
    with app_context(failing_app):
        make_campaign("Still works")
        db.session.commit()
    assert "Still works" in client.get("/").get_data(as_text=True)


def test_method_not_allowed_says_which_methods_are(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# The template-safety check run by `make lint` --------------------------------------------------


def load_checker():
    import importlib.util

    path = Path(PROJECT_ROOT) / "scripts" / "check_templates.py"
    spec = importlib.util.spec_from_file_location("check_templates", path)
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return checker


def test_the_template_safety_check_passes_on_the_project():
    checker = load_checker()
    root = Path(PROJECT_ROOT)
    assert checker.python_findings(root) + checker.template_findings(root) == []


def test_the_template_safety_check_catches_unsafe_code(tmp_path):
    checker = load_checker()
    (tmp_path / "app").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        "from flask import render_template_string\n"
        "from markupsafe import Markup\n"
        "def view(name):\n"
        "    Markup(name)\n"
        "    return render_template_string('Hello ' + name)\n"
    )
    (tmp_path / "templates" / "page.html").write_text(
        "{# a comment with |safe is fine #}\n"
        "<p>{{ org.description|safe }}</p>\n"
        '<p style="color: red">x</p>\n'
        "<script>alert(1)</script>\n"
        '<script src="/static/js/app.js"></script>\n'
        '<button onclick="go()">Go</button>\n'
    )

    findings = checker.python_findings(tmp_path) + checker.template_findings(tmp_path)

    text = "\n".join(findings)
    assert "imports render_template_string" in text
    assert "render_template_string() renders" in text
    assert "Markup() turns escaping off" in text
    assert "page.html:2: |safe" in text
    assert "page.html:3: style=" in text
    assert "page.html:4: inline <script>" in text
    assert "page.html:5" not in text
    assert "page.html:6: on...=" in text
    assert "page.html:1" not in text
