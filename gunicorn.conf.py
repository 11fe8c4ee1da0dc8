"""Gunicorn settings for production and for the benchmark (``scripts/bench.py``).

Sync workers: on these 2-core machines they beat threaded workers for this app (every
request is short and CPU-bound). One worker per core unless GUNICORN_WORKERS says otherwise.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", os.cpu_count() or 2))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
# Load the application once in the master, so workers share its memory pages...
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # off unless asked for
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Gunicorn trusts no peer's forwarding headers; the application alone decides (PROXY_HOPS,
# werkzeug's ProxyFix). By default gunicorn takes SCRIPT_NAME and PATH_INFO from request headers
# of loopback peers (forwarder_headers): one request with `SCRIPT_NAME: //evil.example` made every
# link of a page point off-site, and the page cache served it to everyone. It also takes the
# scheme from X-Forwarded-Proto (secure_scheme_headers), which PROXY_HOPS=0 promises to ignore.
forwarder_headers = ""
secure_scheme_headers = {}
forwarded_allow_ips = ""


def when_ready(server):
    # In the master, once the application is loaded (preload_app) and before any worker is
    # forked: work every worker would repeat on its first requests (compiling the templates) is
    # done here once, and the workers inherit it. The benchmark's ceiling has none to do.
    prepare = getattr(server.app.wsgi(), "prepare_for_workers", None)
    if prepare is not None:
        prepare()


def post_fork(server, worker):
    # ...but never its database connections: each worker opens its own. (The benchmark's
    # ceiling, an empty Flask application served with these same settings, has no database.)
    application = server.app.wsgi()
    if "sqlalchemy" in application.extensions:
        from app.extensions import db

        with application.app_context():
            db.engine.dispose(close=False)
    # Everything loaded so far (modules, templates, the app) lives as long as the worker:
    # move it out of the garbage collector's reach. Without this, a full (generation 2)
    # collection walks all of it every so often and sets the p99 latency.
    gc.freeze()


# Metrics across workers (app/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every worker writes
# its counts into files there. Files left by an earlier run would be added to this one's: empty
# the directory now, before the application is loaded. One directory per gunicorn instance.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir:
    os.makedirs(_metrics_dir, exist_ok=True)
    for _name in os.listdir(_metrics_dir):
        if _name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, _name))


def child_exit(server, worker):
    # A worker died or was replaced: its counts stay, its live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
