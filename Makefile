# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   create .venv, install, run the whole pipeline on the bundled demo corpus
#   make test   install the test extras and run the suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed
# The code folders, as subpackages of `cohesion` (the repository root is the package).
PACKAGES := cli config runtime taxonomy weeks local_calendar retry csvsafe private_files tokens patterns jobs scheduler resources store classify crawlers reports review demo

.PHONY: demo test test-fast bench check lint typecheck wheel-check train install clean

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

# The suite without the slow and browser tests (demo, real training, Scrapyd, chromium).
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

bench: install
	$(BIN)/python benchmarks/run_all.py

# Retrain the default model from the public datasets in DATA (see docs/training-data.md).
DATA ?= training-data
train: install
	$(BIN)/cohesion train --data $(DATA) --out models/default

lint: install typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy resolves `cohesion.*` through a folder named cohesion: the editable install's
# import hook is invisible to it, so a temporary link names the repository root.
typecheck: install
	@tmp=$$(mktemp -d) && ln -s "$(CURDIR)" "$$tmp/cohesion" && \
	  MYPYPATH="$$tmp" $(BIN)/mypy --config-file pyproject.toml $(addprefix -p cohesion.,$(PACKAGES)); \
	  status=$$?; rm -rf "$$tmp"; exit $$status

# Build the wheel, install it outside the checkout and run the first commands there.
wheel-check:
	scripts/check_wheel.sh $(PYTHON)

# Everything CI checks, in one command.
check: lint test wheel-check

clean:
	rm -rf $(VENV) demo-output .pytest_cache build dist
