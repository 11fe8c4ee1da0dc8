"""The proof on loopback (scripts/prod_check.py) as a test: `pytest -m prod` or `make prod-check`.

It starts nginx, two gunicorn instances, PostgreSQL and Redis on ports 5700-5799 for about a
minute and a half, so it runs only when asked for by its marker, never in the fast suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.prod
def test_the_production_set_up_holds_under_load_and_failures(request):
    if "prod" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the proof on loopback runs with `pytest -m prod` or `make prod-check`")

    result = subprocess.run(  # noqa: S603 (this Python, our own script)
        [sys.executable, str(ROOT / "scripts/prod_check.py"), "--no-docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "all checks passed" in result.stdout
