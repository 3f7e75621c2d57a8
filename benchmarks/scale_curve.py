"""Scaling curve of dense retrieval (issue 14): latency and memory from 20k to 1M chunks, Milvus Lite against FAISS.

    python benchmarks/scale_curve.py [--real-index DIR] [--sizes 20000,100000,300000,1000000]
        [--backends faiss-exact,faiss-hnsw,milvus-lite-flat,milvus-lite-hnsw] [--queries 200] [--k 100]
        [--max-seconds 900] [--max-rss-mb MB] [--synthetic gaussian|jitter] [--seed 14]
        [--work-dir /tmp/scale_curve] [--name NAME] [--merge]

Vectors (384-dim float32, normalised, inner product, as all-MiniLM-L6-v2 gives them):

- ``--real-index DIR``: the chunk vectors of that index come first (minus the held-out query sources);
  rows beyond them are synthetic, drawn from a Gaussian fitted to the real vectors (mean and full
  covariance, ``--synthetic gaussian``, the default) or real vectors plus isotropic noise
  (``--synthetic jitter``), then normalised. Without it every vector is synthetic: isotropic Gaussian,
  normalised (uniform on the sphere, the hardest case for HNSW). Row ``i`` is the same at every size, so
  the corpora are nested.
- Queries: ``--queries`` held-out vectors (real chunk vectors left out of the corpus) plus isotropic
  noise of norm ``QUERY_NOISE`` (1.0), normalised: their median top-1 inner product with the UNGDC
  corpus (0.56) matches that of the 184 encoded questions of ``dev_questions_ungdc.jsonl`` (0.57).
  Ten more held-out vectors, perturbed alike, warm each backend up. Top ``--k`` (100, the retriever's
  candidate depth), one query at a time.

Backends, each size of each in its own subprocess (its memory is that backend's alone):

- ``faiss-exact``/``faiss-hnsw``: ``embeddings.local.vector_index.VectorIndex.build(vectors, ids, approximate=...)``
  (IndexFlatIP, or HNSW M=32 efConstruction=80 efSearch=256) and ``.search(query, k)``.
- ``milvus-lite-flat``/``milvus-lite-hnsw``: ``MilvusClient("<work-dir>/<backend>_<n>.db")``, a collection
  ``id`` INT64 primary key + ``dense`` FLOAT_VECTOR(384); rows inserted 5,000 at a time, flushed, then the
  index created (FLAT, or HNSW M=32 efConstruction=80) and the collection loaded; Milvus Lite's background
  compaction and index builds are waited for (their time counts as build time) before searching with
  ``client.search(..., anns_field="dense", limit=k, output_fields=["id"],
  search_params={"metric_type": "IP", "params": {"ef": 256}})``. The client is made with a 10-minute gRPC
  keepalive (``MILVUS_GRPC_OPTIONS``): with pymilvus's 10 s, ``create_index`` over 300,000 rows fails.

Per backend and size: build seconds (Milvus: insert, flush, index and background parts), latency
p50/p95/p99 (``common.summary_ms``), RSS at start, with the input array, after the build (input freed)
and after the searches, peak RSS (``VmHWM``: includes the n x 384 float32 input array, ``input_mb``,
held during the build), and recall@k of every backend against exact search (numpy, in the parent) on the same
rows and queries.

Sizes run smallest first, so each backend's time and memory at a size are extrapolated from the previous
one (build time as n log n for HNSW, n otherwise; query time and memory as n). A run estimated to take more
than ``--max-seconds`` (900; build and queries) or to peak above ``--max-rss-mb`` (default half the memory
available at the start) is reduced to the largest smaller size that fits (a multiple of a tenth of the size
asked for), with the reason recorded; or skipped, with the reason, when none fits. A child still running after
``2 x --max-seconds`` is stopped. ``--merge`` re-measures some backends or sizes (e.g. ``--backends
milvus-lite-hnsw --sizes 300000,1000000 --merge``) and replaces only those rows of the existing result file;
``runs`` in the JSON lists every command that contributed.

Prints a table; writes ``benchmarks/results/scale_curve[_NAME].json``. ``run_curve(args)`` does the work,
for a wrapper (``benchmarks/scale.py curve``); ``build_parser()`` gives its arguments.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import (
    RESULTS_DIR,
    check_environment,
    current_rss_mb,
    load_average,
    log,
    peak_rss_mb,
    summary_ms,
    write_result,
)

DIM = 384
BACKENDS = ("faiss-exact", "faiss-hnsw", "milvus-lite-flat", "milvus-lite-hnsw")
DEFAULT_SIZES = "20000,100000,300000,1000000"
WARMUP_QUERIES = 10
QUERY_NOISE = 1.0  # norm of the noise added to a held-out vector (cos to its source ~0.71); see the docstring
JITTER_NOISE = 0.5  # --synthetic jitter: norm of the noise added to a real vector (cos to it ~0.89)
GENERATE_BLOCK = 50_000  # synthetic rows are drawn in blocks seeded by (seed, block), so row i never changes
MILVUS_BATCH = 5_000
MILVUS_COLLECTION = "chunks"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
RSS_SAMPLE_SECONDS = 0.1
# pymilvus pings every 10 s; Milvus Lite's in-process gRPC server keeps gRPC's default ping policy and, during a
# call that sends nothing for minutes (create_index building HNSW over 300,000 rows inline), answers with GOAWAY
# "too_many_pings": the call fails, pymilvus retries it and the retry fails with "index already exists".
MILVUS_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 600_000}


# -- vectors ----------------------------------------------------------------------------------
def _normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32)."""
    x = np.asarray(x, dtype=np.float32)
    out: np.ndarray = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return out


def _perturb(x: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus isotropic Gaussian noise of expected norm ``noise``, normalised."""
    return _normalise(x + rng.standard_normal(x.shape).astype(np.float32) * (noise / math.sqrt(x.shape[1])))


def prepare_data(real_index: Path | None, synthetic: str, queries: int, seed: int, work_dir: Path) -> dict[str, Any]:
    """Write the real corpus rows, the queries and the synthetic model to ``work_dir``; describe them."""
    rng = np.random.default_rng(seed)
    held_out = queries + WARMUP_QUERIES
    info: dict[str, Any] = {"seed": seed, "synthetic_mode": synthetic, "query_noise_norm": QUERY_NOISE}
    if real_index is not None:
        from embeddings.local.index import StatementIndex

        ix = StatementIndex.open(real_index, verify=False)
        real = np.asarray(ix.vectors, dtype=np.float32)
        picked = rng.choice(len(real), held_out, replace=False)
        keep = np.ones(len(real), dtype=bool)
        keep[picked] = False
        corpus = np.ascontiguousarray(real[keep])
        sources = real[picked]
        mean = corpus.mean(axis=0)
        factor = np.linalg.cholesky(np.cov(corpus, rowvar=False) + 1e-6 * np.eye(DIM)).astype(np.float32)
        info.update({
            "real_index": str(real_index), "real_vectors_in_index": len(real), "real_rows": len(corpus),
            "queries_source": f"{held_out} real chunk vectors of the index, held out of the corpus, plus noise "
                              f"of norm {QUERY_NOISE}, normalised ({queries} timed, {WARMUP_QUERIES} warm-up)",
        })
        if synthetic == "gaussian":
            info["synthetic"] = ("Gaussian fitted to the real corpus rows (mean and full 384x384 covariance), "
                                 "sampled and normalised")
        else:
            info["synthetic"] = (f"a uniformly drawn real corpus row plus isotropic noise of norm {JITTER_NOISE}, "
                                 "normalised")
    else:
        if synthetic != "gaussian":
            raise SystemExit("--synthetic jitter needs --real-index")
        corpus = np.empty((0, DIM), dtype=np.float32)
        sources = _normalise(rng.standard_normal((held_out, DIM)))
        mean = np.zeros(DIM, dtype=np.float32)
        factor = np.eye(DIM, dtype=np.float32) / math.sqrt(DIM)
        info.update({
            "real_index": None, "real_rows": 0,
            "synthetic": "isotropic Gaussian, normalised (uniform on the sphere); no real vectors",
            "queries_source": f"{held_out} further vectors of the same distribution plus noise of norm "
                              f"{QUERY_NOISE}, normalised ({queries} timed, {WARMUP_QUERIES} warm-up)",
        })
    all_queries = _perturb(sources, QUERY_NOISE, rng)
    work_dir.mkdir(parents=True, exist_ok=True)
    np.save(work_dir / "real.npy", corpus)
    np.save(work_dir / "queries.npy", all_queries[:queries])
    np.save(work_dir / "warmup.npy", all_queries[queries:])
    np.savez(work_dir / "model.npz", mean=mean, factor=factor, seed=seed, synthetic=synthetic)
    return info


def corpus_rows(work_dir: Path, start: int, stop: int) -> np.ndarray:
    """Corpus rows ``start:stop``: the real ones, then synthetic ones (drawn in blocks seeded by block number)."""
    real = np.load(work_dir / "real.npy", mmap_mode="r")
    model = np.load(work_dir / "model.npz")
    mean, factor, seed, synthetic = model["mean"], model["factor"], int(model["seed"]), str(model["synthetic"])
    out = np.empty((stop - start, DIM), dtype=np.float32)
    n_real = len(real)
    if start < n_real:
        out[: min(stop, n_real) - start] = real[start:min(stop, n_real)]
    for block in range(max(0, start - n_real) // GENERATE_BLOCK, max(0, stop - n_real + GENERATE_BLOCK - 1)
                       // GENERATE_BLOCK):
        first = n_real + block * GENERATE_BLOCK  # the block's first row
        rng = np.random.default_rng([seed, block])
        if synthetic == "gaussian":
            rows = mean + rng.standard_normal((GENERATE_BLOCK, DIM), dtype=np.float32) @ factor.T
        else:
            base = real[rng.integers(0, n_real, GENERATE_BLOCK)]
            rows = base + rng.standard_normal((GENERATE_BLOCK, DIM), dtype=np.float32) * (JITTER_NOISE / math.sqrt(DIM))
        lo, hi = max(start, first), min(stop, first + GENERATE_BLOCK)
        out[lo - start:hi - start] = _normalise(rows[lo - first:hi - first])
    del real
    return out


def corpus_vectors(work_dir: Path, n: int) -> np.ndarray:
    """The first ``n`` corpus rows (the same rows at every size: the corpora are nested)."""
    return corpus_rows(work_dir, 0, n)


def exact_top_k(work_dir: Path, n: int, k: int, block: int = 100_000) -> np.ndarray:
    """Row ids of the exact top ``k`` inner products of each query over the first ``n`` rows (numpy, by blocks)."""
    queries = np.load(work_dir / "queries.npy")
    best_ids = np.empty((len(queries), 0), dtype=np.int64)
    best_scores = np.empty((len(queries), 0), dtype=np.float32)
    for start in range(0, n, block):
        scores = queries @ corpus_rows(work_dir, start, min(n, start + block)).T
        ids = np.broadcast_to(np.arange(start, start + scores.shape[1], dtype=np.int64), scores.shape)
        scores, ids = np.hstack([best_scores, scores]), np.hstack([best_ids, ids])
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores, best_ids = np.take_along_axis(scores, keep, 1), np.take_along_axis(ids, keep, 1)
    return best_ids


# -- memory -----------------------------------------------------------------------------------
class RssSampler:
    """Samples the RSS of this process and its children in a thread; ``peak_mb`` is the largest sum seen."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tree_mb(self) -> float:
        """Current RSS of this process plus its children, MiB."""
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:  # a child may exit between listing and reading
                pass
        return float(total) / 2**20

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self.peak_mb = max(self.peak_mb, self.tree_mb())

    def __enter__(self) -> RssSampler:
        self.peak_mb = self.tree_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(max(self.peak_mb, self.tree_mb()), 1)


# -- the backends (run in the child) ------------------------------------------------------------
class FaissBackend:
    """The local backend: ``embeddings.local.vector_index.VectorIndex``, exact or HNSW."""

    def __init__(self, approximate: bool) -> None:
        self.approximate = approximate
        self.index: Any = None

    def build(self, vectors: np.ndarray, ids: np.ndarray) -> dict[str, float]:
        """Index the vectors; seconds taken."""
        from embeddings.local import vector_index
        from embeddings.local.vector_index import VectorIndex

        assert (vector_index.HNSW_NEIGHBOURS, vector_index.HNSW_EF_CONSTRUCTION, vector_index.HNSW_EF_SEARCH) == (
            HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH), "embeddings.local.vector_index's HNSW settings changed"
        start = time.perf_counter()
        self.index = VectorIndex.build(vectors, ids, approximate=self.approximate)
        return {"build_s": time.perf_counter() - start}

    def count(self) -> int:
        """Vectors in the index."""
        return len(self.index)

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Ids of the top ``k``."""
        return np.asarray(self.index.search(query, k).ids)

    def describe(self) -> dict[str, Any]:
        """What was measured."""
        import faiss

        return {"faiss": faiss.__version__, "faiss_threads": faiss.omp_get_max_threads(),
                "index": "IndexIDMap2(IndexHNSWFlat)" if self.approximate else "IndexIDMap2(IndexFlatIP)"}

    def close(self) -> None:
        """Nothing to release."""


class MilvusLiteBackend:
    """A Milvus Lite collection, FLAT or HNSW, reached through ``pymilvus.MilvusClient``."""

    def __init__(self, index_type: str, db_path: Path) -> None:
        self.index_type = index_type
        self.db_path = db_path
        self.client: Any = None

    def _collection(self) -> Any:
        """Milvus Lite's in-process collection object (to wait for its background work), or None."""
        try:
            from milvus_lite.server_manager import server_manager_instance

            entry = server_manager_instance._servers.get(str(self.db_path.resolve()))
            return entry[1].get_collection(MILVUS_COLLECTION) if entry else None
        except Exception:  # another Milvus Lite layout: fall back to waiting for idle
            return None

    def _settle(self) -> float:
        """Wait for Milvus Lite's background compaction and index builds; seconds waited."""
        start = time.perf_counter()
        collection = self._collection()
        if collection is not None and hasattr(collection, "_wait_for_bg"):
            for _ in range(3):  # a compaction can schedule another round
                collection._wait_for_bg()
        else:  # wait until this process is idle
            import psutil

            process = psutil.Process()
            process.cpu_percent(None)
            time.sleep(1.0)
            while process.cpu_percent(None) > 10.0:
                time.sleep(1.0)
        return time.perf_counter() - start

    def build(self, vectors: np.ndarray, ids: np.ndarray) -> dict[str, float]:
        """Insert the rows in batches, flush, create the index and load; seconds of each part."""
        from pymilvus import DataType, MilvusClient

        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.db_path, ignore_errors=True)  # a fresh database, not one a failed run left
        times: dict[str, float] = {}
        start = time.perf_counter()
        self.client = MilvusClient(str(self.db_path), grpc_options=MILVUS_GRPC_OPTIONS)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=DIM)
        self.client.create_collection(MILVUS_COLLECTION, schema=schema)
        for at in range(0, len(vectors), MILVUS_BATCH):
            rows = [{"id": int(i), "dense": v} for i, v in
                    zip(ids[at:at + MILVUS_BATCH], vectors[at:at + MILVUS_BATCH].tolist())]
            self.client.insert(MILVUS_COLLECTION, rows)
        times["insert_s"] = time.perf_counter() - start
        mark = time.perf_counter()
        self.client.flush(MILVUS_COLLECTION)
        times["flush_s"] = time.perf_counter() - mark + self._settle()
        mark = time.perf_counter()
        params = self.client.prepare_index_params()
        build = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION} if self.index_type == "HNSW" else {}
        params.add_index(field_name="dense", index_type=self.index_type, metric_type="IP", params=build)
        self.client.create_index(MILVUS_COLLECTION, params)
        self.client.load_collection(MILVUS_COLLECTION)
        times["index_s"] = time.perf_counter() - mark
        times["background_s"] = self._settle()
        times["build_s"] = time.perf_counter() - start
        return times

    def count(self) -> int:
        """Rows in the collection."""
        return int(self.client.get_collection_stats(MILVUS_COLLECTION)["row_count"])

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Ids of the top ``k``."""
        hits = self.client.search(
            MILVUS_COLLECTION, data=[query.tolist()], anns_field="dense", limit=k, output_fields=["id"],
            search_params={"metric_type": "IP", "params": {"ef": HNSW_EF_SEARCH}},
        )[0]
        return np.fromiter((h["id"] for h in hits), dtype=np.int64, count=len(hits))

    def describe(self) -> dict[str, Any]:
        """What was measured: the index Milvus Lite reports and its segments."""
        from importlib import metadata

        out: dict[str, Any] = {"pymilvus": metadata.version("pymilvus"), "milvus_lite": metadata.version("milvus-lite")}
        try:
            out["index"] = self.client.describe_index(MILVUS_COLLECTION, "dense")
        except Exception as exc:
            out["index"] = f"describe_index failed: {exc}"
        collection = self._collection()
        if collection is not None:
            try:
                segments = collection._segments_snapshot()
                out["segments"] = len(segments)
                out["segment_rows"] = sorted((int(s.num_rows) for s in segments), reverse=True)
                out["memtable_rows"] = int(collection._memtable.size())
            except Exception:
                pass
        return out

    def close(self) -> None:
        """Close the client (the files are removed by the parent)."""
        if self.client is not None:
            self.client.close()


def make_backend(name: str, work_dir: Path, n: int) -> FaissBackend | MilvusLiteBackend:
    """The backend called ``name``."""
    if name == "faiss-exact":
        return FaissBackend(approximate=False)
    if name == "faiss-hnsw":
        return FaissBackend(approximate=True)
    if name in ("milvus-lite-flat", "milvus-lite-hnsw"):
        return MilvusLiteBackend("HNSW" if name.endswith("hnsw") else "FLAT", work_dir / f"{name}_{n}.db")
    raise ValueError(f"unknown backend {name!r}")


def measure(name: str, n: int, k: int, work_dir: Path) -> dict[str, Any]:
    """Build backend ``name`` over the first ``n`` rows and time the queries (run in the child process)."""
    gc.collect()
    row: dict[str, Any] = {"backend": name, "size": n, "rss_start_mb": current_rss_mb(),
                           "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average_start": load_average()}
    queries = np.load(work_dir / "queries.npy")
    warmup = np.load(work_dir / "warmup.npy")
    backend = make_backend(name, work_dir, n)
    with RssSampler() as sampler:
        vectors = corpus_vectors(work_dir, n)
        ids = np.arange(n, dtype=np.int64)
        row["input_mb"] = round(vectors.nbytes / 2**20, 1)
        row["rss_with_input_mb"] = current_rss_mb()
        row.update({key: round(value, 2) for key, value in backend.build(vectors, ids).items()})
        del vectors
        gc.collect()
        row["rss_after_build_mb"] = current_rss_mb()
        row["vectors"] = backend.count()
        for q in warmup:
            backend.search(q, k)
        seconds, found = [], np.full((len(queries), k), -1, dtype=np.int64)
        for i, q in enumerate(queries):
            start = time.perf_counter()
            got = backend.search(q, k)
            seconds.append(time.perf_counter() - start)
            found[i, : len(got)] = got[:k]
        row["latency"] = summary_ms(seconds)
        row["rss_after_search_mb"] = current_rss_mb()
    row["load_average_end"] = load_average()
    row["peak_rss_mb"] = peak_rss_mb()
    row["peak_rss_tree_sampled_mb"] = sampler.peak_mb
    row["describe"] = backend.describe()
    backend.close()
    np.save(work_dir / f"ids_{name}_{n}.npy", found)
    return row


def child_main(argv: list[str]) -> int:
    """``--child BACKEND N K WORK_DIR``: measure one backend at one size, write its JSON row."""
    name, n, k, work_dir = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    row = measure(name, n, k, work_dir)
    (work_dir / f"row_{name}_{n}.json").write_text(json.dumps(row, default=str))
    return 0


# -- the parent ---------------------------------------------------------------------------------
def estimate(name: str, n: int, done: dict[str, Any], timed_queries: int) -> tuple[float, float]:
    """Seconds (build, then warm-up and timed queries) and peak RSS MiB at ``n``, extrapolated from ``done``.

    ``done`` is this backend's largest measured row. Build time scales as n log n for HNSW and n otherwise,
    query time and memory above the interpreter's as n (an upper bound for HNSW's latency).
    """
    n0 = int(done["size"])
    ratio = n / n0
    build_ratio = ratio * (math.log(n) / math.log(n0) if name.endswith("hnsw") else 1.0)
    search_s = (timed_queries + WARMUP_QUERIES) * float(done["latency"]["mean_ms"]) / 1000.0 * ratio
    rss0 = float(done["rss_start_mb"])
    return float(done["build_s"]) * build_ratio + search_s, rss0 + (float(done["peak_rss_mb"]) - rss0) * ratio


def plan(name: str, n: int, done: dict[str, Any] | None, timed_queries: int, max_seconds: float,
         max_rss_mb: float) -> tuple[int, str]:
    """The size to measure ``name`` at instead of ``n`` (``n`` itself when it fits the guards), and why.

    When the estimate at ``n`` exceeds ``max_seconds`` or ``max_rss_mb``, the largest smaller size (a multiple
    of a tenth of ``n``) above the backend's last measured size that fits both; 0 when there is none.
    """
    if not done:
        return n, ""
    seconds, rss = estimate(name, n, done, timed_queries)
    if seconds <= max_seconds and rss <= max_rss_mb:
        return n, ""
    why = []
    if seconds > max_seconds:
        why.append(f"estimated {seconds / 60:.0f} min (> --max-seconds {max_seconds:.0f} s)")
    if rss > max_rss_mb:
        why.append(f"estimated peak RSS {rss / 1024:.1f} GiB (> {max_rss_mb / 1024:.1f} GiB allowed)")
    reason = " and ".join(why) + f", extrapolated from {done['size']:,}"
    step = max(10_000, n // 10)
    for m in range(n - step, int(done["size"]), -step):
        seconds, rss = estimate(name, m, done, timed_queries)
        if seconds <= max_seconds and rss <= max_rss_mb:
            return m, reason
    return 0, reason


def run_child(name: str, n: int, k: int, work_dir: Path, timeout: float) -> dict[str, Any]:
    """Measure ``name`` at ``n`` in a fresh process; its row, or a row saying why there is none."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, str(n), str(k), str(work_dir)]
    start = time.perf_counter()
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"backend": name, "size": n, "skipped": f"stopped after {timeout:.0f} s (2 x --max-seconds)"}
    finally:
        for leftover in work_dir.glob(f"{name}_{n}.db*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    out = work_dir / f"row_{name}_{n}.json"
    if result.returncode != 0 or not out.exists():
        return {"backend": name, "size": n, "skipped": f"failed (exit {result.returncode})",
                "stderr": result.stderr[-3000:]}
    row: dict[str, Any] = json.loads(out.read_text())
    row["child_wall_s"] = round(time.perf_counter() - start, 1)
    return row


def add_recall(rows: list[dict[str, Any]], k: int, work_dir: Path, real_rows: int) -> None:
    """Recall@k of each measured row against exact search (numpy) at its size; share of synthetic rows in that top k."""
    truths: dict[int, np.ndarray] = {}
    for row in rows:
        if "skipped" in row or not (work_dir / f"ids_{row['backend']}_{row['size']}.npy").exists():
            continue
        n = row["size"]
        if n not in truths:
            log(f"exact top {k} over {n:,} rows (numpy), for recall")
            truths[n] = exact_top_k(work_dir, n, k)
        truth = truths[n]
        found = np.load(work_dir / f"ids_{row['backend']}_{n}.npy")
        recalls = [len(set(t.tolist()) & set(f[f >= 0].tolist())) / len(t) for t, f in zip(truth, found)]
        row[f"recall@{k}"] = round(float(np.mean(recalls)), 4)
        row[f"recall@{k}_min"] = round(float(np.min(recalls)), 4)
        row["recall_against"] = "exact inner product (numpy) over the same rows and queries"
        row[f"synthetic_share_of_exact_top{k}"] = round(float((truth >= real_rows).mean()), 4)


def check_mergeable(path: Path, args: argparse.Namespace) -> None:
    """Refuse to merge into a result measured on other data, queries or depth."""
    old = json.loads(path.read_text())
    data = old.get("data", {})
    real = str(args.real_index) if args.real_index is not None else None
    mode = data.get("synthetic_mode") or ("jitter" if "noise of norm" in str(data.get("synthetic")) else "gaussian")
    ours = {"k": args.k, "queries": args.queries, "seed": args.seed, "real_index": real, "synthetic": args.synthetic}
    theirs = {"k": old.get("k"), "queries": old.get("queries"), "seed": data.get("seed"),
              "real_index": data.get("real_index"), "synthetic": mode}
    if ours != theirs:
        raise SystemExit(f"--merge: {path} was measured with {theirs}, not {ours}")


def _row_key(row: dict[str, Any]) -> tuple[str, int]:
    """A row's backend and the size asked for."""
    return str(row["backend"]), int(row.get("size_requested", row["size"]))


def merge_rows(path: Path, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """This run's rows in place of the same (backend, size asked for) rows of the result at ``path``; its runs."""
    old = json.loads(path.read_text())
    ours = {_row_key(r) for r in rows}
    kept = [r for r in old.get("rows", []) if _row_key(r) not in ours]
    for r in kept:
        if any(name.startswith("recall@") for name in r):
            r.setdefault("recall_against", "faiss-exact of the same run")
    merged = kept + rows
    order = {name: i for i, name in enumerate(BACKENDS)}
    merged.sort(key=lambda r: (_row_key(r)[1], order.get(r["backend"], 99)))
    runs = old.get("runs") or [{"command": old.get("command"), "machine": old.get("machine"),
                                "backends": old.get("backends"), "sizes": old.get("sizes")}]
    return merged, runs


def run_curve(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every backend at every size (smallest first); print the table, write and return the JSON."""
    sizes = sorted(int(s) for s in str(args.sizes).split(","))
    backends = [b.strip() for b in str(args.backends).split(",")]
    for name in backends:
        if name not in BACKENDS:
            raise SystemExit(f"unknown backend {name!r}: choose from {', '.join(BACKENDS)}")
    result_name = "scale_curve" + (f"_{args.name}" if args.name else "")
    previous = RESULTS_DIR / f"{result_name}.json"
    if args.merge and previous.exists():
        check_mergeable(previous, args)
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="run_", dir=args.work_dir))  # removed at the end, with what is in it
    max_rss_mb = args.max_rss_mb
    if max_rss_mb is None:
        import psutil

        max_rss_mb = round(0.5 * psutil.virtual_memory().available / 2**20)
    warnings = check_environment()
    for warning in warnings:
        log(f"warning: {warning}")
    started = time.perf_counter()
    try:
        data_info = prepare_data(args.real_index, args.synthetic, args.queries, args.seed, work_dir)
        log(f"data: {data_info['real_rows']} real rows; synthetic: {data_info['synthetic']}")
        rows: list[dict[str, Any]] = []
        done: dict[str, dict[str, Any]] = {}  # backend -> its largest measured row
        stopped: dict[str, str] = {}  # backend -> why it is measured no further
        for n in sizes:
            for name in backends:
                if name in stopped:
                    rows.append({"backend": name, "size": n, "skipped": f"not run: {stopped[name]}"})
                    log(f"{name} at {n:,}: {rows[-1]['skipped']}")
                    continue
                m, reason = plan(name, n, done.get(name), args.queries, args.max_seconds, max_rss_mb)
                if m == 0:
                    row: dict[str, Any] = {"backend": name, "size": n, "skipped": f"skipped: {reason}"}
                    log(f"{name} at {n:,}: {row['skipped']}")
                else:
                    if m != n:
                        log(f"{name}: {n:,} reduced to {m:,}: {reason}")
                    log(f"{name} at {m:,}")
                    row = run_child(name, m, args.k, work_dir, 2 * args.max_seconds)
                    if m != n:
                        row.update({"size_requested": n, "reduced": f"measured at {m:,} instead: {reason}"})
                if "skipped" in row:
                    stopped[name] = f"{name} was not measured at {n:,}"
                    if row["skipped"].startswith(("failed", "stopped")):
                        log(f"  {name} at {n:,}: {row['skipped']}")
                else:
                    done[name] = row
                    lat = row["latency"]
                    log(f"  {row['vectors']:,} vectors, build {row['build_s']:.1f} s, p50 {lat['p50_ms']:.2f} ms, "
                        f"p95 {lat['p95_ms']:.2f} ms, RSS after build {row['rss_after_build_mb']:.0f} MB, "
                        f"peak {row['peak_rss_mb']:.0f} MB")
                    if m != n:
                        stopped[name] = f"{name} was reduced to {m:,} at {n:,}"
                rows.append(row)
        add_recall(rows, args.k, work_dir, int(data_info["real_rows"]))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        try:
            Path(args.work_dir).rmdir()  # only if nothing else is in it
        except OSError:
            pass
    result: dict[str, Any] = {
        "sizes": sizes, "backends": backends, "k": args.k, "queries": args.queries, "warmup_queries": WARMUP_QUERIES,
        "data": data_info,
        "settings": {
            "dim": DIM, "metric": "IP", "hnsw": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION,
                                                 "efSearch": HNSW_EF_SEARCH},
            "milvus_insert_batch": MILVUS_BATCH, "milvus_output_fields": ["id"],
            "max_seconds": args.max_seconds, "max_rss_mb": max_rss_mb, "one_query_at_a_time": True,
        },
        "notes": [
            "Each backend and size ran in its own fresh process; RSS figures are that process's (psutil), "
            "peak_rss_mb is its VmHWM and includes the input array (input_mb) held while building.",
            "rss_after_build_mb is after the input array is freed: the index (and, for Milvus Lite, its "
            "in-process server, segments and caches) plus the interpreter and imports (rss_start_mb).",
            "Milvus Lite 3.x is pure Python in-process (a gRPC server in a thread, FAISS per segment of at most "
            "100,000 rows); latency includes the gRPC round trip. Without output_fields it returns every field, "
            "the 384 floats included, so the search asks for the id only. Each search also walks every row in "
            "Python (deduplication and deletion masks) before the per-segment index is asked, so its latency grows "
            "linearly with the collection whatever the index.",
            f"recall@{args.k} is against exact inner-product search (numpy, in the parent) over the same rows and "
            "queries, for every backend (faiss-exact included: ties aside it is 1).",
        ],
        "warnings": warnings,
        "wall_s": round(time.perf_counter() - started, 1),
        "rows": rows,
    }
    this_run = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "backends": backends, "sizes": sizes, "wall_s": result["wall_s"]}
    if args.merge and previous.exists():
        result["rows"], runs = merge_rows(previous, rows)
        result["runs"] = [*runs, this_run]
        result["backends"] = sorted({r["backend"] for r in result["rows"]}, key=BACKENDS.index)
        result["sizes"] = sorted({r.get("size_requested", r["size"]) for r in result["rows"]})
        log(f"merged into {previous}: rows of {', '.join(backends)} at {', '.join(map(str, sizes))} replaced")
    else:
        result["runs"] = [this_run]
    print_table(result["rows"], args.k)
    path = write_result(result_name, result)
    log(f"wrote {path}")
    return result


def print_table(rows: list[dict[str, Any]], k: int) -> None:
    """The figures, one line per backend and size."""
    head = (f"{'size':>9} {'backend':<17} {'vectors':>9} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'RSS build MB':>12} {'peak MB':>8} {f'recall@{k}':>10}")
    print(head)
    print("-" * len(head))
    for row in rows:
        if "skipped" in row:
            print(f"{row['size']:>9,} {row['backend']:<17} {row['skipped']}")
            continue
        if row.get("reduced"):
            print(f"{row['size_requested']:>9,} {row['backend']:<17} {row['reduced']}")
        recall = row.get(f"recall@{k}")
        print(f"{row['size']:>9,} {row['backend']:<17} {row['vectors']:>9,} {row['build_s']:>8.1f} "
              f"{row['latency']['p50_ms']:>8.2f} {row['latency']['p95_ms']:>8.2f} {row['rss_after_build_mb']:>12.0f} "
              f"{row['peak_rss_mb']:>8.0f} {'' if recall is None else f'{recall:.4f}':>10}")


def build_parser() -> argparse.ArgumentParser:
    """The command line (also for a wrapper)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real-index", type=Path, default=None, help="an index whose chunk vectors come first")
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated corpus sizes")
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, of " + ", ".join(BACKENDS))
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=900.0,
                    help="reduce or skip a run (build + queries) estimated to take longer; stop a child at twice this")
    ap.add_argument("--max-rss-mb", type=float, default=None,
                    help="reduce or skip a run whose estimated peak RSS is larger (default half the available memory)")
    ap.add_argument("--synthetic", choices=("gaussian", "jitter"), default="gaussian")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/scale_curve"), help="temporary files (deleted)")
    ap.add_argument("--name", default="", help="suffix of the result file")
    ap.add_argument("--merge", action="store_true",
                    help="replace only this run's backends and sizes in an existing result file, keep its other rows")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--"]:  # ``scale.py curve -- --real-index DIR``: a wrapper's REMAINDER keeps the separator
        argv = argv[1:]
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    run_curve(build_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
