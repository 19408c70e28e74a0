# One virtual environment holds newswire and its dev tools; every target installs it first.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/newswire run

# Two workers, one test file each at a time: most of the suite waits on nodes and job servers.
# Files go out in the order collected, slow ones first (tests/conftest.py), not by test count.
test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

lint: install
	$(BIN)/ruff check .
