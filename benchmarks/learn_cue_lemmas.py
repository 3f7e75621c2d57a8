"""The words the attribution content tagger takes as cues beyond the cue lexicon, for the parse pre-filter.

    python benchmarks/learn_cue_lemmas.py /work/shared/data/polnear [--split train]
        [--min-right 2] [--min-precision 0.5] [--min-yield 0.02]

Parses every article of the split whole, runs the rules and the CRF content tagger with its spans kept anywhere
(``RuleFinder.tagged(..., anywhere=True)``), and counts, for the lemma of each tagged span's cue word that the
pre-filter's lexicon (``corpus.attribution.prefilter.cue_words``) does not already cover, how often the span is right:
at least half its words are in a content the annotators marked. Lemmas right at least ``--min-right`` times, in at
least ``--min-precision`` of their spans and in at least ``--min-yield`` of the sentences holding one of their
forms (each of which the pre-filter would send to the parser) are written to ``corpus/models/cue_lemmas.json``: a
sentence holding one of their forms is parsed (``corpus.attribution.prefilter``), and the tagger's spans elsewhere
(on "is", "have", "get": mostly wrong) are not kept.
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import log


def sentences_holding(articles: Sequence[Any], lemmas: Sequence[str]) -> Counter[str]:
    """In how many sentences of the articles a form of each lemma occurs (what parsing for it would cost)."""
    from corpus.attribution.prefilter import word_forms

    form_of = {form: lemma for lemma in lemmas for form in word_forms(lemma)}
    out: Counter[str] = Counter()
    for art in articles:
        for a, b in art.sentences:
            out.update({form_of[w] for w in re.findall(r"[a-z]+", art.text[a:b].lower()) if w in form_of})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the PolNeAR folder")
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--min-right", type=int, default=2)
    parser.add_argument("--min-precision", type=float, default=0.5)
    parser.add_argument("--min-yield", type=float, default=0.02,
                        help="right spans per sentence holding a form of the lemma (each such sentence is parsed)")
    args = parser.parse_args()
    from attribution import load_split

    from corpus.attribution.lexicon import lemma_of
    from corpus.attribution.parsing import english_pipeline
    from corpus.attribution.prefilter import LEARNED_CUES, cue_words
    from corpus.attribution.rules import RuleFinder
    from corpus.attribution.tagger import content_tagger

    crf = content_tagger()
    if crf is None:
        raise SystemExit("no content tagger model in corpus/models/")
    known = cue_words()
    articles, _ = load_split(args.path, args.split, args.limit)
    seen: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for art, doc in zip(articles, english_pipeline().pipe((a.text for a in articles), batch_size=32), strict=True):
        marked = frozenset().union(*(g.content_tokens for g in art.golds))
        finder = RuleFinder(doc, "")
        for found in finder.tagged(finder.find(), crf, anywhere=True):
            cue = doc.char_span(found.cue[0], found.cue[1], alignment_mode="expand")
            if cue is None or not len(cue) or any(t.lower_ in known for t in cue):
                continue
            lemma = lemma_of(cue.root)
            words = art.tokens([found.content])
            seen[lemma] += 1
            right[lemma] += len(words & marked) * 2 >= len(words) > 0
    holding = sentences_holding(articles, [k for k in seen if k.isalpha()])
    lemmas = sorted(lemma for lemma, n in seen.items() if lemma.isalpha() and right[lemma] >= args.min_right
                    and right[lemma] >= args.min_precision * n and right[lemma] >= args.min_yield * holding[lemma])
    LEARNED_CUES.write_text(json.dumps({"source": f"PolNeAR {args.split}, {len(articles)} articles",
                                        "min_right": args.min_right, "min_precision": args.min_precision,
                                        "lemmas": lemmas,
                                        "min_yield": args.min_yield,
                                        "right_seen_sentences": {k: [right[k], seen[k], holding.get(k, 0)]
                                                                 for k in sorted(seen)}},
                                       indent=0) + "\n", encoding="utf-8")
    log(f"{len(lemmas)} cue lemmas beyond the lexicon (of {len(seen)} seen) written to {LEARNED_CUES}")


if __name__ == "__main__":
    main()
