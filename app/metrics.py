"""Metrics in Prometheus's text format at ``/metrics``, for the operator's monitoring only.

- ``tadamun_http_requests_total{endpoint, method, status}`` and
  ``tadamun_http_request_duration_seconds{endpoint, status}``: every answer, by route (the
  endpoint, never the path: paths may carry tokens) and status.
- ``tadamun_pending_applications``: organizations waiting for a moderator, read at scrape time.
- ``tadamun_queue_depth`` and ``tadamun_queue_failed``: mail and jobs waiting (or being sent)
  and those given up on, from the queue that registered with :func:`set_queue_stats` (the
  outbox, ``app.worker``), read at scrape time.

Several gunicorn workers: with ``PROMETHEUS_MULTIPROC_DIR`` set in the environment (before the
application is imported), each worker writes its counts into files there and a scrape, whichever
worker answers it, adds them all up (prometheus_client's multiprocess mode; gunicorn.conf.py
tells it when a worker dies). The directory must be emptied when gunicorn starts.

Refused to the public: answered only to ``METRICS_ALLOW_FROM`` (addresses or networks; default
loopback) or to a request with ``Authorization: Bearer <METRICS_TOKEN>``; anyone else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from app.extensions import db

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# This process's metrics. In multiprocess mode their values live in files instead, and a scrape
# reads the files of every worker rather than this registry.
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "tadamun_http_requests",
    "HTTP requests answered, by route (endpoint), method and status.",
    ["endpoint", "method", "status"],
    registry=PROCESS_REGISTRY,
)
LATENCY = Histogram(
    "tadamun_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (endpoint) and status.",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS_REGISTRY,
)


@dataclass(frozen=True)
class QueueStats:
    depth: int  # jobs (mail, ...) waiting to be done
    failed: int  # jobs that failed for good and wait for the operator


def set_queue_stats(app: Flask, provider: Callable[[], QueueStats]) -> None:
    """Let the job queue report its depth and failures at each scrape.

    ``provider`` runs inside the scrape's application context and may query the database.
    """
    app.extensions["metrics_queue_stats"] = provider


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# The two series of each (route, method, status) met so far: a label lookup takes a lock and
# checks its values on every call. Bounded by the routes, methods and statuses there are.
_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def record_request(endpoint: str | None, method: str, status: int, seconds: float | None) -> None:
    key = (endpoint or "unmatched", method, status)
    series = _series.get(key)
    if series is None:
        route = key[0]
        series = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, str(status)))
        _series[key] = series
    series[0].inc()
    if seconds is not None:
        series[1].observe(seconds)


class SiteCollector:
    """Figures read at scrape time (the same for every worker, so never summed)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from app.models import Organization, OrganizationStatus

        try:
            pending = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Organization)
                .where(Organization.status == OrganizationStatus.PENDING)
            )
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            logging.getLogger(__name__).warning("metrics: the database did not answer")
        else:
            yield GaugeMetricFamily(
                "tadamun_pending_applications", "Organizations waiting for a moderator.", value=pending
            )
        provider = self.app.extensions.get("metrics_queue_stats")
        if provider is None:
            return
        try:
            stats = provider()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            logging.getLogger(__name__).warning("metrics: the job queue's figures could not be read")
        else:
            yield GaugeMetricFamily("tadamun_queue_depth", "Jobs waiting in the queue.", value=stats.depth)
            yield GaugeMetricFamily(
                "tadamun_queue_failed", "Jobs that failed for good (see the operator).", value=stats.failed
            )


class _Forward:
    """Exposes another registry's metrics (this process's, when not in multiprocess mode)."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()


def exposition(app: Flask) -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    directory = multiprocess_directory()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Forward(PROCESS_REGISTRY))
    registry.register(SiteCollector(app))
    return generate_latest(registry)


def is_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.extensions["metrics_allowed_networks"])


def metrics_view() -> Response:
    if not is_allowed():
        abort(404)
    response = Response(exposition(current_app._get_current_object()), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _record(response: Response) -> Response:
    from app.logs import request_duration

    record_request(request.endpoint, request.method, response.status_code, request_duration())
    return response


def register(app: Flask) -> None:
    try:
        networks = [ipaddress.ip_network(entry, strict=False) for entry in app.config["METRICS_ALLOW_FROM"]]
    except ValueError as error:
        raise RuntimeError(f"METRICS_ALLOW_FROM: {error}") from None
    app.extensions["metrics_allowed_networks"] = networks
    app.after_request(_record)
