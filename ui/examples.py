"""Example questions for the loaded corpus, offered when the chat opens.

On the bundled sample they are the sample's own questions. On any other corpus they are built from
what the index holds: a speaker with a topic they spoke about, "Who spoke about …?" for a topic
several speakers raised, and a timeline question for a speaker or country that raised a topic in
statements of different years. Topics are found cheaply (a two-word phrase written in lower case in the
text, so never a name, or what a title says a statement is "on" or "about"), then each one used is
made a whole noun phrase: the noun chunk (spaCy) that holds it in its sentence, without its article
("fishing quotas", "a joint monitoring body" → "joint monitoring body"); a phrase that is part of no noun
chunk ("step back") is not a topic. An example is never cut: the page shows an example's first
``MAX_EXAMPLE_CHARS`` characters only, so a longer question is left out for a shorter one.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.api import Assistant
from corpus.sentences import split_sentences
from corpus.statement import Statement

if TYPE_CHECKING:
    from spacy.tokens import Span

SAMPLE_STATEMENT_ID = "lavrov-dushanbe-201st-base"
SAMPLE_QUESTIONS = (
    "What did Lavrov say about Micaller?",
    "What did Lavrov say about drug trafficking?",
    "And about ISIS?",
)
MAX_EXAMPLES = 5
MAX_SCANNED = 300  # statements read, so that a large corpus opens fast
MAX_EXAMPLE_CHARS = 60  # what Gradio's example buttons show of a text before cutting it with "..."
SPEAKER_TOPICS = 4  # a speaker's topics tried in turn for "What did … say about …?"
MAX_PARSED = 80  # sentences parsed to find the noun phrases of topics, so that a large corpus opens fast
_LEADING = frozenset({"det", "poss", "case", "predet"})  # dependencies left off the start of a noun chunk
TITLE_WEIGHT = 5  # a title's topic counts as often as five mentions in the text
_TOPIC = re.compile(r"\b(?:on|about|regarding|concerning)\s+(?:the\s+)?(.{3,60}?)\s*$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]|[.,;:!?()\"“”]")
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each every few first for from further had has
    have having he her here hers him his how i if in into is it its itself just last least less made make many
    may me more most much must my need new next no nor not now of off on once one only or other our ours out
    over own same said says say shall she should so some such than that the their them then there these they
    this those through to too under until up upon us very was we well were what when where which while who
    whom why will with within without would year years yet you your today time times way ways part parts
    people world country countries nation nations government state states day days week weeks month months
    further important great good long high forward continue continues continued like including per cent percent
    member members community communities international global
    """.split()
)
MAX_SHARE = 0.25  # on ten speakers or more, a phrase that a quarter of them use is a commonplace, not a topic
_cache: dict[tuple[int, int, int, int], list[str]] = {}


@dataclass
class _Topics:
    """Topics found per speaker, per statement, and how many speakers raised each."""

    by_speaker: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    speakers_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    years_of: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # topic -> (text it is in, offset), first seen


@dataclass(frozen=True)
class _Question:
    """A question around a topic: ``before + topic + after``, with the topics to try, best first."""

    before: str
    topics: tuple[str, ...]
    after: str

    def text(self, topic: str) -> str:
        return f"{self.before}{topic}{self.after}"


def example_questions(qa: Assistant, limit: int = MAX_EXAMPLES) -> list[str]:
    """The sample's questions when it is loaded, then questions built from the index (cached per generation)."""
    stats = qa.stats()
    key = (id(qa), stats.generation, stats.statements, limit)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _build(qa, limit)
    return list(_cache[key])


def _build(qa: Assistant, limit: int) -> list[str]:
    """Questions for ``qa``: the sample's first, then one of each kind, then more speakers with topics."""
    out: list[str] = list(SAMPLE_QUESTIONS) if qa.statement(SAMPLE_STATEMENT_ID) is not None else []
    headers = [h for h in qa.statement_headers(limit=MAX_SCANNED) if h.id != SAMPLE_STATEMENT_ID]
    texts = qa.statements([h.id for h in headers]) if headers else {}
    topics = _Topics()
    for header in headers:
        statement = texts.get(header.id, header)
        _collect(topics, statement)
    phrases = _NounPhrases(topics.where)
    for question in _questions(topics):
        if len(out) >= limit or phrases.parsed >= MAX_PARSED:
            break
        for topic in question.topics:  # the first that is a whole noun phrase and makes a question shown whole
            whole = phrases.whole(topic)
            text = question.text(whole)
            if whole and len(text) <= MAX_EXAMPLE_CHARS and text.lower() not in (q.lower() for q in out):
                out.append(text)
                break
    return out[:limit]


class _NounPhrases:
    """The whole noun phrase that holds a topic where it was first seen, each sentence parsed once."""

    def __init__(self, where: dict[str, tuple[str, int]]) -> None:
        self.where = where
        self.parsed = 0
        self._found: dict[str, str] = {}

    def whole(self, topic: str) -> str:
        """The noun chunk holding ``topic`` in its sentence, without its article; "" when none holds it whole."""
        if topic not in self._found:
            text, at = self.where.get(topic, ("", -1))
            span = next(((s, e) for s, e in split_sentences(text) if s <= at and at + len(topic) <= e), None)
            self._found[topic] = _chunk_around(text, span, at - span[0], len(topic)) if span else ""
            self.parsed += 1
        return self._found[topic]


def _chunk_around(text: str, span: tuple[int, int], at: int, size: int) -> str:
    """The noun chunk of the sentence ``text[span]`` that holds its characters ``at``…``at + size``."""
    from corpus.attribution import english_pipeline  # spaCy loads only when examples are built

    for chunk in english_pipeline()(text[span[0] : span[1]]).noun_chunks:
        if chunk.start_char <= at and at + size <= chunk.end_char:
            return noun_phrase(chunk)
    return ""


def noun_phrase(chunk: Span) -> str:
    """A spaCy noun chunk without its article or possessor ("the fishing quotas" → "fishing quotas"); "" when
    nothing is left but a pronoun."""
    tokens = list(chunk)
    while tokens and tokens[0].dep_ in _LEADING:
        tokens = tokens[1:]
    if not tokens or not any(t.pos_ in ("NOUN", "PROPN") for t in tokens):
        return ""
    return str(chunk.doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)])


def _collect(topics: _Topics, statement: Statement) -> None:
    """Add the topics of one statement under its speaker and the subject of a timeline."""
    who = statement.speaker.strip()
    if not who:
        return
    subject = _timeline_subject(statement)
    year = statement.date[:4] if statement.date[:4].isdigit() else ""
    said: Counter[str] = Counter()
    for topic, at in _text_topics(statement.text):
        said[topic] += 1
        topics.where.setdefault(topic, (statement.text, at))
    for topic, at in _title_topics(statement.title):  # what the statement is "on" weighs most
        said[topic] += TITLE_WEIGHT
        topics.where.setdefault(topic, (statement.title, at))
    for topic, n in said.items():
        topics.by_speaker[who][topic] += n
        topics.speakers_of[topic].add(who)
        if year and subject:
            topics.years_of[(subject, topic)].add(year)


def _questions(topics: _Topics) -> Iterable[_Question]:
    """One question of each kind in turn, best candidates first."""
    speakers_in_all = len(topics.by_speaker)
    cap = max(2, int(speakers_in_all * MAX_SHARE)) if speakers_in_all >= 10 else speakers_in_all
    shared = sorted(
        (t for t, who in topics.speakers_of.items() if 1 < len(who) <= cap),
        key=lambda t: (-len(topics.speakers_of[t]), t),
    )
    usable = set(shared) if speakers_in_all >= 10 else set(topics.speakers_of)  # few speakers: any topic
    timelines = sorted(
        (pair for pair, years in topics.years_of.items() if len(years) > 1 and pair[1] in usable),
        key=lambda pair: (-len(topics.years_of[pair]), pair),
    )
    speakers = sorted(topics.by_speaker, key=lambda s: (-sum(topics.by_speaker[s].values()), s))
    own = [(s, _best_topics(topics.by_speaker[s], usable)) for s in speakers]
    kinds: list[list[_Question]] = [
        [_Question(f"What did {_surname(s)} say about ", t, "?") for s, t in own if t],
        [_Question("Who spoke about ", (t,), "?") for t in shared],
        [_Question(f"How has {_possessive(subject)} position on ", (t,), " changed?") for subject, t in timelines],
    ]
    for i in range(max((len(k) for k in kinds), default=0)):
        for kind in kinds:
            if i < len(kind):
                yield kind[i]


def _best_topics(counts: Counter[str], usable: set[str]) -> tuple[str, ...]:
    """A speaker's topics among those some others raised too (topics, not turns of phrase), most frequent first,
    the first ``SPEAKER_TOPICS`` of them."""
    ranked = sorted((t for t in counts if t in usable), key=lambda t: (-counts[t], len(t), t))
    return tuple(ranked[:SPEAKER_TOPICS])


def _title_topics(title: str) -> list[tuple[str, int]]:
    """What a title says the statement is on, and where: "Remarks on the Lindqvist lighthouse" → "Lindqvist
    lighthouse"."""
    match = _TOPIC.search(title or "")
    if not match:
        return []
    topic = match.group(1).rstrip(" .?!")
    return [(topic, match.start(1))] if topic else []


def _text_topics(text: str) -> list[tuple[str, int]]:
    """Two-word phrases written in lower case, neither word a stop word ("fishing quotas", "sea-level rise"),
    each with where it starts."""
    words = list(_WORD.finditer(text))
    found: list[tuple[str, int]] = []
    for first, second in zip(words, words[1:]):
        a, b = first.group(), second.group()
        if not (a.islower() and b.islower()) or a in _STOP or b in _STOP:
            continue
        if len(a) > 2 and len(b) > 3 and text[first.end() : second.start()] == " ":
            found.append((f"{a} {b}", first.start()))
    return found


def _timeline_subject(statement: Statement) -> str:
    """Whose position a timeline follows: the statement's country when its metadata gives one (or its source
    names the country beside a country code), else its speaker."""
    for key in ("country_name", "country"):
        value = statement.metadata.get(key)
        if isinstance(value, str) and value.strip() and not value.isupper():
            return value.strip()
    if statement.metadata.get("country") and 0 < len(statement.source.split()) <= 4:
        return statement.source.strip()
    return _surname(statement.speaker.strip())


def _surname(name: str) -> str:
    """The last word of a name: "Elara Voss" → "Voss"."""
    parts = name.split()
    return parts[-1] if parts else name


def _possessive(name: str) -> str:
    """The possessive of a name: "Voss" → "Voss's"."""
    return f"{name}'s"
