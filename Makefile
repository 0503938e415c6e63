# Two commands do all the set-up on a fresh machine:
#   make demo   - virtualenv, install, migrate, load the sample corpus and demo subscribers,
#                 run today's digest, print what was sent (emails land in var/outbox/)
#   make test   - the whole test suite, real services included
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint format system-deps bench-rank bench-run bench-web bench-quality clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py demo

# Debian packages the real-service tests start: PostgreSQL, Redis, Chromium.
system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles test-artifacts .pytest_cache
