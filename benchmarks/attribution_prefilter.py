"""The attribution pre-filter against parsing every sentence: recall, the share of text parsed, and time.

    python benchmarks/attribution_prefilter.py /work/shared/data/polnear [--split dev] [--runs 3]
        [--beir /work/shared/data/beir_scifact --beir-limit 1000]

Runs ``corpus.attribution.attribute_many`` on every PolNeAR article of the split (``speaker=None``, as
``benchmarks/attribution.py`` does) twice: parsing every sentence (``prefilter=False``) and parsing only the
windows the pre-filter keeps (``corpus.attribution.prefilter``). Recall: the share of the full parse's
attributions that the pre-filtered run finds too, with the same content span and the same speaker (and, leniently,
the same content span). ``--beir``: the same on the first ``--beir-limit`` documents of a BEIR corpus (title and
text joined, as the index joins them), where few sentences report anyone. Times are medians of ``--runs``, the two
ways alternated. Writes ``benchmarks/results/attribution_prefilter.json``.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import log, median, write_result


def recall(full: Sequence[Sequence[Any]], kept: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """How many of the full parse's attributions the pre-filtered run finds: same span and speaker, same span."""
    total = exact = span = 0
    for a_full, a_kept in zip(full, kept, strict=True):
        spans = {(a.content_start, a.content_end) for a in a_kept}
        both = {(a.content_start, a.content_end, a.speaker) for a in a_kept}
        total += len(a_full)
        exact += sum((a.content_start, a.content_end, a.speaker) in both for a in a_full)
        span += sum((a.content_start, a.content_end) in spans for a in a_full)
    return {"attributions_full_parse": total, "found_same_span_and_speaker": exact,
            "recall": round(exact / total, 4) if total else None,
            "recall_same_span": round(span / total, 4) if total else None}


def parsed_share(texts: Sequence[str]) -> dict[str, Any]:
    """The share of sentences and characters the pre-filter sends to the parser (windows included)."""
    from corpus.attribution.prefilter import can_report, report_windows
    from corpus.sentences import split_sentences

    sentences = chars = kept_sentences = kept_chars = 0
    for text in texts:
        spans = split_sentences(text)
        sentences += len(spans)
        chars += len(text)
        kept_sentences += sum(can_report(text[a:b]) for a, b in spans)
        kept_chars += sum(w.end - w.start for w in report_windows(text, spans))
    return {"sentences": sentences, "sentences_kept": kept_sentences,
            "sentence_share": round(kept_sentences / max(sentences, 1), 4),
            "parsed_char_share_with_context": round(kept_chars / max(chars, 1), 4)}


def compare(texts: Sequence[str], runs: int) -> dict[str, Any]:
    """Recall, shares and times (median of ``runs``, alternated) of the two ways on ``texts``."""
    from corpus.attribution import attribute_many

    speakers = [None] * len(texts)
    attribute_many(texts[:3], speakers[:3])  # the pipeline and models load outside the timing
    seconds: dict[str, list[float]] = {"full_parse": [], "prefilter": []}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for way in seconds:
            start = time.process_time()
            results[way] = attribute_many(texts, speakers, prefilter=way == "prefilter")
            seconds[way].append(time.process_time() - start)
    full_s, kept_s = median(seconds["full_parse"]), median(seconds["prefilter"])
    return {"texts": len(texts), **recall(results["full_parse"], results["prefilter"]), **parsed_share(texts),
            "cpu_seconds_full_parse": round(full_s, 2), "cpu_seconds_prefilter": round(kept_s, 2),
            "cpu_ratio": round(kept_s / full_s, 3), "runs": {k: [round(x, 2) for x in v] for k, v in seconds.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the PolNeAR folder")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=0, help="first N articles (0: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--beir", type=Path, help="also a BEIR folder (corpus.jsonl)")
    parser.add_argument("--beir-limit", type=int, default=1000)
    args = parser.parse_args()
    from attribution import load_split
    from encoder_backends import read_docs

    articles, _ = load_split(args.path, args.split, args.limit)
    out: dict[str, Any] = {"polnear_" + args.split: compare([a.text for a in articles], args.runs)}
    log(f"PolNeAR {args.split}: {out['polnear_' + args.split]}")
    if args.beir:
        key = f"{args.beir.name}_first_{args.beir_limit}"
        out[key] = compare(read_docs(args.beir, args.beir_limit), args.runs)
        log(f"{key}: {out[key]}")
    write_result("attribution_prefilter", out)


if __name__ == "__main__":
    main()
