"""The encoder on torch, ONNX Runtime fp32 and ONNX Runtime int8: indexing speed, question latency, agreement.

    python benchmarks/encoder_backends.py /work/shared/data/beir_scifact [--docs 1000] [--queries 200] [--runs 3]

Encodes the first ``--docs`` documents of a BEIR corpus (title and text, as the index joins them) the way an index
is built (``Encoder.encode_chunks``: chunk vectors and sentence vectors from one pass; one sentence span per
document here) with each backend, and times the test queries one at a time through ``Encoder.encode_query`` (the
question path: ONNX Runtime on one thread without sentence-transformers, or sentence-transformers on torch). Each
figure is the median of ``--runs`` runs, the backends alternated in every run; CPU seconds are the process's (both
cores count). Agreement: the cosine of each backend's document vectors with torch's. Retrieval quality per backend
comes from ``benchmarks/beir.py`` and ``benchmarks/qa.py`` with ``STATEMENTS_QA_ENCODER`` set (benchmarks/README.md).
Writes ``benchmarks/results/encoder_backends.json``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import log, median, percentile, write_result

BACKENDS = ("torch", "onnx", "onnx-int8")


def read_docs(folder: Path, limit: int) -> list[str]:
    """The first ``limit`` documents, title and text joined."""
    texts: list[str] = []
    with open(folder / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            texts.append("\n".join(p for p in (doc.get("title", ""), doc.get("text", "")) if p))
            if len(texts) >= limit:
                break
    return texts


def read_queries(folder: Path, limit: int) -> list[str]:
    """The first ``limit`` queries."""
    with open(folder / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line, _ in zip(f, range(limit))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a BEIR folder (corpus.jsonl, queries.jsonl)")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from embeddings.encoding.encoder import Encoder

    docs, queries = read_docs(args.path, args.docs), read_queries(args.path, args.queries)
    spans = [[(0, len(t))] for t in docs]
    encoders = {b: Encoder(backend=b) for b in BACKENDS}
    for encoder in encoders.values():  # load (and export) outside the timing
        encoder.encode_chunks(docs[:8], spans[:8])
        encoder.encode_query(queries[0])
    cpu: dict[str, list[float]] = {b: [] for b in BACKENDS}
    wall: dict[str, list[float]] = {b: [] for b in BACKENDS}
    p50: dict[str, list[float]] = {b: [] for b in BACKENDS}
    p95: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors: dict[str, np.ndarray] = {}
    for run in range(args.runs):
        for backend, encoder in encoders.items():
            c, w = time.process_time(), time.perf_counter()
            vectors[backend] = encoder.encode_chunks(docs, spans).vectors
            cpu[backend].append(time.process_time() - c)
            wall[backend].append(time.perf_counter() - w)
            times = []
            for q in queries:
                start = time.perf_counter()
                encoder.encode_query(q)
                times.append((time.perf_counter() - start) * 1000)
            p50[backend].append(percentile(times, 50))
            p95[backend].append(percentile(times, 95))
            log(f"run {run + 1} {backend}: {cpu[backend][-1]:.1f} CPU s, {wall[backend][-1]:.1f} s, "
                f"query p50 {p50[backend][-1]:.2f} ms")
    out: dict[str, Any] = {"documents": len(docs), "queries": len(queries), "runs": args.runs}
    base_cpu = median(cpu["torch"])
    for backend in BACKENDS:
        cosines = (vectors[backend] * vectors["torch"]).sum(axis=1)
        out[backend] = {
            "index_cpu_s": round(median(cpu[backend]), 2), "index_wall_s": round(median(wall[backend]), 2),
            "index_cpu_ratio_to_torch": round(median(cpu[backend]) / base_cpu, 3),
            "docs_per_cpu_s": round(len(docs) / median(cpu[backend]), 1),
            "query_p50_ms": round(median(p50[backend]), 2), "query_p95_ms": round(median(p95[backend]), 2),
            "cosine_to_torch_min": round(float(cosines.min()), 4),
            "cosine_to_torch_mean": round(float(cosines.mean()), 5),
            "all_runs": {"cpu_s": [round(x, 2) for x in cpu[backend]],
                         "query_p50_ms": [round(x, 2) for x in p50[backend]]},
        }
        log(f"{backend}: {out[backend]}")
    write_result("encoder_backends", out)


if __name__ == "__main__":
    main()
