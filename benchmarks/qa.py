"""Extractive QA benchmark on SQuAD v1.1 dev: does the first quote hold the answer?

    python benchmarks/qa.py /path/to/squad_v1.1/dev-v1.1.json [--limit N] [--tune] [--calibrate]

All 2,067 paragraphs are indexed as one corpus (one statement each) through the public API, and
every question is asked with ``Assistant.ask``. A quote "hits" when a gold answer string occurs
in it (case- and space-insensitive); a quote of more than two sentences counts as a miss.
Two sentence-level baselines run in the same process: the most similar sentence by dense
similarity alone, and a plain reciprocal-rank fusion (k=60) of dense and bm25s sentence rankings.

``--tune`` grid-searches the sentence-scoring weights on the questions of the first 20% of the
articles (the tuning split) and reports the chosen weights on the other 80% and on all.
``--calibrate`` measures the abstention threshold: the topic match of the best sentence when the
question's own article is in the index (answerable) and when it is filtered out (unanswerable).
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
from dataclasses import replace
from pathlib import Path

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import WORK_DIR, Stopwatch, load_average, log, machine_info, summary_ms, write_result

from assistant.api import Assistant
from assistant.quote_building import QuoteBuilder
from assistant.sentence_scoring import ScoredSentence, question_texts
from assistant.settings import ExtractionSettings
from corpus.sentences import split_sentences


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def load_squad(path: Path):
    data = json.loads(path.read_text())["data"]
    paragraphs, questions = [], []
    for a, article in enumerate(data):
        for p, para in enumerate(article["paragraphs"]):
            pid = f"squad-{a:02d}-{p:03d}"
            title = article["title"].replace("_", " ")
            paragraphs.append({"id": pid, "title": title, "text": para["context"], "article": a})
            for qa in para["qas"]:
                answers = [x["text"] for x in qa["answers"]]
                questions.append({"question": qa["question"], "answers": answers, "pid": pid, "article": a})
    return paragraphs, questions


def quote_hit(quote_text: str, answers: list[str]) -> bool:
    if len(split_sentences(quote_text)) > 2:
        return False
    q = norm(quote_text)
    return any(norm(a) in q for a in answers)


def evaluate_answers(answers_per_q, questions):
    hit1 = hit3 = abst = 0
    lengths = []
    for ans, q in zip(answers_per_q, questions):
        texts = [x.text for x in ans.quotes]
        if ans.abstained:
            abst += 1
        if texts:
            lengths.append(len(texts[0]))
            hit1 += quote_hit(texts[0], q["answers"])
            hit3 += any(quote_hit(t, q["answers"]) for t in texts[:3])
    n = max(1, len(questions))
    return {"questions": len(questions), "quote_hit@1": hit1 / n, "quote_hit@3": hit3 / n, "abstention_rate": abst / n,
            "mean_quote_chars": float(np.mean(lengths)) if lengths else 0.0}


def sentence_baselines(qa: Assistant, paragraphs, questions):
    """Dense-only and plain-RRF sentence rankings over every sentence of the corpus."""
    from embeddings.local.lexical_index import LexicalIndex
    from embeddings.local.vector_index import VectorIndex

    sents = []
    for p in paragraphs:
        sents += [p["text"][a:b] for a, b in split_sentences(p["text"])]
    encoder = qa.index.encoder
    log(f"baselines: encoding {len(sents)} sentences")
    vecs = encoder.encode(sents, progress=True)
    dense = VectorIndex.build(vecs, np.arange(len(sents)))
    lexical = LexicalIndex.build(sents)
    qvecs = encoder.encode([q["question"] for q in questions], progress=True)
    out = {"sentences": len(sents)}
    results = {"dense": [], "bm25": [], "rrf": []}
    for q, qv in zip(questions, qvecs):
        d = dense.search(qv, 100)
        lex = lexical.scores(q["question"])
        l_top = np.argsort(-lex)[:100]
        l_top = l_top[lex[l_top] > 0]
        results["dense"].append(d.ids[:3].tolist())
        results["bm25"].append(l_top[:3].tolist())
        rrf = {}
        for rank, i in enumerate(d.ids.tolist()):
            rrf[i] = rrf.get(i, 0) + 1 / (60 + rank + 1)
        for rank, i in enumerate(l_top.tolist()):
            rrf[i] = rrf.get(i, 0) + 1 / (60 + rank + 1)
        results["rrf"].append([i for i, _ in sorted(rrf.items(), key=lambda x: -x[1])[:3]])
    for name, ranked in results.items():
        h1 = sum(bool(r) and quote_hit(sents[r[0]], q["answers"]) for r, q in zip(ranked, questions))
        h3 = sum(any(quote_hit(sents[i], q["answers"]) for i in r) for r, q in zip(ranked, questions))
        out[name] = {"quote_hit@1": h1 / len(questions), "quote_hit@3": h3 / len(questions)}
    return out


def tune(qa: Assistant, questions) -> ExtractionSettings:
    """Grid search of the scoring weights on the tuning split (features computed once)."""
    pipeline = qa.pipeline
    base = pipeline.settings
    cached = []
    log(f"tuning on {len(questions)} questions")
    for q in questions:
        cached.append((q, scored_sentences(pipeline, q["question"])))
    best = None
    grid = itertools.product([0.3, 0.45, 0.6], [0.2, 0.35, 0.5], [0.2, 0.35, 0.5, 0.7], [0.8, 0.9, 1.01])
    for dw, lw, pw, jr in grid:
        settings = replace(base, dense_weight=dw, lexical_weight=lw, passage_weight=pw, join_ratio=jr)
        builder = QuoteBuilder(settings)
        h1 = h3 = 0
        for q, cands in cached:
            rescored = [
                replace(c, score=dw * c.dense_score + lw * c.lexical_score + pw * c.passage_score) for c in cands
            ]
            ordered = sorted(rescored, key=lambda c: -c.score)
            quotes = builder.select(ordered).quotes
            if quotes:
                h1 += quote_hit(quotes[0].text, q["answers"])
                h3 += any(quote_hit(x.text, q["answers"]) for x in quotes[:3])
        score = (h1 + 0.5 * h3) / len(cached)
        if best is None or score > best[0]:
            best = (score, settings, h1 / len(cached), h3 / len(cached))
            log(f"  better: dense {dw} lexical {lw} passage {pw} join {jr}: hit@1 {best[2]:.3f} hit@3 {best[3]:.3f}")
    return best[1]


def scored_sentences(pipeline, question: str, filters=None) -> list[ScoredSentence]:
    """The pipeline's sentence ranking for a question (its frame, retrieval and scoring, no quotes)."""
    frame = pipeline.frame(question)
    vectors = pipeline.retriever.index.encoder.encode_texts(question_texts(frame))
    passages = pipeline.retriever.retrieve(frame.search_text, k=pipeline.passages, filters=filters)
    return pipeline.scorer.score(frame, passages, vectors)


def calibrate(qa: Assistant, questions, paragraphs) -> dict:
    """Topic match of the best sentence with the question's article in the index and without it."""
    pipeline = qa.pipeline
    by_article: dict[int, list[str]] = {}
    for p in paragraphs:
        by_article.setdefault(p["article"], []).append(p["id"])
    pos, neg = [], []
    for q in questions:
        for excluded, bucket in ((None, pos), (by_article[q["article"]], neg)):
            filters = {"exclude_statement_ids": excluded} if excluded else None
            cands = scored_sentences(pipeline, q["question"], filters)
            by_key = {c.key: c for c in cands}
            bucket.append(max((pipeline.builder.topic_match(c, by_key) for c in cands[:3]), default=0.0))
    pos_a, neg_a = np.array(pos), np.array(neg)
    table = []
    for t in np.arange(0.2, 0.7, 0.02):
        table.append({"threshold": round(float(t), 2), "answerable_kept": float((pos_a >= t).mean()),
                      "unanswerable_abstained": float((neg_a < t).mean())})
    return {"questions": len(questions), "answerable_median": float(np.median(pos_a)),
            "unanswerable_median": float(np.median(neg_a)), "table": table}


def ungdc_latency(index_dir: Path, baseline_dir: Path | None = None) -> dict:
    """ask() latency on a UNGDC index: 94 distinct questions after 10 warm-up questions.

    In the same run, interleaved question by question, the baseline: ``baseline_dir`` if given
    (e.g. the same statements indexed without attributions), else the same index with its stored
    sentence vectors ignored, so candidate sentences are encoded at question time (the method
    before sentence vectors were stored; ``ExtractionSettings(stored_sentence_vectors=False)``).
    """
    import time

    ung = Assistant.open(index_dir)
    if baseline_dir is not None:
        baseline = Assistant.open(baseline_dir)
    else:
        baseline = Assistant.open(index_dir, extraction=ExtractionSettings(stored_sentence_vectors=False))
    has_vectors = ung.index.sentence_rows is not None
    countries = ("Japan", "Brazil", "Norway", "Kenya", "France", "India", "Chile", "Fiji")
    topics = (
        "climate change", "sea-level rise", "nuclear weapons", "refugees",
        "terrorism", "COVID-19", "trade", "peacekeeping",
    )
    themes = ("sustainable development", "Security Council reform", "migration")
    qs = [f"what did {c} say about {t}?" for c in countries for t in topics]
    qs += [f"{t} in {y}" for t in themes for y in range(2015, 2025)]
    warm_up = ["what did Peru say about fisheries?", "what did Ghana say about education?", "debt relief in 2016"]
    for q in warm_up * 3 + ["ocean plastic"]:
        ung.ask(q)
        baseline.ask(q)
    times: dict[str, list[float]] = {"stored": [], "baseline": []}
    same_first_quote = 0
    for i, q in enumerate(qs):
        order = [("stored", ung), ("baseline", baseline)]
        answers = {}
        for name, qa in order if i % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            answers[name] = qa.ask(q)
            times[name].append(time.perf_counter() - t)
        firsts = [a.quotes[0].text if a.quotes else None for a in answers.values()]
        same_first_quote += firsts[0] == firsts[1]
    stored, base = summary_ms(times["stored"]), summary_ms(times["baseline"])
    return stored | {
        "questions": len(qs),
        "index_has_sentence_vectors": has_vectors,
        "index_has_attributions": ung.stats().attributions,
        "baseline": str(baseline_dir) if baseline_dir else "same index, sentences encoded at question time",
        "baseline_latency": base,
        "p50_ratio_to_baseline": round(stored["p50_ms"] / base["p50_ms"], 3),
        "same_first_quote_as_baseline": same_first_quote,
        "load_average": load_average(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path, help="SQuAD v1.1 dev-v1.1.json")
    ap.add_argument("--index-dir", type=Path, default=WORK_DIR / "squad_index")
    ap.add_argument("--limit", type=int, default=0, help="ask only the first N questions (0: all)")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--calibrate", type=int, default=0, metavar="N", help="calibrate abstention on N sampled questions")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--ungdc-index", type=Path, help="an index of UNGDC 2015-2024 to time ask() on as well")
    ap.add_argument("--ungdc-only", action="store_true", help="only time ask() on --ungdc-index")
    ap.add_argument("--ungdc-baseline-index", type=Path,
                    help="time ask() on this index too, interleaved, as the baseline (e.g. one without attributions)")
    args = ap.parse_args()
    if args.ungdc_only:
        figures = ungdc_latency(args.ungdc_index, args.ungdc_baseline_index)
        print(json.dumps(figures, indent=2))
        write_result("qa_ungdc_latency", {"machine": machine_info(), "ungdc_ask_latency_ms": figures})
        return

    paragraphs, questions = load_squad(args.path)
    corpus_file = WORK_DIR / "squad_paragraphs.jsonl"
    corpus_file.parent.mkdir(parents=True, exist_ok=True)
    corpus_file.write_text("".join(json.dumps(p) + "\n" for p in paragraphs))
    with Stopwatch() as sw:
        qa = Assistant.build([corpus_file], args.index_dir, progress=True)
    manifest = qa.index.manifest
    log(f"index ready in {sw.seconds:.1f}s: {manifest.statements} statements, {manifest.chunks} chunks")
    result: dict = {"machine": machine_info(), "load_average_start": load_average(), "index_seconds": sw.seconds}

    tune_articles = {a for a in range(48) if a < 10}
    if args.tune:
        tune_qs = [q for q in questions if q["article"] in tune_articles]
        best = tune(qa, tune_qs)
        result["tuned_settings"] = best.__dict__
        qa.close()
        qa = Assistant.open(args.index_dir, extraction=best)
    if args.calibrate:
        sample = random.Random(7).sample(questions, args.calibrate)
        result["abstention_calibration"] = calibrate(qa, sample, paragraphs)
        log(json.dumps(result["abstention_calibration"], indent=1))

    asked = questions[: args.limit] if args.limit else questions
    qa.ask("warm-up question about the corpus")
    answers, times = [], []
    import time
    for i, q in enumerate(asked):
        t = time.perf_counter()
        answers.append(qa.ask(q["question"]))
        times.append(time.perf_counter() - t)
        if i % 1000 == 0:
            log(f"asked {i}/{len(asked)}")
    result["all"] = evaluate_answers(answers, asked)
    held = [(a, q) for a, q in zip(answers, asked) if q["article"] not in tune_articles]
    result["held_out"] = evaluate_answers([a for a, _ in held], [q for _, q in held])
    result["ask_latency_ms"] = summary_ms(times)
    if not args.no_baselines:
        result["baselines"] = sentence_baselines(qa, paragraphs, asked)
    if args.ungdc_index:
        result["ungdc_ask_latency_ms"] = ungdc_latency(args.ungdc_index)
    result["load_average_end"] = load_average()
    path = write_result("qa_squad", result)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
