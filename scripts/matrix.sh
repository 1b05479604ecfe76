#!/usr/bin/env bash
# The version matrix beyond .venv: one virtual environment per Python/Django pair, each running
# the whole suite. A pair whose interpreter this machine lacks prints one skip line; a missing
# interpreter never fails the run. Usage: scripts/matrix.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."

# venv  python  Django requirement. Python 3.10 with Django 4.2 is the oldest pair supported;
# Django 6.x needs Python 3.12+.
pairs=(
  ".venv-py310-dj42 3.10 Django>=4.2,<4.3"
  ".venv-py312-dj60 3.12 Django>=6.0,<6.1"
  ".venv-py313-dj61 3.13 Django>=6.1,<6.2"
)

# pyenv's shims hide interpreters that aren't the selected version, so look in pyenv first.
find_python() {
  local version=$1 candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version"; do
    [[ -x $candidate ]] && "$candidate" -c '' 2>/dev/null && { echo "$candidate"; return; }
  done
  candidate=$(command -v "python$version" 2>/dev/null) || return 1
  "$candidate" -c '' 2>/dev/null && echo "$candidate"
}

for pair in "${pairs[@]}"; do
  read -r venv version django <<<"$pair"
  if ! python=$(find_python "$version"); then
    echo "== $venv: skipped: no python$version on this machine (in PATH or pyenv)"
    continue
  fi
  # The stamp names pyproject.toml's content, so a changed dependency list reinstalls.
  stamp="$venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
  if [[ ! -f $stamp ]]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]' "$django"
    touch "$stamp"
  fi
  echo "== $venv: $("$venv/bin/python" -c 'import sys, django; print("Python", sys.version.split()[0], "Django", django.get_version())')"
  "$venv/bin/pytest" -n 2 -q "$@"
done
