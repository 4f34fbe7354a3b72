# Everything runs from .venv, created by `make install` with only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-deep test-unit test-integration test-e2e bench lint fmt clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/ledger serve --demo --open

test: install
	$(BIN)/pytest -q

# The property tests with fresh, many more examples (nightly; ~20-30 min here).
test-deep: install
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q tests/unit tests/e2e/test_accepted_requests_project.py tests/e2e/test_fuzz.py

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-e2e: install
	$(BIN)/pytest -q tests/e2e

# Every benchmark, then docs/performance.md rewritten from the run (~7 min here).
bench: install
	$(BIN)/python -m tests.bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict domain api projections store outbound settlements
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
