# Two commands on a fresh clone: `make demo` and `make test`. Each makes .venv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck pytest docs package-check bench sandbox clean

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

test: lint typecheck pytest docs package-check matrix

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
	rm -rf $(VENV) $(MATRIX) build dist site *.egg-info .mypy_cache .ruff_cache .pytest_cache

# The CI matrix beyond $(VENV) (Python 3.11, the newest Django): one venv per pair, each running
# the whole suite; Python 3.10 with Django 4.2 is the oldest pair the package supports.
# the whole suite. `make matrix` alone, or as part of `make test`.
MATRIX := .venv-py310-dj42 .venv-py311-dj42 .venv-py313-dj61
# pyenv's shims hide interpreters that aren't the selected version, so look in pyenv first.
PY310 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) python3.10)
PY311 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) python3.11)
PY313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13)

.venv-py310-dj42/.installed: PY := $(PY310)
.venv-py310-dj42/.installed: DJANGO := Django>=4.2,<4.3
.venv-py311-dj42/.installed: PY := $(PY311)
.venv-py311-dj42/.installed: DJANGO := Django>=4.2,<4.3
.venv-py313-dj61/.installed: PY := $(PY313)
.venv-py313-dj61/.installed: DJANGO := Django>=6.1,<6.2

$(MATRIX:%=%/.installed): pyproject.toml
	$(PY) -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet --upgrade pip
	$(@D)/bin/python -m pip install --quiet -e '.[dev]' '$(DJANGO)'
	touch $@

.PHONY: matrix
matrix: $(MATRIX:%=%/.installed)
	@for venv in $(MATRIX); do \
		echo "== $$venv: $$($$venv/bin/python -c 'import sys, django; print(sys.version.split()[0], django.get_version())')"; \
		$$venv/bin/pytest -n 2 -q $(PYTEST_ARGS) || exit 1; \
	done
