"""How records in structured files (JSON, JSONL, CSV) map onto statement fields, and size limits."""
from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
"""Bytes in the "MB" of size limits and messages (as in the upload limit of the web UI)."""
DEFAULT_MAX_FILE_MB = 20


@dataclass(frozen=True)
class LoadOptions:
    """Field names to read from each record; the first name present in a record wins.

    ``text`` may list several fields joined into one quotable text when ``join_text`` is set
    (e.g. ``("title", "text")`` for BEIR corpora).

    ``max_file_bytes`` (default 20 MB; None for no limit) bounds what is read into memory at
    once, and the text one statement may have (20 MB of plain text is some 20,000 chunks:
    tens of minutes of embedding on a CPU):

    - Files read whole (``.txt``, ``.md``, ``.html``, ``.pdf``, ``.docx``, ``.json``) larger than
      the limit are skipped, checked with ``os.stat`` before any byte is read.
    - Record files that are streamed (``.jsonl``, ``.csv`` and their ``.gz``) have no file size
      limit; a single line over the limit (so any record whose text is over it) is skipped with
      its line number, and is never held in memory whole.

    The CLI sets it with ``--max-file-size MB``.
    """

    id: tuple[str, ...] = ("id", "_id")
    text: tuple[str, ...] = ("text", "body", "content")
    title: tuple[str, ...] = ("title",)
    speaker: tuple[str, ...] = ("speaker",)
    source: tuple[str, ...] = ("source",)
    date: tuple[str, ...] = ("date", "year")
    url: tuple[str, ...] = ("url",)
    join_text: bool = False
    encoding: str | None = None  # None: UTF-8 (with BOM), then detected fallbacks
    max_file_bytes: int | None = DEFAULT_MAX_FILE_MB * MB


def size_text(size: int) -> str:
    """A byte count for a message: ``104857600`` -> ``"100.0 MB"``, ``2048`` -> ``"2,048 bytes"``."""
    return f"{size / MB:.1f} MB" if size >= MB // 10 else f"{size:,} bytes"


def too_large_reason(what: str, size: int, limit: int) -> str:
    """``file too large (100.0 MB, limit 20 MB; raise it with --max-file-size)``."""
    shown = f"{limit / MB:g} MB" if limit >= MB // 10 else f"{limit:,} bytes"
    return f"{what} too large ({size_text(size)}, limit {shown}; raise it with --max-file-size)"
