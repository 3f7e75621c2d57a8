"""Reading a question into its frame: who it asks about, what topic, which year, and whether it follows up."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

PRONOUNS = {"he", "she", "they", "him", "her", "them", "it", "his", "hers", "their"}
_SAY = (
    r"(?:say|said|says|saying|think|thinks|thought|state|stated|claim|claimed|argue|argued|tell|told|mention|"
    r"mentioned|write|wrote|note|noted|declare|declared)"
)
_ABOUT = r"(?:about|on|regarding|concerning|of|in relation to|with regard to|in regard to|re)"
_YEAR = re.compile(r"\s*,?\s*\b(?:in|during|from|of)?\s*(?:the\s+year\s+)?((?:1[89]|20)\d{2})\b", re.IGNORECASE)
_AND = r"^(?:and\s+)?"
_ANYONE = r"(?:anyone|anybody|someone|somebody|any\s+one|others?|other\s+\w+)"
_POSITION = r"(?:position|view|views|stance|opinion|statement|statements|remarks|comments|line|take)"
_DESCRIBE = (
    r"(?:describe|describes|characterize|characterise|criticize|criticise|view|see|frame|explain|justify|"
    r"respond\s+to|react\s+to|comment\s+on)"
)
_OPTIONAL_TOPIC = rf"(?:\s+{_ABOUT}\s+(?P<topic>.+))?$"

# (pattern, kind): kind is "ask" (speaker and/or topic), "topic" (a follow-up on a new topic),
# "more" (what else did the same speaker say) or "others" (who else said the same).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:and\s+|so\s+|ok\s+|okay\s+)?(?:what|how)\s+about\s+(?P<topic>.+)$", re.I), "topic"),
    (re.compile(rf"^(?:and|also|then)\s+(?:{_ABOUT}|what\s+of)\s+(?P<topic>.+)$", re.I), "topic"),
    (re.compile(rf"{_AND}what\s+else\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}{_OPTIONAL_TOPIC}", re.I),
     "more"),
    (re.compile(
        rf"{_AND}(?:did|has|have|does|do)\s+{_ANYONE}\s+(?:else\s+)?{_SAY}"
        rf"(?:\s+(?:that|so|the\s+same|this|it|similar|something\s+similar))?{_OPTIONAL_TOPIC}", re.I), "others"),
    (re.compile(rf"{_AND}who\s+else\s+{_SAY}(?:\s+(?:that|so|the\s+same|this|it))?{_OPTIONAL_TOPIC}", re.I), "others"),
    (re.compile(
        rf"{_AND}(?:what|how)\s+(?:did|does|do|has|have|had|was|is|were)\s+(?P<speaker>.+?)\s+"
        rf"(?:(?:have\s+)?to\s+)?{_SAY}\s+{_ABOUT}\s+(?P<topic>.+)$", re.I), "ask"),
    (re.compile(
        rf"{_AND}(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}\s+(?:anything|something|much)?\s*{_ABOUT}\s+"
        rf"(?P<topic>.+)$", re.I), "ask"),
    (re.compile(
        rf"{_AND}(?:what\s+(?:is|was|are|were)|what's|whats)\s+(?P<speaker>.+?)(?:'s|’s|s')\s+{_POSITION}\s+"
        rf"{_ABOUT}\s+(?P<topic>.+)$", re.I), "ask"),
    (re.compile(rf"{_AND}(?:how|why)\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_DESCRIBE}\s+(?P<topic>.+)$", re.I),
     "ask"),
    (re.compile(rf"{_AND}what\s+(?:did|does|has|have)\s+(?P<speaker>.+?)\s+{_SAY}$", re.I), "ask"),
    (re.compile(rf"{_AND}(?:quotes?|statements?|remarks)\s+(?:by|from)\s+(?P<speaker>.+?)\s+{_ABOUT}\s+(?P<topic>.+)$",
                re.I), "ask"),
]


@dataclass(frozen=True)
class QuestionFrame:
    """What a question asks (speaker, topic, year, kind), after resolving it against the conversation so far."""

    text: str
    topic: str
    speaker: str = ""
    year: str = ""
    kind: str = "ask"  # ask | topic | more | others
    exclude_speaker: str = ""  # for "did anyone else say that?"
    follow_up: bool = False

    @property
    def search_text(self) -> str:
        """The text retrieval searches with."""
        return " ".join(x for x in (self.speaker, self.topic) if x) or self.text


def parse_question(text: str) -> QuestionFrame:
    """Split a question into speaker, topic and year, without looking at any history."""
    raw = " ".join(text.split())
    body = raw.rstrip(" ?!.")
    year = ""
    full = body
    m = _YEAR.search(body)
    if m:
        year = m.group(1)
        body = (body[: m.start()] + body[m.end():]).strip(" ,")
    for pattern, kind in _PATTERNS:
        m = pattern.match(body)
        if m:
            groups = m.groupdict()
            speaker = _clean(groups.get("speaker") or "")
            topic = _clean(groups.get("topic") or "")
            return QuestionFrame(raw, topic, speaker, year, kind)
    return QuestionFrame(raw, _clean(full), "", year, "ask")  # a plain question keeps its year as words


def resolve_follow_up(question: QuestionFrame, history: Sequence[QuestionFrame]) -> QuestionFrame:
    """Fill in what a follow-up leaves out (speaker, topic, year) from earlier turns."""
    previous = next((q for q in reversed(history) if q.speaker or q.topic), None)
    if previous is None:
        if question.speaker.lower() in PRONOUNS:
            return replace(question, speaker="")
        return question
    speaker, topic, year = question.speaker, question.topic, question.year
    follow_up = False
    if question.kind == "topic":
        speaker = speaker or previous.speaker
        follow_up = True
    elif question.kind == "more":
        if not speaker or speaker.lower() in PRONOUNS:
            speaker = previous.speaker
        follow_up = True
    elif question.kind == "others":
        topic = topic or previous.topic
        return replace(question, topic=topic, speaker="", exclude_speaker=previous.speaker,
                       year=year or previous.year, follow_up=True)
    elif speaker.lower() in PRONOUNS:
        speaker = previous.speaker
        follow_up = True
    if follow_up:
        year = year or previous.year
    return replace(question, speaker=speaker, topic=topic, year=year, follow_up=follow_up)


def _clean(phrase: str) -> str:
    phrase = phrase.strip(" ,;:'\"“”‘’")
    phrase = re.sub(r"^(?:the\s+topic\s+of|the\s+issue\s+of|the\s+subject\s+of)\s+", "", phrase, flags=re.I)
    return phrase.strip()
