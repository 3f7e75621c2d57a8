"""What a search gives the answer path: candidate chunks with both scores, and the sentence spans of a statement."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from corpus.chunk import Chunk


@dataclass(frozen=True)
class Candidates:
    """Chunks found by dense or lexical search, each scored by both (0 where a retriever has no score)."""

    ids: np.ndarray  # chunk ids, int64
    dense: np.ndarray  # inner product with the query vector (float32)
    lexical: np.ndarray  # BM25 score (float32)

    @classmethod
    def empty(cls) -> Candidates:
        """No candidates."""
        return cls(np.empty(0, np.int64), np.empty(0, np.float32), np.empty(0, np.float32))


class ChunkSource(Protocol):
    """Where a statement's chunks are read from (a backend's statement store)."""

    def chunks_of(self, statement_id: str) -> list[tuple[int, Chunk]]: ...


class SentenceSpans:
    """Every sentence span of a statement, from its chunks, in text order; the latest ``kept`` statements' spans
    are kept (an opened index is one generation, so they never change)."""

    def __init__(self, kept: int = 2048) -> None:
        self.kept = kept
        self._spans: OrderedDict[str, tuple[tuple[int, int], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, statement_id: str, store: ChunkSource) -> tuple[tuple[int, int], ...]:
        """The spans of ``statement_id``, read from ``store`` the first time."""
        with self._lock:
            spans = self._spans.get(statement_id)
        if spans is None:
            found: set[tuple[int, int]] = set()
            for _, chunk in store.chunks_of(statement_id):
                found.update(chunk.sentences)
            spans = tuple(sorted(found))
            with self._lock:
                self._spans[statement_id] = spans
                while len(self._spans) > self.kept:
                    self._spans.popitem(last=False)
        return spans
