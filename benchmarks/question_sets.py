"""The blind-written question sets (``benchmarks/questions/``): their corpora, validation and scoring.

Three corpora, each indexed through the public API as a user would index it:

- ``ungdc``: the 964 UN General Debate speeches of 2020-2024 (speaker, post, country; source = the
  country's name; dated by year);
- ``polnear``: the 84 PolNeAR dev news articles (title, publisher as source, date; no speaker: who said
  what is found in the text);
- ``sgmfa``: the 875 Singapore MFA press statements, readouts, replies and transcripts 2021-2024 (title,
  date, source, URL; no speaker). The site's country tags are kept as ``country_tags`` (what a statement
  is about, not who speaks).

A question file holds questions written by helpers who read the data and never the code, split 60/40
into ``tune`` and ``locked`` before any result was seen (``split_questions.py``). Words a provenance
question quotes are not written in the file: ``{phrase}`` in the question is filled at run time from the
record offsets in ``phrase``, so no statement text is committed.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
TYPES = (
    "speaker_topic", "org_country_topic", "role", "date_limited", "event_date", "range", "exact_quote",
    "unquoted_provenance", "who_spoke", "timeline", "follow_up", "unanswerable",
)
MULTI_STATEMENT_TYPES = ("who_spoke", "timeline")
MAX_GOLD_CHARS = 1500  # a sentence or two
WHO_SPOKE_AT = 5  # who-spoke recall is counted over the first five quotes
HONORIFICS = frozenset("""
mr mrs ms miss dr his her majesty highness holiness excellency he sheikh shaikh prince princess king queen
emir amir president vice prime minister cardinal archbishop pope general sir jr sr mp hon h e s
""".split())
NAME_PARTICLES = frozenset("al el bin ibn bint da de del dos la le van von abu ould ben".split())


# -- corpora ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    """One data set: where its records are, how a record becomes an indexed row, and its question file."""

    name: str
    letter: str
    data_file: str  # relative to the data folder
    row: Callable[[dict[str, Any]], dict[str, Any]]  # a record as the JSONL row the project indexes
    keep: Callable[[dict[str, Any]], bool] = lambda r: True
    load_options: dict[str, Any] = field(default_factory=dict)  # corpus.options.LoadOptions keywords

    @property
    def questions_file(self) -> Path:
        return QUESTIONS_DIR / f"{self.name}.jsonl"

    def records(self, data: Path) -> dict[str, dict[str, Any]]:
        """The records of the data set that are indexed, by id."""
        out = {}
        with gzip.open(data / self.data_file, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if self.keep(rec):
                    out[rec["id"]] = rec
        return out

    def date_of(self, record: dict[str, Any]) -> str:
        """The date the index gives a record (a year for UNGDC)."""
        return str(record.get("date") or record.get("year") or "")


def _polnear_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "text": r["text"], "title": r.get("title"), "source": r.get("publisher"),
            "date": r.get("date")}


def _sgmfa_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "text": r["text"], "title": r["title"], "date": r["date"], "source": r["source"],
            "url": r["url"], "country_tags": r.get("country")}


CORPORA = {
    "ungdc": Corpus("ungdc", "u", "ungdc/ungdc_2015-2024.jsonl.gz", row=dict, keep=lambda r: 2020 <= r["year"] <= 2024,
                    load_options={"source": ("country_name", "source")}),
    "polnear": Corpus("polnear", "p", "polnear/polnear_dev.jsonl.gz", row=_polnear_row),
    "sgmfa": Corpus("sgmfa", "s", "sgmfa/sgmfa_statements.jsonl.gz", row=_sgmfa_row),
}


# -- questions ----------------------------------------------------------------------------------------
def sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def filled(question: str, phrase: dict[str, Any] | None, records: dict[str, dict[str, Any]]) -> str:
    """The question as asked: ``{phrase}`` replaced by the words at the phrase's offsets."""
    if "{phrase}" not in question or not phrase:
        return question
    words = records[phrase["statement"]]["text"][phrase["start"] : phrase["end"]]
    return question.replace("{phrase}", " ".join(words.split()))


def _check_span(where: str, span: dict[str, Any], records: dict[str, dict[str, Any]], limit: int) -> str:
    rec = records.get(span["statement"])
    assert rec is not None, f"{where}: {span['statement']} is not a record of this corpus"
    text = rec["text"]
    start, end = span["start"], span["end"]
    assert 0 <= start < end <= len(text), f"{where}: offsets out of range in {span['statement']}"
    assert end - start <= limit, f"{where}: span longer than a sentence or two"
    piece = text[start:end]
    assert piece == piece.strip(), f"{where}: span has surrounding spaces"
    assert start == 0 or not text[start - 1].isalnum(), f"{where}: span starts inside a word"
    assert end == len(text) or not text[end].isalnum(), f"{where}: span ends inside a word"
    assert sha(piece) == span["sha1"], f"{where}: {span['statement']}[{start}:{end}] is not the intended text"
    return piece


def validate(corpus: Corpus, questions: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]]) -> None:
    """Assert that a question file is well formed and every gold span is the text it was written for."""
    seen: set[str] = set()
    for q in questions:
        qid = q.get("id")
        where = f"{corpus.name} question {qid}"
        assert isinstance(qid, str) and re.fullmatch(rf"{corpus.letter}\d{{3}}", qid), f"{where}: bad id"
        assert qid not in seen, f"{where}: duplicate id"
        assert q["type"] in TYPES, f"{where}: unknown type {q['type']!r}"
        assert q.get("part") in ("tune", "locked"), f"{where}: not split (benchmarks/split_questions.py)"
        assert q["follows"] is None or q["follows"] in seen, f"{where}: follows an unknown or later question"
        assert (q["follows"] is not None) == (q["type"] == "follow_up"), f"{where}: follows set iff follow_up"
        assert bool(q["gold"]) == q["answerable"], f"{where}: gold must be empty exactly when unanswerable"
        for g in q["gold"]:
            _check_span(where, g, records, MAX_GOLD_CHARS)
        if "{phrase}" in q["question"]:
            _check_span(where, q["phrase"], records, 400)
        if q["type"] in MULTI_STATEMENT_TYPES:
            assert q.get("statements"), f"{where}: {q['type']} needs the statements the answer must come from"
            assert {g["statement"] for g in q["gold"]} <= set(q["statements"]), f"{where}: gold outside statements"
        seen.add(qid)


def conversation(q: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Ids of the earlier questions of ``q``'s conversation, oldest first."""
    chain = []
    current = q.get("follows")
    while current:
        chain.append(current)
        current = by_id[current].get("follows")
    return chain[::-1]


# -- scoring ------------------------------------------------------------------------------------------
def name_words(name: str | None) -> set[str]:
    """Lower-case words of a name without accents, honorifics and particles."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return {w for w in re.findall(r"[a-z]+", plain) if len(w) >= 3 and w not in HONORIFICS and w not in NAME_PARTICLES}


def names_match(said_by: str | None, expected: Iterable[str | None]) -> bool:
    """The quote's speaker shares a name word with one of the expected names."""
    words = name_words(said_by)
    return bool(words) and any(words & name_words(e) for e in expected if e)


def quote_hits(quote: Any, gold: dict[str, Any]) -> bool:
    """Same statement, and overlap >= 50% of the quote or the quote contains the gold span."""
    if quote.statement_id != gold["statement"]:
        return False
    overlap = min(quote.end, gold["end"]) - max(quote.start, gold["start"])
    holds = quote.start <= gold["start"] and quote.end >= gold["end"]
    return overlap >= 0.5 * max(1, quote.end - quote.start) or holds


def score(corpus: Corpus, q: dict[str, Any], answer: Any, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One question's verdicts: hits at 1 and 3, the speaker of the first hit, coverage, dates, abstention."""
    quotes = list(answer.quotes)
    abstained = bool(answer.abstained) or not quotes
    row: dict[str, Any] = {
        "id": q["id"], "type": q["type"], "part": q["part"], "answerable": q["answerable"], "abstained": abstained,
        "quotes": [{"statement": x.statement_id, "start": x.start, "end": x.end, "speaker": x.speaker,
                    "source": x.source, "date": x.date} for x in quotes],
    }
    if not q["answerable"]:
        return row
    hits = [next((g for g in q["gold"] if quote_hits(x, g)), None) for x in quotes]
    row["hit@1"] = bool(hits) and hits[0] is not None
    row["hit@3"] = any(h is not None for h in hits[:3])
    first = next(((x, h) for x, h in zip(quotes[:3], hits[:3]) if h is not None), None)
    if first is not None:
        quote, gold = first
        expected = [q.get("speaker"), records[gold["statement"]].get("speaker")]
        row["speaker_ok"] = q.get("speaker") is None and not records[gold["statement"]].get("speaker") or names_match(
            quote.speaker or quote.source, expected)
    if q["type"] in MULTI_STATEMENT_TYPES:  # who spoke, and when: counted by statement (one quote each)
        wanted = list(dict.fromkeys(q["statements"]))
        top = {x.statement_id for x in quotes[:WHO_SPOKE_AT]}
        row["recall@5"] = len(top & set(wanted)) / min(len(wanted), WHO_SPOKE_AT)
        if q["type"] == "timeline":
            gold_dates = {corpus.date_of(records[s]) for s in wanted}
            shown = {x.date for x in quotes if x.statement_id in wanted}
            row["dates_found"] = len(gold_dates & shown) / len(gold_dates)
            dates = [x.date or "" for x in quotes]
            row["chronological"] = dates == sorted(dates)
    return row


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Hit rates over answerable questions, the speaker over hits, abstention, who-spoke and timeline figures."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    hits = [r for r in answerable if r.get("hit@3")]
    abstained = [r for r in rows if r["abstained"]]
    out: dict[str, Any] = {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "quote_hit@1": mean([float(r["hit@1"]) for r in answerable]),
        "quote_hit@3": mean([float(r["hit@3"]) for r in answerable]),
        "speaker_correct": mean([float(r["speaker_ok"]) for r in hits]), "speaker_checked": len(hits),
        "abstention_precision": mean([float(not r["answerable"]) for r in abstained]),
        "abstention_recall": mean([float(r["abstained"]) for r in unanswerable]),
        "answerable_abstained": mean([float(r["abstained"]) for r in answerable]),
    }
    who = [r for r in answerable if r["type"] == "who_spoke"]
    if who:
        out["who_spoke_recall@5"] = mean([r["recall@5"] for r in who])
    timelines = [r for r in answerable if r["type"] == "timeline"]
    if timelines:
        out["timeline_dates_found"] = mean([r["dates_found"] for r in timelines])
        out["timeline_in_order"] = mean([float(r["chronological"]) for r in timelines if r["quotes"]])
    return out


def same_first_quote(a: Any, b: Any) -> bool:
    """Two answers agree: both abstain, or their first quotes are in one statement and overlap."""
    if not a.quotes or not b.quotes:
        return not a.quotes and not b.quotes
    x, y = a.quotes[0], b.quotes[0]
    return x.statement_id == y.statement_id and min(x.end, y.end) > max(x.start, y.start)
