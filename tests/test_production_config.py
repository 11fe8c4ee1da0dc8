"""Production settings: secure cookies, known hosts only, and no start with unsafe settings."""

from __future__ import annotations

import re

import pytest

import config as config_module
from app import create_app
from app.extensions import db
from config import InsecureConfigurationError, ProductionConfig
from tests.builders import make_user
from tests.conftest import app_context

PRODUCTION_SECRET = "r4nd0m-" * 8


def production_settings(database_url: str, **overrides) -> dict:
    """ProductionConfig's values, on the test database."""
    settings = {name: getattr(ProductionConfig, name) for name in dir(ProductionConfig) if name.isupper()}
    settings.update(
        SECRET_KEY=PRODUCTION_SECRET,
        TRUSTED_HOSTS=["tadamun.example", ".tadamun.example"],
        SQLALCHEMY_DATABASE_URI=database_url,
        TESTING=True,
        MAIL_BACKEND="memory",
        PASSWORD_HASH_FAST=True,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        RATELIMIT_STORAGE_URI="memory://",
    )
    settings.update(overrides)
    return settings


@pytest.fixture
def production_app(app, database_url):
    application = create_app(production_settings(database_url))
    assert application.config["ENV_NAME"] == "production"
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_secure_httponly_and_samesite_lax():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.REMEMBER_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.PREFERRED_URL_SCHEME == "https"
    assert not getattr(ProductionConfig, "DEBUG", False)


def cookie_attributes(response, name: str) -> set[str]:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]} | {
                part.strip().lower() for part in header.split(";")[1:]
            }
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_login_in_production_sets_secure_cookies(app, production_app):
    with app_context(app):
        make_user(email="member@example.org")
        db.session.commit()
    client = production_app.test_client()

    response = client.post(
        "/auth/login",
        data={"email": "member@example.org", "password": "correct horse battery staple", "remember_me": "y"},
        base_url="https://tadamun.example",
    )

    assert response.status_code == 302
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert {"secure", "httponly", "samesite=lax"} <= attributes, name


def test_a_request_for_an_unknown_host_is_refused(production_app):
    client = production_app.test_client()

    assert client.get("/", base_url="https://tadamun.example").status_code == 200
    assert client.get("/", base_url="https://www.tadamun.example").status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert (
        client.get("/", headers={"Host": "evil.example"}, base_url="https://tadamun.example").status_code
        == 400
    )


def test_trusted_hosts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "tadamun.example, www.tadamun.example ,")
    assert config_module._env_list("TRUSTED_HOSTS") == ["tadamun.example", "www.tadamun.example"]
    monkeypatch.delenv("TRUSTED_HOSTS")
    assert config_module._env_list("TRUSTED_HOSTS") is None


@pytest.mark.parametrize(
    "secret", [None, "", "short", "dev-insecure-key", "change-me", "you-will-never-guess"]
)
def test_production_refuses_to_start_with_a_weak_secret_key(secret):
    with pytest.raises(InsecureConfigurationError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "TRUSTED_HOSTS": ["tadamun.example"], "SECRET_KEY": secret})


def test_production_refuses_to_start_without_trusted_hosts():
    with pytest.raises(InsecureConfigurationError, match="TRUSTED_HOSTS"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": PRODUCTION_SECRET, "TRUSTED_HOSTS": None})


def test_production_logs_and_errors_show_no_debugger(production_app):
    assert production_app.debug is False
    response = production_app.test_client().get("/no-such-page", base_url="https://tadamun.example")
    assert response.status_code == 404
    assert not re.search(r"werkzeug debugger|Traceback", response.get_data(as_text=True), re.I)
