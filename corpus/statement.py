"""The unit of the corpus: one statement, its quotable text and where it came from."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageSpan:
    """A character range of a statement's text that sits on one page of its source file."""

    start: int
    end: int
    page: int


@dataclass(frozen=True)
class Statement:
    """One statement: a speech, a ministry statement, a press release or a news report of one.

    ``text`` is the quotable text: every quote the assistant returns is a substring of it.
    """

    id: str
    text: str
    title: str = ""
    speaker: str = ""
    source: str = ""
    date: str = ""
    url: str = ""
    path: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pages: tuple[PageSpan, ...] = ()

    @property
    def content_hash(self) -> str:
        """A hash of the text and attribution, used to detect changed statements."""
        h = hashlib.sha256()
        for part in (self.text, self.title, self.speaker, self.source, self.date, self.url):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        for key in sorted(self.metadata):
            h.update(f"{key}={self.metadata[key]!r}".encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        return h.hexdigest()[:32]

    @property
    def text_hash(self) -> str:
        """A hash of the text alone, used to find exact duplicates under different names."""
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def page_at(self, offset: int) -> int | None:
        """The page number the character at ``offset`` sits on, where the source has pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return None
