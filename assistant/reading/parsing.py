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


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words ("during", "about"), from the pipeline questions are parsed with (loaded as
    ``corpus.attribution`` loads it, so that spaCy brings no torch)."""
    return frozenset(english_pipeline().Defaults.stop_words)
