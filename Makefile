# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest venv lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP) ## create or update .venv from requirements.lock

demo: $(STAMP) ## run the main job end to end on SQLite + the sandbox
	$(BIN)/engarde demo

test: lint typecheck pytest ## ruff, mypy and the whole test suite

lint: $(STAMP) ## ruff, ruff format and the import contracts of pyproject.toml ([tool.importlinter])
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy connectors audience signups insights store webhooks tasks flows deployments sandbox serving

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lock: ## re-resolve requirements.lock from pyproject.toml
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .engarde .pytest_cache .mypy_cache .ruff_cache
