# Feedback Loop. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help install run test test-fast lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) ## create .venv and install the project with its dev tools

run: install ## set up (migrate, demo data) and serve web + worker on the embedded default
	$(BIN)/feedback run $(RUN_ARGS)

test: install ## run the whole test suite (SQLite and PostgreSQL, brokers, browser)
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: install ## unit and functional tests only, SQLite only
	FEEDBACK_TEST_BACKENDS=sqlite $(BIN)/pytest -x -m "not e2e and not slow"

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var
