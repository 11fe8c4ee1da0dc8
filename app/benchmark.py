"""An empty route for the benchmark (``scripts/bench.py``), present only when asked for.

``/bench/baseline`` touches no database and renders no template: what it costs is what
Flask, the request hooks and gunicorn cost, the yardstick every page is compared with.
It is registered only with ``BENCHMARK = True`` in the configuration or
``TADAMUN_BENCHMARK=1`` in the environment, never in a normal deployment.
"""

from __future__ import annotations

import os

from flask import Flask


def baseline() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


def register(app: Flask) -> None:
    if app.config.get("BENCHMARK") or os.environ.get("TADAMUN_BENCHMARK") == "1":
        app.add_url_rule("/bench/baseline", "bench_baseline", baseline)
