"""Format loaders, one small module per format, chosen by file name suffix.

Each loader is ``loader(path, file_id, options) -> Iterator[Statement | LoadProblem]`` and raises
``FileSkipped`` when a whole file cannot be used. Heavy parsers (trafilatura, pypdf,
python-docx) are imported only when a file of that type is met.
"""
from __future__ import annotations

import importlib

from corpus.loaders.base import FileSkipped, Item, Loader

# suffix -> (module, function); compound suffixes are matched before simple ones.
_REGISTRY: dict[str, tuple[str, str]] = {
    ".jsonl.gz": ("json_records", "load_jsonl_gz"),
    ".csv.gz": ("csv_records", "load_csv_gz"),
    ".txt": ("text", "load_text"),
    ".md": ("text", "load_text"),
    ".json": ("json_records", "load_json"),
    ".jsonl": ("json_records", "load_jsonl"),
    ".csv": ("csv_records", "load_csv"),
    ".html": ("html", "load_html"),
    ".htm": ("html", "load_html"),
    ".pdf": ("pdf", "load_pdf"),
    ".docx": ("docx", "load_docx"),
}

SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_REGISTRY)


def suffix_of(name: str) -> str:
    """The file type suffix of a file name, lower case: ``"a.JSONL.gz"`` -> ``".jsonl.gz"``."""
    lower = name.lower()
    for suffix in _REGISTRY:
        if suffix.count(".") > 1 and lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    dot = lower.rfind(".")
    return lower[dot:] if dot > 0 else ""


def loader_for(suffix: str) -> Loader | None:
    """The loader for a suffix from ``suffix_of``, or None if the type is not supported."""
    entry = _REGISTRY.get(suffix)
    if entry is None:
        return None
    module = importlib.import_module(f"corpus.loaders.{entry[0]}")
    loader: Loader = getattr(module, entry[1])
    return loader


__all__ = ["FileSkipped", "Item", "Loader", "SUPPORTED_SUFFIXES", "loader_for", "suffix_of"]
