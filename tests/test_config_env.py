"""Settings read from the environment (config.py reads it once, at import: each case runs in a
fresh interpreter, as `make run`, gunicorn and the CLI do)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (
    *("SITE_URL", "PORT", "PROXY_HOPS", "PAGE_CACHE_TTL"),
    *("MAIL_BACKEND", "MAIL_OUTBOX_DIR", "TADAMUN_CONFIG"),
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    environment.update(env)
    return subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


def development_settings(**env: str) -> dict:
    names = ["SITE_URL", "PROXY_HOPS", "PAGE_CACHE_TTL"]
    settings = "{n: getattr(config.DevelopmentConfig, n) for n in " + repr(names) + "}"
    code = f"import json, config; print(json.dumps({settings}))"
    completed = run_python(code, **env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_links_follow_the_port_the_development_server_uses():
    assert development_settings(PORT="8000")["SITE_URL"] == "http://127.0.0.1:8000"
    assert development_settings()["SITE_URL"] == "http://127.0.0.1:5000"


def test_an_explicit_site_url_wins_over_the_port():
    settings = development_settings(PORT="8000", SITE_URL="https://tadamun.example.org")
    assert settings["SITE_URL"] == "https://tadamun.example.org"


def test_proxy_hops_and_the_page_cache_time_limit_come_from_the_environment():
    assert development_settings()["PROXY_HOPS"] == 0
    assert 0 < development_settings()["PAGE_CACHE_TTL"] <= 600
    settings = development_settings(PROXY_HOPS="1", PAGE_CACHE_TTL="45")
    assert settings["PROXY_HOPS"] == 1
    assert settings["PAGE_CACHE_TTL"] == 45


@pytest.mark.parametrize(("name", "value"), [("PROXY_HOPS", "-1"), ("PROXY_HOPS", "one"), ("PORT", "eighty")])
def test_a_malformed_number_stops_the_start_with_its_name(name, value):
    completed = run_python("import config", **{name: value})
    assert completed.returncode != 0
    assert name in completed.stderr


def test_make_run_says_where_links_point_and_where_mail_is_written(tmp_path):
    outbox = tmp_path / "outbox"
    completed = run_python(
        "import config; print(config.development_notice())", PORT="8000", MAIL_OUTBOX_DIR=str(outbox)
    )
    assert completed.returncode == 0, completed.stderr
    assert "http://127.0.0.1:8000" in completed.stdout
    assert str(outbox) in completed.stdout
    makefile = (ROOT / "Makefile").read_text()
    assert "config.development_notice()" in makefile


def _make_dry_run(target: str, tmp_path) -> str:
    """The commands ``make TARGET`` would run for a fresh virtualenv (nothing is run)."""
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("make") or "make", "-n", target, f"VENV={tmp_path / 'venv'}", "PYTHON=python3"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return completed.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_what_serving_needs(tmp_path):
    commands = _make_dry_run("run", tmp_path)
    assert "-r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["test", "test-fast", "lint"])
def test_development_targets_install_the_development_tools(tmp_path, target):
    commands = _make_dry_run(target, tmp_path)
    assert "-r requirements-dev.txt" in commands
    # The development stamp also stands for the serving requirements, which it includes.
    assert ".installed-dev" in commands and ".installed-run" in commands
