"""BM25 over chunk texts with bm25s: English stop words and Snowball stemming."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.backend.terms import corrected_words, tokenize
from embeddings.bm25_library import bm25s


class LexicalIndex:
    """A bm25s index whose document positions line up with a chunk-id array."""

    def __init__(self, bm25: bm25s.BM25, size: int) -> None:
        self._bm25 = bm25
        self._size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index ``texts``; position i in results is ``texts[i]``."""
        bm25 = bm25s.BM25()
        if texts:
            bm25.index(tokenize(texts), show_progress=False)
        return cls(bm25, len(texts))

    def __len__(self) -> int:
        return self._size

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where no term matches)."""
        if self._size == 0:
            return np.zeros(0, dtype=np.float32)
        tokens = [t for t in tokenize([query])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        """Write the index files into ``folder`` (the caller makes the write atomic)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size").write_text(str(self._size))
        if self._size:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by :meth:`save`."""
        size = int((folder / "size").read_text())
        if size == 0:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 inverse document frequency of already-tokenised ``terms`` (0 for unknown terms)."""
        out = np.zeros(len(terms), dtype=np.float32)
        if not self._size:
            return out
        vocab = self._bm25.vocab_dict
        indptr = self._bm25.scores["indptr"]
        for i, term in enumerate(terms):
            tid = vocab.get(term)
            if tid is not None:
                df = int(indptr[tid + 1] - indptr[tid])
                out[i] = np.log(1.0 + (self._size - df + 0.5) / (df + 0.5))
        return out

    def corrected(
        self, text: str, is_word: Callable[[str], bool] = lambda w: False, min_length: int = 5,
        score_cutoff: float = 80.0,
    ) -> str:
        """``text`` with its misspelt words replaced by indexed terms (see ``corrected_words``)."""
        if not self._size:
            return text
        vocab = self._bm25.vocab_dict
        return corrected_words(text, vocab.__contains__, lambda: self._terms, is_word, min_length, score_cutoff)

    @functools.cached_property
    def _terms(self) -> list[str]:
        return [t for t in self._bm25.vocab_dict if isinstance(t, str) and t.isalpha()]

    @property
    def max_idf(self) -> float:
        """The idf of a term seen in one document: the weight given to unknown terms."""
        return float(np.log(1.0 + (self._size - 0.5) / 1.5)) if self._size else 1.0
