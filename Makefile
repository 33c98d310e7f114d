# The whole setup on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install web workers lint bench corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	@# WeasyPrint (the permit letters) needs Pango; installed here only where it is missing and apt-get may run.
	@ldconfig -p | grep -q libpango-1.0 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0; \
	  else echo "WeasyPrint needs libpango-1.0-0 and libpangoft2-1.0-0: apt-get install them (as root)."; fi; }

run: install web
	$(BIN)/lincah db upgrade
	$(BIN)/lincah deploy processes/
	$(BIN)/lincah demo
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) sh deploy/run_demo.sh  # serve, with the fishery permit's fakes and worker

test: install web workers
	$(BIN)/ruff check engine api scheduler tests bench
	@if command -v npm >/dev/null 2>&1; then (cd web && npm run --silent lint); else \
	  echo "npm is not installed: skipping eslint (CI runs it)."; fi
	$(BIN)/python -m pytest

# The web pages' browser files into api/static/dist/ (web/build.mjs: htmx and the bpmn-js viewer copied from npm, the
# modeler and dashboard bundled with esbuild from web/src/); npm ci only when the lock changed.
web:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! web/node_modules/.package-lock.json -nt web/package-lock.json ]; then \
	    (cd web && npm ci --no-audit --no-fund); fi && \
	  (cd web && npm run --silent build); \
	else \
	  echo "npm is not installed: skipping the web assets. Pages still work, but without BPMN diagrams;"; \
	  echo "install Node.js 20.19+ and npm, then run 'make web' (the browser tests need it)."; \
	fi

# Camunda's own JavaScript worker library for the tests that run it against /engine-rest (tests/integration);
# npm ci only when the lock changed.
workers:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! tests/workers/js/node_modules/.package-lock.json -nt tests/workers/js/package-lock.json ]; then \
	    (cd tests/workers/js && npm ci --no-audit --no-fund); fi; \
	else \
	  echo "npm is not installed: the Camunda JavaScript worker tests are skipped (CI runs them)."; \
	fi

# The README's bench tables (between <!-- bench:NAME --> markers) regenerated: quick sizes by default, the sizes the
# README quotes with BENCH_FULL=1 (long; PostgreSQL benches use their own databases on 127.0.0.1). One bench: NAMES=timers.
bench: install
	$(BIN)/python bench/readme_tables.py $(NAMES)

corpus: install
	$(BIN)/python bench/corpus_lint.py ../shared/corpus

clean:
	rm -rf $(VENV) instance .pytest_cache
