"""Probes and metrics for the operator: /readyz and /metrics (/healthz is in routes.py)."""

from __future__ import annotations

from flask import jsonify

from app import metrics
from app.errors import RETRY_AFTER_SECONDS
from app.main import bp
from app.readiness import readiness


@bp.get("/readyz")
def readyz():
    """For load balancers and deployments: may this server take traffic?"""
    ready, checks = readiness()
    if ready:
        return jsonify(status="ready", checks=checks)
    response = jsonify(status="not ready", checks=checks)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


bp.add_url_rule("/metrics", "metrics", metrics.metrics_view)
