"""The storage backend interface: what the answer path reads of an index, and what builds one.

Two backends implement it: the index directory (``embeddings.local.index`` / ``embeddings.local.writer``, the
default) and Milvus (``embeddings.milvus.index`` / ``embeddings.milvus.writer``: Milvus Lite in a
local ``.db`` file, or a Milvus server or cluster). The answer path (``assistant``) speaks only
this interface, so ``ask``, ``search``, filters and attributions work the same on either.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Protocol

import numpy as np

from corpus.attribution import Attribution
from corpus.chunk import Chunk
from corpus.folding import without_accents
from corpus.statement import Statement
from embeddings.backend.candidates import Candidates
from embeddings.backend.manifest import Manifest
from embeddings.backend.report import UpdateReport
from embeddings.encoding.encoder import Encoder


def folded(text: str) -> str:
    """A name or a searched text as ``StatementReader.speakers_matching`` compares them: lower case (every
    alphabet, not ASCII alone), accents off ("Mélanie" is "melanie"), runs of spaces as one."""
    return without_accents(" ".join(str(text).split()).lower())


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

    def count_speakers(self) -> int:
        """How many distinct speakers (names as written) the metadata names or the text is found to quote."""
        ...

    def speakers_matching(self, text: str, limit: int = 50) -> list[tuple[str, int]]:
        """Speakers whose name holds ``text`` (compared ``folded``; "" is in every name) with how many statements
        they speak in: names with a word that starts with it first ("Oli" before "Bolivia"), then most statements
        first, then by name; at most ``limit``."""
        ...


class TermStatistics(Protocol):
    """Word statistics of the indexed chunks, in ``embeddings.backend.terms.tokenize`` terms."""

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
