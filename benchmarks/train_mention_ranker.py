"""Train the pronoun ranker (``corpus/attribution/mention_ranking.py``) on PolNeAR train.

    python benchmarks/train_mention_ranker.py /work/shared/data/polnear [--skip 120] [--out PATH] [--seed 13]

The system (``corpus.attribution.attribute``, run as without a ranker) reads every train article; each pronoun
source it meets that is a pronoun source of the first annotator's attributions ("he said", "their claim") whose
entity ``benchmarks/attribution.py`` resolves (the latest named source before it) is one example: its candidates
are the named entities before it as the system lists them (``mention_ranking.candidates``, with the speaker the
system resolved before), the right ones those whose name shares a word with that entity. A logistic regression
(scikit-learn, balanced classes) learns a score over candidate features. The first ``--skip`` train articles are
held out: the regularisation is chosen on them (top-1 accuracy), and they are never trained on; dev is not read.
Writes only the weights (``corpus/models/mention_ranker.json`` by default: feature name → weight, the bias, the
settings and the held-out accuracy), nothing of PolNeAR's text. Needs scikit-learn (sentence-transformers brings
it); the project reads the weights with no more than ``json``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, process settings)
from attribution import Article, load_split, norm_word, words_of
from common import log
from tqdm import tqdm

from corpus.attribution.mention_ranking import MODEL_PATH, Candidate, MentionRanker, candidates

C_VALUES = (0.03, 0.1, 0.3, 1.0, 3.0)


def examples(articles: list[Article], desc: str) -> tuple[list[list[tuple[Candidate, bool]]], int]:
    """Per pronoun source the system meets that is a gold pronoun source with a resolved entity: its candidates
    (as the system builds them, with the speaker it resolved before), each marked right or not; and how many
    had no right candidate among them (what no ranking can fix). The system runs as without a ranker."""
    import corpus.attribution.speakers as speakers
    from corpus.attribution import attribute

    met: list[tuple[int, list[Candidate]]] = []

    def recording(doc: Any, mention: Any, at: int, previous: str = "") -> list[Candidate]:
        found = candidates(doc, mention, at, previous)
        met.append((mention.start_char, found))
        return found

    speakers.candidates = recording  # type: ignore[assignment]
    speakers.mention_ranker = lambda: MentionRanker({}, bias=-50.0)  # type: ignore[assignment]  # never sure
    out: list[list[tuple[Candidate, bool]]] = []
    unreachable = 0
    for art in tqdm(articles, desc=desc, unit="article"):
        met.clear()
        attribute(art.text)
        golds = {g.source[0][0]: g for g in art.golds if g.source_type == "pronoun" and g.entity and g.source}
        for start, found in met:
            g = golds.get(start)
            if g is None or g.entity is None:
                continue
            marked = [(c, bool({norm_word(w) for w in words_of(c.name)} & g.entity)) for c in found]
            if not any(ok for _, ok in marked):
                unreachable += 1
                continue
            out.append(marked)
    return out, unreachable


def top1(model: Any, vectorizer: Any, groups: list[list[tuple[Candidate, bool]]]) -> float:
    """Share of pronouns whose best-scored candidate is a right one."""
    right = 0
    for group in groups:
        scores = model.decision_function(vectorizer.transform([dict(c.features) for c, _ in group]))
        right += group[int(scores.argmax())][1]
    return right / len(groups) if groups else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--skip", type=int, default=120, help="hold out the first N train articles (choose C there)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    articles, _ = load_split(args.folder, "train", 0)
    held, train = articles[: args.skip], articles[args.skip :]
    train_groups, train_unreachable = examples(train, "train articles")
    held_groups, held_unreachable = examples(held, "held-out articles")
    log(f"{len(train_groups)} train pronouns ({train_unreachable} with no right candidate), "
        f"{len(held_groups)} held-out ({held_unreachable} with none)")
    rows = [dict(c.features) for group in train_groups for c, _ in group]
    labels = [ok for group in train_groups for _, ok in group]
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(rows)
    nearest = sum(group[0][1] for group in held_groups) / max(1, len(held_groups))  # the latest name, as a baseline
    log(f"held-out top-1 of the latest name before the pronoun: {nearest:.4f}")
    best: tuple[float, float, Any] = (-1.0, 0.0, None)
    for c in C_VALUES:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=args.seed).fit(x, labels)
        accuracy = top1(model, vectorizer, held_groups)
        log(f"C={c}: held-out top-1 {accuracy:.4f}")
        if accuracy > best[0]:
            best = (accuracy, c, model)
    accuracy, c, model = best
    weights = {name: round(float(w), 5) for name, w in zip(vectorizer.get_feature_names_out(), model.coef_[0],
                                                            strict=True)}
    meta = {
        "weights": weights, "bias": round(float(model.intercept_[0]), 5),
        "trained_on": f"PolNeAR train articles {args.skip}-{len(articles) - 1}: {len(train_groups)} pronoun sources",
        "settings": {"C": c, "seed": args.seed, "class_weight": "balanced"},
        "held_out": {"articles": args.skip, "pronouns": len(held_groups), "top1": round(accuracy, 4),
                     "latest_name_top1": round(nearest, 4), "no_right_candidate": held_unreachable},
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    log(f"C={c}: held-out top-1 {accuracy:.4f} (latest name {nearest:.4f}); wrote {args.out}")


if __name__ == "__main__":
    main()
