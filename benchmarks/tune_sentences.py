"""Which sentence answers: the weights of sentence scoring, searched on the TUNE part of the blind question sets.

    python benchmarks/tune_sentences.py /work/shared/data [--index-root DIR] [--corpora ungdc,polnear,sgmfa]

For every answerable tune question that is answered by quoting (not who-spoke, timelines or quoted words),
the pipeline reads the question (with its conversation) and scores the sentences of the retrieved passages
once (``AnswerPipeline.scored``); each sentence keeps its scores (meaning of the question, meaning of the
topic, the topic's words, the passage's retrieval score, the statement's context) and whether it is a
gold sentence. Weights are then searched offline: a question counts as a hit when its best-scored sentence
that the answer could quote (the speaker's, on topic: ``QuoteBuilder.topic_match``) is a gold sentence.
Only the tune part is read: the locked part is scored once, at the end, by ``questions.py --part locked``.
Results: ``benchmarks/results/tune_sentences.json``.
"""
from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
import question_sets as qs
from common import WORK_DIR, log, write_result
from questions import open_index

QUOTING_TYPES = {"speaker_topic", "org_country_topic", "role", "date_limited", "event_date", "range", "follow_up"}
FEATURES = ("dense", "topic", "lexical", "passage", "context", "quoted")


def features(c: Any) -> list[float]:
    """A sentence's scores, and whether words in it are quoted directly (in quote marks) by someone."""
    from assistant.sentence_speakers import attributions_in

    quoted = any(a.kind == "direct" for a in attributions_in(c.span, c.attributions))
    return [c.dense_score, c.topic_score, c.lexical_score, c.passage_score, c.context_score, float(quoted)]


def candidates(corpus: qs.Corpus, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per tune question: the feature matrix of its candidate sentences and which are gold."""
    from assistant.quote_building import QuoteBuilder

    questions = qs.load_questions(corpus.questions_file)
    records = corpus.records(args.data)
    by_id = {q["id"]: q for q in questions}
    qa = open_index(corpus, args.data, records, args.index_root, False)
    pipeline = qa.pipeline
    builder = QuoteBuilder(pipeline.settings)
    answers: dict[str, Any] = {}
    out = []
    for q in questions:
        if q["part"] != "tune":
            continue
        history = [answers[i] for i in qs.conversation(q, by_id)]
        text = qs.filled(q["question"], q.get("phrase"), records)
        answers[q["id"]] = qa.ask(text, history=history)
        if q["type"] not in QUOTING_TYPES or not q["answerable"]:
            continue
        frame = pipeline.frame(text, history)
        scored = pipeline.scored(frame)
        sentences = [c for c in scored.sentences if not scored.speaker or c.speaker_score > 0]
        if not sentences:
            out.append({"id": q["id"], "x": np.zeros((0, len(FEATURES))), "gold": np.zeros(0, bool),
                        "eligible": np.zeros(0, bool)})
            continue
        by_key = {c.key: c for c in scored.sentences}
        same = bool(scored.speaker)
        x = np.array([features(c) for c in sentences])
        gold = np.array([any(_hits(c, g) for g in q["gold"]) for c in sentences])
        eligible = np.array([builder.topic_match(c, by_key, same) >= pipeline.settings.abstain_below
                             for c in sentences])
        out.append({"id": q["id"], "x": x, "gold": gold, "eligible": eligible})
    qa.close()
    return out


def squad_candidates(path: Path, index_dir: Path, limit: int) -> list[dict[str, Any]]:
    """The same for SQuAD questions of the articles ``qa.py --tune`` uses (0-9), a gold sentence being one that
    holds a gold answer; ``index_dir`` is an index of the SQuAD paragraphs (``qa.py`` builds one)."""
    import random

    from qa import load_squad, norm

    from assistant.api import Assistant
    from assistant.quote_building import QuoteBuilder

    _, questions = load_squad(path)
    tune = [q for q in questions if q["article"] < 10]
    qa = Assistant.open(index_dir)
    pipeline = qa.pipeline
    builder = QuoteBuilder(pipeline.settings)
    out = []
    for q in random.Random(5).sample(tune, min(limit, len(tune))):
        scored = pipeline.scored(pipeline.frame(q["question"]))
        sentences = scored.sentences
        by_key = {c.key: c for c in sentences}
        answers = [norm(a) for a in q["answers"]]
        x = np.array([features(c) for c in sentences]).reshape(-1, len(FEATURES))
        gold = np.array([any(a in norm(c.sentence()) for a in answers) for c in sentences], bool)
        eligible = np.array([builder.topic_match(c, by_key) >= pipeline.settings.abstain_below for c in sentences],
                            bool)
        out.append({"id": q["question"], "x": x, "gold": gold, "eligible": eligible})
    qa.close()
    return out


def _hits(c: Any, gold: dict[str, Any]) -> bool:
    a, b = c.span
    if c.statement.id != gold["statement"]:
        return False
    overlap = min(b, gold["end"]) - max(a, gold["start"])
    return overlap >= 0.5 * max(1, b - a) or (a <= gold["start"] and b >= gold["end"])


def hit_rate(items: list[dict[str, Any]], weights: np.ndarray) -> float:
    """Share of questions whose best eligible sentence, by ``weights``, is gold."""
    hits = 0
    for item in items:
        if not len(item["x"]) or not item["eligible"].any():
            continue
        scores = item["x"] @ weights
        scores = np.where(item["eligible"], scores, -np.inf)
        hits += bool(item["gold"][int(np.argmax(scores))])
    return hits / max(1, len(items))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--index-root", type=Path, default=WORK_DIR / "question_sets")
    ap.add_argument("--corpora", default="ungdc,polnear,sgmfa")
    ap.add_argument("--squad", type=Path, help="SQuAD v1.1 dev-v1.1.json: also score its tune articles (0-9)")
    ap.add_argument("--squad-index", type=Path, default=WORK_DIR / "squad_index")
    ap.add_argument("--squad-limit", type=int, default=800)
    ap.add_argument("--cached", type=Path, help="keep the collected candidates in this file (and reuse them)")
    args = ap.parse_args(argv)
    from assistant.settings import ExtractionSettings

    if args.cached and args.cached.exists():
        items = pickle.loads(args.cached.read_bytes())
    else:
        items = {name: candidates(qs.CORPORA[name], args) for name in args.corpora.split(",")}
        if args.squad:
            items["squad"] = squad_candidates(args.squad, args.squad_index, args.squad_limit)
        if args.cached:
            args.cached.write_bytes(pickle.dumps(items))
    s = ExtractionSettings()
    current = np.array([s.dense_weight, s.topic_weight, s.lexical_weight, s.passage_weight, 0.0, s.quoted_weight])
    rows = []
    for w in itertools.product([0.0, 0.1, 0.2, 0.3], [0.2, 0.3, 0.4, 0.5, 0.6], [0.2, 0.3, 0.4, 0.5],
                               [0.0, 0.05, 0.1, 0.2, 0.3], [0.0], [0.0, 0.05, 0.1, 0.2]):
        weights = np.array(w)
        per = {name: hit_rate(found, weights) for name, found in items.items()}
        rows.append({"weights": dict(zip(FEATURES, w)), **per, "mean": float(np.mean(list(per.values())))})
    rows.sort(key=lambda r: -r["mean"])
    base = {name: hit_rate(found, current) for name, found in items.items()}
    log(f"current weights {dict(zip(FEATURES, current))}: {base}")
    for r in rows[:15]:
        print(r)
    path = write_result("tune_sentences", {"current": base, "best": rows[:50],
                                           "questions": {k: len(v) for k, v in items.items()}})
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
