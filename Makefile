# Statements Q&A — the two commands: `make demo` and `make test`.
# Each sets itself up on a fresh machine: a venv, torch 2.13.0 (CPU build) first, then the project.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 7860
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export OMP_WAIT_POLICY := PASSIVE
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: demo test test-fast lint install browser clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,scale]'
	touch $@

install: $(VENV)/.installed

## make demo: index the bundled sample and open the chat on http://127.0.0.1:7860 (another port: make demo PORT=7861)
demo: install
	$(VENV)/bin/statements-qa serve --port $(PORT)

## make test: the whole test suite, browser tests included (installs Chromium if it can)
test: install browser
	$(PY) -m pytest

## make test-fast: unit tests without the slow and browser ones
test-fast: install
	$(PY) -m pytest -m "not slow and not browser"

## make lint: ruff over the code, tests and benchmarks; mypy over the packages (settings in pyproject.toml)
lint: install
	$(PY) -m ruff check corpus embeddings assistant ui tests benchmarks
	$(PY) -m mypy

browser:
	@bash scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) .statements-qa .pytest_cache .hypothesis
