"""Scaling out (issue 14): the Milvus backend and Ray Data ingestion against the local index directory.

    python benchmarks/scale.py scifact /work/shared/data/beir_scifact [--local-index DIR]
    python benchmarks/scale.py latency /work/cache/ungdc_attr            # an index of UNGDC 2015-2024
    python benchmarks/scale.py ingest /work/shared/data/ungdc/ungdc_2015-2024.jsonl.gz [--limit N]
    python benchmarks/scale.py curve [--real-index DIR]                  # benchmarks/scale_curve.py

``scifact``: nDCG@10 on the SciFact test queries, the local index against the same index copied into
Milvus Lite (``copy_to_milvus``: the same vectors, nothing embedded again), both fused by our retriever;
and, on the same Milvus collection, Milvus' own ``hybrid_search`` with its RRF and weighted rankers.
``latency``: ``retrieve()`` (k=10) and ``ask()`` p50/p95 on an index and its Milvus Lite copy, question
by question interleaved, each figure the median of ``--runs`` runs. ``ingest``: chunks/s of the raw
encoder, of the single-process path into Milvus Lite, and of Ray Data ingestion with 1 and 2 embedding
workers on a local Ray (all with attribution), on the first ``--limit`` statements written to
``--files`` files. Each writes ``benchmarks/results/scale_<part>.json``.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import Stopwatch, check_environment, load_average, log, machine_info, median, percentile, write_result


def milvus_copy(local_dir: Path, db: Path) -> Path:
    """``db``: a Milvus Lite copy of the index at ``local_dir`` (made once; reused when it is current)."""
    from embeddings.backend.storage import MilvusStorage
    from embeddings.local.index import StatementIndex
    from embeddings.milvus.schema import MilvusLocation
    from embeddings.milvus.writer import copy_to_milvus

    source = StatementIndex.open(local_dir, verify=False)
    location = MilvusLocation(str(db))
    if db.exists():
        manifest = MilvusStorage(location).manifest()
        if manifest is not None and manifest.chunks == source.manifest.chunks:
            return db
    with Stopwatch() as sw:
        report = copy_to_milvus(source, location, progress=True)
    log(f"copied {local_dir} into {db}: {report.summary()} in {sw.seconds:.0f}s")
    return db


# -- SciFact ----------------------------------------------------------------------------------
def scifact(args: argparse.Namespace) -> dict[str, Any]:
    """nDCG@10 on SciFact test: local vs Milvus Lite (our fusion), and Milvus' own hybrid rankers."""
    from beir import build_index, doc_run, evaluate, passages_ranker, read_qrels, read_queries

    from assistant.api import Assistant

    folder: Path = args.path
    local_dir = args.local_index or common.WORK_DIR / "beir_scifact"
    update, report, _ = build_index(folder / "corpus.jsonl", local_dir, "default", False)  # unchanged: no work
    aliases: dict[str, list[str]] = {}
    for dropped, kept in report.duplicates:
        aliases.setdefault(kept, []).append(dropped)
    db = milvus_copy(local_dir, args.work / "scifact.db")
    queries = read_queries(folder / "queries.jsonl")
    test = read_qrels(folder / "qrels" / "test.tsv")
    qids = [q for q in test if q in queries]
    out: dict[str, Any] = {"queries": len(qids), "k": args.k}
    with Assistant.open(local_dir) as local, Assistant.open(milvus_uri=str(db)) as milvus:
        for label, qa in (("local", local), ("milvus_lite", milvus)):
            for mode in ("hybrid", "dense", "lexical"):
                with Stopwatch() as sw:
                    run = doc_run(passages_ranker(qa.retriever, args.k, mode), queries, qids, args.k, aliases)
                out[f"{label}_{mode}"] = {**evaluate(test, run), "seconds": round(sw.seconds, 1)}
                log(f"{label} {mode}: {out[f'{label}_{mode}']}")
        for ranker in ("rrf", "weighted"):
            with Stopwatch() as sw:
                run = doc_run(milvus_hybrid_ranker(milvus, ranker, args.k), queries, qids, args.k, aliases)
            out[f"milvus_hybrid_search_{ranker}"] = {**evaluate(test, run), "seconds": round(sw.seconds, 1)}
            log(f"milvus hybrid_search {ranker}: {out[f'milvus_hybrid_search_{ranker}']}")
    out["ndcg10_difference_hybrid"] = round(out["milvus_lite_hybrid"]["ndcg@10"] - out["local_hybrid"]["ndcg@10"], 4)
    return out


def milvus_hybrid_ranker(qa: Any, ranker: str, k: int) -> Any:
    """Documents ranked by Milvus' ``hybrid_search`` (dense + BM25) with its RRF (k=60) or weighted ranker
    (0.75 dense, 0.25 BM25, as our default convex weight) instead of our fusion."""
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

    from embeddings.backend.terms import tokenize

    index = qa.index
    chunks = index.milvus.collection("chunks")
    rank_with = RRFRanker(60) if ranker == "rrf" else WeightedRanker(0.75, 0.25)

    def rank(query: str) -> list[tuple[str, float]]:
        vector = index.encoder.encode_query(query)
        requests = [
            AnnSearchRequest([vector.tolist()], "dense", index.milvus.dense_search_params, 100),
            AnnSearchRequest([" ".join(tokenize([query])[0])], "sparse", {"metric_type": "BM25"}, 100),
        ]
        hits = index.client.hybrid_search(chunks, requests, ranker=rank_with, limit=k, output_fields=["statement_id"])
        return [(h["entity"]["statement_id"], float(h["distance"])) for h in hits[0]]

    return rank


# -- retrieve() latency -----------------------------------------------------------------------
QUESTIONS_COUNTRIES = ("Japan", "Brazil", "Norway", "Kenya", "France", "India", "Chile", "Fiji")
QUESTIONS_TOPICS = ("climate change", "sea-level rise", "nuclear weapons", "refugees", "terrorism", "COVID-19",
                    "trade", "peacekeeping")


def latency(args: argparse.Namespace) -> dict[str, Any]:
    """retrieve() and ask() p50/p95 on a local index and its Milvus Lite copy, interleaved, median of runs."""
    from assistant.api import Assistant

    db = milvus_copy(args.path, args.work / f"{args.path.name}.db")
    questions = [f"what did {c} say about {t}?" for c in QUESTIONS_COUNTRIES for t in QUESTIONS_TOPICS]
    themes = ("sustainable development", "Security Council reform")
    questions += [f"{t} in {y}" for t in themes for y in range(2015, 2025)]
    out: dict[str, Any] = {"questions": len(questions), "runs": args.runs, "load_start": load_average()}
    with Assistant.open(args.path) as local, Assistant.open(milvus_uri=str(db)) as milvus:
        backends = {"local": local, "milvus_lite": milvus}
        same = sum(
            [(p.statement_id, p.start) for p in local.retrieve(q, k=10)]
            == [(p.statement_id, p.start) for p in milvus.retrieve(q, k=10)]
            for q in questions
        )
        out["same_top10"] = f"{same}/{len(questions)}"
        for call in args.calls.split(","):
            per_run: dict[str, list[dict[str, float]]] = {name: [] for name in backends}
            for _ in range(args.runs):
                times: dict[str, list[float]] = {name: [] for name in backends}
                for q in questions[:10]:  # warm up
                    for qa in backends.values():
                        _call(qa, call, q)
                for q in questions:
                    for name, qa in backends.items():
                        start = time.perf_counter()
                        _call(qa, call, q)
                        times[name].append(time.perf_counter() - start)
                for name in backends:
                    per_run[name].append({"p50": 1000 * median(times[name]), "p95": 1000 * percentile(times[name], 95)})
            for name in backends:
                out[f"{call}_{name}_ms"] = {
                    stat: round(median([r[stat] for r in per_run[name]]), 2) for stat in ("p50", "p95")
                }
            out[f"{call}_p50_ratio"] = round(out[f"{call}_milvus_lite_ms"]["p50"] / out[f"{call}_local_ms"]["p50"], 2)
            log(f"{call}: local {out[f'{call}_local_ms']}, milvus lite {out[f'{call}_milvus_lite_ms']}, "
                f"ratio {out[f'{call}_p50_ratio']}")
    out["load_end"] = load_average()
    return out


def _call(qa: Any, call: str, question: str) -> None:
    if call == "retrieve":
        qa.retrieve(question, k=10)
    else:
        qa.ask(question)


# -- ingestion --------------------------------------------------------------------------------
def ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Chunks/s: raw encoder, single process into Milvus Lite, Ray with 1 and 2 workers (local Ray)."""
    from assistant.api import index_statements
    from corpus.options import LoadOptions
    from embeddings.backend.writing import default_chunker
    from embeddings.encoding.encoder import Encoder

    folder = args.work / "ingest_input"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with gzip.open(args.path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for _, line in zip(range(args.limit), fh)]
    per_file = -(-len(records) // args.files)
    for i in range(args.files):  # several files, so that Ray reads them in parallel
        part = records[i * per_file : (i + 1) * per_file]
        (folder / f"part-{i:02d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    options = LoadOptions(source=("country_name", "source"))
    out: dict[str, Any] = {"statements": len(records), "files": args.files, "load_start": load_average()}

    modes = args.modes.split(",")
    if "raw" in modes:
        encoder = Encoder()
        from corpus.load import load_statements

        statements, _ = load_statements([folder], options)
        chunks = default_chunker(encoder).chunk_many(statements)
        texts = [c.text for c in chunks]
        spans = [[(a - c.start, b - c.start) for a, b in c.sentences] for c in chunks]
        encoder.encode_chunks(texts[:32], spans[:32])  # load and warm up
        with Stopwatch() as sw:
            encoder.encode_chunks(texts, spans)
        out["chunks"] = len(chunks)
        out["raw_encoder_chunks_per_s"] = round(len(chunks) / sw.seconds, 2)
        log(f"raw encoder: {len(chunks)} chunks in {sw.seconds:.1f}s = {out['raw_encoder_chunks_per_s']}/s")

    runs = [("single_process", None, None), ("ray_1_worker", "local", 1), ("ray_2_workers", "local", 2)]
    for label, address, workers in runs:
        if label not in modes:
            continue
        db = args.work / f"ingest_{label}.db"
        shutil.rmtree(db, ignore_errors=True)
        if db.exists():
            db.unlink()
        with Stopwatch() as sw:
            update, _ = index_statements([folder], milvus_uri=str(db), options=options, progress=False,
                                         ray_address=address, ray_workers=workers)
        rate = update.chunks_embedded / sw.seconds
        out[label] = {
            "seconds": round(sw.seconds, 1), "chunks": update.chunks_embedded, "chunks_per_s": round(rate, 2),
            "update": dataclasses.asdict(update),
        }
        if "raw_encoder_chunks_per_s" in out:
            out[label]["ratio_to_raw_encoder"] = round(rate / out["raw_encoder_chunks_per_s"], 3)
        log(f"{label}: {update.summary()} in {sw.seconds:.1f}s = {rate:.1f} chunks/s")
    rates = {label: out[label]["chunks_per_s"] for label, _, _ in runs if label in out}
    for label in ("ray_1_worker", "ray_2_workers"):
        if label in rates and "single_process" in rates:
            out[f"{label}_vs_single_process"] = round(rates[label] / rates["single_process"], 3)
    if "ray_1_worker" in rates and "ray_2_workers" in rates:
        out["ray_2_vs_1_workers"] = round(rates["ray_2_workers"] / rates["ray_1_worker"], 3)
    out["load_end"] = load_average()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    p = sub.add_parser("scifact")
    p.add_argument("path", type=Path)
    p.add_argument("--local-index", type=Path, help="the local SciFact index (default: .cache/benchmarks/beir_scifact)")
    p.add_argument("--k", type=int, default=100)
    p = sub.add_parser("latency")
    p.add_argument("path", type=Path, help="a local index directory (UNGDC 2015-2024)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--calls", default="retrieve,ask", help="what to time: retrieve, ask or both (default)")
    p = sub.add_parser("ingest")
    p.add_argument("path", type=Path, help="ungdc_2015-2024.jsonl.gz")
    p.add_argument("--limit", type=int, default=300, help="first N speeches (default 300)")
    p.add_argument("--files", type=int, default=8, help="written into this many files (default 8)")
    p.add_argument("--modes", default="raw,single_process,ray_1_worker,ray_2_workers",
                   help="what to measure (default: all four, in this order)")
    sub.add_parser("curve", help="benchmarks/scale_curve.py, with its own options")
    for q in sub.choices.values():
        q.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "statements-qa-scale",
                       help="folder for Milvus Lite files and inputs (default: the system temp folder)")
    args, rest = parser.parse_known_args(argv)
    if args.part == "curve":
        import scale_curve

        return int(scale_curve.main(rest) or 0)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.work.mkdir(parents=True, exist_ok=True)
    for warning in check_environment():
        log(f"warning: {warning}")
    result = {"scifact": scifact, "latency": latency, "ingest": ingest}[args.part](args)
    path = write_result(f"scale_{args.part}", {"machine": machine_info(), **result})
    print(json.dumps(result, indent=2))
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
