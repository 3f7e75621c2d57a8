"""Recall of the approximate (HNSW) vector index against exact search, on a real index.

    python benchmarks/ann_recall.py INDEX_DIR [--queries 500] [--ef 64 128 256]

Queries are the first words of randomly chosen chunks of the index, encoded with its model.
Recall@10 is the share of the exact top 10 that HNSW also returns. Latency is per query.
"""
from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import log, machine_info, summary_ms, write_result

from embeddings.local import vector_index
from embeddings.local.index import StatementIndex
from embeddings.local.vector_index import VectorIndex


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--ef", type=int, nargs="+", default=[64, 128, 256])
    args = ap.parse_args()

    index = StatementIndex.open(args.index_dir, verify=False)
    vectors = np.asarray(index.vectors)
    ids = index.chunk_ids
    rng = random.Random(11)
    picked = rng.sample(range(len(ids)), min(args.queries, len(ids)))
    chunks = index.store.chunks([int(ids[i]) for i in picked])
    texts = [" ".join(c.text.split()[:12]) for c in chunks.values()]
    queries = index.encoder.encode(texts)

    exact = VectorIndex.build(vectors, ids, approximate=False)
    t0 = time.perf_counter()
    approx = VectorIndex.build(vectors, ids, approximate=True)
    build_s = time.perf_counter() - t0
    truth = [set(exact.search(q, 10).ids.tolist()) for q in queries]
    exact_times = []
    for q in queries:
        t = time.perf_counter()
        exact.search(q, 10)
        exact_times.append(time.perf_counter() - t)
    result = {"machine": machine_info(), "vectors": len(ids), "queries": len(queries),
              "hnsw_neighbours": vector_index.HNSW_NEIGHBOURS, "hnsw_build_seconds": build_s,
              "exact_latency_ms": summary_ms(exact_times), "by_ef_search": []}
    for ef in args.ef:
        vector_index.HNSW_EF_SEARCH = ef
        times, recalls = [], []
        for q, gold in zip(queries, truth):
            t = time.perf_counter()
            got = approx.search(q, 10).ids.tolist()
            times.append(time.perf_counter() - t)
            recalls.append(len(gold & set(got)) / max(1, len(gold)))
        row = {"ef_search": ef, "recall@10": float(np.mean(recalls)), "latency_ms": summary_ms(times)}
        result["by_ef_search"].append(row)
        log(f"efSearch {ef}: recall@10 {row['recall@10']:.4f}, p50 {row['latency_ms']['p50_ms']:.2f} ms")
    log(f"exact: p50 {result['exact_latency_ms']['p50_ms']:.2f} ms over {len(ids)} vectors")
    write_result(f"ann_recall_{args.index_dir.name}", result)


if __name__ == "__main__":
    main()
