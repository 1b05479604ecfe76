#!/usr/bin/env bash
# Build the sdist and the wheel, install the wheel into a fresh virtual environment, and
# check what a user gets: `import notifiedby`, the `notifiedby` command, py.typed, an sdist
# that carries the tests, the docs and the changelog, and the example project's
# `manage.py test` passing where pytest is not installed.
# Usage: scripts/check-package.sh PYTHON   (a Python that has `build` installed)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=${1:?usage: $0 PYTHON}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || {
  cat "$work/build.log"
  exit 1
}
version=$("$python" -c 'from notifiedby._version import __version__; print(__version__)')
wheel="$work/dist/django_notifiedby-$version-py3-none-any.whl"
sdist="$work/dist/django_notifiedby-$version.tar.gz"
test -f "$wheel" && test -f "$sdist"

# What the sdist must carry beyond the package: a user's `pip download` can run the tests.
tar -tzf "$sdist" >"$work/sdist.txt"
for member in CHANGELOG.md README.md tests/conftest.py docs/index.md mkdocs.yml; do
  grep -qx "django_notifiedby-$version/$member" "$work/sdist.txt" || {
    echo "check-package: $member is missing from the sdist" >&2
    exit 1
  }
done

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel"

# Run from an empty folder, so `import notifiedby` can only find the installed copy.
cd "$work"
"$work/venv/bin/python" - "$version" >/dev/null <<'PY'
import pathlib
import sys

import notifiedby
from notifiedby import NotifiedByClient, Recipient, subscribe_to_flow  # noqa: F401

package = pathlib.Path(notifiedby.__file__).parent
assert "site-packages" in str(package), f"imported the source tree: {package}"
assert notifiedby.__version__ == sys.argv[1], notifiedby.__version__
assert (package / "py.typed").is_file(), "py.typed is not shipped"
assert (package / "sandbox" / "openapi.json").is_file(), "the sandbox's openapi.json is missing"

# The installed command line against the installed sandbox: one real request.
import os

from notifiedby.cli import main
from notifiedby.sandbox import Sandbox

with Sandbox() as sandbox:
    os.environ.update(NOTIFIEDBY_BASE_URL=sandbox.url, NOTIFIEDBY_API_KEY=sandbox.api_key)
    assert main(["check", "--json"]) == 0
PY
test "$("$work/venv/bin/notifiedby" --version)" = "notifiedby $version"
"$work/venv/bin/python" -m notifiedby --help >/dev/null

# The test helpers need no pytest: the example project's Django test cases (the sandbox
# mixin and the test backend) pass here, reading sealed emails with the configured key.
if "$work/venv/bin/python" -c 'import pytest' 2>/dev/null; then
  echo "check-package: pytest is installed in the fresh venv; the check would prove nothing" >&2
  exit 1
fi
cp -r "$repo/examples/django_project" "$work/example"
(
  cd "$work/example"
  env -u DJANGO_SETTINGS_MODULE NOTIFIEDBY_ENCRYPTION_KEY=package-check-only-key \
    "$work/venv/bin/python" manage.py test --verbosity 0 >"$work/example.log" 2>&1
  grep -Eq '^Ran [1-9][0-9]* tests? ' "$work/example.log"
) || {
  cat "$work/example.log"
  echo "check-package: the example project's manage.py test failed without pytest" >&2
  exit 1
}
echo "check-package: django_notifiedby $version: wheel and sdist OK"
