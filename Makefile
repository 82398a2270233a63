# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   create .venv, install, run the whole pipeline on the bundled demo corpus
#   make test   install the test extras and run the suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed

.PHONY: demo test bench check lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/cohesion demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/run_all.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cli.py config.py jobs.py scheduler.py private_files.py store crawlers reports review classify demo

# Everything CI checks, in one command.
check: lint test

clean:
	rm -rf $(VENV) demo-output .pytest_cache
