"""The package layers import only downwards: corpus ← embeddings ← assistant ← ui.

Every .py file of a layer is read with ``ast`` (nothing is imported), and every import in it, at any
nesting level (inside functions, ``if TYPE_CHECKING:`` blocks, try/except), is checked against the
packages that layer must not depend on. ``importlib.import_module("…")`` and ``__import__("…")`` with a
literal module name count as imports too.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("corpus", "embeddings", "assistant", "ui")


@dataclass(frozen=True)
class ImportSite:
    """One import in a source file: the absolute module name, its line and the statement as written."""

    module: str
    line: int
    statement: str


def _package_of(path: Path) -> str:
    """The dotted package a file belongs to (for resolving relative imports)."""
    return ".".join(path.relative_to(ROOT).parent.parts)


def _resolve(module: str | None, level: int, package: str) -> str:
    """The absolute name of ``from <dots><module> import …`` written in ``package``."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _literal_prefix(node: ast.expr) -> str | None:
    """The module name of a literal, or the literal start of an f-string ("corpus.loaders.{name}")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rstrip(".")
    return None


def imports_in(source: str, package: str = "") -> list[ImportSite]:
    """Every module a source imports, at any nesting level, with relative imports made absolute."""
    lines = source.splitlines()
    sites: list[ImportSite] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Call)):
            continue
        written = lines[node.lineno - 1].strip()
        if isinstance(node, ast.Import):
            sites += [ImportSite(alias.name, node.lineno, written) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, package)
            sites.append(ImportSite(base, node.lineno, written))
            if node.module is None:  # "from . import x": x may be a module of the package
                sites += [ImportSite(f"{base}.{a.name}" if base else a.name, node.lineno, written) for a in node.names]
        elif node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            module = _literal_prefix(node.args[0]) if name in {"import_module", "__import__"} else None
            if module:
                sites.append(ImportSite(module, node.lineno, written))
    return sorted(sites, key=lambda s: (s.line, s.module))


def _top_package(module: str) -> str:
    return module.split(".", 1)[0]


def _python_files(layer: str) -> list[Path]:
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "__pycache__" not in p.parts)


# -- the checker itself --------------------------------------------------------------------------------------------
IMPORT_CASES = [
    # (source, package, imported modules)
    ("import ui.app",                                        "assistant",      ["ui.app"]),
    ("import os, ui as interface",                           "assistant",      ["os", "ui"]),
    ("from ui.app import serve",                             "assistant",      ["ui.app"]),
    ("def main():\n    from ui.app import serve\n",          "assistant",      ["ui.app"]),
    ("class A:\n    def f(self):\n        import ui\n",      "assistant",      ["ui"]),
    ("if TYPE_CHECKING:\n    from ui import app\n",           "assistant",      ["ui"]),
    ("try:\n    import ui\nexcept ImportError:\n    pass\n", "assistant",      ["ui"]),
    ("from . import speakers",                               "assistant",      ["assistant", "assistant.speakers"]),
    ("from .speakers import name_tokens",                    "assistant",      ["assistant.speakers"]),
    ("from ..statement import Statement",                    "corpus.loaders", ["corpus.statement"]),
    ("importlib.import_module('ui.app')",                    "assistant",      ["ui.app"]),
    ("import_module(f'corpus.loaders.{name}')",              "corpus",         ["corpus.loaders"]),
    ("__import__('embeddings')",                             "corpus",         ["embeddings"]),
    ("x = 'import ui'  # import ui",                         "assistant",      []),
]


@pytest.mark.parametrize(("source", "package", "modules"), IMPORT_CASES)
def test_imports_in(source: str, package: str, modules: list[str]) -> None:
    assert [site.module for site in imports_in(source, package)] == modules


# -- the layers ----------------------------------------------------------------------------------------------------
LAYER_RULES = [
    # (layer, packages it must not import)
    ("corpus",     {"embeddings", "assistant", "ui"}),
    ("embeddings", {"assistant", "ui"}),
    ("assistant",  {"ui"}),
]


@pytest.mark.parametrize(("layer", "forbidden"), LAYER_RULES)
def test_layer_imports_only_lower_layers(layer: str, forbidden: set[str]) -> None:
    files = _python_files(layer)
    assert files, f"no .py files under {layer}/"
    offending = [
        f"{path.relative_to(ROOT)}:{site.line}: {site.statement}"
        for path in files
        for site in imports_in(path.read_text(encoding="utf-8"), _package_of(path))
        if _top_package(site.module) in forbidden
    ]
    assert not offending, f"{layer}/ must not import {', '.join(sorted(forbidden))}:\n" + "\n".join(offending)


def test_every_layer_is_checked() -> None:
    assert {layer for layer, _ in LAYER_RULES} | {"ui"} == set(LAYERS)
    assert all((ROOT / layer).is_dir() for layer in LAYERS)
