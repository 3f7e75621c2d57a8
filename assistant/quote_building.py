"""Building the quotes of an answer from scored sentences: whole sentences, verbatim, non-overlapping."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answer import Quote
from assistant.citation import document_title, speaker_role, statement_country
from assistant.phrase_lookup import find_phrase
from assistant.sentence_scoring import ScoredSentence
from assistant.sentence_speakers import (
    UNNAMED,
    Speaker,
    SpeakerQuery,
    is_own_speaker,
    main_attribution,
    phrase_of,
    someone_else,
)
from assistant.settings import ExtractionSettings
from assistant.speakers import ROLE_WORDS, name_tokens
from corpus.context import context_of
from corpus.markdown import is_heading
from corpus.statement import Statement

CLOSEST_SHOWN = 2  # passages shown, when nothing answers, as the closest (not an answer)
CONTEXT_EVIDENCE = 0.8  # the topic in its statement's context (the question it answers) counts this much for a sentence
NAMELESS_SHARE = 0.95  # a sentence writing none of the topic's names matches it below the abstention line
NEAR_DUPLICATE = 0.8  # word-set overlap above which a quote repeats one already chosen
MORE_GROUPS_COUNTED = 20  # "N more speakers": groups counted beyond those shown
_CONTINUATION = re.compile(
    r"^\W*(?:he|she|they|it|this|these|those|such|that|the\s+(?:minister|president|official|ambassador|"
    r"spokesperson|spokesman|spokeswoman|secretary|statement|remarks?)|instead|moreover|furthermore|however|"
    r"but|also|in\s+(?:his|her|their)\b)",
    re.IGNORECASE,
)

# A paragraph's number or letter at the start of a line ("38. ", "(b) ", "4) "): the document's, not the speaker's.
_PARAGRAPH_NUMBER = re.compile(r"(?:\d{1,3}[.)]|\((?:\d{1,3}|[a-z]|[ivxlc]{1,6})\))[ \t]+(?=\S)")

Key = tuple[str, int]  # (statement id, sentence position)


@dataclass(frozen=True)
class QuoteSelection:
    """The quotes that answer, best first; when there are none, the closest passages (not an answer)."""

    quotes: tuple[Quote, ...]
    closest: tuple[Quote, ...] = ()


class QuoteBuilder:
    """Chooses sentences from a ranking and turns them into verbatim quotes with their sources."""

    def __init__(self, settings: ExtractionSettings = ExtractionSettings(), context_fields: Sequence[str] = ()) -> None:
        self.settings = settings
        self.context_fields = tuple(context_fields)  # the index's (corpus.context), shown with each quote

    def select(
        self,
        sentences: Sequence[ScoredSentence],
        exclude: Sequence[tuple[str, int, int]] = (),
        speaker: Speaker = "",
        require_topic: bool = True,
    ) -> QuoteSelection:
        """Up to ``max_quotes`` non-overlapping quotes of whole sentences, best first, in one pass.

        ``exclude``: (statement id, start, end) ranges already quoted, never quoted again.
        ``speaker``: only sentences with evidence of this speaker's words are quoted (see ``SentenceScorer``).
        ``require_topic``: a sentence (or its neighbour) must match the topic at least
        ``abstain_below``. The closest passages ignore both conditions.
        """
        by_key = {c.key: c for c in sentences}
        quoted = {
            c.key
            for c in sentences
            for sid, a, b in exclude
            if sid == c.statement.id and c.span[0] < b and a < c.span[1]
        }
        answer = _Picker(self, by_key, set(quoted), self.settings.max_quotes, speaker, require_topic)
        closest = _Picker(self, by_key, set(quoted), min(CLOSEST_SHOWN, self.settings.max_quotes), "", False)
        for c in sentences:
            if answer.done and closest.done:
                break
            answer.offer(c)
            closest.offer(c)
        quotes = tuple(q for q in answer.quotes if _is_verbatim(q, by_key))
        return QuoteSelection(quotes, () if quotes else tuple(closest.quotes))

    def one_per(
        self,
        sentences: Sequence[ScoredSentence],
        group: Callable[[Quote], str],
        limit: int,
        speaker: Speaker = "",
        topic: str = "",
    ) -> tuple[tuple[Quote, ...], int]:
        """The best quote of each group (``group``: a quote's speaker, statement or year), most relevant first,
        up to ``limit``; and how many further groups also have one. Quotes must match the topic as answers do.
        ``topic``: words of the question; a quote's speaker is then the one credited with the words that hold
        most of them ("who said that the talks had failed?" names who said that, not who reported it)."""
        by_key = {c.key: c for c in sentences}
        picker = _Picker(self, by_key, set(), limit + MORE_GROUPS_COUNTED, speaker, True, group=group,
                         topic_words=_content_words(topic))
        for c in sentences:
            if picker.done:
                break
            picker.offer(c)
        quotes = [q for q in picker.quotes if _is_verbatim(q, by_key)]
        return tuple(quotes[:limit]), max(0, len(quotes) - limit)

    def containing(self, phrase: str, sentences: Sequence[ScoredSentence], speaker: Speaker = "") -> tuple[Quote, ...]:
        """Quotes of the sentences that hold ``phrase`` word for word (``phrase_lookup``), in ranking order:
        one per occurrence, the sentences it runs over, up to ``max_quotes``."""
        quotes: list[Quote] = []
        searched: set[str] = set()  # each statement is searched once, at its best-ranked sentence
        for c in sentences:
            if len(quotes) >= self.settings.max_quotes:
                break
            if c.statement.id in searched or (speaker and c.speaker_score <= 0):
                continue
            searched.add(c.statement.id)
            for start, end in find_phrase(c.statement.text, phrase, c.statement.title):
                lo = next(i for i, (a, b) in enumerate(c.spans) if b > start)
                hi = next((i for i, (a, b) in enumerate(c.spans) if b >= end), len(c.spans) - 1)
                quotes.append(self.quote(c, lo, hi, speaker, (start, end)))
        return tuple(quotes)

    def topic_match(self, c: ScoredSentence, by_key: dict[Key, ScoredSentence], same_speaker: bool = False) -> float:
        """How well the sentence or its neighbours match the topic, by words or meaning.

        ``same_speaker`` (a speaker is asked about, and who said each sentence is known): only neighbours with
        evidence of that speaker's words count, and a sentence holding only part of the topic's words counts
        by words at most ``partial_words_margin`` above its meaning. Retrieval is then confined to that
        speaker's statements, so its best sentences are often weak matches ("these very walls" for "the
        Great Green Wall"); without a speaker, every statement competes and words alone are good evidence.
        A sentence that writes none of the names the topic gives ("Paris") matches it below ``abstain_below``
        (its neighbour may still carry the match).
        """
        best = self._named(c, max(self._evidence(c, same_speaker), CONTEXT_EVIDENCE * c.context_score))
        for pos in (c.position - 1, c.position + 1):
            other = by_key.get((c.statement.id, pos))
            if other is not None and not (same_speaker and other.speaker_score <= 0):
                best = max(best, 0.9 * self._named(other, self._evidence(other, same_speaker)))
        return best

    def _named(self, c: ScoredSentence, evidence: float) -> float:
        """``evidence`` of a sentence, below the abstention line when it writes none of the topic's names
        ("the weather in Paris": weather without Paris is not the topic)."""
        return evidence if c.names_found else min(evidence, NAMELESS_SHARE * self.settings.abstain_below)

    def _evidence(self, c: ScoredSentence, partial_words_capped: bool) -> float:
        """A sentence's own topic match: its meaning, or its words (see ``topic_match``)."""
        s = self.settings
        words = c.lexical_score
        if partial_words_capped and words < s.whole_topic:
            words = min(words, c.topic_score + s.partial_words_margin)
        return max(c.topic_score, words)

    def extend(
        self, c: ScoredSentence, by_key: dict[Key, ScoredSentence], used: set[Key], speaker: Speaker
    ) -> tuple[int, int]:
        """The positions (first, last) of the quote around ``c``: a neighbour joins when it continues
        the thought ("He added…") or also answers (scores at least ``join_ratio`` of ``c``); when a speaker is
        asked about, only a neighbour that is their words too."""
        s = self.settings
        if s.max_sentences < 2:
            return c.position, c.position

        def foreign(other: ScoredSentence | None) -> bool:  # known to be someone else's words
            return bool(speaker) and other is not None and other.speaker_score <= 0

        options = []
        nxt = c.position + 1
        if nxt < len(c.spans) and (c.statement.id, nxt) not in used and _same_paragraph(c, c.position, nxt) and (
                not foreign(by_key.get((c.statement.id, nxt)))):
            other = by_key.get((c.statement.id, nxt))
            continues = bool(_CONTINUATION.match(c.sentence(nxt))) or (
                bool(speaker) and other is not None and other.speaker_score > 0
                and _mentions(c.sentence(nxt), phrase_of(speaker))
            )
            if continues or (other is not None and other.score >= s.join_ratio * c.score):
                options.append((other.score if other else 0.0, c.position, nxt))
        prv = c.position - 1
        if prv >= 0 and (c.statement.id, prv) not in used and _same_paragraph(c, prv, c.position) and (
                not foreign(by_key.get((c.statement.id, prv)))):
            other = by_key.get((c.statement.id, prv))
            # A continuation alone ("He added…") pulls in the sentence before only when no speaker is
            # asked about (the sentence after joins on a continuation either way).
            continues = bool(_CONTINUATION.match(c.sentence())) and not speaker
            if continues or (other is not None and other.score >= s.join_ratio * c.score):
                options.append((other.score if other else 0.0, prv, c.position))
        if not options:
            return c.position, c.position
        _, lo, hi = max(options)
        return lo, hi

    def quote(
        self, c: ScoredSentence, lo: int, hi: int, speaker: Speaker, words: tuple[int, int] | None = None
    ) -> Quote:
        """Sentences ``lo``..``hi`` of ``c``'s statement as a Quote, with context and who said it
        (``words``: the span whose speaker counts, when it is narrower than the sentences). A Markdown
        heading or a page's header or footer at either end (joined as a neighbour) is left out, and a paragraph number
        opening the first line ("38. "): they are the document's, not anyone's words.
        The speaker's post and country and a readable title come from the statement's metadata."""
        st = c.statement
        while lo < hi and is_heading(st.text, c.spans[lo][0], st.title):
            lo += 1
        while hi > lo and is_heading(st.text, c.spans[hi][0], st.title):
            hi -= 1
        start, end = c.spans[lo][0], c.spans[hi][1]
        if (start == 0 or st.text[start - 1] == "\n") and (number := _PARAGRAPH_NUMBER.match(st.text, start, end)):
            start = number.end()
        said_by = _said_by(c, words or (start, end), speaker, innermost=words is not None)
        return Quote(
            text=st.text[start:end], statement_id=st.id, start=start, end=end,
            context_before=c.sentence(lo - 1) if lo > 0 else "",
            context_after=c.sentence(hi + 1) if hi + 1 < len(c.spans) else "",
            speaker=said_by.speaker, source=st.source, date=st.date, title=document_title(st), url=st.url,
            page=st.page_at(start), score=round(c.score, 4),
            reported_speaker=said_by.speaker if said_by.reported else _guessed_speaker(st, speaker),
            path=st.path, speaker_kind=said_by.kind, reported=said_by.reported, speaker_confidence=said_by.confidence,
            reported_by=st.speaker if said_by.reported else "",
            role=speaker_role(st) if st.speaker else "", country=statement_country(st),
            context=context_of(st, self.context_fields),
        )


@dataclass
class _Picker:
    """One greedy walk down the ranking: the quotes chosen so far and the sentences they use."""

    builder: QuoteBuilder
    by_key: dict[Key, ScoredSentence]
    used: set[Key]
    limit: int
    speaker: Speaker
    require_topic: bool
    quotes: list[Quote] = field(default_factory=list)
    attributed: bool = field(init=False)
    words: list[set[str]] = field(default_factory=list)
    first_score: float | None = None
    done: bool = False
    group: Callable[[Quote], str] | None = None  # one quote per group (speaker, statement, year) when given
    groups: set[str] = field(default_factory=set)
    topic_words: frozenset[str] = frozenset()  # words whose speaker a quote names (see ``one_per``)

    def __post_init__(self) -> None:
        # who said each sentence is known: a neighbour by someone else says nothing about the speaker's topic
        self.attributed = isinstance(self.speaker, SpeakerQuery)

    def offer(self, c: ScoredSentence) -> None:
        """Quote ``c`` (with a neighbour) if it qualifies; stop when full or scores fall too far."""
        s = self.builder.settings
        if self.done:
            return
        if len(self.quotes) >= self.limit:
            self.done = True
            return
        if c.key in self.used or (self.speaker and c.speaker_score <= 0):
            return
        if self.first_score is not None and c.score < s.keep_ratio * self.first_score and self.group is None:
            self.done = True
            return
        if self.require_topic and self.builder.topic_match(c, self.by_key, self.attributed) < s.abstain_below:
            return
        lo, hi = self.builder.extend(c, self.by_key, self.used, self.speaker)
        quote = self.builder.quote(c, lo, hi, self.speaker, _words_said(c, (c.spans[lo][0], c.spans[hi][1]),
                                                                        self.topic_words))
        words = set(quote.text.lower().split())
        if any(len(words & seen) / max(1, len(words | seen)) > NEAR_DUPLICATE for seen in self.words):
            return
        if self.group is not None:
            key = self.group(quote)
            if key in self.groups:
                return
            self.groups.add(key)
        self.used.update((c.statement.id, p) for p in range(lo, hi + 1))
        self.words.append(words)
        self.quotes.append(quote)
        if self.first_score is None:
            self.first_score = c.score


@dataclass(frozen=True)
class _SaidBy:
    """Who said a quote's words, and how that is known."""

    speaker: str
    kind: str = ""  # direct | indirect | first_person; "" when known from metadata alone
    reported: bool = False  # the statement reports the words of someone found in its text
    confidence: float = 0.0


_STOP = frozenset("the a an of to that and in on for by with as at is was were be been it its this".split())


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"\w+", text.lower()) if w not in _STOP)


def _words_said(c: ScoredSentence, span: tuple[int, int], topic_words: frozenset[str]) -> tuple[int, int] | None:
    """The content span of the attribution in ``span`` whose words hold most of ``topic_words`` (at least a
    third of them), or None."""
    if not topic_words:
        return None
    best, best_share = None, 1 / 3
    text = c.statement.text
    for a in c.attributions:
        if a.content_start < span[1] and span[0] < a.content_end:
            share = len(topic_words & _content_words(text[a.content_start : a.content_end])) / len(topic_words)
            if share > best_share or share == best_share and best is not None and (
                    a.content_end - a.content_start < best[1] - best[0]):
                best, best_share = (max(a.content_start, span[0]), min(a.content_end, span[1])), share
    return best


def _said_by(c: ScoredSentence, span: tuple[int, int], speaker: Speaker, innermost: bool = False) -> _SaidBy:
    """The asked-about speaker's attribution in the quote, else the one covering most of it (``innermost``:
    the narrowest one holding all of ``span``, so that words nested in a report are their speaker's), else
    the metadata."""
    st = c.statement
    found = speaker.attribution(span, c.attributions, st) if isinstance(speaker, SpeakerQuery) else None
    if found is None and innermost:
        holding = [a for a in c.attributions if a.content_start <= span[0] and span[1] <= a.content_end]
        found = min(holding, key=lambda a: a.content_end - a.content_start, default=None)
    found = found or main_attribution(span, c.attributions)
    if found is None and (other := someone_else(span, c.attributions)) is not None:
        return _SaidBy(other.speaker or UNNAMED, other.kind, True, other.confidence)  # a colleague, not the speaker
    if found is None:
        return _SaidBy(st.speaker)
    if found.kind == "first_person" or is_own_speaker(found.speaker, st):  # the statement's own speaker's words
        return _SaidBy(st.speaker or found.speaker, found.kind, False, found.confidence)
    return _SaidBy(found.speaker, found.kind, bool(found.speaker), found.confidence)


def _guessed_speaker(st: Statement, speaker: Speaker) -> str:
    """Older indexes (no attributions): the asked-about name in its fullest form in the statement."""
    return full_name(st.text, speaker) if isinstance(speaker, str) and speaker and not st.speaker else ""


def _is_verbatim(quote: Quote, by_key: dict[Key, ScoredSentence]) -> bool:
    """The offset check: the quote is exactly its statement's text between its offsets."""
    for c in by_key.values():
        if c.statement.id == quote.statement_id:
            return c.statement.text[quote.start : quote.end] == quote.text
    return False


def _same_paragraph(c: ScoredSentence, a: int, b: int) -> bool:
    return "\n\n" not in c.statement.text[c.spans[a][1] : c.spans[b][0]]


def _mentions(sentence: str, speaker: str) -> bool:
    surname = speaker.split()[-1].lower() if speaker.split() else ""
    return bool(surname) and surname in sentence.lower()


def full_name(text: str, speaker: str) -> str:
    """The fullest form of a speaker's name the statement uses ("Lavrov" → "Sergei Lavrov")."""
    words = speaker.split()
    if not words:
        return speaker
    surname = re.escape(words[-1])
    best = speaker
    for m in re.finditer(rf"((?:[A-Z][\w’'\-]+\s+){{1,2}}){surname}\b", text):
        candidate = (m.group(1) + words[-1]).strip()
        # stop at role words: "Foreign Minister Sergei Lavrov" → "Sergei Lavrov"
        parts = candidate.split()
        while len(parts) > 1 and any(w in ROLE_WORDS for w in name_tokens(" ".join(parts[:-1]))):
            parts = parts[1:]
        candidate = " ".join(parts)
        if len(candidate) > len(best):
            best = candidate
    return best
