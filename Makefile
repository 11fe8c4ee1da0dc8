# Tadamun — everyday commands. `make run` and `make test` work on a fresh machine.
# The newest python3.X (3.11 to 3.13) that runs on this machine; PYTHON=... picks another.
PYTHON ?= $(or $(shell for v in 13 12 11; do python3.$$v -c '' >/dev/null 2>&1 && { echo python3.$$v; break; }; done),python3.11)
# A second virtualenv for another Python: make test-fast PYTHON=python3.13 VENV=.venv-3.13
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: help install install-dev run test test-fast test-compat lint load bench prod-check migrate demo-data clean \
	translations-extract translations-update translations-compile \
	browser-deps node-deps screenshots

help:
	@echo "make run     - set up and serve the demo on http://127.0.0.1:$(PORT) (serving requirements only)"
	@echo "make test    - set up (with the development tools) and run the whole suite (SQLite, then PostgreSQL)"
	@echo "make lint    - ruff, bandit, the template-safety check and the import layers"
	@echo "make prod-check - nginx, 2 gunicorns, PostgreSQL, Redis, the worker and an SMTP sink on loopback"
	@echo "make load    - load test: concurrent pledges, a write storm and a browse mix on gunicorn"
	@echo "make bench   - benchmark every page type on the large data set (docs/performance.md)"

# Two stamps: serving needs requirements.txt alone (`make run`); the tests, lint, benchmarks and the
# proof on loopback need requirements-dev.txt too. Each is redone when its requirements change;
# the virtualenv itself is made once.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# requirements-dev.txt includes requirements.txt, so the development stamp covers serving too.
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# Compiling the catalogs takes a fraction of a second; the .mo files are never committed.
install: $(VENV)/.installed-run
	$(BIN)/python -m app.translations compile

install-dev: $(VENV)/.installed-dev
	$(BIN)/python -m app.translations compile

migrate: install
	$(FLASK) db upgrade

demo-data: migrate
	$(FLASK) demo-data --if-empty

# PORT reaches the application too: links in mail (SITE_URL) follow it unless SITE_URL is set.
run: demo-data
	@PORT=$(PORT) $(BIN)/python -c "import config; print(config.development_notice())"
	PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev browser-deps node-deps
	PYTHON=$(BIN)/python TEST_JOBS=$(TEST_JOBS) scripts/run-tests.sh

# The proof on loopback (scripts/prod_check.py, figures in docs/operations.md): nginx in front of two
# gunicorn instances, a scratch PostgreSQL cluster and a scratch Redis, the mail worker and an SMTP
# sink, under load and failures.
prod-check: install-dev
	$(BIN)/python scripts/prod_check.py

# pytest-xdist workers (one per CPU); TEST_JOBS=0 runs the tests in one process (scripts/run-tests.sh too).
TEST_JOBS ?= auto

# The SQLite run only, without browser tests: quick feedback while coding.
test-fast: install-dev
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) -m "not browser and not prod"

# A slice that touches every dependency whose behaviour moves between Python versions (argon2,
# WebAuthn/TOTP, Babel and the catalogs, zoneinfo and the calendars, Markdown and nh3, Pillow and
# the PDFs, apispec, feedgen, RQ, Alembic): CI runs it on Python 3.13, after the whole suite on 3.11.
# make test-compat PYTHON=python3.13 VENV=.venv-3.13
COMPAT_TESTS := tests/test_app.py tests/test_auth_login.py tests/test_auth_registration.py \
	tests/test_two_factor.py tests/test_password_policy.py tests/test_headers.py tests/test_csrf.py \
	tests/test_i18n.py tests/test_i18n_catalogs.py tests/test_reader_time_and_language.py \
	tests/test_markdown.py tests/test_logos.py tests/test_api.py tests/test_feeds_exports.py \
	tests/test_gatherings.py tests/test_solidarity_statements.py tests/test_network_shape.py \
	tests/test_digests.py tests/test_pledges.py tests/test_public_campaigns.py tests/test_search.py \
	tests/test_worker_rq.py tests/test_transactions.py tests/test_migrations.py tests/test_backup.py
test-compat: install-dev
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) -m "not browser and not prod" $(COMPAT_TESTS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r app -ll
	$(BIN)/python scripts/check_templates.py
	$(BIN)/lint-imports --no-logo

# Load test on loopback: gunicorn with 4 workers on a scratch database (see scripts/load.py).
load: install-dev
	$(BIN)/python scripts/load.py

# Benchmark on loopback (scripts/bench.py, results in docs/performance.md): the large synthetic network
# and the demo set, on SQLite and on PostgreSQL when reachable, served by gunicorn, driven by wrk
# (Debian's package, installed when missing and possible; else a Python load generator).
# The huge set (flask large-data --huge) is left out unless asked: `make bench BENCH_ARGS=--huge`.
bench: install-dev
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } \
	  || echo "!! wrk is missing: the benchmark uses its Python load generator."
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Translations (see README, "Languages"): extract the strings into app/translations/messages.pot,
# merge them into the ar, ckb and fr catalogs, translate the .po files, then compile.
translations-extract: $(VENV)/.installed-run
	$(BIN)/python -m app.translations extract

translations-update: translations-extract
	$(BIN)/python -m app.translations update

translations-compile: $(VENV)/.installed-run
	$(BIN)/python -m app.translations compile

# Browser tests (tests/browser, marked `browser`) drive Debian's Chromium with Playwright; they never
# download a browser of their own. Installed only when missing; without root and apt the tests skip
# locally (CI sets REQUIRE_BROWSER=1 so they fail there instead).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
	    || echo "!! Installing chromium failed: the browser tests will be skipped (or fail under REQUIRE_BROWSER=1)."; \
	else \
	  echo "!! /usr/bin/chromium is missing and apt-get (as root) is unavailable:"; \
	  echo "!! the browser tests will be skipped. Install Debian's chromium package to run them."; \
	fi

# axe-core (accessibility) and vnu-jar (the Nu HTML checker), pinned in package-lock.json.
node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "!! npm is missing: the accessibility and HTML checks will be skipped."; fi

# Pictures of the main pages (desktop and phone, English and Arabic) into docs/screenshots/.
screenshots: install-dev browser-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
