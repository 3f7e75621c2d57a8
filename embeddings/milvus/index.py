"""Reading an index held in Milvus: the same answers as an index directory, searched by Milvus.

Dense and BM25 candidates come from two Milvus searches (filters go on each search request); a
candidate found by only one of them gets its other score from a second search restricted to those
ids, so every candidate is scored by both, as on the local backend, and ``HybridRetriever`` fuses
them the same way (measured against Milvus' own ``hybrid_search`` rankers in ``benchmarks/scale.py``).
"""
from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.problems import StatementsError
from embeddings.backend.candidates import Candidates, SentenceSpans
from embeddings.backend.manifest import FORMAT_VERSION, Manifest
from embeddings.backend.terms import corrected_words, tokenize
from embeddings.encoding.encoder import Encoder, model_label
from embeddings.milvus.filters import milvus_filter
from embeddings.milvus.schema import BM25_B, BM25_K1, MilvusLocation, load_collections, milvus_error
from embeddings.milvus.store import MilvusStatementStore

SEARCH_FIELDS = ["terms"]  # what a search returns of each chunk (BM25 hits: their vector too); fused here
META_ID = "manifest"


def read_manifest(client: Any, location: MilvusLocation) -> Manifest | None:
    """The index's manifest (model, chunker, counts, generation), or None if Milvus holds no index there."""
    meta = location.collection("meta")
    if not client.has_collection(meta):
        return None
    client.load_collection(meta)
    rows = client.get(meta, ids=[META_ID], output_fields=["value"])
    if not rows:
        return None
    value = dict(rows[0]["value"])
    if value.get("format_version") != FORMAT_VERSION:
        raise StatementsError(
            f"Milvus index at {location.uri} has format version {value.get('format_version')}, this version "
            f"reads {FORMAT_VERSION}: rebuild it with "
            f"`statements-qa index PATH... --milvus-uri {location.uri} --rebuild`"
        )
    return Manifest(**value)


class MilvusTerms:
    """BM25 term statistics of the chunk collection, from the index's term counts."""

    def __init__(self, client: Any, location: MilvusLocation, size: int, store: MilvusStatementStore) -> None:
        self._client = client
        self._chunks = location.collection("chunks")
        self._size = size
        self._store = store
        self._df: dict[str, int] = {}

    def __len__(self) -> int:
        return self._size

    def document_frequency(self, term: str) -> int:
        """How many chunks contain ``term`` (a ``tokenize`` term)."""
        return self._frequencies([term]).get(term, 0)

    def _frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            found = self._store.document_frequencies(missing)
            self._df.update({t: found.get(t, 0) for t in missing})
        return {t: self._df[t] for t in terms}

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 inverse document frequency of ``terms`` (0 for unknown terms)."""
        out = np.zeros(len(terms), dtype=np.float32)
        if not self._size or not terms:
            return out
        df = self._frequencies(terms)
        for i, term in enumerate(terms):
            if df[term]:
                out[i] = np.log(1.0 + (self._size - df[term] + 0.5) / (df[term] + 0.5))
        return out

    def bm25(self, documents: Sequence[Sequence[str]], query: Sequence[str]) -> np.ndarray:
        """BM25 of each document (its terms) for the query terms: bm25s' "lucene" variant, k1 1.5, b 0.75,
        each query term counted as often as it occurs, terms the index never saw left out."""
        scores = np.zeros(len(documents), np.float32)
        if not self._size or not documents:
            return scores
        idf = dict(zip(query, self.idf(query).tolist(), strict=True))
        average = self._average_length
        for i, terms in enumerate(documents):
            counts = Counter(terms)
            norm = BM25_K1 * (1.0 - BM25_B + BM25_B * len(terms) / average)
            scores[i] = sum(idf[t] * counts[t] / (counts[t] + norm) for t in query if counts.get(t) and idf[t] > 0)
        return scores

    @functools.cached_property
    def _average_length(self) -> float:
        return max(self._store.term_total() / self._size, 1.0)

    @property
    def max_idf(self) -> float:
        """The idf of a term seen in one chunk: the weight given to unknown terms."""
        return float(np.log(1.0 + (self._size - 0.5) / 1.5)) if self._size else 1.0

    def corrected(
        self, text: str, is_word: Callable[[str], bool] = lambda w: False, min_length: int = 5,
        score_cutoff: float = 80.0,
    ) -> str:
        """``text`` with its misspelt words replaced by indexed terms (``lexical_index.corrected_words``)."""
        if not self._size:
            return text
        return corrected_words(
            text, lambda t: self.document_frequency(t) > 0, lambda: self._terms, is_word, min_length, score_cutoff
        )

    @functools.cached_property
    def _terms(self) -> list[str]:
        return self._store.terms()


class MilvusIndex:
    """One generation of an index in Milvus, opened for reading."""

    def __init__(self, location: MilvusLocation, client: Any, manifest: Manifest, encoder: Encoder) -> None:
        self.milvus = location
        self.client = client
        self.manifest = manifest
        self.encoder = encoder
        self.store = MilvusStatementStore(client, location, (manifest.statements, manifest.chunks))
        self.lexical = MilvusTerms(client, location, manifest.chunks, self.store)
        self._chunks = location.collection("chunks")
        self._sentence_spans = SentenceSpans()

    @classmethod
    def open(cls, location: MilvusLocation, model: str | None = None) -> MilvusIndex:
        """Open the index at ``location``; ``model`` must match the one it was built with."""
        if location.is_lite and not Path(location.uri).exists():
            raise StatementsError(
                f"no index in Milvus at {location.uri}: build one with "
                f"`statements-qa index PATH... --milvus-uri {location.uri}`"
            )
        client = location.connect()
        try:
            return cls._opened(location, client, model)
        except BaseException:
            location.disconnect(client)
            raise

    @classmethod
    def _opened(cls, location: MilvusLocation, client: Any, model: str | None) -> MilvusIndex:
        try:
            manifest = read_manifest(client, location)
        except StatementsError:
            raise
        except Exception as exc:
            raise milvus_error(exc, location) from None
        if manifest is None:
            raise StatementsError(
                f"no index in Milvus at {location.uri}: build one with "
                f"`statements-qa index PATH... --milvus-uri {location.uri}`"
            )
        load_collections(client, location)
        if model is not None and model_label(model) != manifest.model:
            raise StatementsError(
                f"Milvus index at {location.uri} was built with model {manifest.model!r}, not {model_label(model)!r}"
            )
        return cls(location, client, manifest, Encoder(manifest.model))

    @property
    def location(self) -> str:
        """Where the index lives, for messages."""
        return self.milvus.uri

    def latest_generation(self) -> int | None:
        """The index's generation in Milvus now (a writer moves it on after each update)."""
        manifest = read_manifest(self.client, self.milvus)
        return manifest.generation if manifest is not None else None

    @property
    def has_attributions(self) -> bool:
        """Whether this index knows who said each sentence."""
        return self.manifest.attributions

    def candidates(
        self, query: str, query_vector: np.ndarray | None, depth: int, filters: Mapping[str, object] | None,
        mode: str,
    ) -> Candidates:
        """Up to ``depth`` chunks by Milvus dense search and Milvus BM25 full-text search, passing ``filters``.

        Every candidate is then scored by both here, from the fields the two searches return: the inner
        product with its vector, and BM25 over its terms with the index's term counts (the formula and
        parameters of the local backend's bm25s, so both backends score alike).
        """
        where = milvus_filter(filters)
        if where.nothing or self.manifest.chunks == 0:
            return Candidates.empty()
        tokens = tokenize([query])[0]
        rows: dict[int, dict[str, Any]] = {}
        similarity: dict[int, float] = {}  # inner products Milvus computed
        if query_vector is not None and mode != "lexical":
            found = self._search([np.asarray(query_vector, np.float32).tolist()], "dense", depth,
                                 self.milvus.dense_search_params, where.kwargs(), SEARCH_FIELDS)
            similarity = {i: row.pop("distance") for i, row in found.items()}
            rows.update(found)
        if mode != "dense" and tokens:
            found = self._search([" ".join(tokens)], "sparse", depth, {"metric_type": "BM25"}, where.kwargs(),
                                 [*SEARCH_FIELDS, "dense"] if query_vector is not None else SEARCH_FIELDS)
            rows.update((i, row) for i, row in found.items() if i not in rows)
        if not rows:
            return Candidates.empty()
        ids = list(rows)
        if query_vector is not None and mode != "lexical":
            q = np.asarray(query_vector, np.float32)
            dense = np.asarray([
                similarity[i] if i in similarity else float(np.asarray(rows[i]["dense"], np.float32) @ q) for i in ids
            ], np.float32)
        else:
            dense = np.zeros(len(ids), np.float32)
        lexical = (
            self.lexical.bm25([rows[i]["terms"].split() for i in ids], tokens) if mode != "dense"
            else np.zeros(len(ids), np.float32)
        )
        return Candidates(np.asarray(ids, np.int64), dense.astype(np.float32), lexical)

    def _search(self, data: list[Any], field: str, limit: int, params: dict[str, Any],
                where: dict[str, Any], fields: list[str]) -> dict[int, dict[str, Any]]:
        """Hits of one search: each chunk's ``fields`` and the search's ``distance``, by chunk id."""
        try:
            result = self.client.search(self._chunks, data=data, anns_field=field, limit=min(limit, 16_384),
                                        search_params=params, output_fields=fields, **where)
        except Exception as exc:
            raise milvus_error(exc, self.milvus) from None
        hits = result[0] if result else []
        return {int(h["id"]): {**h["entity"], "id": h["id"], "distance": h["distance"]} for h in hits}

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of chunks, in the order given."""
        rows = {int(r["id"]): r["dense"] for r in self.client.get(self._chunks, ids=[int(i) for i in chunk_ids],
                                                                  output_fields=["dense"])}
        return np.asarray([rows[int(i)] for i in chunk_ids], np.float32).reshape(len(chunk_ids), -1)

    def sentence_vectors_of(self, chunk_id: int) -> np.ndarray | None:
        """Stored vectors of a chunk's sentences, in ``Chunk.sentences`` order, if the index has them."""
        return self.store.sentence_vectors(chunk_id)

    def sentence_spans(self, statement_id: str) -> tuple[tuple[int, int], ...]:
        """Every sentence span of a statement (from its chunks), in text order; kept for the 2,048 latest."""
        return self._sentence_spans.of(statement_id, self.store)

    def close(self) -> None:
        """Close the connection."""
        self.milvus.disconnect(self.client)
