"""Train the attribution content tagger (``corpus/attribution/tagger.py``) on PolNeAR train.

    python benchmarks/train_attribution_tagger.py /work/shared/data/polnear [--skip N] [--out PATH]
        [--c1 X] [--c2 X] [--iterations N] [--docs-cache PATH]

Reads ``polnear_train.jsonl.gz`` (never dev: dev is for reporting), parses each article with the
project's spaCy pipeline, and trains a linear-chain CRF (python-crfsuite, L-BFGS with L1 + L2
penalties) to label each token B/I/O of a content span. The gold spans are the first annotator's
content spans, each from its first to its last character (a quote interrupted by "she said" is one
span, as the benchmark's exact match counts it); a span nested in a longer one is left out of the
labels (the rules still find nested speech). ``--skip N`` leaves the first N train articles out, to
tune on them with ``python benchmarks/attribution.py … --split train --limit N``. The model is written
to ``corpus/models/attribution_content.crfsuite`` unless ``--out`` says otherwise; parsed articles are
cached (``--docs-cache``, default ``.cache/benchmarks/polnear_train.spacy``) since parsing takes minutes.
Nothing of PolNeAR's text is stored in the project; the model holds feature weights (words among them).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import common
from attribution import load_split
from common import log
from tqdm import tqdm

from corpus.attribution import english_pipeline, tagger_features
from corpus.attribution.tagger import MODEL_PATH, labels_for


def parsed(texts: list[str], cache: Path) -> list:  # type: ignore[type-arg]
    """The articles parsed by the project's pipeline, from the cache when it holds these texts."""
    from spacy.tokens import DocBin

    nlp = english_pipeline()
    if cache.exists():
        docs = list(DocBin().from_disk(cache).get_docs(nlp.vocab))
        if [d.text for d in docs] == texts:
            return docs
    docs = list(tqdm(nlp.pipe(texts, batch_size=16), total=len(texts), desc="parsing", unit="article"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    DocBin(store_user_data=False, docs=docs).to_disk(cache)
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--skip", type=int, default=0, help="leave the first N train articles out (to tune on them)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--c1", type=float, default=0.2)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--docs-cache", type=Path, default=common.WORK_DIR / "polnear_train.spacy")
    args = ap.parse_args()
    import pycrfsuite

    articles, _ = load_split(args.folder, "train", 0)
    docs = parsed([a.text for a in articles], args.docs_cache)
    trainer = pycrfsuite.Trainer(verbose=False)
    for art, doc in tqdm(list(zip(articles, docs, strict=True))[args.skip:], desc="features", unit="article"):
        spans = [(g.content[0][0], g.content[-1][1]) for g in art.golds]
        trainer.append(tagger_features(doc), labels_for(doc, spans))
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})
    started = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(args.out))
    log(f"trained on {len(articles) - args.skip} articles in {time.perf_counter() - started:.0f} s: "
        f"{args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
