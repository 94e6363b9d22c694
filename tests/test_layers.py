"""Dependencies point one way: ``core`` <- ``community`` <- ``wallet`` <-
``kol`` <- ``live`` <- ``shop``. No module of a lower layer names a higher
one, in code (imports, dotted paths in strings) or in templates (includes,
template tag libraries, URL names). A lower app that needs something from a
higher one declares an extension point (``core.extensions``).

The community-only pass of ``make test`` proves the same at run time; this
test says where a slip is, before anything runs."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "community", "wallet", "kol", "live", "shop")
# Top-level templates every page uses belong to the lowest layer with pages.
SHARED_TEMPLATES = ("base.html", "400.html", "403.html", "404.html", "413.html", "500.html")


def _higher(layer: str) -> tuple[str, ...]:
    return LAYERS[LAYERS.index(layer) + 1 :]


def _python_files(layer: str) -> list[Path]:
    return sorted(p for p in (ROOT / layer).rglob("*.py") if p.is_file())


def _names_in(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import, and of every string (docstrings
    aside) that is a dotted path (``"live.services.x"``), in a Python file."""
    tree = ast.parse(path.read_text(), str(path))
    # Docstrings may tell where things go ("the live room batches these"):
    # only code and the strings it runs with count.
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in re.finditer(r"\b[a-z_]+\.[a-z_]+(\.[a-z_]+)*", node.value):
                if _is_module(match.group(0)):
                    found.append((node.lineno, match.group(0)))
    return found


def _is_module(dotted: str) -> bool:
    """Whether a dotted string names a module of ours (``live.services``),
    not a host name (``shop.example.com``)."""
    head = ".".join(dotted.split(".")[:2])
    if head.split(".")[0] not in LAYERS:
        return False
    try:
        return importlib.util.find_spec(head) is not None
    except (ImportError, ValueError):
        return False


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_no_module_of_a_layer_names_a_higher_one(layer: str) -> None:
    higher = _higher(layer)
    slips = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in _python_files(layer)
        for line, name in _names_in(path)
        if name.split(".")[0] in higher
    ]
    assert slips == []


def _url_names_by_layer() -> dict[str, set[str]]:
    """Every URL name of the installed apps, by the layer whose routes hold it."""
    names: dict[str, set[str]] = {layer: set() for layer in LAYERS}

    def walk(patterns: list[URLPattern | URLResolver], module: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = getattr(pattern.urlconf_module, "__name__", module)
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                layer = module.split(".")[0]
                if layer in names:
                    names[layer].add(pattern.name)

    walk(get_resolver().url_patterns, "config")
    return names


def _templates(layer: str) -> list[Path]:
    own = sorted((ROOT / "templates" / layer).rglob("*.html"))
    if layer == "community":
        own += [ROOT / "templates" / name for name in SHARED_TEMPLATES]
        own += sorted((ROOT / "templates" / "partials").rglob("*.html"))
    return own


@pytest.mark.parametrize("layer", ["community", "wallet", "kol", "live"])
def test_no_template_of_a_layer_names_a_higher_one(layer: str) -> None:
    higher = _higher(layer)
    url_names = _url_names_by_layer()
    higher_urls = {name for h in higher for name in url_names.get(h, set())}
    slips = []
    for path in _templates(layer):
        text = path.read_text()
        for match in re.finditer(r"{%\s*(include|extends)\s+\"([a-z_]+)/", text):
            if match.group(2) in higher:
                slips.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"{%\s*load\s+([^%]+)%}", text):
            for library in match.group(1).split():
                if library.split("_")[0] in higher:
                    slips.append(f"{path.relative_to(ROOT)}: load {library}")
        for match in re.finditer(r"{%\s*url\s+['\"]([a-z_]+)['\"]", text):
            if match.group(1) in higher_urls:
                slips.append(f"{path.relative_to(ROOT)}: url {match.group(1)}")
    assert slips == []


def test_the_url_names_are_found() -> None:
    """The template check above is not vacuous."""
    names = _url_names_by_layer()
    assert {"discover", "compose"} <= names["community"]
    assert "wallet" in names["wallet"]
    assert "studio" in names["kol"]
    assert "go_live" in names["live"]
