"""``.pdf``: the text layer of each page (pypdf), pages joined by a blank line.

``Statement.pages`` holds one ``PageSpan`` per page with text, so a quote can cite its page
(``statement.page_at(offset)``; the blank lines between pages belong to no page).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from corpus.loaders.base import FileSkipped, Item, check_file_size, title_from_name
from corpus.loaders.decode import normalise_newlines
from corpus.loaders.text import tidy
from corpus.options import LoadOptions
from corpus.problems import one_line
from corpus.statement import PageSpan, Statement

PAGE_SEPARATOR = "\n\n"
logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken PDF is reported once, as a skip line


def load_pdf(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement from a PDF with a text layer."""
    if check_file_size(path, options) == 0:
        raise FileSkipped("empty file")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileSkipped("PDF is encrypted (password required)")
        page_texts = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except FileNotDecryptedError:
        raise FileSkipped("PDF is encrypted (password required)") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise FileSkipped(f"not a readable PDF ({one_line(error)})") from None
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for number, raw in enumerate(page_texts, 1):
        text = tidy(normalise_newlines(raw)).strip()
        if not text:
            continue
        if parts:
            offset += len(PAGE_SEPARATOR)
        spans.append(PageSpan(offset, offset + len(text), number))
        parts.append(text)
        offset += len(text)
    if not parts:
        raise FileSkipped("PDF has no text layer (scanned?)")
    title = str((info.title if info else None) or "").strip()
    metadata = {"page_count": len(page_texts)}  # the author property names the file's maker: not used
    yield Statement(
        id=file_id,
        text=PAGE_SEPARATOR.join(parts),
        title=title or title_from_name(file_id),
        path=str(path),
        metadata=metadata,
        pages=tuple(spans),
    )
