"""The application starts, answers its health check and renders errors safely."""

import pytest

from app import create_app
from config import InsecureConfigurationError
from tests.builders import make_campaign
from tests.conftest import app_context


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_home_lists_active_campaigns(app, client):
    from app.extensions import db

    with app_context(app):
        make_campaign("Save the Tigris")
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Save the Tigris" in html


def test_unknown_page_is_a_helpful_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert 'href="/"' in html


@pytest.mark.parametrize("secret", [None, "short", "dev-insecure-key"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    settings = {"ENV_NAME": "production", "TRUSTED_HOSTS": ["tadamun.example"], "SECRET_KEY": secret}
    with pytest.raises(InsecureConfigurationError):
        create_app(settings)


def test_production_starts_with_a_long_random_secret_key():
    settings = {"ENV_NAME": "production", "TRUSTED_HOSTS": ["tadamun.example"]}
    app = create_app({**settings, "SECRET_KEY": "9f3k2l1m0n" * 4})
    assert app.config["ENV_NAME"] == "production"
