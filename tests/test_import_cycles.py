"""No import cycles between the modules of one app (``wallet.gifts`` and
``wallet.gift_batch`` used to import each other).

One idiom is allowed: a service that enqueues its app's Celery task imports
the ``tasks`` module inside the function that enqueues it, since the tasks
import the services (a task loads ids and calls a service). Imports for type
checking only (``if TYPE_CHECKING:``) are not cycles at run time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

APPS = ("core", "community", "wallet", "kol", "live", "shop")


def _modules(app: str) -> dict[str, Path]:
    root = Path(settings.BASE_DIR)
    modules = {}
    for path in (root / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(node: ast.AST, in_function: bool = False) -> list[tuple[str, bool]]:
    """``(imported name, inside a function)`` of every import under ``node``."""
    found: list[tuple[str, bool]] = []
    for child in ast.iter_child_nodes(node):
        if _type_checking(child):
            continue
        if isinstance(child, ast.ImportFrom) and child.module and not child.level:
            found += [(f"{child.module}.{alias.name}", in_function) for alias in child.names]
            found.append((child.module, in_function))
        elif isinstance(child, ast.Import):
            found += [(alias.name, in_function) for alias in child.names]
        else:
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            found += _imports(child, inside)
    return found


def _graph(app: str) -> dict[str, set[str]]:
    modules = _modules(app)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, in_function in _imports(ast.parse(path.read_text())):
            if imported not in modules or imported == name:
                continue
            if in_function and imported == f"{app}.tasks":
                continue  # the enqueue idiom (the module's docstring)
            graph[name].add(imported)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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


@pytest.mark.parametrize("app", APPS)
def test_the_modules_of_an_app_import_each_other_one_way(app: str) -> None:
    graph = _graph(app)
    cycles = _cycles(graph)
    assert cycles == [], [
        {module: sorted(graph[module] & set(cycle)) for module in cycle} for cycle in cycles
    ]


def test_the_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    lazy = ast.parse("def f():\n    from wallet.gifts import x\n")
    assert ("wallet.gifts", True) in _imports(lazy)
