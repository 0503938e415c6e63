# Two commands do all the set-up on a fresh machine:
#   make demo   - virtualenv, install, migrate, load the sample corpus and demo subscribers,
#                 run today's digest, print what was sent (emails land in var/outbox/)
#   make test   - the whole test suite, real services included
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast check-deploy lock lint format system-deps bench-rank bench-run bench-web bench-quality bench-history clean

# The locked releases (hashes checked), then the project itself without resolving anything.
$(STAMP): pyproject.toml requirements-test.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Regenerate the locks from pyproject.toml: requirements.lock (the image) and
# requirements-test.lock (the same pins plus the test extra). Needs PyPI. Pins already in
# the locks are kept; `make lock UPGRADE=--upgrade` moves everything to the newest releases.
UPGRADE ?=
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps \
	--strip-extras --no-emit-index-url --no-emit-find-links $(UPGRADE)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test -o requirements-test.lock pyproject.toml

demo: $(STAMP)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py demo

# Debian packages the real-service tests start: PostgreSQL, Redis, Chromium.
system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps check-deploy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# No model change without its migration; the production configuration passes Django's
# deployment checklist (a throw-away long key, as production requires one).
check-deploy: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	APP_ENV=production SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  REDIS_URL=redis://127.0.0.1:6379/0 ALLOWED_HOSTS=digest.example.org SITE_URL=https://digest.example.org \
	  EMAIL_URL=smtp://mail.example.org:587/?tls=True \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

# Unit and view tests only, no real services or browser.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not browser"

# Ranking quality on a judgments file and a JSON-lines corpus (defaults: the dev set).
JUDGMENTS ?= data/dev_judgments.json
PAPERS ?= data/papers.jsonl
bench-quality: $(STAMP)
	$(BIN)/python benchmarks/quality.py --judgments $(JUDGMENTS) --papers $(PAPERS)

# Ranking speed: 1,000,000 synthetic subscribers x 2,000 new papers, top 10 each.
bench-rank: $(STAMP)
	$(BIN)/python benchmarks/rank.py --papers-file $(PAPERS)

# The whole daily run: N subscribers, PostgreSQL + Redis + Celery worker (2 processes) + SMTP
# sink; with ESP_LATENCY_MS, through anymail's Postmark backend to a stand-in of its API.
N ?= 100000
RUNS ?= 3
ESP_LATENCY_MS ?=
ESP_5XX ?= 0.01
ESP_429 ?= 0.01
bench-run: $(STAMP) system-deps
	$(BIN)/python benchmarks/run.py --subscribers $(N) --runs $(RUNS) \
		$(if $(ESP_LATENCY_MS),--esp-latency-ms $(ESP_LATENCY_MS) --esp-5xx $(ESP_5XX) --esp-429 $(ESP_429))

# Subscribe and account pages under load from a second process, against gunicorn on loopback.
REQUESTS ?= 2000
bench-web: $(STAMP) system-deps
	$(BIN)/python benchmarks/web.py --requests $(REQUESTS)

# A year of history on PostgreSQL: index build and load, a batch on day 1 and day 365,
# the account page on day 365 (scale with HISTORY_PAPERS / HISTORY_READERS).
HISTORY_PAPERS ?= 150000
HISTORY_READERS ?= 10000
bench-history: $(STAMP) system-deps
	$(BIN)/python benchmarks/history.py --papers $(HISTORY_PAPERS) --readers $(HISTORY_READERS) $(HISTORY_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles test-artifacts .pytest_cache
