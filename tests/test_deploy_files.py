"""The files in deploy/ agree with the application they serve.

``make prod-check`` runs them for real; these checks are the cheap part that every test run does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from config import Config

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = (ROOT / "deploy/nginx/tadamun.conf").read_text()


def directive(name: str, text: str = NGINX_SITE) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)


def test_nginx_refuses_bodies_larger_than_the_application_accepts():
    assert directive("client_max_body_size") == [str(Config.MAX_CONTENT_LENGTH)]


def test_nginx_drops_headers_with_underscores():
    assert directive("underscores_in_headers") == ["off"]


def test_nginx_sets_the_forwarded_headers_rather_than_passing_on_the_clients():
    headers = dict(value.split(None, 1) for value in directive("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$remote_addr"  # one hop: PROXY_HOPS=1
    assert headers["X-Forwarded-Proto"] == "$scheme"
    for forged in ("X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix"):
        assert headers[forged] == '""', forged
    assert "$request_uri" not in " ".join(directive("log_format", NGINX_SITE.replace("\n", " ")))


def test_nginx_keeps_only_fingerprinted_static_files_for_a_year():
    cache = re.search(r"map \$arg_v \$tadamun_static_cache \{(.*?)\}", NGINX_SITE, re.DOTALL).group(1)
    assert re.search(r'""\s+"no-cache"', cache)
    assert re.search(r'default\s+"public, max-age=31536000, immutable"', cache)


def test_nginx_never_serves_metrics_to_the_public():
    assert re.search(r"location = /metrics \{\s*return 404;\s*\}", NGINX_SITE)


def test_the_units_run_the_repositorys_gunicorn_config_and_the_worker():
    app_unit = (ROOT / "deploy/systemd/tadamun.service").read_text()
    worker_unit = (ROOT / "deploy/systemd/tadamun-worker.service").read_text()
    assert "gunicorn -c gunicorn.conf.py --control-socket /run/tadamun/gunicorn.ctl wsgi:app" in app_unit
    assert "PROMETHEUS_MULTIPROC_DIR=/run/tadamun/" in app_unit and "RuntimeDirectory=tadamun" in app_unit
    assert "flask --app wsgi worker" in worker_unit
    for unit in (app_unit, worker_unit):
        assert "EnvironmentFile=/etc/tadamun/tadamun.env" in unit
        assert "User=tadamun" in unit


def test_every_unit_runs_the_same_code_as_the_same_user_with_the_same_settings():
    """One set of units: the app, the worker and every timer's job agree on where things are."""
    units = sorted((ROOT / "deploy/systemd").glob("*.service"))
    assert len(units) >= 7
    for path in units:
        text = path.read_text()
        assert "User=tadamun\nGroup=tadamun\n" in text, path.name
        assert "WorkingDirectory=/srv/tadamun/app\n" in text, path.name
        assert "EnvironmentFile=/etc/tadamun/tadamun.env\n" in text, path.name
        assert re.search(r"^ExecStart=/srv/tadamun/app/\.venv/bin/(gunicorn|flask) ", text, re.MULTILINE), (
            path.name
        )
        # Nothing writable but the instance folder (uploads, backups, mail files).
        assert "ProtectSystem=strict\n" in text and "ReadWritePaths=/var/lib/tadamun\n" in text, path.name
    # The one-off command wrapper runs the same checkout with the same settings.
    wrapper = (ROOT / "deploy/tadamun-flask").read_text()
    assert "/etc/tadamun/tadamun.env" in wrapper and "/srv/tadamun/app/" in wrapper


def test_the_environment_example_is_production_behind_one_proxy():
    settings = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy/tadamun.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["TADAMUN_CONFIG"] == "production"
    assert settings["PROXY_HOPS"] == "1"
    assert settings["LOG_FORMAT"] == "json"
    for name in ("SECRET_KEY", "TRUSTED_HOSTS", "SITE_URL", "DATABASE_URL", "REDIS_URL", "GUNICORN_BIND"):
        assert settings.get(name), name


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_site_as_prod_check_runs_it(tmp_path):
    from scripts.prod_check import Ports, nginx_configuration

    main = nginx_configuration(tmp_path, Ports(5700))
    result = subprocess.run(  # noqa: S603 (Debian's nginx, a configuration test only)
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_environment_example_reads_the_same_in_sh_as_in_systemd(tmp_path):
    """deploy/tadamun-flask sources the file with sh; systemd reads it as EnvironmentFile."""
    result = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; printf %s "$MAIL_DEFAULT_SENDER"', "sh", "deploy/tadamun.env.example"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Tadamun <no-reply@tadamun.example.org>"
