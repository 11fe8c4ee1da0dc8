"""The ceiling of `make bench`: an empty Flask application, nothing of Tadamun.

One route returning a short text, no extension, no request hook, no database. ``scripts/bench.py``
serves it with gunicorn and ``gunicorn.conf.py`` exactly as it serves the application, and drives
it with the same load generator in the same run: what this answers per second is the most that
Flask, gunicorn and the load generator allow on this machine at that moment, and every figure of
the benchmark is reported as a share of it.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def empty() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
