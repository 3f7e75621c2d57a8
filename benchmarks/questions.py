"""Questions as people ask them: blind-written dev sets over three corpora, paraphrases, and PolNeAR "who said".

    python benchmarks/questions.py /work/shared/data [--corpora ungdc,polnear,sgmfa] [--part tune|locked|all]
        [--rebuild] [--limit N] [--errors N] [--paraphrases] [--polnear-auto [N]] [--index-root DIR]

**The dev sets** (``benchmarks/questions/{ungdc,polnear,sgmfa}.jsonl``; corpora and scoring in
``question_sets.py``) were written by helpers who read the statements and never the code, and split
60/40 into ``tune`` and ``locked`` before any result was seen. ``--part tune`` (the default) scores
the part one may tune on; ``--part locked`` scores the locked part: run it once, at the end. Each
corpus is indexed through ``Assistant.build`` into ``INDEX_ROOT/<corpus>`` (reused when it holds the
corpus; ``--rebuild`` builds afresh) and every question is asked with ``Assistant.ask``, a follow-up
with the Answers of its conversation as ``history``, as the chat passes them. Per question:

- **quote-hit@1 / @3**: the first quote (one of the first three) hits a gold span: same statement,
  and an overlap of at least half the quote, or the quote holds the whole span;
- **speaker correct** (over questions with a hit in the first three): the first hitting quote's
  speaker (or, for a statement with none, its source) shares a name word with the expected speaker;
- **who-spoke recall@5**: the share of the gold statements (at most five) quoted in the first five quotes
  (an answer quotes one sentence per speaker: the statement says who spoke);
- **timelines**: the share of the gold statements' dates among the dates of quotes from gold statements,
  and whether the quotes' dates never decrease;
- **abstention**: recall on unanswerable questions, and the share of answerable ones abstained.

**Paraphrases** (``--paraphrases``; ``benchmarks/questions/paraphrases.jsonl``, three blind-written
paraphrases of 60 tune questions): the share whose first quote is the original's (same statement,
overlapping; or both abstain).

**PolNeAR who said** (``--polnear-auto``): from the first annotator's attributions with a named source
and 8-40 words of content, "Who said that <the content's first 12 words>?"; the first quote's speaker
must share a name word with the gold source (over all questions: an abstention is wrong). ``N``: a fixed
random sample of N questions.

Results: ``benchmarks/results/questions_<part>.json``. ``--errors N`` prints up to N misses per type to
stderr, with text: never paste statement text into a committed file.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import question_sets as qs
from common import WORK_DIR, Stopwatch, load_average, log, summary_ms, write_result

PARAPHRASES_FILE = qs.QUESTIONS_DIR / "paraphrases.jsonl"


# -- indexes ------------------------------------------------------------------------------------------
def open_index(corpus: qs.Corpus, data: Path, records: dict[str, dict[str, Any]], root: Path, rebuild: bool) -> Any:
    """The corpus' index under ``root``: opened when it holds every record, else built with ``Assistant.build``."""
    from assistant.api import Assistant
    from corpus.options import LoadOptions

    index_dir = root / corpus.name
    if (index_dir / "manifest.json").exists() and not rebuild:
        qa = Assistant.open(index_dir)
        if qa.stats().statements == len(records):
            log(f"{corpus.name}: reusing the index in {index_dir}")
            return qa
        qa.close()
    rows_file = root / f"{corpus.name}.jsonl"
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    rows_file.write_text("".join(json.dumps(corpus.row(r), ensure_ascii=False) + "\n" for r in records.values()),
                         encoding="utf-8")
    with Stopwatch() as sw:
        qa = Assistant.build([rows_file], index_dir, options=LoadOptions(**corpus.load_options), rebuild=True,
                             progress=True)
    log(f"{corpus.name}: index built in {sw.seconds:.0f}s")
    return qa


def check_texts(qa: Any, questions: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]]) -> None:
    """Gold offsets are into the records' text: the indexed statements must hold the same text."""
    ids = sorted({g["statement"] for q in questions for g in q["gold"]} | {s for q in questions
                                                                          for s in q.get("statements") or []})
    indexed = qa.statements(ids)
    missing = [i for i in ids if i not in indexed]
    changed = [i for i in ids if i in indexed and indexed[i].text != records[i]["text"].rstrip()]  # the loader
    # strips trailing space (offsets unchanged)
    assert not missing, f"statements missing from the index: {missing[:5]}"
    assert not changed, f"indexed text differs from the data set (offsets would be wrong): {changed[:5]}"


# -- one corpus ---------------------------------------------------------------------------------------
def run_corpus(corpus: qs.Corpus, args: argparse.Namespace) -> dict[str, Any]:
    questions = qs.load_questions(corpus.questions_file)
    records = corpus.records(args.data)
    qs.validate(corpus, questions, records)
    by_id = {q["id"]: q for q in questions}
    chosen = [q for q in questions if args.part == "all" or q["part"] == args.part]
    if args.limit:
        chosen = chosen[: args.limit]
    needed = {i for q in chosen for i in [*qs.conversation(q, by_id), q["id"]]}  # earlier turns are asked too
    log(f"{corpus.name}: {len(questions)} questions valid; asking {len(chosen)} of part {args.part}")
    qa = open_index(corpus, args.data, records, args.index_root, args.rebuild)
    check_texts(qa, questions, records)
    qa.ask("warm-up: what did anyone say about fisheries?")
    answers: dict[str, Any] = {}
    rows, times = [], []
    for q in questions:
        if q["id"] not in needed:
            continue
        history = [answers[i] for i in qs.conversation(q, by_id)]
        start = time.perf_counter()
        answer = qa.ask(qs.filled(q["question"], q.get("phrase"), records), history=history)
        elapsed = time.perf_counter() - start
        answers[q["id"]] = answer
        if q in chosen:
            times.append(elapsed)
            rows.append({**qs.score(corpus, q, answer, records), "ms": round(elapsed * 1000, 1)})
    consistency = run_paraphrases(corpus, qa, questions, answers, records) if args.paraphrases else None
    qa.close()
    if args.errors:
        print_errors(rows, by_id, records, args.errors, answers)
    per_type = {t: qs.summarise([r for r in rows if r["type"] == t])
                for t in qs.TYPES if any(r["type"] == t for r in rows)}
    out = {"questions": len(rows), "overall": qs.summarise(rows), "per_type": per_type,
           "ask_latency_ms": summary_ms(times), "rows": rows}
    if consistency is not None:
        out["paraphrases"] = consistency
    return out


def run_paraphrases(
    corpus: qs.Corpus, qa: Any, questions: Sequence[dict[str, Any]], answers: dict[str, Any],
    records: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The share of paraphrases whose first quote is the original's (the originals are tune questions)."""
    by_id = {q["id"]: q for q in questions}
    entries = [json.loads(line) for line in PARAPHRASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    same: list[bool] = []
    for entry in entries:
        q = by_id.get(entry["id"])
        if q is None or q["id"] not in answers:
            continue
        for text in entry["paraphrases"]:
            answer = qa.ask(qs.filled(text, q.get("phrase"), records))
            same.append(qs.same_first_quote(answers[q["id"]], answer))
    return {"paraphrases": len(same), "same_first_quote": qs.mean([float(x) for x in same])}


def print_errors(rows, by_id, records, n: int, answers: dict[str, Any]) -> None:
    shown: Counter[str] = Counter()
    for r in rows:
        q = by_id[r["id"]]
        wrong = (not r["answerable"] and not r["abstained"]) or (r["answerable"] and not r.get("hit@1")) or (
            r.get("speaker_ok") is False)
        if not wrong or shown[r["type"]] >= n:
            continue
        shown[r["type"]] += 1
        print(f"\n[{r['id']} {r['type']}] {qs.filled(q['question'], q.get('phrase'), records)}", file=sys.stderr)
        print(f"   says: {answers[r['id']].message}", file=sys.stderr)
        for x in r["quotes"][:3]:
            text = records[x["statement"]]["text"][x["start"]:x["end"]] if x["statement"] in records else "?"
            who = x["speaker"] or x["source"]
            print(f"   got {x['statement']} ({who}, {x['date']}): {text[:150]!r}", file=sys.stderr)
        for g in q["gold"][:2]:
            text = records[g["statement"]]["text"][g["start"]:g["end"]]
            print(f"  want {g['statement']} ({q.get('speaker')}): {text[:150]!r}", file=sys.stderr)


# -- PolNeAR "who said" -------------------------------------------------------------------------------
QUOTE_CHARS = "\"'“”‘’«»„‚"


def polnear_who_said(folder: Path, limit: int, seed: int = 13) -> tuple[list[dict[str, Any]], list[Any], list[dict]]:
    """"Who said that …?" from PolNeAR dev gold attributions with a named source and 8-40 words of content."""
    import attribution as polnear  # benchmarks/attribution.py: loading, gold entities, name words

    articles, _ = polnear.load_split(folder, "dev", 0)
    meta = list(qs.CORPORA["polnear"].records(folder.parent).values())
    out: list[dict[str, Any]] = []
    for art in articles:
        for gi, g in enumerate(art.golds):
            if g.source_type != "named" or not g.entity:
                continue
            content = " ".join(art.text[s:e] for s, e in g.content)
            if not 8 <= len(re.findall(r"\w+", content)) <= 40:
                continue
            lead = content.split()
            while lead and lead[0].strip(QUOTE_CHARS + ",;:").lower() in ("", "that"):
                lead.pop(0)
            phrase = re.sub(r"[\"“”«»„]", "", " ".join(lead[:12])).strip(QUOTE_CHARS + " ,;:.?!")
            out.append({"article": art.id, "gold": gi, "content": g.content, "entity": sorted(g.entity),
                        "question": f"Who said that {phrase}?"})
    if limit:
        out = random.Random(seed).sample(out, min(limit, len(out)))
    return out, articles, meta


def run_polnear_auto(args: argparse.Namespace) -> dict[str, Any]:
    import attribution as polnear

    from assistant.api import Assistant

    questions, articles, meta = polnear_who_said(args.data / "polnear", args.polnear_auto)
    log(f"PolNeAR who-said: {len(questions)} questions over {len(articles)} articles")
    rows, times = [], []
    with tempfile.TemporaryDirectory(prefix="polnear_who_said_") as tmp:
        rows_file = Path(tmp) / "polnear_dev.jsonl"
        rows_file.write_text("".join(json.dumps(qs.CORPORA["polnear"].row(m)) + "\n" for m in meta), encoding="utf-8")
        qa = Assistant.build([rows_file], Path(tmp) / "index", progress=False)
        for x in questions:
            start = time.perf_counter()
            answer = qa.ask(x["question"])
            times.append(time.perf_counter() - start)
            first = answer.quotes[0] if answer.quotes else None
            hit = first is not None and first.statement_id == x["article"] and any(
                min(first.end, e) > max(first.start, s) for s, e in x["content"])
            speaker_ok = first is not None and bool(polnear.speaker_names(first.speaker) & set(x["entity"]))
            rows.append({"article": x["article"], "gold": x["gold"], "content_hit": hit, "speaker_ok": speaker_ok})
        qa.close()
    hits = [r for r in rows if r["content_hit"]]
    return {"questions": len(rows), "content_hit@1": qs.mean([float(r["content_hit"]) for r in rows]),
            "speaker_correct": qs.mean([float(r["speaker_ok"]) for r in rows]),
            "speaker_correct_of_hits": qs.mean([float(r["speaker_ok"]) for r in hits]),
            "ask_latency_ms": summary_ms(times)}


# -- output -------------------------------------------------------------------------------------------
COLUMNS = ("questions", "quote_hit@1", "quote_hit@3", "speaker_correct", "who_spoke_recall@5",
           "timeline_dates_found", "timeline_in_order", "abstention_recall", "answerable_abstained")


def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def print_tables(result: dict[str, Any]) -> None:
    for name, res in result["corpora"].items():
        print(f"\n{name} ({result['part']} part)")
        print(f"{'type':<20}" + "".join(f"{c.replace('timeline_', 'tl_'):>16}" for c in COLUMNS))
        for t, s in [*res["per_type"].items(), ("overall", res["overall"])]:
            print(f"{t:<20}" + "".join(f"{_fmt(s.get(c)):>16}" for c in COLUMNS))
        print(f"ask() p50 {res['ask_latency_ms']['p50_ms']} ms" + (
            f"; paraphrases: {res['paraphrases']['same_first_quote']} same first quote "
            f"({res['paraphrases']['paraphrases']})" if "paraphrases" in res else ""))
    auto = result.get("polnear_who_said")
    if auto:
        print(f"\nPolNeAR who said ({auto['questions']}): content hit@1 {_fmt(auto['content_hit@1'])}, speaker "
              f"{_fmt(auto['speaker_correct'])} (of hits {_fmt(auto['speaker_correct_of_hits'])})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder holding ungdc/, polnear/ and sgmfa/ (e.g. /work/shared/data)")
    ap.add_argument("--corpora", default="ungdc,polnear,sgmfa", help="comma-separated (default: all three)")
    ap.add_argument("--part", choices=("tune", "locked", "all"), default="tune",
                    help="which part of each set to score (default tune; score locked once, at the end)")
    ap.add_argument("--index-root", type=Path, default=WORK_DIR / "question_sets", help="where the indexes are kept")
    ap.add_argument("--rebuild", action="store_true", help="build the indexes afresh")
    ap.add_argument("--limit", type=int, default=0, help="ask only the first N chosen questions of each corpus")
    ap.add_argument("--paraphrases", action="store_true", help="also ask the paraphrases of the tune questions")
    ap.add_argument("--polnear-auto", type=int, nargs="?", const=0, default=None, metavar="N",
                    help="also ask PolNeAR dev 'who said that …?' questions (N: a sample of N; default all)")
    ap.add_argument("--errors", type=int, default=0, metavar="N", help="print up to N misses per type to stderr")
    args = ap.parse_args(argv)
    if args.part == "locked":
        log("scoring the LOCKED part: do this once, at the end, and tune nothing on what it shows")
    result: dict[str, Any] = {"part": args.part, "load_average_start": load_average(), "corpora": {}}
    for name in args.corpora.split(","):
        result["corpora"][name] = run_corpus(qs.CORPORA[name], args)
    if args.polnear_auto is not None:
        result["polnear_who_said"] = run_polnear_auto(args)
    result["load_average_end"] = load_average()
    print_tables(result)
    log(f"wrote {write_result(f'questions_{args.part}', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
