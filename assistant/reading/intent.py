"""What kind of answer a question wants: quotes of a speaker on a topic (ask), one quote per speaker (who),
one per dated statement in date order (timeline), where some words were said (quote), more of the same
speaker (more), others than the last speaker (others), or the last speaker on a new topic (topic).

Cue words and the shape of the question decide; a question no rule reads is compared, by meaning, with
labelled example questions (``INTENT_EXAMPLES``, encoded once by the index's model) and takes the kind
of the nearest one when it is near enough.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.cue_words import is_cue_word, is_speech_verb
from assistant.reading.words import QUESTION_VOCABULARY

if TYPE_CHECKING:
    from spacy.tokens import Doc

_SAY = (
    r"(?:say|said|says|saying|think|thinks|thought|state|stated|claim|claimed|argue|argued|tell|told|mention|"
    r"mentioned|write|wrote|note|noted|declare|declared)"
)
_ABOUT = r"(?:about|on|regarding|concerning|of|in relation to|with regard to|in regard to|re)"
_AND = r"^(?:(?:and|ok|okay|so|but|also|then|well)[,\s]+)*"
_GROUP = (  # who the speakers are, in "which countries…", "did any leader…"
    r"(?:countries|country|speakers?|leaders?|states?|delegations?|governments?|officials?|people|nations?|"
    r"ministers?|presidents?|organi[sz]ations?|groups?|parties|republicans?|democrats?|candidates?|senators?|"
    r"lawmakers?)"
)
_ANYONE = r"(?:anyone|anybody|someone|somebody|any\s+one|others?|other\s+\w+)"
_POSITION = r"(?:position|view|views|stance|opinion|statement|statements|remarks|comments|line|take)"
_DESCRIBE = (
    r"(?:describe|describes|characterize|characterise|criticize|criticise|view|see|frame|explain|justify|"
    r"respond\s+to|react\s+to|comment\s+on)"
)
_OPTIONAL_TOPIC = rf"(?:\s+{_ABOUT}\s+(?P<topic>.+))?$"
# "Who spoke about X?", "Which countries mentioned X?", "Has anyone raised X?": one quote per speaker.
_WHO = re.compile(
    rf"^(?:and\s+)?(?:who|which\s+(?:\w+\s+){{0,2}}?{_GROUP})\s+"
    r"(?:(?:has|have|had|did|does|do|ever|also|else|actually|already)\s+)*(?P<verb>[a-z]+)"
    r"(?P<rest>(?:\s+(?:up|to|for|on|about|of|over|regarding|against|that))*\s+.+)$",
    re.IGNORECASE,
)
_ANYONE_SPOKE = re.compile(
    rf"^(?:and\s+)?(?:has|have|did|does|do|is\s+there)\s+(?:{_ANYONE}|any\s+(?:\w+\s+){{0,2}}?{_GROUP})\s+"
    r"(?:who\s+)?(?:ever\s+|also\s+)?(?P<verb>[a-z]+)"
    r"(?P<rest>(?:\s+(?:up|to|for|on|about|of|over|regarding|against|that))*\s+.+)$",
    re.IGNORECASE,
)
_OVER_TIME = (r"over\s+(?:the\s+)?(?:years|time|decades?|sessions|months|weeks)|"
              r"(?:each|every)\s+(?:year|session|month)|"
              r"(?:date|day|week|month|session|year)\s+by\s+(?:date|day|week|month|session|year)|"
              r"in\s+(?:date|chronological|time)\s+order|chronologically|across\s+the\s+(?:last|first|past)\s+\w+|from\s+(?:his|her|their|its|the)\s+"
              r"first\s+\w+\s+to\s+(?:his|her|their|its|the)\s+(?:latest|last|most\s+recent)(?:\s+\w+)?|through\s+the\s+years|across\s+(?:the\s+)?"
              r"(?:years|sessions)|year\s+(?:by|after|on)\s+year|over\s+(?:all\s+)?(?:his|her|their|its|the)\s+"
              r"(?:addresses|speeches|statements|sessions|remarks|briefings)|in\s+each\s+(?:of\s+)?(?:year|session)")
_TIMELINE = re.compile(
    rf"\b(?:{_OVER_TIME}|timeline\s+of|"
    r"(?:has|have|did)\b[^?]{1,80}?\b(?:position|view|views|stance|line|policy|approach|tone|rhetoric|thinking|"
    r"language|priorities|mentions?|statements?|remarks|message|framing)\b[^?]{0,60}?\b(?:change|evolve|shift|"
    r"changed|evolved|shifted|developed|develop)\b|"
    r"(?<=\bwhen\s)\s*(?:did|has|have)\b[^?]{1,80}?\b(?P<first>first)(?=\s+\w+))",
    re.IGNORECASE,
)
TIMELINE_WORDS = re.compile(
    rf"\b(?:{_OVER_TIME}|timeline(?:\s+of)?|changed|evolved|shifted|developed|develop|change|evolve|shift|first)\b",
    re.IGNORECASE,
)
_FIRST_VERB = re.compile(r"\bfirst\s+(\w+)", re.IGNORECASE)

# Follow-ups whose kind their shape gives: a new topic, more of the same speaker, others than them.
_FOLLOW_UPS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:and\s+|so\s+|ok\s+|okay\s+)?(?:what|how)\s+about\s+(?P<topic>.+)$", re.I), "topic"),
    (re.compile(rf"^(?:and|also|then)\s+(?:{_ABOUT}|what\s+of)\s+(?P<topic>.+)$", re.I), "topic"),
    (re.compile(rf"{_AND}what\s+else\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}{_OPTIONAL_TOPIC}", re.I),
     "more"),
    (re.compile(
        rf"{_AND}(?:did|has|have|does|do)\s+{_ANYONE}\s+else\s+{_SAY}"
        rf"(?:\s+(?:that|so|the\s+same|this|it|similar|something\s+similar))?{_OPTIONAL_TOPIC}", re.I), "others"),
    (re.compile(
        rf"{_AND}(?:did|has|have|does|do)\s+(?:others|other\s+\w+|somebody\s+else|anybody\s+else)\s+{_SAY}"
        rf"(?:\s+(?:that|so|the\s+same|this|it|similar|something\s+similar))?{_OPTIONAL_TOPIC}", re.I), "others"),
    (re.compile(
        rf"{_AND}did\s+(?:anyone|anybody|someone|somebody)\s+{_SAY}\s+(?:the\s+same|so|that|something\s+similar)"
        rf"{_OPTIONAL_TOPIC}", re.I), "others"),
    (re.compile(rf"{_AND}who\s+else\s+{_SAY}(?:\s+(?:that|so|the\s+same|this|it))?{_OPTIONAL_TOPIC}", re.I), "others"),
]
# Questions that name a speaker and a topic in a known shape; the speaker phrase is kept even when the index does
# not know it as a name (reported speech is then looked for near a verb of saying).
_ASKS: list[re.Pattern[str]] = [
    re.compile(rf"{_AND}(?:what|how)\s+(?:did|does|do|has|have|had|was|is|were)\s+(?P<speaker>.+?)\s+"
               rf"(?:(?:have\s+)?to\s+)?{_SAY}(?:\s+(?:the\s+)?[A-Z][\w'’]*(?:\s+[A-Z][\w'’]*){{0,3}})?\s+{_ABOUT}\s+"
               rf"(?P<topic>.+)$", re.I),
    re.compile(rf"{_AND}(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}\s+(?:anything|something|much)?\s*{_ABOUT}\s+"
               rf"(?P<topic>.+)$", re.I),
    re.compile(rf"{_AND}(?:what\s+(?:is|was|are|were)|what's|whats)\s+(?P<speaker>.+?)(?:'s|’s|s')\s+{_POSITION}\s+"
               rf"{_ABOUT}\s+(?P<topic>.+)$", re.I),
    re.compile(rf"{_AND}(?:how|why)\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_DESCRIBE}\s+(?P<topic>.+)$", re.I),
    re.compile(rf"{_AND}what\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}$", re.I),
    re.compile(rf"{_AND}(?:quotes?|statements?|remarks)\s+(?:by|from)\s+(?P<speaker>.+?)\s+{_ABOUT}\s+(?P<topic>.+)$",
               re.I),
]
_DID_SPEAK = re.compile(
    r"^(?i:and\s+|so\s+)?(?i:did|does|do|has|have|had)\s+(?P<speaker>he|she|they|it|(?:the\s+)?[A-Z][\w.'’-]*"
    r"(?:\s+(?:[A-Z][\w.'’-]*|of|de|da|bin|al))*?)\s+(?:ever\s+|also\s+|not\s+|actually\s+)?(?P<verb>[a-z]+)"
    r"(?:\s+(?:up|about|on|of|to|for|that|against|over))*\s+(?P<topic>.+)$",
)
# Provenance without quote marks: "who told the conference that we will not retreat", "which minister said …".
_UNQUOTED = re.compile(
    r"^(?:and\s+)?(?:who|which\s+(?:\w+\s+){0,3}?\w+)\s+(?:(?:had|has|have|did)\s+)?(?P<verb>[a-z]+)"
    r"(?:\s+(?:(?!that\b)\w+\s+){0,4}?(?:that|how)\b|\s+(?=[\"“]))\s*(?P<phrase>(?:\S+\s+){4,}\S+?)\W*$",
    re.IGNORECASE,
)
INTENT_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Who spoke about the fisheries treaty?", "who"),
    ("Which delegations brought up debt relief?", "who"),
    ("Has anyone raised the border dispute?", "who"),
    ("Is there any minister who commented on the harbour fees?", "who"),
    ("List the countries that mentioned sea-level rise", "who"),
    ("Any leaders talking about vaccine patents?", "who"),
    ("Name the governments that criticised the embargo", "who"),
    ("Who else warned about the grain tariffs?", "others"),
    ("How has Norvania's position on quotas changed over the years?", "timeline"),
    ("Give me Valdoria's line on the tariffs, year by year", "timeline"),
    ("Trace the ministry's statements on the ferry across the sessions", "timeline"),
    ("How did Voss's mentions of the treaty develop over her addresses?", "timeline"),
    ("When did Estmark first bring up mangroves?", "timeline"),
    ("Show how the government's tone on the embargo evolved", "timeline"),
    ("Summarise the evolution of Norvania's stance on whaling", "timeline"),
    ("Track what Brannock said about the border through the years", "timeline"),
    ("The history of Valdoria's remarks on the canal, session by session", "timeline"),
    ("What did Voss say about fishing quotas?", "ask"),
    ("Did the ministry comment on the floods?", "ask"),
    ("What was Brannock's view on grain exports?", "ask"),
    ("Give me Valdoria's line on the tariffs", "ask"),
    ("How did the foreign minister describe the talks?", "ask"),
    ("Remarks by the spokesperson on the embargo", "ask"),
    ("What is the ministry's position on the sanctions?", "ask"),
    ("Norvania's take on the quotas", "ask"),
    ("fishing quotas", "ask"),
)
NEAREST_MIN = 0.75  # cosine similarity at which the nearest example's kind is taken
# Words kept when a question is compared by its shape: the framing vocabulary and words of sequence and change.
_SHAPE_WORDS = QUESTION_VOCABULARY | frozenset("""
evolution history trace track timeline list name summarise summarize each every across through over change changes
session sessions
""".split())


@dataclass(frozen=True)
class Intent:
    """The kind of answer a question wants, and what its shape says of the speaker and topic (may be empty)."""

    kind: str = "ask"
    speaker: str = ""
    topic: str = ""
    first: bool = False
    phrase: str = ""
    sure: bool = True  # a rule read it (False: no rule did, and the kind is a default)


def read_intent(text: str, quoted: str = "") -> Intent:
    """The kind of ``text`` by its cue words and shape (``quoted``: words it quotes, looked up as written)."""
    raw = text.rstrip(" ?!.")
    if quoted:
        ask = _ask(raw)
        if ask is not None and ask.speaker:
            return Intent("ask", ask.speaker, ask.topic, phrase=quoted)  # "What did Voss say about “sea walls”?"
        return Intent("quote", topic=quoted, phrase=quoted)
    unquoted = _UNQUOTED.match(raw)
    if unquoted and is_speech_verb(unquoted.group("verb")):
        return Intent("quote", topic=unquoted.group("phrase"), phrase=unquoted.group("phrase"))
    timeline = _TIMELINE.search(raw)
    if timeline is not None:
        verb = _FIRST_VERB.search(raw)
        first = bool(timeline.group("first")) and verb is not None and is_speech_verb(verb.group(1))
        if not timeline.group("first") or first:
            plain = " ".join(TIMELINE_WORDS.sub(" ", raw).split())
            inner = _ask(re.sub(r"^\s*(?:when|in\s+which\s+year)\s+(did|has|have)\b", r"what \1", plain, flags=re.I))
            return Intent("timeline", inner.speaker if inner else "", inner.topic if inner else "", first=first)
    for pattern, kind in _FOLLOW_UPS:
        m = pattern.match(raw)
        if m:
            groups = m.groupdict()
            return Intent(kind, groups.get("speaker") or "", groups.get("topic") or "")
    for who in (_WHO.match(raw), _ANYONE_SPOKE.match(raw)):
        if who and is_cue_word(who.group("verb")):
            others = bool(re.search(r"\belse\b", raw, re.I))
            rest = re.sub(r"^(?:(?:up|to|for|on|about|of|over|regarding|against|that|so|the\s+same)\s+)+", "",
                          who.group("rest").strip() + " ", flags=re.I).strip()
            return Intent("others" if others else "who", topic=rest)
    ask = _ask(raw)
    if ask is not None:
        return ask
    did = _DID_SPEAK.match(raw)
    if did and is_speech_verb(did.group("verb")):
        return Intent("ask", did.group("speaker"), did.group("topic"))
    return Intent("ask", sure=False)


def _ask(raw: str) -> Intent | None:
    for pattern in _ASKS:
        m = pattern.match(raw)
        if m:
            groups = m.groupdict()
            return Intent("ask", groups.get("speaker") or "", groups.get("topic") or "")
    return None


class NearestIntent:
    """The kind of the labelled example nearest in meaning, when it is near enough (``NEAREST_MIN``).

    Questions are compared by their shape: every noun, name and number outside the framing vocabulary is
    replaced by "X" (``shape``), so that "Trace Valdoria's remarks on the canal across her speeches" is near
    "Trace the ministry's statements on the ferry across the sessions", whatever the topics."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray],
                 examples: Sequence[tuple[str, str]] = INTENT_EXAMPLES) -> None:
        self._encode = encode
        self._examples = tuple(examples)
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def kind(self, doc: Doc) -> str | None:
        """The nearest example's kind for a parsed question, or None when no example is near enough."""
        from assistant.reading.parsing import parse

        with self._lock:
            if self._vectors is None:
                self._vectors = self._encode([shape(parse(q)) for q, _ in self._examples])
        sims = self._vectors @ self._encode([shape(doc)])[0]
        best = int(np.argmax(sims))
        return self._examples[best][1] if float(sims[best]) >= NEAREST_MIN else None


def shape(doc: Doc) -> str:
    """A question with its topics and names replaced by "X": "Trace X 's remarks on the X across her speeches"."""
    return " ".join("X" if t.pos_ in ("PROPN", "NOUN", "NUM") and t.lower_ not in _SHAPE_WORDS else t.text
                    for t in doc)
