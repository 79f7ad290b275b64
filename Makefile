# qsolve: set-up, main job and tests.  `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

$(BIN)/qsolve: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned to the CPU release that installs without a multi-GB download.
	$(BIN)/pip install --quiet torch==2.13.0
	# The ray extra too, so that the tests of qsolve solve --ray run.
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	touch $(BIN)/qsolve

setup: $(BIN)/qsolve

# The main job: solve a scrambled 15-puzzle and a scrambled 2x2x2 cube with the shipped models.
demo: setup
	$(BIN)/qsolve solve puzzle15 --random-walk 200 --seed 1
	$(BIN)/qsolve solve cube2 --random-walk 20 --seed 1

test: setup
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/ruff format --check src tests benchmarks experiments
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/ruff format --check src tests benchmarks experiments
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/search_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
