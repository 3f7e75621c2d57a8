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


# -- no circle of imports ------------------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files: list[Path]) -> dict[str, set[str]]:
    """Each project module and the project modules it imports (at any nesting, ``TYPE_CHECKING`` included):
    ``from a.b import c`` counts as ``a.b.c`` when that is a module, else as ``a.b``."""
    modules = {_module_name(path): path for path in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for site in imports_in(path.read_text(encoding="utf-8"), _package_of(path)):
            module = site.module
            while module and module not in modules:
                module = module.rpartition(".")[0]
            if module and module != name:
                deps.add(module)
        graph[name] = deps
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_the_cycle_finder_finds_a_circle_and_only_a_circle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_module_imports_itself_through_others() -> None:
    files = [path for layer in LAYERS for path in _python_files(layer)]
    cycles = import_cycles(import_graph(files))
    assert not cycles, "import circles:\n" + "\n".join(" → ".join(group) for group in cycles)


MAX_MODULE_LINES = 500


@pytest.mark.parametrize("layer", LAYERS)
def test_modules_stay_small(layer: str) -> None:
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _python_files(layer)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not long, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)
