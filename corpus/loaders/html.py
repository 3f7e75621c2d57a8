"""``.html`` / ``.htm``: the main text of the page (trafilatura), without navigation, scripts or comments.

Title, date and canonical URL come from the page's metadata where present; the site name
becomes ``source``; author, hostname and description go into ``metadata``.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import trafilatura

from corpus.loaders.base import FileSkipped, Item, check_file_size, title_from_name
from corpus.loaders.decode import SNIFF_BYTES, decode_bytes, normalise_newlines, sniff_bom
from corpus.loaders.text import tidy
from corpus.options import LoadOptions
from corpus.statement import Statement

_METADATA = ("author", "hostname", "description", "language")


def load_html(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement from an HTML page's main text."""
    check_file_size(path, options)
    data = path.read_bytes()
    if not data.strip():
        raise FileSkipped("empty file")
    if sniff_bom(data) is None and options.encoding is None:
        if b"\x00" in data[:SNIFF_BYTES]:
            raise FileSkipped("binary file, not text")
        page: bytes | str = data  # trafilatura honours the page's declared charset
    else:
        page = decode_bytes(data, options.encoding)
    document = trafilatura.bare_extraction(
        page, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    meta: dict[str, Any]
    if document is None:
        meta = {}
    elif isinstance(document, dict):  # only with as_dict=True, the default before trafilatura 2
        meta = document
    else:
        meta = document.as_dict()
    text = tidy(normalise_newlines(meta.get("text") or ""))
    if not text:
        raise FileSkipped("no main text found in the HTML page")
    metadata = {key: meta[key] for key in _METADATA if isinstance(meta.get(key), str) and meta[key]}
    yield Statement(
        id=file_id,
        text=text,
        title=(meta.get("title") or "").strip() or title_from_name(file_id),
        source=(meta.get("sitename") or "").strip(),
        date=(meta.get("date") or "").strip(),
        url=(meta.get("url") or "").strip(),
        path=str(path),
        metadata=metadata,
    )
