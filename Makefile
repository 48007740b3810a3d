# The front door: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: run test test-postgres test-browser bench install clean pdftotext chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
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

test: $(STAMP) pdftotext chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL (DATABASE_URL defaults to the local server).
test-postgres: $(STAMP) pdftotext
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fundops} $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(STAMP) chromium
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
