"""The question's parse: spaCy's English pipeline, the one the attribution step loads (loaded once per process)."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.attribution import english_pipeline

if TYPE_CHECKING:
    from spacy.tokens import Doc


@lru_cache(maxsize=256)
def parse(text: str) -> Doc:
    """The parse of a question (the latest ones kept: a conversation reads its earlier turns again)."""
    return english_pipeline()(text)
