"""Where a page's time goes, in-process: each page timed (and optionally profiled with cProfile)
through Flask's test client, as a visitor, a member of an approved organization and a moderator.

Not a benchmark (no server, no concurrency, no network): it tells what one request costs the
worker's CPU and which functions take it. Run it on a database built like the bench's:

    export DATABASE_URL=sqlite:////tmp/prof/prof.db TADAMUN_INSTANCE_DIR=/tmp/prof
    .venv/bin/flask --app wsgi db upgrade && .venv/bin/flask --app wsgi large-data --scale 0.1
    .venv/bin/python scripts/profile_pages.py --requests 200
    .venv/bin/python scripts/profile_pages.py --page "campaign page" --as member --profile 25
    .venv/bin/python scripts/profile_pages.py --page "campaign list" --as member --hooks

``--hooks`` times each request hook, the view and the templates in CPU time (less moved by other
work on a busy machine than the clock), per request: where the time a profile spreads over
hundreds of functions goes, by the app's own steps.

It adds two accounts to that database (a member, a moderator with an authenticator app, both
with a random password) the first time, as ``scripts/bench.py`` does on its own database.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMBER_EMAIL = "profile-member@example.org"
MODERATOR_EMAIL = "profile-moderator@example.org"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
AUDIENCES = ("visitor", "member", "moderator")


def configure_environment(page_cache: bool) -> None:
    os.environ.setdefault("TADAMUN_CONFIG", "production")
    os.environ.setdefault("SECRET_KEY", "profile-" + os.urandom(24).hex())
    os.environ.setdefault("SITE_URL", "https://localhost")
    os.environ.setdefault("TRUSTED_HOSTS", "localhost")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("MAIL_BACKEND", "file")
    os.environ.setdefault("LOG_REQUESTS", "0")
    os.environ["TADAMUN_BENCHMARK"] = "1"
    os.environ["TADAMUN_PAGE_CACHE"] = "1" if page_cache else "0"
    os.environ.pop("REDIS_URL", None)


def make_accounts(password: str) -> str:
    """A member of an approved organization and a moderator with an authenticator app (made
    once); their password set to ``password``. Returns the moderator's TOTP secret."""
    import pyotp
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Organization, OrganizationStatus, Role, User
    from app.models.base import utcnow
    from app.services import accounts, two_factor
    from app.services.moderation import create_moderator
    from app.services.passwords import hash_password

    member = db.session.scalar(sa.select(User).where(User.email == MEMBER_EMAIL))
    if member is None:
        organization = db.session.scalar(
            sa.select(Organization)
            .where(
                Organization.status == OrganizationStatus.APPROVED,
                Organization.require_two_factor.is_(False),
            )
            .order_by(Organization.id.desc())
        )
        member = User(
            email=MEMBER_EMAIL,
            password_hash=hash_password(password),
            role=Role.MEMBER,
            organization_id=organization.id,
            is_owner=False,
            email_confirmed_at=utcnow(),
        )
        db.session.add(member)
    member.password_hash = hash_password(password)
    moderator = db.session.scalar(sa.select(User).where(User.email == MODERATOR_EMAIL))
    if moderator is None:
        moderator = create_moderator(MODERATOR_EMAIL, password)
        secret = two_factor.new_totp_secret()
        step = two_factor.time_step(accounts.clock()) - 1
        code = pyotp.TOTP(secret, interval=two_factor.TOTP_INTERVAL).generate_otp(step)
        two_factor.enable_totp(moderator, secret, code)
    else:  # sealed with the last run's key: a new secret, as if the app were set up again
        moderator.totp_secret = two_factor.seal(two_factor.new_totp_secret())
        moderator.totp_last_step = None
    moderator.password_hash = hash_password(password)
    db.session.commit()
    return two_factor.unseal(moderator.totp_secret)


def _csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise SystemExit("no CSRF token on the login page")
    return found.group(1) or found.group(2)


def log_in(app, email: str, password: str, totp_secret: str | None = None):
    """A test client logged in through the real login pages."""
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"  # as a browser sends it
    token = _csrf(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password})
    if totp_secret is not None:
        import pyotp

        step_page = client.get(response.headers["Location"]).get_data(as_text=True)
        response = client.post(
            response.headers["Location"],
            data={"csrf_token": _csrf(step_page), "code": pyotp.TOTP(totp_secret).now()},
        )
    if response.status_code != 302 or "/auth/login" in response.headers.get("Location", ""):
        raise SystemExit(
            f"login of {email} failed ({response.status_code} {response.headers.get('Location')})"
        )
    return client


def choose_urls(app) -> dict[str, str]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Campaign, Organization, OrganizationStatus, Project

    with app.app_context():
        approved = Organization.status == OrganizationStatus.APPROVED
        campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
        organization = db.session.scalar(
            sa.select(Organization).where(approved).order_by(Organization.public_pledge_count.desc())
        )
        project = db.session.scalar(
            sa.select(Project).join(Project.organization).where(Project.hidden_at.is_(None), approved)
        )
        city = organization.city.split()[0] if organization.city else "Baghdad"
        return {
            "baseline": "/bench/baseline",
            "home": "/",
            "campaign list": "/campaigns/",
            "campaign page": f"/campaigns/{campaign.slug}",
            "directory": "/organizations/",
            "directory search+filters": (
                f"/organizations/?q={city}&kind={organization.kind.value}&country={organization.country}"
            ),
            "search": f"/search?q={campaign.title.split()[-1].lower()[:5]}",
            "organization profile": f"/organizations/{organization.slug}",
            "project page": f"/projects/{project.slug}",
            "project list": "/projects/",
        }


class StepTimer:
    """Adds up the CPU time of each request hook, each view and the templates' rendering."""

    def __init__(self, app) -> None:
        import flask.templating

        self.spent: collections.Counter[str] = collections.Counter()
        for registry, kind in (
            (app.before_request_funcs, "before"),
            (app.after_request_funcs, "after"),
            (app.teardown_request_funcs, "teardown"),
        ):
            for blueprint, hooks in registry.items():
                registry[blueprint] = [self._timed(f"{kind} {_name(hook)}", hook) for hook in hooks]
        for endpoint, view in list(app.view_functions.items()):
            app.view_functions[endpoint] = self._timed(f"view {endpoint}", view)
        flask.templating._render = self._timed("templates (render_template)", flask.templating._render)

    def _timed(self, name: str, function):
        spent = self.spent

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        # Names and marks (``records_views``) stay readable: Flask and the app look at them.
        return functools.update_wrapper(timed, function)

    def report(self, requests: int) -> None:
        for name, seconds in self.spent.most_common():
            print(f"{seconds / requests * 1e6:10.1f} µs  {name}")
        self.spent.clear()


def _name(function) -> str:
    inner = getattr(function, "func", function)  # functools.partial (Flask-Limiter's hooks)
    return f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', repr(inner))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page and audience")
    parser.add_argument("--page", action="append", help="only these pages (by name)")
    parser.add_argument("--as", dest="audiences", action="append", choices=AUDIENCES)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions (cProfile)")
    parser.add_argument("--dump", help="also write the profile to this file (pstats; callers and callees)")
    parser.add_argument("--no-page-cache", action="store_true")
    parser.add_argument("--median", action="store_true", help="the median request (p50), not the mean")
    parser.add_argument("--hooks", action="store_true", help="CPU time per request of each hook and step")
    args = parser.parse_args()
    configure_environment(page_cache=not args.no_page_cache)

    from app import create_app

    app = create_app()
    password = "profile-" + os.urandom(12).hex()
    with app.app_context():
        secret = make_accounts(password)
    urls = choose_urls(app)
    clients = {
        "visitor": app.test_client(),
        "member": log_in(app, MEMBER_EMAIL, password),
        "moderator": log_in(app, MODERATOR_EMAIL, password, secret),
    }
    steps = StepTimer(app) if args.hooks else None
    pages = args.page or list(urls)
    audiences = args.audiences or list(AUDIENCES)
    print(f"{'page':<26}" + "".join(f"{a + ' ms':>14}" for a in audiences))
    for page in pages:
        line = f"{page:<26}"
        for audience in audiences:
            client = clients[audience]
            url = urls[page]
            for _ in range(3):  # warm: templates, caches
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{page} as {audience}: {response.status_code}")
            profiler = cProfile.Profile() if args.profile else None
            times = []
            if steps:
                steps.spent.clear()
            if profiler:
                profiler.enable()
            for _ in range(args.requests):
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
            if profiler:
                profiler.disable()
            shown = statistics.median(times) if args.median else statistics.fmean(times)
            line += f"{shown * 1000:>14.2f}"
            if steps:
                print(f"\n--- {page} as {audience}: CPU time per request of each step (nested steps overlap)")
                steps.report(args.requests)
            if profiler:
                print(f"\n--- {page} as {audience}: top {args.profile} by cumulative time")
                stats = pstats.Stats(profiler)
                if args.dump:
                    stats.dump_stats(args.dump)
                stats.sort_stats("cumulative").print_stats(args.profile)
                stats.sort_stats("tottime").print_stats(args.profile)
        print(line, flush=True)


if __name__ == "__main__":
    main()
