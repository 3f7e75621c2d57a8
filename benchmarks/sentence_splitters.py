"""Compare candidate sentence splitters on the hard-case table and on UNGDC speed.

Usage: python benchmarks/sentence_splitters.py /path/to/ungdc_2015-2024.jsonl.gz [--sample 200]

Each library is measured raw (its own spans, stripped of whitespace) and with the line handling
and joins of ``corpus.sentences.split_with`` ("+rules"). Accuracy: hard cases whose sentences
are all exactly right, and span precision/recall over all expected sentences. Speed: characters
per wall-clock and per CPU second over a sample of speeches (median of up to 3 runs). Writes
``benchmarks/results/sentence_splitters.json``.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's packages, installed or not

from corpus.sentences import _RECHECK, Span, blingfire_spans, pysbd_spans, split_sentences, split_with

ROOT = Path(__file__).resolve().parent.parent

Splitter = Callable[[str], list[Span]]
UNGDC_CHARS = 24.8e6
CHOSEN = "chosen: blingfire+recheck+rules"


def load_cases() -> tuple[list[tuple[str, str, list[str]]], dict[str, str]]:
    """The hard-case table and known limits from ``tests/test_sentences.py``."""
    spec = importlib.util.spec_from_file_location("_cases", ROOT / "tests" / "test_sentences.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES, module.KNOWN_LIMITS


def load_texts(path: str, sample: int) -> list[str]:
    """Every n-th speech text so that about ``sample`` speeches are taken."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    step = max(1, len(texts) // sample)
    return texts[::step][:sample]


def stripped(text: str, spans: list[Span]) -> list[Span]:
    """Library spans with surrounding whitespace removed and empty ones dropped."""
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end))
    return out


def pysbd_char_span() -> Splitter:
    """pySBD with ``char_span=True`` (its own offset search)."""
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda text: [(s.start, s.end) for s in seg.segment(text)] if text.strip() else []


def spacy_segmenter() -> Splitter | None:
    """spaCy's rule-based sentencizer on a blank English pipeline, if spaCy is installed."""
    try:
        import spacy
    except ImportError:
        return None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return lambda text: [(s.start_char, s.end_char) for s in nlp(text).sents]


def candidates() -> dict[str, Splitter]:
    """Named splitters: each library raw and with ``split_with`` rules."""
    libs: dict[str, Splitter | None] = {
        "blingfire": blingfire_spans,
        "pysbd": pysbd_spans,
        "spacy-sentencizer": spacy_segmenter(),
    }
    out: dict[str, Splitter] = {}
    for name, lib in libs.items():
        if lib is None:
            continue
        out[name] = lambda text, lib=lib: stripped(text, lib(text))
        out[f"{name}+rules"] = lambda text, lib=lib: split_with(text, lib)
        if name == "pysbd":
            char_span = pysbd_char_span()
            out["pysbd (char_span)"] = lambda text, char_span=char_span: stripped(text, char_span(text))
    out[CHOSEN] = split_sentences
    return out


def expected_spans(text: str, sentences: list[str]) -> list[Span]:
    spans, cursor = [], 0
    for sentence in sentences:
        start = text.index(sentence, cursor)
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


def accuracy(split: Splitter, cases) -> dict:
    """Exact-case count, span precision/recall/F1 and the ids of the failed cases."""
    exact, hit, n_pred, n_gold, failed = 0, 0, 0, 0, []
    for case_id, text, sentences in cases:
        gold = set(expected_spans(text, sentences))
        pred = set(split(text))
        exact += pred == gold
        if pred != gold:
            failed.append(case_id)
        hit += len(pred & gold)
        n_pred += len(pred)
        n_gold += len(gold)
    precision = hit / n_pred if n_pred else 1.0
    recall = hit / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "cases_exact": exact,
        "cases": len(cases),
        "span_precision": round(precision, 4),
        "span_recall": round(recall, 4),
        "span_f1": round(f1, 4),
        "failed": failed,
    }


def speed(split: Splitter, texts: list[str], runs: int = 3) -> tuple[float, float, list[list[Span]]]:
    """Median characters per wall-clock and per CPU second over ``texts``.

    One run only if a run takes over 5 s. CPU time is the steadier figure on a shared machine.
    """
    n_chars = sum(map(len, texts))
    rates, cpu_rates, result = [], [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = [split(t) for t in texts]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        rates.append(n_chars / elapsed)
        cpu_rates.append(n_chars / max(cpu, 1e-9))
        if elapsed > 5:
            break
    return statistics.median(rates), statistics.median(cpu_rates), result


def disagreement(a: list[list[Span]], b: list[list[Span]]) -> dict:
    """Spans one splitter returns and the other does not, over the same texts."""
    only_a = sum(len(set(x) - set(y)) for x, y in zip(a, b))
    only_b = sum(len(set(y) - set(x)) for x, y in zip(a, b))
    return {"only_first": only_a, "only_second": only_b, "spans_first": sum(map(len, a))}


def recheck_share(texts: list[str]) -> dict:
    """How much of the text the chosen splitter hands to pySBD for a second look."""
    flagged = [(a, b) for t in texts for a, b in blingfire_spans(t) if _RECHECK.search(t, a, b)]
    total = sum(len(blingfire_spans(t)) for t in texts)
    chars = sum(b - a for a, b in flagged)
    share = round(chars / sum(map(len, texts)), 5)
    return {"spans_flagged": len(flagged), "spans": total, "char_share": share}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ungdc", help="path to ungdc_2015-2024.jsonl.gz")
    parser.add_argument("--sample", type=int, default=200, help="speeches timed (default 200)")
    parser.add_argument(
        "--out", default=str(ROOT / "benchmarks" / "results" / "sentence_splitters.json")
    )
    args = parser.parse_args(argv)

    cases, known_limits = load_cases()
    texts = load_texts(args.ungdc, args.sample)
    n_chars = sum(map(len, texts))
    print(f"{len(cases)} hard cases; speed sample: {len(texts)} speeches, {n_chars:,} characters")

    rows, outputs = {}, {}
    for name, split in candidates().items():
        row = accuracy(split, cases)
        rate, cpu_rate, outputs[name] = speed(split, texts)
        row["chars_per_s"] = round(rate)
        row["chars_per_cpu_s"] = round(cpu_rate)
        row["est_cpu_seconds_ungdc_2015_2024"] = round(UNGDC_CHARS / cpu_rate, 1)
        rows[name] = row

    header = (
        f"{'splitter':<32} {'cases':>7} {'span F1':>8} {'chars/s':>11} {'chars/cpu-s':>12}"
        f" {'cpu-s/24.8M':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows.items():
        print(
            f"{name:<32} {r['cases_exact']:>3}/{r['cases']:<3} {r['span_f1']:>8.3f} "
            f"{r['chars_per_s']:>11,} {r['chars_per_cpu_s']:>12,}"
            f" {r['est_cpu_seconds_ungdc_2015_2024']:>11}"
        )
    for name, r in rows.items():
        print(f"  {name} fails: {', '.join(r['failed']) or '-'}")

    agreement = {
        "chosen_vs_pysbd+rules": disagreement(outputs[CHOSEN], outputs["pysbd+rules"]),
        "chosen_vs_blingfire_raw": disagreement(outputs[CHOSEN], outputs["blingfire"]),
        "blingfire+rules_vs_pysbd+rules": disagreement(
            outputs["blingfire+rules"], outputs["pysbd+rules"]
        ),
    }
    for key, d in agreement.items():
        print(f"UNGDC sample, {key}: {d['only_first']} spans only in the first, "
              f"{d['only_second']} only in the second, of {d['spans_first']:,}")

    recheck = recheck_share(texts)
    print(
        f"chosen: pySBD re-checks {recheck['spans_flagged']:,} of {recheck['spans']:,} "
        f"Bling Fire spans ({recheck['char_share']:.2%} of the characters)"
    )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "sample": {"speeches": len(texts), "characters": n_chars, "file": str(args.ungdc)},
        "known_limits_of_chosen": known_limits,
        "splitters": rows,
        "ungdc_sample_disagreement": agreement,
        "chosen_recheck": recheck,
    }
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
