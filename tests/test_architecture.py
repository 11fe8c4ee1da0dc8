"""Layers the import linter cannot see: the domain and the data layer never read the request.

``make lint`` runs import-linter for which package may import which (pyproject.toml); it can
forbid whole packages only, not ``flask.request``. This test holds that part of the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# What belongs to one request: the domain must be given what it needs instead.
REQUEST_GLOBALS = {"request", "g", "session", "has_request_context"}
NOT_THE_WEB_LAYER = ["services", "search_engine", "seeding", "ops", "models", "database.py"]


def modules() -> list[Path]:
    found = []
    for name in NOT_THE_WEB_LAYER:
        path = APP / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def request_globals_used(source: str) -> list[str]:
    used = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            used += [alias.name for alias in node.names if alias.name in REQUEST_GLOBALS]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in REQUEST_GLOBALS
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
        ):
            used.append(f"flask.{node.attr}")
    return used


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(APP)))
def test_the_domain_and_the_data_layer_never_read_the_request(path):
    assert request_globals_used(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_request_globals_however_they_are_reached():
    source = "import flask\nfrom flask import current_app, g, request\nflask.session.get('x')\n"
    assert sorted(request_globals_used(source)) == ["flask.session", "g", "request"]
