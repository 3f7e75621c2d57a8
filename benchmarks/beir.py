"""Retrieval quality on a BEIR-format data set, through the public API.

    python benchmarks/beir.py /work/shared/data/beir_scifact [--index-dir DIR] [--tune] [--k 100]

Indexes ``corpus.jsonl`` (title and text joined into the statement text) with
``index_statements`` (incremental: an unchanged corpus is not re-embedded), runs the test
queries, turns chunk hits into document scores (max over a document's chunks) and prints
nDCG@10, Recall@10, Recall@100 and MRR@10 (ranx) for dense only, BM25 only, plain RRF (k=60)
and the default hybrid. ``--tune`` grid-searches ``FusionSettings`` on the *train* qrels only,
prints the best setting on train and then that one setting's test figures. ``--explore`` also
tries fusions the retriever does not implement (min-max / z-score normalisation), again
chosen on train and reported on test. ``--chunker whole`` indexes every document as one chunk
(the model truncates it), to compare with the default sentence chunker.

Writes ``benchmarks/results/beir_<name>[_<chunker>].json``.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import WORK_DIR, Stopwatch, check_environment, log, peak_rss_mb, slug, write_result

METRICS = ["ndcg@10", "recall@10", "recall@100", "mrr@10"]
TUNE_METRIC = "ndcg@10"
CONVEX_WEIGHTS = [round(0.05 * i, 2) for i in range(21)]
CANDIDATES = [100, 200]
RRF_KS = [10, 20, 60]


# -- data -----------------------------------------------------------------------------------
def read_queries(path: Path) -> dict[str, str]:
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                out[str(rec["_id"])] = rec["text"]
    return out


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``{query id: {doc id: relevance}}`` from a BEIR qrels TSV with a header line."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header and header[0] != "query-id":  # no header: the first line is data
            qrels.setdefault(header[0], {})[header[1]] = int(header[2])
        for row in reader:
            if len(row) >= 3:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


# -- caching wrappers: each query is encoded and BM25-scored once per process ----------------
class CachedEncoder:
    """The index's encoder with ``encode_query`` memoised (tuning re-runs the same queries)."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder
        self._cache: dict[str, np.ndarray] = {}

    def encode_query(self, text: str) -> np.ndarray:
        vec = self._cache.get(text)
        if vec is None:
            vec = self._cache[text] = self._encoder.encode_query(text)
        return vec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)


class CachedLexical:
    """The index's BM25 with ``scores`` memoised."""

    def __init__(self, lexical: Any) -> None:
        self._lexical = lexical
        self._cache: dict[str, np.ndarray] = {}

    def scores(self, text: str) -> np.ndarray:
        s = self._cache.get(text)
        if s is None:
            s = self._cache[text] = self._lexical.scores(text)
            s.setflags(write=False)
        return s

    def __len__(self) -> int:
        return len(self._lexical)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lexical, name)


# -- runs -----------------------------------------------------------------------------------
def doc_run(
    rank: Callable[[str], Iterable[tuple[str, float]]],
    queries: Mapping[str, str],
    qids: Iterable[str],
    k: int,
    aliases: Mapping[str, list[str]],
) -> dict[str, dict[str, float]]:
    """``{qid: {doc id: score}}``: the best ``k`` documents, each scored by its best chunk.

    ``aliases`` maps a kept document id to the ids of exact duplicates the loader dropped
    (indexed once), which get the same score.
    """
    run: dict[str, dict[str, float]] = {}
    for qid in qids:
        best: dict[str, float] = {}
        for doc, score in rank(queries[qid]):
            if score > best.get(doc, -np.inf):
                best[doc] = score
        for doc in [d for d in best if d in aliases]:
            for alias in aliases[doc]:
                best[alias] = best[doc]
        top = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        run[qid] = {d: float(s) for d, s in top}
    return run


def evaluate(
    qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]], ci: bool = False
) -> dict[str, Any]:
    """Mean metrics (ranx); with ``ci``, a 95% bootstrap interval of nDCG@10 over the queries."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    q = Qrels({qid: dict(docs) for qid, docs in qrels.items()})
    r = Run({qid: (docs if docs else {"__none__": 0.0}) for qid, docs in run.items() if qid in qrels})
    scores = ranx_evaluate(q, r, METRICS, make_comparable=True)
    out: dict[str, Any] = {m: round(float(scores[m]), 4) for m in METRICS}
    if ci:
        per_query = np.array(list(r.scores[TUNE_METRIC].values()), dtype=np.float64)
        rng = np.random.default_rng(0)
        means = per_query[rng.integers(0, len(per_query), (2000, len(per_query)))].mean(axis=1)
        out[f"{TUNE_METRIC}_ci95"] = [
            round(float(np.percentile(means, 2.5)), 4),
            round(float(np.percentile(means, 97.5)), 4),
        ]
    return out


def passages_ranker(retriever: Any, k: int, mode: str) -> Callable[[str], list[tuple[str, float]]]:
    """Ranking through ``retrieve()`` (the public path, passages read from the store)."""

    def rank(query: str) -> list[tuple[str, float]]:
        return [(p.statement_id, p.score) for p in retriever.retrieve(query, k=k, mode=mode)]

    return rank


def rows_ranker(retriever: Any, k: int, mode: str, row_doc: np.ndarray) -> Callable[[str], list[tuple[str, float]]]:
    """The same ranking through ``score()`` without reading passages (fast, for the tuning grid)."""

    def rank(query: str) -> list[tuple[str, float]]:
        scored = retriever.score(query, k, mode=mode)
        rows = retriever.index.rows_of(scored.ids[:k])
        return list(zip(row_doc[rows].tolist(), scored.scores[:k].tolist()))

    return rank


# -- alternative fusions (--explore): computed from the retriever's candidate scores --------
def explore_rankers(index: Any, k: int, row_doc: np.ndarray, method: str, weight: float, candidates: int):
    """A ranker fusing the dense and BM25 scores of the union of both top-``candidates`` lists.

    ``method``: ``minmax`` (both scores min-max normalised over the candidates) or ``zscore``.
    """
    from assistant.retrieval import FusionSettings, HybridRetriever

    pool = HybridRetriever(index, FusionSettings(method="convex", dense_weight=0.5, candidates=candidates))

    def norm(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64)
        if method == "minmax":
            lo, hi = float(x.min()), float(x.max())
            return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
        sd = float(x.std())
        return (x - float(x.mean())) / sd if sd > 0 else np.zeros_like(x)

    def rank(query: str) -> list[tuple[str, float]]:
        scored = pool.score(query, max(k, candidates), mode="hybrid")
        if len(scored.ids) == 0:
            return []
        fused = weight * norm(scored.dense) + (1.0 - weight) * norm(scored.lexical)
        order = np.argsort(-fused, kind="stable")[:k]
        return list(zip(row_doc[index.rows_of(scored.ids[order])].tolist(), fused[order].tolist()))

    return rank


# -- the whole-document chunker (--chunker whole) ---------------------------------------------
@dataclasses.dataclass(frozen=True)
class WholeStatementChunker:
    """One chunk per statement: the whole text (the encoder truncates it to its max length)."""

    def chunk(self, statement: Any) -> list:
        from corpus.chunk import Chunk

        n = len(statement.text)
        return [Chunk(statement.id, 0, 0, n, statement.text, ((0, n),))] if n else []

    def chunk_many(self, statements: Iterable[Any]) -> list:
        return [c for statement in statements for c in self.chunk(statement)]

    @property
    def settings(self) -> dict:
        return {"kind": "whole-statement"}


def build_index(corpus: Path, index_dir: Path, chunker: str, progress: bool):
    """Index the corpus (incrementally); returns (update report, load report, seconds)."""
    from corpus.load import iter_statements
    from corpus.options import LoadOptions
    from corpus.problems import LoadReport

    options = LoadOptions(text=("title", "text"), join_text=True)
    with Stopwatch() as sw:
        if chunker == "default":
            from assistant.api import index_statements

            update, report = index_statements([corpus], index_dir, options=options, progress=progress)
        else:
            from embeddings.encoding.encoder import Encoder
            from embeddings.local.writer import IndexWriter

            report = LoadReport()
            writer = IndexWriter(index_dir, Encoder(), chunker=WholeStatementChunker(), progress=progress)
            update = writer.update(iter_statements([corpus], options, report))
    return update, report, sw.seconds


def chunk_stats(index: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """The statement id of every index row, and chunks-per-document statistics."""
    ids = index.chunk_ids.tolist()
    chunks = {}
    for lo in range(0, len(ids), 900):  # SQLite's bound-variable limit
        chunks.update(index.store.chunks(ids[lo : lo + 900]))
    row_doc = np.array([chunks[i].statement_id for i in ids], dtype=object)
    _, counts = np.unique(row_doc.astype(str), return_counts=True)
    stats = {
        "documents": int(len(counts)),
        "chunks": int(len(ids)),
        "chunks_per_document_mean": round(float(counts.mean()), 3) if len(counts) else 0.0,
        "chunks_per_document_max": int(counts.max()) if len(counts) else 0,
        "documents_with_one_chunk": int((counts == 1).sum()),
        "documents_with_2_chunks": int((counts == 2).sum()),
        "documents_with_3plus_chunks": int((counts >= 3).sum()),
    }
    return row_doc, stats


def settings_label(s: Any) -> str:
    if s.method == "rrf":
        return f"rrf(k={s.rrf_k}, candidates={s.candidates})"
    return f"convex(dense_weight={s.dense_weight}, candidates={s.candidates})"


def print_table(title: str, rows: Mapping[str, Mapping[str, float]]) -> None:
    print(f"\n{title}")
    width = max(len(n) for n in rows) + 2
    print("".ljust(width) + "".join(m.rjust(12) for m in METRICS))
    for name, scores in rows.items():
        print(name.ljust(width) + "".join(f"{scores[m]:12.4f}" for m in METRICS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path", type=Path, help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv[, train.tsv]"
    )
    parser.add_argument("--index-dir", type=Path, help="index directory (default: .cache/benchmarks/beir_<name>)")
    parser.add_argument("--name", help="result name (default: the folder name without a 'beir_' prefix)")
    parser.add_argument("--k", type=int, default=100, help="documents ranked per query (default 100)")
    parser.add_argument(
        "--chunk-k", type=int, help="chunks retrieved per query before aggregation to documents (default: --k)"
    )
    parser.add_argument("--tune", action="store_true", help="grid-search FusionSettings on the train qrels")
    parser.add_argument("--explore", action="store_true", help="also try min-max / z-score fusions (train-tuned)")
    parser.add_argument("--chunker", choices=["default", "whole"], default="default")
    parser.add_argument("--progress", action="store_true", help="show indexing progress bars")
    args = parser.parse_args(argv)

    folder: Path = args.path
    name = args.name or slug(folder.name.removeprefix("beir_").removeprefix("beir-"))
    result_name = f"beir_{name}" + ("" if args.chunker == "default" else f"_{args.chunker}")
    index_dir = args.index_dir or WORK_DIR / (result_name)
    chunk_k = args.chunk_k or args.k
    for warning in check_environment():
        log(f"warning: {warning}")

    from assistant.api import Assistant
    from assistant.retrieval import FusionSettings, HybridRetriever

    log(f"indexing {folder / 'corpus.jsonl'} into {index_dir} (chunker: {args.chunker})")
    update, report, index_seconds = build_index(folder / "corpus.jsonl", index_dir, args.chunker, args.progress)
    log(f"{update.summary()} in {index_seconds:.1f}s ({report.summary()})")
    aliases: dict[str, list[str]] = {}
    for dropped, kept in report.duplicates:
        aliases.setdefault(kept, []).append(dropped)

    qa = Assistant.open(index_dir)
    index = dataclasses.replace(
        qa.index, encoder=CachedEncoder(qa.index.encoder), lexical=CachedLexical(qa.index.lexical)
    )
    default_fusion = qa.retriever.fusion
    default = HybridRetriever(index, default_fusion)
    row_doc, stats = chunk_stats(index)
    log(
        f"{stats['documents']} documents in {stats['chunks']} chunks "
        f"({stats['chunks_per_document_mean']} per document)"
    )

    queries = read_queries(folder / "queries.jsonl")
    test = read_qrels(folder / "qrels" / "test.tsv")
    test_ids = [q for q in test if q in queries]

    runs = {
        "dense": (default, "dense"),
        "bm25": (default, "lexical"),
        "rrf (k=60)": (
            HybridRetriever(index, FusionSettings(method="rrf", rrf_k=60, candidates=default_fusion.candidates)),
            "hybrid",
        ),
        "hybrid (default)": (default, "hybrid"),
    }
    results: dict[str, dict[str, float]] = {}
    doc_counts: dict[str, float] = {}
    timings: dict[str, float] = {}
    for label, (retriever, mode) in runs.items():
        with Stopwatch() as sw:
            run = doc_run(passages_ranker(retriever, chunk_k, mode), queries, test_ids, args.k, aliases)
        timings[label] = round(sw.seconds, 2)
        results[label] = evaluate(test, run, ci=True)
        doc_counts[label] = round(float(np.mean([len(v) for v in run.values()])), 1)
        log(f"{label}: {results[label]} ({sw.seconds:.1f}s)")
    print_table(f"{name}: test ({len(test_ids)} queries), {stats['chunks']} chunks, chunker={args.chunker}", results)
    print(f"default hybrid = {settings_label(default_fusion)}")

    out: dict[str, Any] = {
        "dataset": str(folder),
        "index_dir": str(index_dir),
        "chunker": args.chunker,
        "chunker_settings": qa.index.manifest.chunker,
        "model": qa.index.manifest.model,
        "k": args.k,
        "chunk_k": chunk_k,
        "aggregation": "max over a document's chunks",
        "index": {**stats, "seconds": round(index_seconds, 2), "update": dataclasses.asdict(update),
                  "duplicates_dropped": len(report.duplicates), "problems": len(report.problems)},
        "default_fusion": dataclasses.asdict(default_fusion),
        "test_queries": len(test_ids),
        "test": results,
        "mean_documents_per_query": doc_counts,
        "run_seconds": timings,
    }

    train_path = folder / "qrels" / "train.tsv"
    if (args.tune or args.explore) and not train_path.exists():
        log("no qrels/train.tsv: cannot tune")
    elif args.tune or args.explore:
        train = read_qrels(train_path)
        train_ids = [q for q in train if q in queries]
        overlap = set(train_ids) & set(test_ids)
        if overlap:
            raise SystemExit(f"train and test share {len(overlap)} queries: refusing to tune")
        out["train_queries"] = len(train_ids)
        if args.tune:
            out["tune"] = tune(index, queries, train, train_ids, test, test_ids, row_doc, args.k, chunk_k, aliases)
        if args.explore:
            out["explore"] = explore(
                index, queries, train, train_ids, test, test_ids, row_doc, args.k, chunk_k, aliases
            )

    out["peak_rss_mb"] = peak_rss_mb()
    path = write_result(result_name, out)
    log(f"wrote {path}")
    return 0


def tune(index, queries, train, train_ids, test, test_ids, row_doc, k, chunk_k, aliases) -> dict[str, Any]:
    """Grid search on train; the best setting on train is then evaluated once on test."""
    from assistant.retrieval import FusionSettings, HybridRetriever

    grid = [FusionSettings(method="convex", dense_weight=w, candidates=c) for c in CANDIDATES for w in CONVEX_WEIGHTS]
    grid += [FusionSettings(method="rrf", rrf_k=r, candidates=c) for c in CANDIDATES for r in RRF_KS]
    rows = []
    with Stopwatch() as sw:
        for settings in grid:
            retriever = HybridRetriever(index, settings)
            run = doc_run(rows_ranker(retriever, chunk_k, "hybrid", row_doc), queries, train_ids, k, aliases)
            rows.append({"settings": dataclasses.asdict(settings), "train": evaluate(train, run)})
    log(f"tuned {len(grid)} settings on {len(train_ids)} train queries in {sw.seconds:.0f}s")
    best = max(rows, key=lambda r: (r["train"][TUNE_METRIC], r["train"]["recall@100"]))
    best_settings = FusionSettings(**best["settings"])
    best_rrf = max((r for r in rows if r["settings"]["method"] == "rrf"), key=lambda r: r["train"][TUNE_METRIC])
    retriever = HybridRetriever(index, best_settings)
    test_scores = evaluate(
        test, doc_run(passages_ranker(retriever, chunk_k, "hybrid"), queries, test_ids, k, aliases), ci=True
    )
    rrf_settings = FusionSettings(**best_rrf["settings"])
    rrf_ranker = passages_ranker(HybridRetriever(index, rrf_settings), chunk_k, "hybrid")
    rrf_test = evaluate(test, doc_run(rrf_ranker, queries, test_ids, k, aliases))
    print(f"\ntuning on train ({len(train_ids)} queries), {len(grid)} settings, by {TUNE_METRIC}:")
    for c in CANDIDATES:
        line = " ".join(
            f"{r['settings']['dense_weight']:.2f}:{r['train'][TUNE_METRIC]:.4f}"
            for r in rows if r["settings"]["method"] == "convex" and r["settings"]["candidates"] == c
        )
        print(f"  convex candidates={c}: {line}")
    for r in rows:
        if r["settings"]["method"] == "rrf":
            print(f"  {settings_label(FusionSettings(**r['settings']))}: {r['train'][TUNE_METRIC]:.4f}")
    print(f"best on train: {settings_label(best_settings)} -> train {best['train']}")
    print_table("test figures of the train-tuned settings", {
        f"best: {settings_label(best_settings)}": test_scores,
        f"best rrf: {settings_label(rrf_settings)}": rrf_test,
    })
    return {
        "selected_by": f"train {TUNE_METRIC}",
        "grid": rows,
        "best": {"settings": best["settings"], "train": best["train"], "test": test_scores},
        "best_rrf": {"settings": best_rrf["settings"], "train": best_rrf["train"], "test": rrf_test},
        "seconds": round(sw.seconds, 1),
    }


def explore(index, queries, train, train_ids, test, test_ids, row_doc, k, chunk_k, aliases) -> dict[str, Any]:
    """Fusions with both scores normalised (min-max, z-score); weight and depth chosen on train."""
    out: dict[str, Any] = {}
    table = {}
    for method in ("minmax", "zscore"):
        rows = []
        for c in CANDIDATES:
            for w in CONVEX_WEIGHTS:
                run = doc_run(explore_rankers(index, chunk_k, row_doc, method, w, c), queries, train_ids, k, aliases)
                rows.append({"dense_weight": w, "candidates": c, "train": evaluate(train, run)})
        best = max(rows, key=lambda r: (r["train"][TUNE_METRIC], r["train"]["recall@100"]))
        run = doc_run(
            explore_rankers(index, chunk_k, row_doc, method, best["dense_weight"], best["candidates"]),
            queries, test_ids, k, aliases,
        )
        best = {**best, "test": evaluate(test, run, ci=True)}
        out[method] = {"grid": rows, "best": best}
        table[f"{method}(dense_weight={best['dense_weight']}, candidates={best['candidates']})"] = best["test"]
        log(f"explore {method}: best on train {best['dense_weight']}/{best['candidates']} -> {best['train']}")
    print_table("test figures of train-tuned alternative fusions (not in the retriever)", table)
    return out


if __name__ == "__main__":
    sys.exit(main())
