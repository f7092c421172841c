# The two commands for a fresh machine with only Python:
#   make demo   set up a virtualenv, simulate a community with known power problems, analyse it
#   make test   set up a virtualenv and run every check (ruff, mypy --strict, pytest); installs
#               headless Chromium for the browser tests where it can, else they are skipped
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $@

demo: setup
	$(BIN)/undertow demo -o $(OUT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	@sh scripts/ensure-browser.sh
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache .hypothesis
