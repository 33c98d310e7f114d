# The whole setup on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint bench corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/lincah db upgrade
	$(BIN)/lincah deploy processes/
	$(BIN)/lincah demo
	$(BIN)/lincah serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check engine api scheduler tests bench
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/corpus_lint.py

corpus: install
	$(BIN)/python bench/corpus_lint.py ../shared/corpus

clean:
	rm -rf $(VENV) instance .pytest_cache
