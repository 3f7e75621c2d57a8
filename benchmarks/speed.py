"""Indexing and query speed on a statements file, through the public API.

    python benchmarks/speed.py /work/shared/data/ungdc/ungdc_2015-2024.jsonl.gz [--limit N]
        [--index-dir DIR] [--queries 200] [--runs 3] [--k 5]

Stages, in one process (the model is loaded once, first, and its load time reported apart):

1. load + chunk every statement (timed separately; ``Chunker.chunk_many`` as the writer uses it);
2. raw encoder throughput: ``Encoder().encode(texts)`` on those chunk texts (chunks/s);
3. a fresh index build of the same statements with ``index_statements(..., rebuild=True)``
   (chunks/s including load, chunking, SQLite, embedding, FAISS, BM25 and the writes), its
   ratio to (2), and where its time goes (functions wrapped with timers, code unchanged);
4. re-indexing the unchanged statements (median of ``--runs``), and its ratio to (3);
5. index size on disk; 6. peak RSS (this process, and a fresh serving process);
7. index open time: in this process (median of ``--runs``) and in a fresh process
   (imports + open + first query);
8. ``retrieve()`` latency p50/p95 over ``--queries`` distinct queries made from the corpus
   (first 6-10 words of random sentences, fixed seed) after a warm-up, for hybrid, dense and
   lexical modes and a filtered hybrid query, plus a per-step breakdown.

``--limit N`` indexes only the first N statements (a quick run). Writes
``benchmarks/results/speed_<name>[_limitN].json``.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import (
    PROJECT_ROOT,
    WORK_DIR,
    StageTimes,
    Stopwatch,
    check_environment,
    current_rss_mb,
    folder_size,
    load_average,
    log,
    median,
    peak_rss_mb,
    slug,
    summary_ms,
    write_result,
)

TARGETS = {
    "index_to_encoder_ratio_min": 0.90,
    "retrieve_p50_ms_max": 20.0,
    "retrieve_p95_ms_max": 40.0,
    "reindex_ratio_max": 0.10,
    "attribution_build_ratio_max": 1.3,  # a build that finds who said each sentence, against one that does not
}
WARMUP_QUERIES = 20


def make_queries(statements: list[Any], n: int, seed: int) -> list[str]:
    """``n`` distinct queries: the first 6-10 words of random sentences of random statements."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    tries = 0
    while len(out) < n and tries < 100 * n:
        tries += 1
        st = statements[rng.randrange(len(statements))]
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", st.text) if len(s.split()) >= 8]
        if not sentences:
            continue
        words = [w.strip("\"'\u201c\u201d\u2018\u2019()[],;:") for w in rng.choice(sentences).split()]
        words = [w for w in words if w]
        query = " ".join(words[: rng.randint(6, 10)])
        key = query.lower()
        if query and key not in seen:
            seen.add(key)
            out.append(query)
    return out


def statements_of(path: Path, options: Any, limit: int | None, report: Any) -> Iterator[Any]:
    from corpus.load import iter_statements

    return itertools.islice(iter_statements([path], options, report), limit)


def build(
    path: Path, index_dir: Path, options: Any, limit: int | None, rebuild: bool, encoder: Any,
    attributions: bool = True,
):
    """``index_statements`` (or, with a limit, the same writer call on the first N statements)."""
    from corpus.problems import LoadReport

    if limit is None:
        from assistant.api import index_statements

        update, _ = index_statements(
            [path], index_dir, options=options, rebuild=rebuild, progress=False, attributions=attributions
        )
        return update
    from embeddings.local.writer import IndexWriter

    writer = IndexWriter(index_dir, encoder, progress=False, attributions=attributions)
    return writer.update(statements_of(path, options, limit, LoadReport()), rebuild=rebuild)


def profile_targets(times: StageTimes) -> None:
    """Wrap the indexing pipeline's steps with timers (undone by ``times.restore()``)."""
    import corpus.chunker
    import embeddings.local.atomic
    import embeddings.local.writer
    from embeddings.encoding.encoder import Encoder
    from embeddings.local.lexical_index import LexicalIndex
    from embeddings.local.store import StatementStore
    from embeddings.local.vector_index import VectorIndex

    times.patch(Encoder, "encode", "embed (Encoder.encode)")
    times.patch(Encoder, "encode_chunks", "embed (Encoder.encode_chunks: chunks + sentence vectors)")
    times.patch(corpus.chunker.Chunker, "chunk_many", "chunk (Chunker.chunk_many)")
    times.patch(StatementStore, "put", "sqlite put")
    times.patch(StatementStore, "content_hashes", "sqlite content_hashes")
    times.patch(StatementStore, "commit", "sqlite commit")
    times.patch(StatementStore, "chunk_ids_and_texts", "sqlite read all chunk texts")
    times.patch(VectorIndex, "build", "faiss build")
    times.patch(VectorIndex, "save", "faiss save")
    times.patch(LexicalIndex, "build", "bm25 build")
    times.patch(LexicalIndex, "save", "bm25 save")
    times.patch(embeddings.local.writer, "folder_checksums", "checksums (sha256 of the generation)")
    times.patch(embeddings.local.atomic, "_fsync_tree", "fsync generation")
    times.patch(embeddings.local.writer.shutil, "copyfile", "copy previous store")
    times.patch(embeddings.local.writer.IndexWriter, "_vectors", "vectors (load old + embed + sort)")


def embed_seconds(times: StageTimes) -> float:
    """Time the build spent in the encoder (either method: with or without sentence vectors)."""
    return sum(v for k, v in times.seconds.items() if k.startswith("embed ("))


def query_profile_targets(times: StageTimes) -> None:
    from assistant.retrieval import HybridRetriever
    from embeddings.encoding.encoder import Encoder
    from embeddings.local.index import StatementIndex
    from embeddings.local.lexical_index import LexicalIndex
    from embeddings.local.vector_index import VectorIndex

    times.patch(Encoder, "encode_query", "encode query")
    times.patch(LexicalIndex, "scores", "bm25 scores (all chunks)")
    times.patch(VectorIndex, "search", "faiss search")
    times.patch(StatementIndex, "allowed_chunk_ids", "filter (sqlite)")
    times.patch(HybridRetriever, "_fuse", "fuse")
    times.patch(HybridRetriever, "passages", "passages (sqlite)")
    times.patch(HybridRetriever, "score", "score (total)")


def fresh_process_open(index_dir: Path, query: str, runs: int) -> dict[str, Any]:
    """Imports + open + first query in a new interpreter, ``runs`` times; medians and peak RSS."""
    code = f"""
import json, os, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {str(PROJECT_ROOT)!r})
from assistant.api import Assistant
t1 = time.perf_counter()
qa = Assistant.open({str(index_dir)!r})
t2 = time.perf_counter()
qa.retrieve({query!r}, k=5)
t3 = time.perf_counter()
for _ in range(20):
    qa.retrieve({query!r}, k=5)
t4 = time.perf_counter()
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(json.dumps({{"import_s": t1 - t0, "open_s": t2 - t1, "first_query_s": t3 - t2,
                  "next_20_queries_mean_s": (t4 - t3) / 20, "peak_rss_mb": hwm[0] / 1024}}))
"""
    rows = []
    for _ in range(runs):
        with Stopwatch() as sw:
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
        if proc.returncode != 0:
            log(f"fresh-process open failed: {proc.stderr.strip().splitlines()[-1:]}")
            return {"error": proc.stderr.strip()[-2000:]}
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["process_s"] = sw.seconds
        rows.append(row)
    return {key: round(median([r[key] for r in rows]), 3) for key in rows[0]} | {"runs": runs}


def latency(qa: Any, queries: list[str], k: int, mode: str = "hybrid", filters: Any = None) -> list[float]:
    import time

    out = []
    for q in queries:
        start = time.perf_counter()
        qa.retrieve(q, k=k, mode=mode, filters=filters)
        out.append(time.perf_counter() - start)
    return out


def index_stages(args: Any, index_dir: Path, options: Any, encoder: Any, out: dict, loads: dict) -> None:
    """Stages 1-5: load + chunk, raw encoder, fresh build, re-index unchanged, size on disk."""
    from corpus.problems import LoadReport
    from embeddings.backend.writing import default_chunker

    # 1. load + chunk
    report = LoadReport()
    with Stopwatch() as load_sw:
        statements = list(statements_of(args.path, options, args.limit, report))
    with Stopwatch() as init_sw:
        chunker = default_chunker(encoder)
    with Stopwatch() as chunk_sw:
        chunks = chunker.chunk_many(statements)  # as the writer does: sentences counted in batches
    texts = [c.text for c in chunks]
    chars = sum(len(st.text) for st in statements)
    out["corpus"] = {
        "statements": len(statements),
        "characters": chars,
        "chunks": len(chunks),
        "chunk_chars_mean": round(sum(map(len, texts)) / max(1, len(texts)), 1),
        "chunker_settings": chunker.settings,
        "load_problems": len(report.problems),
        "duplicates": len(report.duplicates),
    }
    out["load_chunk"] = {
        "load_s": round(load_sw.seconds, 3),
        "chunker_init_s": round(init_sw.seconds, 3),
        "chunk_s": round(chunk_sw.seconds, 3),
        "total_s": round(load_sw.seconds + init_sw.seconds + chunk_sw.seconds, 3),
        "statements_per_s": round(len(statements) / max(1e-9, load_sw.seconds + chunk_sw.seconds), 1),
    }
    loads["after_load_chunk"] = load_average()
    log(
        f"loaded {len(statements)} statements in {load_sw.seconds:.2f}s, "
        f"chunked into {len(chunks)} in {chunk_sw.seconds:.2f}s"
    )

    # 2. raw encoder throughput
    with Stopwatch() as enc_sw:
        vectors = encoder.encode(texts)
    raw_rate = len(texts) / enc_sw.seconds
    out["encoder"] = {"chunks": len(texts), "seconds": round(enc_sw.seconds, 2), "chunks_per_s": round(raw_rate, 2),
                      "batch_size": encoder.batch_size, "peak_rss_mb": peak_rss_mb()}
    del vectors
    loads["after_encoder"] = load_average()
    log(f"raw encoder: {len(texts)} chunks in {enc_sw.seconds:.1f}s = {raw_rate:.1f} chunks/s")

    # 3. fresh index build
    times = StageTimes()
    profile_targets(times)
    with Stopwatch() as build_sw:
        update = build(args.path, index_dir, options, args.limit, rebuild=True, encoder=encoder)
    times.restore()
    index_rate = update.chunks / build_sw.seconds
    accounted = sum(v for k, v in times.seconds.items() if not k.startswith("vectors"))
    out["index_build"] = {
        "seconds": round(build_sw.seconds, 2),
        "chunks": update.chunks,
        "statements": update.statements,
        "chunks_per_s": round(index_rate, 2),
        "ratio_to_encoder": round(index_rate / raw_rate, 4),
        # drift-free estimate: the build's own embedding time over its total (same encoder call)
        "embed_share_of_build": round(embed_seconds(times) / build_sw.seconds, 4),
        "encoder_chunks_per_s_inside_build": round(update.chunks / max(1e-9, embed_seconds(times)), 2),
        "pass": index_rate / raw_rate >= TARGETS["index_to_encoder_ratio_min"],
        "breakdown": times.as_dict(build_sw.seconds),
        "unaccounted_s (load, generator, np.save, argsort...)": round(build_sw.seconds - accounted, 2),
        "update": dataclasses.asdict(update),
        "peak_rss_mb": peak_rss_mb(),
    }
    loads["after_build"] = load_average()
    log(f"fresh build: {update.chunks} chunks in {build_sw.seconds:.1f}s = {index_rate:.1f} chunks/s "
        f"({index_rate / raw_rate:.1%} of the raw encoder)")
    if update.chunks != len(chunks):
        log(f"warning: the index holds {update.chunks} chunks, stage 1 made {len(chunks)}")

    # 3b. the same fresh build without attributions: what finding who said each sentence costs
    plain_dir = index_dir.with_name(index_dir.name + "_no_attributions")
    with Stopwatch() as plain_sw:
        build(args.path, plain_dir, options, args.limit, rebuild=True, encoder=encoder, attributions=False)
    out["attribution_cost"] = _attribution_figures(build_sw.seconds, plain_sw.seconds)
    loads["after_build_without_attributions"] = load_average()

    # 4. re-index unchanged
    reindex = []
    times = StageTimes()
    profile_targets(times)
    for _ in range(args.runs):
        with Stopwatch() as sw:
            again = build(args.path, index_dir, options, args.limit, rebuild=False, encoder=encoder)
        reindex.append(sw.seconds)
    times.restore()
    out["reindex_unchanged"] = {
        "seconds_runs": [round(s, 3) for s in reindex],
        "seconds": round(median(reindex), 3),
        "ratio_to_build": round(median(reindex) / build_sw.seconds, 4),
        "pass": median(reindex) / build_sw.seconds < TARGETS["reindex_ratio_max"],
        "update": dataclasses.asdict(again),
        "breakdown_all_runs": times.as_dict(sum(reindex)),
    }
    loads["after_reindex"] = load_average()
    log(
        f"re-index unchanged: {median(reindex):.2f}s ({median(reindex) / build_sw.seconds:.1%} of the build); "
        f"{again.summary()}"
    )

    # 5. size on disk
    from embeddings.local.files import generation_folder, read_manifest

    manifest = read_manifest(index_dir)
    gen = index_dir / generation_folder(manifest.generation)
    files = {str(p.relative_to(gen)): p.stat().st_size for p in sorted(gen.rglob("*")) if p.is_file()}
    out["index_size"] = {
        "generation_bytes": sum(files.values()),
        "generation_mb": round(sum(files.values()) / 2**20, 2),
        "index_dir_mb (all kept generations)": round(folder_size(index_dir) / 2**20, 2),
        "files": files,
        "approximate_search": manifest.approximate,
        "corpus_file_mb": round(args.path.stat().st_size / 2**20, 2),
    }
    log(f"index size: {sum(files.values()) / 2**20:.1f} MiB (current generation)")



def _attribution_figures(with_s: float, without_s: float) -> dict[str, Any]:
    log(f"build without attributions: {without_s:.1f}s; with them {with_s:.1f}s (ratio {with_s / without_s:.3f})")
    return {
        "build_with_attributions_s": round(with_s, 2),
        "build_without_attributions_s": round(without_s, 2),
        "ratio": round(with_s / without_s, 4),
        "pass": with_s / without_s <= TARGETS["attribution_build_ratio_max"],
    }


def attribution_cost(args: Any, index_dir: Path, options: Any, encoder: Any, out: dict, loads: dict) -> None:
    """Only stage 3 and 3b: fresh builds without, then with, attributions, into two index directories."""
    plain_dir = index_dir.with_name(index_dir.name + "_no_attributions")
    with Stopwatch() as plain_sw:
        build(args.path, plain_dir, options, args.limit, rebuild=True, encoder=encoder, attributions=False)
    loads["after_build_without_attributions"] = load_average()
    with Stopwatch() as with_sw:
        update = build(args.path, index_dir, options, args.limit, rebuild=True, encoder=encoder)
    loads["after_build_with_attributions"] = load_average()
    out["attribution_cost"] = _attribution_figures(with_sw.seconds, plain_sw.seconds) | {
        "statements": update.statements, "chunks": update.chunks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a statements file (e.g. ungdc_2015-2024.jsonl.gz)")
    parser.add_argument("--index-dir", type=Path, help="index directory (default: .cache/benchmarks/speed_<name>)")
    parser.add_argument("--name", help="result name (default: from the file name)")
    parser.add_argument("--limit", type=int, help="only the first N statements (quick runs)")
    parser.add_argument("--queries", type=int, default=200, help="distinct timed queries (>= 200 for the report)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the open and re-index timings")
    parser.add_argument("--k", type=int, default=5, help="passages per retrieve() call (the API default: 5)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--source-field",
        default="country_name",
        help="record field used as the statement source (default: country_name)",
    )
    parser.add_argument("--query-only", action="store_true", help="only stages 7-8, on an index already built")
    parser.add_argument("--attribution-only", action="store_true",
                        help="only two fresh builds, without and with attributions (the cost of attribution)")
    parser.add_argument("--torch-threads", type=int, help="torch.set_num_threads(N) before measuring")
    parser.add_argument("--faiss-threads", type=int, help="faiss.omp_set_num_threads(N) before measuring")
    args = parser.parse_args(argv)
    if args.queries < 200:
        log("note: fewer than 200 queries; the report asks for >= 200")

    base = args.name or slug(re.sub(r"(\.jsonl|\.json|\.csv)?(\.gz)?$", "", args.path.name))
    name = f"speed_{base}" + (f"_limit{args.limit}" if args.limit else "")
    index_dir = args.index_dir or WORK_DIR / name
    if args.query_only:
        name += "_queries" + (f"_torch{args.torch_threads}" if args.torch_threads else "") + (
            f"_faiss{args.faiss_threads}" if args.faiss_threads else ""
        )
    warnings = check_environment()
    for warning in warnings:
        log(f"warning: {warning}")
    out: dict[str, Any] = {"data": str(args.path), "limit": args.limit, "index_dir": str(index_dir), "targets": TARGETS}
    loads: dict[str, list[float]] = {"start": load_average()}

    from corpus.options import LoadOptions
    from corpus.problems import LoadReport

    options = LoadOptions(source=(args.source_field, "source"))

    # 0. model load (once per process; excluded from the throughput figures)
    with Stopwatch() as sw:
        from embeddings.encoding.encoder import Encoder

        if args.torch_threads:  # the encoder on torch (STATEMENTS_QA_ENCODER=torch)
            import torch

            torch.set_num_threads(args.torch_threads)
        if args.faiss_threads:
            import faiss

            faiss.omp_set_num_threads(args.faiss_threads)

        encoder = Encoder()
        encoder.encode(["warm up the encoder"] * 8)
    out["model_load_s"] = round(sw.seconds, 3)
    out["encoder_backend"] = encoder.backend
    out["torch_threads"] = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
    import faiss

    out["faiss_threads"] = faiss.omp_get_max_threads()
    log(f"model loaded in {sw.seconds:.1f}s (encoder backend {encoder.backend})")

    if args.query_only:
        out["mode"] = "query-only (stages 7-8 on an existing index)"
    elif args.attribution_only:
        out["mode"] = "attribution-only (two fresh builds: with and without attributions)"
        attribution_cost(args, index_dir, options, encoder, out, loads)
        path = write_result(name + "_attribution", out | {"load_average": loads})
        log(f"wrote {path}")
        return 0
    else:
        index_stages(args, index_dir, options, encoder, out, loads)

    # 7. open time
    from assistant.api import Assistant

    opens = []
    for _ in range(args.runs):
        with Stopwatch() as sw:
            qa = Assistant.open(index_dir)
        opens.append(sw.seconds)
    from embeddings.local.index import StatementIndex

    no_verify = []
    for _ in range(args.runs):
        with Stopwatch() as sw:
            StatementIndex.open(index_dir, verify=False).close()
        no_verify.append(sw.seconds)
    out["open"] = {
        "in_process_s": round(median(opens), 4),
        "in_process_runs": [round(s, 4) for s in opens],
        "in_process_without_checksums_s": round(median(no_verify), 4),
    }
    log(
        f"open: {median(opens) * 1000:.0f} ms in process "
        f"({median(no_verify) * 1000:.0f} ms without checksum verification)"
    )

    # 8. retrieve latency
    statements = list(statements_of(args.path, options, args.limit, LoadReport()))
    queries = make_queries(statements, args.queries + WARMUP_QUERIES, args.seed)
    warmup, timed_queries = queries[:WARMUP_QUERIES], queries[WARMUP_QUERIES:]
    if len(timed_queries) < args.queries:
        log(f"warning: only {len(timed_queries)} distinct queries could be made")
    del statements
    loads["before_queries"] = load_average()
    latency(qa, warmup, args.k)
    lat: dict[str, Any] = {"queries": len(timed_queries), "k": args.k, "examples": timed_queries[:5]}
    lat["hybrid"] = summary_ms(latency(qa, timed_queries, args.k, "hybrid"))
    lat["dense"] = summary_ms(latency(qa, timed_queries, args.k, "dense"))
    lat["lexical"] = summary_ms(latency(qa, timed_queries, args.k, "lexical"))
    lat["hybrid_k100"] = summary_ms(latency(qa, timed_queries, 100, "hybrid"))
    year = (qa.index.store.date_range()[1] or "")[:4]
    if year:
        lat["hybrid_filtered"] = {"filters": {"date_from": year}} | summary_ms(
            latency(qa, timed_queries, args.k, "hybrid", {"date_from": year})
        )
    lat["hybrid_again"] = summary_ms(latency(qa, timed_queries, args.k, "hybrid"))  # drift check
    times = StageTimes()
    query_profile_targets(times)
    steps = latency(qa, timed_queries, args.k, "hybrid")
    times.restore()
    slowest_first = sorted(times.seconds.items(), key=lambda kv: -kv[1])
    lat["breakdown_ms_per_query"] = {name: round(1000 * s / len(timed_queries), 3) for name, s in slowest_first}
    lat["breakdown_total_ms_per_query"] = round(1000 * sum(steps) / len(steps), 3)
    lat["pass"] = (
        lat["hybrid"]["p50_ms"] <= TARGETS["retrieve_p50_ms_max"]
        and lat["hybrid"]["p95_ms"] <= TARGETS["retrieve_p95_ms_max"]
    )
    out["retrieve"] = lat
    loads["after_queries"] = load_average()
    log(f"retrieve hybrid k={args.k}: p50 {lat['hybrid']['p50_ms']:.1f} ms, p95 {lat['hybrid']['p95_ms']:.1f} ms "
        f"(dense p50 {lat['dense']['p50_ms']:.1f}, lexical p50 {lat['lexical']['p50_ms']:.1f})")

    # 6. memory; 7b. fresh process open
    out["memory"] = {"peak_rss_mb_benchmark_process": peak_rss_mb(), "rss_mb_now": current_rss_mb()}
    out["open"]["fresh_process"] = fresh_process_open(index_dir, timed_queries[0], args.runs)
    out["memory"]["peak_rss_mb_serving_process"] = out["open"]["fresh_process"].get("peak_rss_mb")
    loads["end"] = load_average()
    out["load_average"] = loads
    out["warnings"] = warnings
    out["summary"] = {
        "retrieve_p50_ms": lat["hybrid"]["p50_ms"],
        "retrieve_p95_ms": lat["hybrid"]["p95_ms"],
        "pass": {"retrieve_latency": lat["pass"]},
    }
    if not args.query_only:
        out["summary"] |= {
            "index_to_encoder_ratio": out["index_build"]["ratio_to_encoder"],
            "embed_share_of_build": out["index_build"]["embed_share_of_build"],
            "reindex_ratio": out["reindex_unchanged"]["ratio_to_build"],
        }
        out["summary"]["pass"] |= {
            "index_throughput": out["index_build"]["pass"],
            "reindex": out["reindex_unchanged"]["pass"],
        }
    path = write_result(name, out)
    print(json.dumps(out["summary"], indent=2))
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
