"""``read_question``: a question, the conversation so far and the index's vocabulary in, a ``QuestionFrame`` out.

The steps, each its own module: misspelt framing words are corrected (``typos``); the question is parsed
once with spaCy (``parsing``); its time expressions are found and each is given a role by the parse
(``times``); its kind is read from its cue words and shape, with a nearest-example fallback (``intent``);
who it asks about is found in the index's vocabulary wherever it stands (``mentions``); the topic is what
is left; a follow-up takes what it leaves out from earlier turns (``follow_up``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from assistant.phrase_lookup import quoted_phrase
from assistant.reading.follow_up import (
    FOLLOW_UP_FILLER,
    SAME_STATEMENT,
    one_thing_changed,
    previous_frame,
    resolve,
)
from assistant.reading.frame import QuestionFrame
from assistant.reading.intent import TIMELINE_WORDS, Intent, NearestIntent, read_intent
from assistant.reading.mentions import (
    Mention,
    find_mention,
    is_framing_word,
    topic_without,
    unknown_name,
    whole_subject,
)
from assistant.reading.parsing import parse, stop_words
from assistant.reading.times import TimeMention, find_times, statement_time
from assistant.reading.typos import corrected_question, framing_word_for
from assistant.reading.vocabulary import Vocabulary

if TYPE_CHECKING:
    from spacy.tokens import Doc

# A topic a follow-up names by a pronoun: "what did Brannock say about it?", "has she mentioned that?".
_TOPIC_PRONOUN = re.compile(
    r"\b(?:about|on|of|regarding|concerning|to|mention(?:ed|s)?|raised?|address(?:ed)?|discuss(?:ed)?)\s+"
    r"(it|them|that|this|those|these|the\s+same(?:\s+thing)?|the\s+(?:issue|matter|subject|topic))\W*$",
    re.IGNORECASE,
)


# Where the words were said, named around the question ("per the foreign office readout, …"): not the topic.
_PROVENANCE = re.compile(
    r"(?:^|,)\s*(?:per|according\s+to|in|from|at)\s+(?:the\s+|a\s+|an\s+)?(?P<named>(?:[\w'’-]+\s+){0,6}?"
    r"(?:readout|statement|transcript|press\s+release|release|briefing|interview|remarks|speech|address|lecture|"
    r"keynote|doorstop|repl(?:y|ies)|op-ed|letter|message|article))s?\s*(?:,|[?.!]*$)",
    re.IGNORECASE,
)
_HINT_SKIP = frozenset({"his", "her", "their", "its", "the", "a", "an", "written", "press"})


def read_question(
    text: str,
    history: Sequence[QuestionFrame] = (),
    vocabulary: Vocabulary | None = None,
    answered: tuple[str, ...] = (),
    nearest: NearestIntent | None = None,
    today: date | None = None,
) -> QuestionFrame:
    """What ``text`` asks, read against the earlier questions of its conversation (``history``, oldest first).

    ``vocabulary``: what the index knows (speakers, years, words); without it names are not linked and no
    word is corrected. ``answered``: the statements the previous answer quoted ("in that speech").
    ``nearest``: the example-based fallback for questions no rule reads.
    """
    raw = " ".join(text.split())
    fixed = corrected_question(raw, _known(vocabulary)) if vocabulary is not None else raw
    doc = parse(fixed) if fixed else None
    quoted = quoted_phrase(fixed)
    latest = vocabulary.last_date if vocabulary is not None else ""
    times = find_times(fixed, doc, today, latest) if not quoted else []
    intent = read_intent(fixed, quoted)
    if not intent.sure and nearest is not None and doc is not None:
        intent = replace(intent, kind=nearest.kind(doc) or "ask", topic="")  # the topic: what the text leaves
    stated = statement_time(times)
    if intent.kind == "ask" and _over_years(stated) and re.match(r"^\W*how\s+(?:has|have|did)\b", fixed, re.I):
        intent = replace(intent, kind="timeline")  # "How has X talked about Y from 2022 through 2024?"
    unheld = _unheld(stated, vocabulary)
    if stated is not None and unheld is None and not _held(stated, vocabulary):
        times = [t for t in times if t is not stated]  # "Hurricane Dorian in 2019" over 2020-2024: the event's
        stated = None
    shift = next((t.shift for t in times if t.role == "relative"), 0)
    cut = [(t.start, t.end) for t in times if t.role in ("statement", "relative")]
    provenance = list(_PROVENANCE.finditer(fixed))  # "in her S Rajaratnam Lecture": where, not what
    cut += [m.span() for m in provenance]
    cut += [m.span() for m in SAME_STATEMENT.finditer(fixed)]  # "in that Hong Kong forum speech"
    hint = " ".join(w for m in provenance for w in m.group("named").split() if w.lower() not in _HINT_SKIP)
    mention = None
    if vocabulary is not None and intent.kind in ("ask", "timeline", "more", "topic"):
        mention = find_mention(_without(fixed, cut), vocabulary.speakers, doc)
        if mention is not None:
            mention = whole_subject(fixed, mention, doc)
    frame = QuestionFrame(
        text=raw, topic=_topic(fixed, intent, mention, cut, doc), speaker=_speaker(intent, mention),
        when=stated.span if stated is not None and unheld is None else None, kind=intent.kind, phrase=intent.phrase,
        first=intent.first, unheld=unheld or "", hint=hint,
    )
    same = SAME_STATEMENT.search(fixed) is not None  # "in that speech": the statements the last answer quoted
    frame = replace(frame, within=answered if same and answered else ())
    if vocabulary is not None and frame.kind != "quote" and mention is None:
        frame = replace(frame, unknown=unknown_name(fixed, doc, vocabulary, frame.speaker, mention))
    pronoun = _TOPIC_PRONOUN.search(fixed)
    if not frame.topic and pronoun is not None:  # "what did Brannock say about it?": the previous topic
        frame = replace(frame, topic=pronoun.group(1))
    previous = previous_frame(history)
    if previous is not None:
        changed = _one_thing_changed(frame, fixed, times, vocabulary, previous, shift)
        if changed is not None:
            return replace(changed, within=frame.within)
    frame = resolve(frame, history, shift)
    if vocabulary is not None and frame.topic and not frame.phrase:
        spelled = vocabulary.spelled(frame.topic)  # a misspelt topic word ("climte") as the index spells it
        frame = replace(frame, spelled=spelled if spelled != frame.topic else "")
    return frame


def _known(vocabulary: Vocabulary) -> Callable[[str], bool]:
    """Whether a word is one the index holds: in a statement or a speaker's name (never a typo to correct)."""
    def known(word: str) -> bool:
        lower = word.lower()
        if vocabulary.speakers.knows_name_word(lower):
            return True
        meant = framing_word_for(lower)
        name_like = word[:1].isupper() and meant in stop_words()  # "Turing" is no "during": a name, not a typo
        if meant is not None and not name_like and vocabulary.is_much_rarer(lower, meant):
            return False  # "minster", a typo in a few statements too, for "minister" in thousands
        return vocabulary.terms is not None and vocabulary.holds_word(lower)
    return known


def _without(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with ``spans`` blanked (same length, so offsets still hold)."""
    out = list(text)
    for start, end in spans:
        out[start:end] = " " * (end - start)
    return "".join(out)


def _speaker(intent: Intent, mention: Mention | None) -> str:
    if intent.kind in ("who", "quote", "others") and not intent.speaker:
        return ""
    if mention is not None:
        return mention.text
    return _clean(intent.speaker)


def _topic(
    text: str, intent: Intent, mention: Mention | None, cut: Sequence[tuple[int, int]], doc: Doc | None
) -> str:
    """What the question is about: the quoted words, the rest after "who spoke about", or what is left of the
    question once the speaker, the statement time and the framing words are taken off."""
    if intent.kind == "quote":
        return intent.phrase
    if intent.kind in ("who", "others", "topic", "more") and mention is None and (intent.topic or intent.sure):
        return _clean(_strip_times(intent.topic, text, cut))
    if intent.kind == "timeline":  # the timeline words are no part of the topic
        cut = [*cut, *((m.start(), m.end()) for m in TIMELINE_WORDS.finditer(text))]
    if mention is not None:
        return _clean(topic_without(text, (mention.start, mention.end), *cut, doc=doc))
    if intent.speaker:
        return _clean(_strip_times(intent.topic, text, cut))
    return _clean(topic_without(text, *cut, doc=doc))


def _strip_times(part: str, text: str, cut: Sequence[tuple[int, int]]) -> str:
    """``part`` (a piece of ``text``) without the time expressions of ``text`` it contains."""
    for start, end in cut:
        part = part.replace(text[start:end], " ")
    return " ".join(part.split())


def _over_years(stated: TimeMention | None) -> bool:
    """Whether a statement time spans more than one year ("from 2022 through 2024", "since 2021")."""
    if stated is None:
        return False
    years = stated.span.years
    return years is not None and years[0] != years[1]


def _held(stated: TimeMention, vocabulary: Vocabulary | None) -> bool:
    """Whether the index holds statements of the time asked (or cannot say)."""
    if vocabulary is None or vocabulary.years is None:
        return True
    asked = stated.span.years
    first, last = vocabulary.years
    return asked is None or not (asked[1] < first or asked[0] > last)


def _unheld(stated: TimeMention | None, vocabulary: Vocabulary | None) -> str | None:
    """A statement time the index holds no statement of, written as dating the statements ("in her 2031
    address", "said in 2031"), to be said so; None otherwise (a time that may be an event's stays in the topic)."""
    if stated is None or not stated.strong or _held(stated, vocabulary):
        return None
    return stated.span.spoken()


def _one_thing_changed(
    frame: QuestionFrame, text: str, times: Sequence[TimeMention], vocabulary: Vocabulary | None,
    previous: QuestionFrame, shift: int,
) -> QuestionFrame | None:
    """"and in 2019?", "and the following year's?", "and Valdoria?": the previous question, one thing changed."""
    rest = _without(text, [(t.start, t.end) for t in times])
    rest = FOLLOW_UP_FILLER.sub(" ", rest).strip(" ,?!.")
    rest = re.sub(r"^(?:the\s+)?(?:one|speech|statement|address)(?:['’]s)?$", "", rest, flags=re.I).strip()
    names = bool(rest) and vocabulary is not None and not any(is_framing_word(w) for w in rest.split()) and len(
        rest.split()) <= 6 and vocabulary.speakers.match(rest, strict=True) is not None and (
        rest[:1].isupper() or vocabulary.speakers.is_whole_name(rest))
    return one_thing_changed(frame, rest, previous, names, shift)


def _clean(phrase: str) -> str:
    phrase = phrase.strip(" ,;:'\"“”‘’")
    phrase = re.sub(r"^(?:the\s+topic\s+of|the\s+issue\s+of|the\s+subject\s+of)\s+", "", phrase, flags=re.I)
    phrase = re.sub(r"^['’]s\s+", "", phrase)
    return phrase.strip()
