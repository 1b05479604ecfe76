"""The layers of docs/architecture.md, checked on the source: who may import whom.

Imports are read with ``ast``, so nothing is imported to check them. Only runtime imports
count: those under ``if TYPE_CHECKING:`` are for the type checker. The import rule counts the
imports inside functions too; the cycle check counts the module-level ones, the ones that run
when a module is first imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import notifiedby

PACKAGE = Path(notifiedby.__file__).parent
#: The wire layer: only the managers and resource methods may import it.
WIRE = "notifiedby._wire"
#: The managers, querysets and resource methods: the layer that calls the wire layer.
MANAGERS = (
    "notifiedby.resources",
    "notifiedby.query",
    "notifiedby._queryset",
    "notifiedby._fields",
    "notifiedby._lookups",
    "notifiedby._ordering",
    "notifiedby._pages",
    "notifiedby._pagination",
)
#: Everything built on the managers: it never calls the wire layer or speaks HTTP itself.
ABOVE_THE_MANAGERS = (
    "notifiedby.functions",
    "notifiedby.backends",
    "notifiedby.outbox",
    "notifiedby.tasks",
    "notifiedby.bulk",
    "notifiedby._mapping",
    "notifiedby.cli",
    "notifiedby.management",
    "notifiedby.suppression",
    "notifiedby.tracking",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _within(module: str, prefix: str) -> bool:
    """Tell whether ``module`` is ``prefix`` or inside it."""
    return module == prefix or module.startswith(prefix + ".")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST, *, in_functions: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for statement in child.orelse:  # the else branch does run
                yield from _import_nodes(
                    ast.Module(body=[statement], type_ignores=[]), in_functions=in_functions
                )
            continue
        function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if function and not in_functions:
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _import_nodes(child, in_functions=in_functions)


def imports(module: str, *, in_functions: bool = True) -> set[str]:
    """Return the modules ``module`` imports at run time: for ``from a import b``, ``a.b`` if
    it is a module of the package, else ``a``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(tree, in_functions=in_functions):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parent, base] if base else parent)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            found.add(submodule if submodule in MODULES else base)
    return found


def _forbidden(imported: str) -> bool:
    return _within(imported, WIRE) or _within(imported, "requests")


ABOVE = sorted(m for m in MODULES if any(_within(m, p) for p in ABOVE_THE_MANAGERS))


def test_the_layers_above_the_managers_exist() -> None:
    # A rename that empties the list would make the next test pass without checking anything.
    assert {"notifiedby.functions", "notifiedby.backends", "notifiedby.tasks"} <= set(ABOVE)
    assert any(_within(m, "notifiedby.outbox") for m in ABOVE)
    assert any(_within(m, "notifiedby.cli") for m in ABOVE)


@pytest.mark.parametrize("module", ABOVE)
def test_nothing_above_the_managers_calls_the_wire_layer_or_speaks_http(module: str) -> None:
    assert sorted(i for i in imports(module) if _forbidden(i)) == []


def test_only_the_managers_import_the_wire_layer() -> None:
    importers = {
        module
        for module in MODULES
        if not _within(module, WIRE) and any(_within(i, WIRE) for i in imports(module))
    }
    assert importers, "no module imports the wire layer: is WIRE still its name?"
    assert sorted(m for m in importers if not any(_within(m, p) for p in MANAGERS)) == []


def test_the_wire_layer_looks_down_only() -> None:
    # It may use the transport and the exceptions, never what is built on it.
    upward = ("notifiedby.resources", "notifiedby.query", *ABOVE_THE_MANAGERS)
    wire = [m for m in MODULES if _within(m, WIRE)]
    assert wire
    for module in wire:
        assert sorted(i for i in imports(module) if any(_within(i, p) for p in upward)) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_module_level_imports() -> None:
    graph = {
        module: {i for i in imports(module, in_functions=False) if i in MODULES and i != module}
        for module in MODULES
    }
    assert _cycles(graph) == []


def test_the_import_reader_sees_imports_in_functions_and_skips_type_checking() -> None:
    # backends imports the outbox backend in its module __getattr__, and functions imports
    # notifiedby.query for annotations only.
    assert "notifiedby.outbox.backend" in imports("notifiedby.backends")
    assert "notifiedby.outbox.backend" not in imports("notifiedby.backends", in_functions=False)
    assert "notifiedby.query" not in imports("notifiedby.functions")
    assert "notifiedby._wire.email" in imports("notifiedby.resources.email")


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
