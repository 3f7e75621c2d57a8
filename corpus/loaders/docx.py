"""``.docx``: the document's paragraphs joined by newlines (python-docx).

The core properties' title (if any) is the title (the author property is not used: it names
whoever made the file, not the speaker); a trailing ``(attribution: X)`` works as in
text files.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from corpus.loaders.base import FileSkipped, Item, check_file_size
from corpus.loaders.decode import normalise_newlines
from corpus.loaders.records import AttributionFields
from corpus.loaders.text import build_statement
from corpus.options import LoadOptions


def load_docx(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement from a Word ``.docx`` file."""
    if check_file_size(path, options) == 0:
        raise FileSkipped("empty file")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise FileSkipped(f"not a readable .docx file ({str(error).strip() or type(error).__name__})") from None
    body = normalise_newlines("\n".join(p.text for p in document.paragraphs))
    if not body.strip():
        raise FileSkipped("no text in the document")
    properties = document.core_properties
    defaults: AttributionFields = {"title": properties.title.strip()} if (properties.title or "").strip() else {}
    yield build_statement(body, file_id, path, options, None, defaults)
