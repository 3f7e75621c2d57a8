"""Hybrid retrieval: dense and lexical (BM25) candidates from the index backend, fused into one ranking."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpus.attribution import Attribution
from corpus.statement import Statement
from embeddings.backend.interface import SearchIndex


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores and the statement it belongs to (read once per retrieval)."""

    chunk_id: int
    statement: Statement = field(repr=False, compare=False)
    text: str
    start: int
    end: int
    score: float
    sentences: tuple[tuple[int, int], ...]
    dense_score: float = 0.0
    lexical_score: float = 0.0
    # Who said what in and around the passage (empty for an index built without attributions).
    attributions: tuple[Attribution, ...] = field(default=(), repr=False, compare=False)

    @property
    def statement_id(self) -> str:
        return self.statement.id

    @property
    def title(self) -> str:
        return self.statement.title

    @property
    def speaker(self) -> str:
        return self.statement.speaker

    @property
    def source(self) -> str:
        return self.statement.source

    @property
    def date(self) -> str:
        return self.statement.date

    @property
    def url(self) -> str:
        return self.statement.url

    @property
    def path(self) -> str:
        return self.statement.path

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.statement.metadata

    def to_dict(self) -> dict[str, Any]:
        """The passage and its statement's attribution fields, JSON-ready (without the statement's text)."""
        return {
            "chunk_id": self.chunk_id, "statement_id": self.statement_id, "text": self.text, "start": self.start,
            "end": self.end, "score": self.score, "sentences": [list(s) for s in self.sentences],
            "title": self.title, "speaker": self.speaker, "source": self.source, "date": self.date, "url": self.url,
            "path": self.path, "metadata": dict(self.metadata), "dense_score": self.dense_score,
            "lexical_score": self.lexical_score,
            "attributions": [
                attribution_dict(a, self.statement.text) for a in self.attributions
                if a.content_start < self.end and self.start < a.content_end
            ],
        }


@dataclass(frozen=True)
class FusionSettings:
    """How dense and lexical scores are combined.

    ``convex``: ``dense_weight * dense + (1 - dense_weight) * bm25 / max(bm25)`` over the union of
    both candidate lists, each candidate scored by both retrievers (no missing scores).
    ``zscore``: ``dense_weight * z(dense) + (1 - dense_weight) * z(bm25)``, each score
    standardised (mean 0, deviation 1) over the same candidate union.
    ``rrf``: reciprocal-rank fusion with constant ``rrf_k``. The defaults were tuned on the
    SciFact train queries (benchmarks/beir.py --tune: convex, dense weight 0.75); see benchmarks/README.md.
    """

    method: str = "convex"
    dense_weight: float = 0.75
    candidates: int = 100
    rrf_k: int = 60


@dataclass(frozen=True)
class Scored:
    """Chunk ids with their fused, dense and lexical scores, best first."""

    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


class HybridRetriever:
    """Ranks chunks of one opened index (either backend) for a query, with optional metadata filters."""

    def __init__(self, index: SearchIndex, fusion: FusionSettings = FusionSettings()) -> None:
        self.index = index
        self.fusion = fusion

    def retrieve(
        self,
        query: str,
        k: int = 5,
        filters: Mapping[str, object] | None = None,
        mode: str = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages for ``query`` (``mode``: hybrid, dense or lexical).

        ``query_vector``: the query's embedding, when the caller has already encoded it.
        """
        scored = self.score(query, k, filters, mode, query_vector)
        return self.passages(scored, k)

    def score(
        self,
        query: str,
        k: int,
        filters: Mapping[str, object] | None = None,
        mode: str = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> Scored:
        """Fused scores of the best candidate chunks for ``query``: the backend finds candidates by dense and
        BM25 search, each scored by both; they are fused here, the same way on every backend."""
        if not query.strip():
            return _no_scores()
        qvec = None
        if mode != "lexical":
            qvec = query_vector if query_vector is not None else self.index.encoder.encode_query(query)
        found = self.index.candidates(query, qvec, max(k, self.fusion.candidates), filters, mode)
        if not len(found.ids):
            return _no_scores()
        fused = self._fuse(found.dense, found.lexical, mode)
        order = np.argsort(-fused, kind="stable")
        return Scored(found.ids[order], fused[order], found.dense[order], found.lexical[order])

    def passages(self, scored: Scored, k: int) -> list[Passage]:
        """Passages for the first ``k`` scored chunks, each with its statement (one read per statement)."""
        ids = [int(i) for i in scored.ids[:k]]
        store = self.index.store
        chunks = store.chunks(ids)
        statement_ids = sorted({c.statement_id for c in chunks.values()})
        statements = store.statements(statement_ids)
        attributions = store.attributions_of(statement_ids)
        out = []
        for i, cid in enumerate(ids):
            chunk = chunks.get(cid)
            st = statements.get(chunk.statement_id) if chunk else None
            if chunk is None or st is None:
                continue
            out.append(
                Passage(
                    chunk_id=cid, statement=st, text=chunk.text, start=chunk.start, end=chunk.end,
                    score=float(scored.scores[i]), sentences=chunk.sentences, dense_score=float(scored.dense[i]),
                    lexical_score=float(scored.lexical[i]),
                    attributions=_around(attributions.get(st.id, ()), chunk.start, chunk.end),
                )
            )
        return out

    def _fuse(self, dense: np.ndarray, lexical: np.ndarray, mode: str) -> np.ndarray:
        if mode == "dense":
            return dense.astype(np.float64)
        if mode == "lexical":
            return lexical.astype(np.float64)
        if self.fusion.method == "rrf":
            c = self.fusion.rrf_k
            return 1.0 / (c + _ranks(dense)) + np.where(lexical > 0, 1.0 / (c + _ranks(lexical)), 0.0)
        if self.fusion.method == "zscore":
            w = self.fusion.dense_weight
            return w * _standardised(dense) + (1.0 - w) * _standardised(lexical)
        top = float(lexical.max()) if len(lexical) else 0.0
        lexical_norm = lexical / top if top > 0 else lexical
        w = self.fusion.dense_weight
        return w * dense.astype(np.float64) + (1.0 - w) * lexical_norm


def _no_scores() -> Scored:
    empty = np.empty(0)
    return Scored(empty.astype(np.int64), empty, empty, empty)


def _standardised(scores: np.ndarray) -> np.ndarray:
    x = scores.astype(np.float64)
    sd = float(x.std()) if len(x) else 0.0
    return (x - float(x.mean())) / sd if sd > 0 else np.zeros_like(x)


def _ranks(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks


ATTRIBUTION_MARGIN = 2000  # characters around a passage whose attributions it keeps (quotes may join a neighbour)


def _around(attributions: Sequence[Attribution], start: int, end: int) -> tuple[Attribution, ...]:
    """The attributions whose content lies within ``ATTRIBUTION_MARGIN`` of a passage."""
    lo, hi = start - ATTRIBUTION_MARGIN, end + ATTRIBUTION_MARGIN
    return tuple(a for a in attributions if a.content_start < hi and lo < a.content_end)


def attribution_dict(a: Attribution, text: str) -> dict[str, Any]:
    """An attribution for JSON output: its fields and the spans' text."""
    return dataclasses.asdict(a) | {
        "content": text[a.content_start : a.content_end], "cue": text[a.cue_start : a.cue_end],
    }
