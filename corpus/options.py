"""How records in structured files (JSON, JSONL, CSV) map onto statement fields."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadOptions:
    """Field names to read from each record; the first name present in a record wins.

    ``text`` may list several fields joined into one quotable text when ``join_text`` is set
    (e.g. ``("title", "text")`` for BEIR corpora).
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
