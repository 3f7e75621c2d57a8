"""The storage backend interface: what the answer path reads of an index, and what builds one.

Two backends implement it: the index directory (``embeddings.index`` / ``embeddings.writer``, the
default) and Milvus (``embeddings.milvus_index`` / ``embeddings.milvus_writer``: Milvus Lite in a
local ``.db`` file, or a Milvus server or cluster). The answer path (``assistant``) speaks only
this interface, so ``ask``, ``search``, filters and attributions work the same on either.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from corpus.attribution import Attribution
from corpus.chunk import Chunk
from corpus.statement import Statement
from embeddings.encoder import Encoder
from embeddings.manifest import Manifest

if TYPE_CHECKING:
    from embeddings.writer import UpdateReport


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


class StatementReader(Protocol):
    """Statements, chunks and attributions of one opened index."""

    def count_statements(self) -> int: ...
    def count_chunks(self) -> int: ...
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]: ...
    def chunks_of(self, statement_id: str) -> list[tuple[int, Chunk]]: ...
    def statements(self, ids: Sequence[str]) -> dict[str, Statement]: ...
    def attributions_of(self, statement_ids: Sequence[str]) -> dict[str, list[Attribution]]: ...
    def attributed_speakers(self) -> list[tuple[str, str, int]]: ...
    def speaker_counts(self, limit: int = 500) -> list[tuple[str, int]]: ...
    def iter_statements(self) -> Iterator[Statement]: ...
    def headers(self) -> Iterator[Statement]: ...
    def has_dates(self) -> bool: ...
    def distinct_values(self, key: str, limit: int = 500) -> list[str]: ...
    def date_range(self) -> tuple[str, str]: ...


class SentenceSpans:
    """Every sentence span of a statement, from its chunks, in text order; the latest ``kept`` statements' spans
    are kept (an opened index is one generation, so they never change)."""

    def __init__(self, kept: int = 2048) -> None:
        self.kept = kept
        self._spans: OrderedDict[str, tuple[tuple[int, int], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, statement_id: str, store: StatementReader) -> tuple[tuple[int, int], ...]:
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


class TermStatistics(Protocol):
    """Word statistics of the indexed chunks, in ``embeddings.lexical_index.tokenize`` terms."""

    @property
    def max_idf(self) -> float: ...
    def idf(self, terms: Sequence[str]) -> np.ndarray: ...
    def corrected(
        self, text: str, is_word: Callable[[str], bool] = ..., min_length: int = 5, score_cutoff: float = 80.0
    ) -> str: ...


class SearchIndex(Protocol):
    """One consistent view of an index, opened read-only: what retrieval and answering read."""

    manifest: Manifest
    encoder: Encoder

    @property
    def store(self) -> StatementReader: ...
    @property
    def lexical(self) -> TermStatistics: ...
    @property
    def has_attributions(self) -> bool: ...
    @property
    def location(self) -> str: ...

    def candidates(
        self, query: str, query_vector: np.ndarray | None, depth: int, filters: Mapping[str, object] | None,
        mode: str,
    ) -> Candidates:
        """Up to ``depth`` chunks by dense and by BM25 search (``mode``: hybrid, dense or lexical),
        restricted to statements passing ``filters``."""
        ...

    def latest_generation(self) -> int | None:
        """The generation the index is at now (another writer may have moved it on since this was opened)."""
        ...

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of chunks (one row each, float32, in the order given)."""
        ...

    def sentence_vectors_of(self, chunk_id: int) -> np.ndarray | None: ...
    def sentence_spans(self, statement_id: str) -> tuple[tuple[int, int], ...]: ...
    def close(self) -> None: ...


class IndexUpdater(Protocol):
    """Adds, changes and removes statements (by content hash) in one backend."""

    def update(
        self, statements: Iterable[Statement], rebuild: bool = False, remove_ids: Sequence[str] = ()
    ) -> UpdateReport: ...

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport: ...
