"""Time expressions in a question: what dates the statements asked about, and what dates an event in the topic.

Dates are found by a small normaliser (days, months, years, decades, ranges, "since", "before", "last
year", "last September") and confirmed, for a bare year, by spaCy's DATE entities. The parse decides
their role: a time after "in", "during", "since"… or on a word for a statement ("in 2019", "in her 2022
address", "from 2016 to 2018") dates the statements (a filter, relaxed when it leaves nothing); one
that modifies another noun ("the March 2021 floods", "the earthquake of 6 February 2023", "targets for
2050") belongs to the topic and stays in its words. "The following year" and "the year before" are
relative to the previous question.
"""
from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from assistant.reading.frame import TimeSpan

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
          r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?")
_YEAR = r"(?:19|20)\d{2}"
_TIME_WORD = re.compile(rf"{_MONTH}|(?:mon|tues|wednes|thurs|fri|satur|sun)day", re.IGNORECASE)
_PART_OF_TIME = frozenset({"end", "start", "beginning", "middle", "close", "turn", "rest", "remainder", "half"})
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# One date: a day, a month or a year (a decade, a year range written with a dash).
_ATOM = (
    rf"(?:(?P<d1>{_DAY})\s+(?:of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>{_YEAR})"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>{_DAY}),?\s+(?P<y2>{_YEAR})"
    rf"|(?P<m3>{_MONTH}),?\s+(?P<y3>{_YEAR})"
    rf"|(?P<rel>last|this|next)\s+(?P<relunit>year|month|{_MONTH})"
    r"|(?P<dec>(?:19|20)\d0)s"
    rf"|(?:early|mid|late)[-\s](?P<y4>{_YEAR})"
    rf"|(?P<y5>{_YEAR})(?:\s*[-–—/]\s*(?P<y5b>{_YEAR}|\d{{2}})(?!\d))?"
    rf"|(?P<d6>{_DAY})\s+(?:of\s+)?(?P<m6>{_MONTH})"  # a day or a month without its year: the index's latest
    rf"|(?P<m7>{_MONTH})\s+(?P<d7>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
    rf"|(?P<m8>{_MONTH}))"
)
_ATOM_RE = re.compile(rf"\b{_ATOM}\b", re.IGNORECASE)
# Operators in front of a date, and the words that join the two ends of a range.
_BEFORE_ATOM = re.compile(
    r"(?P<op>\bbetween|\bfrom|\bsince|\bafter|\bbefore|\buntil|\btill|\bthrough|\bup\s+to|\bprior\s+to|"
    r"\bstarting(?:\s+in)?|\bin\s+the\s+years?|\bin|\bduring|\bon|\bof|\bfor|\bby|\bat)\s+(?:the\s+(?:year\s+)?)?"
    r"(?:(?:early|mid|late|the\s+end\s+of|the\s+start\s+of)[-\s]+)?$",
    re.IGNORECASE,
)
_SEASON_BEFORE = re.compile(r"\b(?:early|mid|late|end\s+of|start\s+of)[-\s]+$", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:to|into|and|until|till|through|thru|-|–|—)\s+(?:the\s+(?:year\s+)?)?", re.IGNORECASE)
# A year is a date only where a date can stand: not "the 2030 Agenda", "Resolution 2254", "G20".
_NOT_A_DATE_AFTER = re.compile(r"^\s*(?:agenda|goals?|targets?|vision|plan|summit|declaration)\b", re.IGNORECASE)
_NOT_A_DATE_BEFORE = re.compile(r"(?:resolution|no\.?|number|article|paragraph|section|chapter|#)\s*$",
                                re.IGNORECASE)
_STATEMENT_AFTER = re.compile(r"^\s*(?:['’]s\s+)?(?:speech|statement|session|address|general\s+debate|debate|"
                              r"remarks|interview|press|briefing|readout|letter|message|reply|answer)",
                              re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(?:(?P<next>the\s+(?:following|next)\s+year|a\s+year\s+later|the\s+year\s+after)|"
    r"(?P<prev>the\s+(?:previous|preceding|prior)\s+year|a\s+year\s+(?:earlier|before)|the\s+year\s+before))"
    r"(?:['’]s)?",
    re.IGNORECASE,
)
# Nouns for a statement: a date that modifies one dates the statement ("her 2022 address").
STATEMENT_NOUNS = frozenset("""
speech speeches statement statements address addresses remarks remark session sessions debate interview interviews
conference press briefing briefings readout readouts letter letters message messages reply replies answer answers
comments comment transcript transcripts release releases op-ed article articles report reports post posts tweet
tweets year years time
""".split())
_SAYING_DEPS = ("prep", "npadvmod", "tmod", "advmod", "obl")


@dataclass(frozen=True)
class TimeMention:
    """A time expression in a question: where it is, what it spans, and what it dates.

    ``role``: "statement" (a filter on statement dates), "event" (part of the topic) or "relative"
    (``shift`` years from the previous question's time).
    """

    start: int
    end: int
    span: TimeSpan
    role: str
    shift: int = 0
    strong: bool = False  # on a word for a statement ("her 2031 address"), right after the verb ("said in 2031"),
    # or after a topic that names no event ("say about immigration in 2019"; not "Hurricane Dorian in 2019")


def find_times(text: str, doc: Doc | None = None, today: date | None = None, latest: str = "") -> list[TimeMention]:
    """Every time expression in ``text``, in order (``doc``: its parse, which decides each one's role). A day or
    month written without its year ("on 3 October", "during September") is the latest one on or before
    ``latest`` (the index's last date; else ``today``)."""
    today = today or date.today()
    latest = latest or today.isoformat()
    found: list[TimeMention] = []
    for m in _RELATIVE.finditer(text):
        found.append(TimeMention(m.start(), m.end(), TimeSpan(), "relative", 1 if m.group("next") else -1))
    taken = [(t.start, t.end) for t in found]
    atoms = [m for m in _ATOM_RE.finditer(text) if not any(a < m.end() and m.start() < b for a, b in taken)]
    i = 0
    while i < len(atoms):
        m = atoms[i]
        span = _atom_span(m, today, latest)
        if span is None:
            i += 1
            continue
        before = _BEFORE_ATOM.search(text[: m.start()])
        op = " ".join(before.group("op").lower().split()) if before else ""
        start = before.start() if before else m.start()
        end = m.end()
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        join = _RANGE_JOIN.match(text[m.end() : nxt.start()]) if nxt is not None else None
        if nxt is not None and join is not None and join.end() == nxt.start() - m.end() and (
                op in ("between", "from", "in the years", "in the year", "") or op.startswith("in")):
            other = _atom_span(nxt, today, latest)
            if other is not None:
                if _yearless(m) and not _yearless(nxt):  # "from September into October 2019": 2019's September
                    span = _atom_span(m, today, other.end) or span
                span, end, i = TimeSpan(span.start, other.end), nxt.end(), i + 1
        elif op in ("since", "from", "after", "starting", "starting in"):
            span = TimeSpan(_after(span.end) if op == "after" else span.start, "")
        elif op in ("before", "prior to"):
            span = TimeSpan("", _before(span.start))
        elif op in ("until", "till", "through", "up to"):
            span = TimeSpan("", span.end)
        elif not _is_date(m, text, doc, op):
            i += 1
            continue
        ranged = not span.single
        role = "event" if op in ("for", "by") else _role(doc, m.start(), m.end(), ranged)  # "targets for 2050"
        strong = False
        if role == "statement":
            wide = _statement_phrase(doc, start, end)  # "in her 2022 address", not just "2022"
            strong = wide != (start, end) or _after_saying(text[:start]) or _after_common_topic(doc, start)
            start, end = wide
        found.append(TimeMention(start, end, span, role, strong=strong))
        i += 1
    return sorted(found, key=lambda t: t.start)


def _yearless(m: re.Match[str]) -> bool:
    """Whether a date is written without its year ("3 October", "May 5", "September")."""
    return bool(m.group("m8") or m.group("d6") or m.group("d7"))


def is_time_word(word: str) -> bool:
    """Whether a word names a month or a day of the week ("September", "Sept.", "Tuesday")."""
    return _TIME_WORD.fullmatch(word) is not None


def statement_time(times: list[TimeMention]) -> TimeMention | None:
    """The time that dates the statements asked about: the first one in that role."""
    return next((t for t in times if t.role == "statement"), None)


def _atom_span(m: re.Match[str], today: date, latest: str) -> TimeSpan | None:
    g = m.groupdict()
    if g["m6"] or g["m7"] or g["m8"]:
        month = _month(g["m6"] or g["m7"] or g["m8"])
        day = int(re.sub(r"\D", "", g["d6"] or g["d7"])) if (g["d6"] or g["d7"]) else 0
        year = int(latest[:4])
        if f"{year}-{month:02d}-{max(day, 1):02d}" > latest:
            year -= 1  # "on 3 October" asked in March: last year's
        if day and not 1 <= day <= monthrange(year, month)[1]:
            return None
        value = f"{year}-{month:02d}" + (f"-{day:02d}" if day else "")
        return TimeSpan(value, value)
    for d, mo, y in (("d1", "m1", "y1"), ("d2", "m2", "y2")):
        if g[y]:
            day, month = int(re.sub(r"\D", "", g[d])), _month(g[mo])
            if not 1 <= day <= monthrange(int(g[y]), month)[1]:
                return None
            value = f"{g[y]}-{month:02d}-{day:02d}"
            return TimeSpan(value, value)
    if g["y3"]:
        value = f"{g['y3']}-{_month(g['m3']):02d}"
        return TimeSpan(value, value)
    if g["rel"]:
        rel, unit = g["rel"].lower(), g["relunit"].lower()
        step = {"last": -1, "this": 0, "next": 1}[rel]
        if unit == "year":
            return TimeSpan(str(today.year + step), str(today.year + step))
        if unit == "month":
            month_index = today.year * 12 + today.month - 1 + step
            value = f"{month_index // 12}-{month_index % 12 + 1:02d}"
            return TimeSpan(value, value)
        month = _month(unit)
        year = today.year if (rel == "this" or (rel == "last" and month < today.month)) else (
            today.year - 1 if rel == "last" else today.year + (month <= today.month))
        value = f"{year}-{month:02d}"
        return TimeSpan(value, value)
    if g["dec"]:
        return TimeSpan(g["dec"], str(int(g["dec"]) + 9))
    written: str = g["y4"] or g["y5"]
    if g["y5b"]:
        last = g["y5b"] if len(g["y5b"]) == 4 else written[:2] + g["y5b"]
        if int(last) <= int(written):
            return None
        return TimeSpan(written, last)
    return TimeSpan(written, written)


def _month(name: str) -> int:
    return _MONTHS.index(name.lower().strip(".")[:3]) + 1


def _is_date(m: re.Match[str], text: str, doc: Doc | None, op: str) -> bool:
    """Whether a lone year (or month) stands as a date here: after "in", "during"…, before "speech", or a DATE."""
    if m.group("m8") or m.group("d7"):  # "March", "May 5": a date only after "in", "during", "early"…
        return bool(op) or _SEASON_BEFORE.search(text[: m.start()]) is not None
    if not (m.group("y5") or m.group("y4")) or m.group("y5b"):
        return True  # a day, a month, a decade, "last year", a range: dates by their form
    if _NOT_A_DATE_AFTER.match(text[m.end():]) or _NOT_A_DATE_BEFORE.search(text[: m.start()]):
        return False
    if op or _STATEMENT_AFTER.match(text[m.end():]) or re.match(r"^\s*(?:['’]s|[?.!]|$)", text[m.end():]):
        return True
    if doc is not None:
        return any(e.label_ == "DATE" and e.start_char <= m.start() < e.end_char for e in doc.ents)
    return False


def _role(doc: Doc | None, start: int, end: int, ranged: bool) -> str:
    """"statement" or "event", from what the expression hangs on in the parse (``ranged``: a span of time
    after a preposition, "from 2016 to 2018", "since 2018", dates the statements wherever it hangs)."""
    if doc is None:
        return "statement"
    tokens = [t for t in doc if start <= t.idx < end]
    if not tokens:
        return "statement"
    inside = {t.i for t in tokens}
    root = next((t for t in tokens if t.head.i not in inside or t.head.i == t.i), tokens[0])
    head = root.head
    if head.i == root.i:
        return "statement"
    if root.dep_ == "pobj" and head.dep_ in ("prep", "agent"):  # "in 2019" dates the statement, wherever the
        # parser hangs it ("sea-level rise in 2018" is read as said in 2018, relaxed if nothing was); "the
        # earthquake of 6 February 2023" dates the event
        return "event" if head.lower_ == "of" and _is_topic_noun(head.head) and not ranged and (
            head.head.lower_ not in _PART_OF_TIME) else "statement"  # "the end of September" is a time
    if root.dep_ in _SAYING_DEPS:
        return "statement"
    if head.pos_ in ("NOUN", "PROPN") and root.dep_ in ("nummod", "compound", "amod", "nmod", "poss", "npadvmod"):
        return "statement" if head.lower_ in STATEMENT_NOUNS else "event"  # "her 2022 address" / "the 2016 election"
    return "statement"


def _after_saying(before: str) -> bool:
    """Whether a time follows the verb of saying right away ("said in 2031", "say last year")."""
    words = re.findall(r"[\w']+", before.lower())
    return bool(words) and words[-1] in ("say", "said", "says", "speak", "spoke", "state", "stated", "mention",
                                         "mentioned", "talk", "talked", "comment", "commented")


def _after_common_topic(doc: Doc | None, start: int) -> bool:
    """Whether a time hanging on the verb follows a topic of common nouns only ("about immigration in 2019"):
    dated events have names ("Hurricane Dorian in 2019", "the Maui wildfires in 2023"), so the time dates the
    statements. A time after a name, or not on the verb, may be the event's."""
    if doc is None:
        return False
    at = next((t for t in doc if t.idx >= start), None)
    if at is None or at.i == 0 or at.dep_ != "prep" or at.head.pos_ not in ("VERB", "AUX"):
        return False
    before = doc[at.i - 1]  # the last word of the topic: "immigration", "Dorian"
    return before.pos_ == "NOUN" and before.dep_ == "pobj" and not any(
        t.pos_ == "PROPN" or t.ent_type_ for t in before.subtree)


def _statement_phrase(doc: Doc | None, start: int, end: int) -> tuple[int, int]:
    """A date on a word for a statement widened to its phrase: "2022" → "in her 2022 address"."""
    if doc is None:
        return start, end
    tokens = [t for t in doc if start <= t.idx < end]
    heads = [t.head for t in tokens if t.head.lower_ in STATEMENT_NOUNS and t.head.i != t.i and not (
        start <= t.head.idx < end)]
    if not heads:
        return start, end
    noun = heads[0]
    first, last = noun.left_edge, noun
    if first.i > 0 and doc[first.i - 1].lower_ in ("in", "during", "from", "at", "of") and (
            doc[first.i - 1].head.i != noun.i):
        first = doc[first.i - 1]
    return min(start, first.idx), max(end, last.idx + len(last.text))


def _is_topic_noun(token: Token) -> bool:
    """A noun of the topic (not a word for a statement, nor the question's own verb)."""
    return token.pos_ in ("NOUN", "PROPN") and token.lower_ not in STATEMENT_NOUNS and token.dep_ != "ROOT"


def _after(value: str) -> str:
    """The first unit after ``value`` at its precision ("2018" → "2019", "2018-12" → "2019-01")."""
    if len(value) == 4:
        return str(int(value) + 1)
    if len(value) == 7:
        y, mo = int(value[:4]), int(value[5:7])
        return f"{y + mo // 12}-{mo % 12 + 1:02d}"
    d = date.fromisoformat(value)
    return date.fromordinal(d.toordinal() + 1).isoformat()


def _before(value: str) -> str:
    """The last unit before ``value`` at its precision."""
    if len(value) == 4:
        return str(int(value) - 1)
    if len(value) == 7:
        y, mo = int(value[:4]), int(value[5:7])
        return f"{y - (mo == 1)}-{(mo - 2) % 12 + 1:02d}"
    d = date.fromisoformat(value)
    return date.fromordinal(d.toordinal() - 1).isoformat()
