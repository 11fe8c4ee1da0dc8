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


# Where a transaction may end. Everything else (views above all) leaves it to the request.
ENDS_TRANSACTIONS = {
    "transactions.py": "the request's one commit or rollback",
    "cli.py": "a command is its own unit of work",
    "worker.py": "a job or a delivery is its own unit of work",
    "errors.py": "the 500 and 503 answers roll back what failed",
    "security.py": "the last use of a login, written in its own short transaction before the view",
    "metrics.py": "recovering the session after a figure could not be read",
    "readiness.py": "recovering the session after a failed probe",
}


def transaction_ends(source: str) -> list[str]:
    return [
        node.func.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


@pytest.mark.parametrize(
    "path",
    [path for path in sorted(APP.rglob("*.py")) if str(path.relative_to(APP)) not in ENDS_TRANSACTIONS],
    ids=lambda path: str(path.relative_to(APP)),
)
def test_only_the_request_layer_and_units_of_work_of_their_own_commit_or_roll_back(path):
    assert transaction_ends(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_commits_and_rollbacks_however_they_are_reached():
    source = "db.session.commit()\nsession.rollback()\nself.session().commit()\nform.commit_x()\n"
    assert transaction_ends(source) == ["commit", "rollback", "commit"]
