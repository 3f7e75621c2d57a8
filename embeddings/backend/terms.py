"""The words BM25 counts, the same on both backends and in the answer path: bm25s' tokenizer with English
stop words and Snowball stemming, and the correction of misspelt words to indexed terms."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from embeddings.bm25_library import bm25s

logging.getLogger("bm25s").setLevel(logging.WARNING)


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:  # a PyStemmer stemmer (PyStemmer ships no type hints)
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens for each text."""
    tokens: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return tokens


def corrected_words(
    text: str,
    is_indexed: Callable[[str], bool],
    indexed_terms: Callable[[], Sequence[str]],
    is_word: Callable[[str], bool] = lambda w: False,
    min_length: int = 5,
    score_cutoff: float = 80.0,
) -> str:
    """``text`` with each word the index has never seen (``is_indexed`` of its stem is false) and ``is_word``
    does not know (a misspelling: "climte") replaced by the indexed term closest in spelling ("climat", a
    stem), when one scores at least ``score_cutoff`` (rapidfuzz ratio) and no other term scores as well (two
    look-alike terms leave the word as asked). ``indexed_terms`` is called only when a word needs correcting."""
    out = []
    for word in text.split():
        core = word.strip(".,;:!?\"'“”‘’()")
        stems = tokenize([core])[0] if len(core) >= min_length and core.isalpha() else []
        if len(stems) == 1 and not is_indexed(stems[0]) and not is_word(core):  # the word list only when unseen
            found = process.extract(stems[0], indexed_terms(), scorer=fuzz.ratio, score_cutoff=score_cutoff, limit=2)
            if found and (len(found) == 1 or found[1][1] < found[0][1]):
                word = word.replace(core, str(found[0][0]))
        out.append(word)
    return " ".join(out)
