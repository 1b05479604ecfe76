# Two commands on a fresh clone: `make demo` and `make test`. Each makes .venv itself.
# `make matrix` runs the suite again on the other supported Python and Django versions.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck pytest docs package-check matrix bench sandbox clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/notifiedby demo

# One pass on the current interpreter: lint, types, the suite, the docs, the package.
test: lint typecheck pytest docs package-check

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The documentation site, with every warning an error; the site lands in site/.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Build the sdist and wheel, install the wheel in a fresh venv and try it (about 20 s).
package-check: $(VENV)/.installed-dev
	bash scripts/check-package.sh $(BIN)/python

# Not part of `make test`: a few minutes of measuring (see benchmarks/README.md).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

sandbox: $(VENV)/.installed
	$(BIN)/notifiedby sandbox

clean:
	rm -rf $(VENV) .venv-py* build dist site *.egg-info .mypy_cache .ruff_cache .pytest_cache

# Each Python/Django pair whose interpreter this machine has (scripts/matrix.sh lists them);
# one skip line for each it lacks. Not part of `make test`; CI runs it after.
matrix:
	bash scripts/matrix.sh $(PYTEST_ARGS)
