"""Only the client's modules import requests: the rule notifiedby/client.py states."""

from __future__ import annotations

import ast
from pathlib import Path

import notifiedby

PACKAGE = Path(notifiedby.__file__).parent
#: notifiedby/client.py and the private modules it is built from.
CLIENT_MODULES = {"client.py", "_retry.py", "_session.py", "_transport.py"}


def _imports_requests(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "requests" or name.startswith("requests.") for name in names):
            return True
    return False


def test_only_the_client_modules_import_requests() -> None:
    importers = {
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if _imports_requests(path)
    }

    assert importers == CLIENT_MODULES
