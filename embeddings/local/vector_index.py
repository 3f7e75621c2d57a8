"""Dense vector search on FAISS: exact inner product for small corpora, HNSW above a size."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss  # OMP_WAIT_POLICY=PASSIVE is set before this by embeddings/__init__.py (embeddings.environment)
import numpy as np

# Above this many vectors an HNSW graph replaces exact search. benchmarks/ann_recall.py on the
# UNGDC 2015-2024 index (20,884 vectors): HNSW32 recall@10 against exact search is 0.909 at
# efSearch 64, 0.949 at 128 and 0.975 at 256, hence 256.
APPROXIMATE_ABOVE = 200_000
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256

# faiss's own stubs declare neither SearchParametersHNSW nor the keyword arguments that faiss's
# Python wrapper gives every SearchParameters class (it keeps the objects they reference alive).
_SearchParameters: Callable[..., faiss.SearchParameters] = faiss.SearchParameters
_SearchParametersHNSW: Callable[..., faiss.SearchParameters] = faiss.SearchParametersHNSW  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VectorHits:
    """Search results: chunk ids and inner-product scores, best first."""

    ids: np.ndarray
    scores: np.ndarray


class VectorIndex:
    """A FAISS index whose ids are chunk ids, so results and deletions speak in chunk ids."""

    def __init__(self, index: faiss.Index) -> None:
        if not isinstance(index, faiss.IndexIDMap):
            raise ValueError(f"not a FAISS index of chunk ids: {type(index).__name__}")
        self._index = index
        self._approximate = isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW)

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, approximate: bool | None = None) -> VectorIndex:
        """Index ``vectors`` (normalised, float32) under the int64 ``ids``.

        ``approximate=None`` chooses HNSW when there are more than ``APPROXIMATE_ABOVE`` vectors.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if approximate is None:
            approximate = len(vectors) > APPROXIMATE_ABOVE
        inner: faiss.Index
        if approximate:
            inner = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        if len(vectors):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index)

    @property
    def approximate(self) -> bool:
        """Whether this index searches an HNSW graph rather than every vector."""
        return self._approximate

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> VectorHits:
        """The ``k`` nearest chunks to ``query``; ``allowed`` restricts to those chunk ids."""
        if len(self) == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return VectorHits(np.empty(0, np.int64), np.empty(0, np.float32))
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if self.approximate:
                params = _SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
            else:
                params = _SearchParameters(sel=selector)
        elif self.approximate:
            params = _SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one query: waking OpenMP threads costs more than it saves
        try:
            scores, ids = self._index.search(q, min(k, len(self)), params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return VectorHits(ids[0][keep], scores[0][keep])

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (the caller makes the write atomic)."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by :meth:`save`."""
        return cls(faiss.read_index(str(path)))
