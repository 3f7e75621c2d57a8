"""Reading an index directory: one consistent generation of store, vectors and BM25."""
from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.problems import StatementsError
from embeddings.backend.candidates import Candidates, SentenceSpans
from embeddings.backend.manifest import Manifest
from embeddings.encoding.encoder import Encoder, model_label
from embeddings.local.files import (
    BM25_FOLDER,
    CHUNK_IDS_FILE,
    FAISS_FILE,
    SENTENCE_ROWS_FILE,
    SENTENCE_VECTORS_FILE,
    STORE_FILE,
    VECTORS_FILE,
    generation_folder,
    read_manifest,
    rebuild_hint,
    verify_generation,
)
from embeddings.local.lexical_index import LexicalIndex
from embeddings.local.store import StatementStore
from embeddings.local.vector_index import VectorIndex

FILTERS_KEPT = 256  # filter results an opened index keeps in memory


@dataclass
class StatementIndex:
    """One generation of an index directory, opened read-only.

    ``chunk_ids[i]`` is the chunk behind row i of ``vectors`` and document i of ``lexical``;
    chunk ids are sorted, so a chunk's row is found by binary search.
    """

    folder: Path
    manifest: Manifest
    store: StatementStore
    vectors: np.ndarray
    chunk_ids: np.ndarray
    dense: VectorIndex
    lexical: LexicalIndex
    encoder: Encoder
    sentence_vectors: np.ndarray | None = None
    sentence_rows: np.ndarray | None = None
    _sentence_spans: SentenceSpans = field(default_factory=SentenceSpans, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _allowed: OrderedDict[tuple[tuple[str, object], ...], np.ndarray] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    @classmethod
    def open(cls, index_dir: str | Path, model: str | None = None, verify: bool = True) -> StatementIndex:
        """Open the current generation; ``model`` must match the one the index was built with."""
        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise StatementsError(
                f"no index at {index_dir}: build one with `statements-qa index PATH... --index-dir {index_dir}`"
            )
        if model is not None and model_label(model) != manifest.model:
            raise StatementsError(
                f"index {index_dir} was built with model {manifest.model!r}, not {model_label(model)!r}: "
                f"open it without --model (or with --model {manifest.model}), "
                f"or {rebuild_hint(index_dir)} --model {model}"
            )
        folder = index_dir / generation_folder(manifest.generation)
        if verify:
            verify_generation(folder, manifest, index_dir)
        try:
            store = StatementStore(folder / STORE_FILE, readonly=True)
            vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
            chunk_ids = np.load(folder / CHUNK_IDS_FILE)
            dense = VectorIndex.load(folder / FAISS_FILE)
            lexical = LexicalIndex.load(folder / BM25_FOLDER)
            sentence_vectors: np.ndarray | None = None
            sentence_rows: np.ndarray | None = None
            if (folder / SENTENCE_ROWS_FILE).exists() or (folder / SENTENCE_VECTORS_FILE).exists():
                sentence_vectors = np.load(folder / SENTENCE_VECTORS_FILE, mmap_mode="r")
                sentence_rows = np.load(folder / SENTENCE_ROWS_FILE)
        except (OSError, EOFError, ValueError, RuntimeError, sqlite3.DatabaseError) as exc:
            raise StatementsError(f"index {index_dir} is damaged ({exc}); {rebuild_hint(index_dir)}") from None
        encoder = Encoder(manifest.model)
        if len(chunk_ids) != len(vectors) or len(dense) != len(chunk_ids) or len(lexical) != len(chunk_ids):
            raise StatementsError(f"index {index_dir} is inconsistent (file sizes differ); {rebuild_hint(index_dir)}")
        if sentence_rows is not None and sentence_vectors is not None and (
            len(sentence_rows) != len(chunk_ids) + 1 or int(sentence_rows[-1]) != len(sentence_vectors)
        ):
            raise StatementsError(f"index {index_dir} is inconsistent (sentence vectors); {rebuild_hint(index_dir)}")
        return cls(
            index_dir, manifest, store, vectors, chunk_ids, dense, lexical, encoder, sentence_vectors, sentence_rows
        )

    @property
    def location(self) -> str:
        """Where the index lives, for messages."""
        return str(self.folder)

    def candidates(
        self, query: str, query_vector: np.ndarray | None, depth: int, filters: Mapping[str, object] | None,
        mode: str,
    ) -> Candidates:
        """Up to ``depth`` chunks by FAISS and by BM25 (``mode``: hybrid, dense or lexical), each scored by
        both, restricted to statements passing ``filters`` (see ``StatementStore.matching_chunk_ids``)."""
        allowed_ids = self.allowed_chunk_ids(filters)
        n = len(self.chunk_ids)
        if n == 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return Candidates.empty()
        qvec = query_vector if mode != "lexical" else None
        lexical_all = self.lexical.scores(query) if mode != "dense" else np.zeros(n, np.float32)
        if allowed_ids is not None:
            mask = np.zeros(n, dtype=bool)
            mask[self.rows_of(allowed_ids)] = True
            lexical_all = np.where(mask, lexical_all, 0.0)
        rows = set()
        if qvec is not None:
            hits = self.dense.search(qvec, depth, allowed=allowed_ids)
            rows.update(self.rows_of(hits.ids).tolist())
        if mode != "dense":
            top = _top_rows(lexical_all, depth)
            rows.update(top[lexical_all[top] > 0].tolist())
        cand = np.fromiter(rows, dtype=np.int64, count=len(rows))
        dense = self.vectors[cand] @ qvec if qvec is not None else np.zeros(len(cand), np.float32)
        return Candidates(self.chunk_ids[cand], dense, lexical_all[cand].astype(np.float32))

    def allowed_chunk_ids(self, filters: Mapping[str, object] | None) -> np.ndarray | None:
        """Sorted chunk ids whose statements pass ``filters`` (None: no filter); the latest results are kept."""
        active = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        if not active:
            return None
        key = tuple(
            sorted((k, tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else v) for k, v in active.items())
        )
        with self._lock:
            cached = self._allowed.get(key)
        if cached is None:  # a generation never changes, so its filter results can be kept
            cached = np.sort(np.asarray(self.store.matching_chunk_ids(active), dtype=np.int64))
            with self._lock:
                self._allowed[key] = cached
                while len(self._allowed) > FILTERS_KEPT:
                    self._allowed.popitem(last=False)
        return cached

    def latest_generation(self) -> int | None:
        """The directory's current generation (another writer may have made a newer one since this was opened)."""
        manifest = read_manifest(self.folder)
        return manifest.generation if manifest is not None else None

    @property
    def has_attributions(self) -> bool:
        """Whether this index knows who said each sentence (indexes built before attribution do not)."""
        return self.manifest.attributions and self.store.has_attribution_table

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row positions of the given (existing) chunk ids."""
        return np.searchsorted(self.chunk_ids, chunk_ids)

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of (existing) chunks, in the order given."""
        return np.asarray(self.vectors[self.rows_of(np.asarray(chunk_ids, np.int64))], np.float32)

    def sentence_vectors_of(self, chunk_id: int) -> np.ndarray | None:
        """Stored vectors of a chunk's sentences (float16, in ``Chunk.sentences`` order), if the index has them."""
        if self.sentence_rows is None or self.sentence_vectors is None:
            return None
        row = int(self.rows_of(np.asarray([chunk_id]))[0])
        if row >= len(self.chunk_ids) or self.chunk_ids[row] != chunk_id:
            return None
        return self.sentence_vectors[self.sentence_rows[row] : self.sentence_rows[row + 1]]

    def sentence_spans(self, statement_id: str) -> tuple[tuple[int, int], ...]:
        """Every sentence span of a statement (from its chunks), in text order; kept for the 2,048 latest."""
        return self._sentence_spans.of(statement_id, self.store)

    def close(self) -> None:
        """Release the database handle."""
        self.store.close()


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) <= k:
        return np.arange(len(scores))
    return np.argpartition(-scores, k)[:k]

