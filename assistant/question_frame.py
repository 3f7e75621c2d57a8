"""Reading a question into its frame: who it asks about, what topic, which year, and whether it follows up."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from assistant.cue_words import is_speech_verb
from assistant.phrase_lookup import quoted_phrase

PRONOUNS = {"he", "she", "they", "him", "her", "them", "it", "his", "hers", "their"}
_SAY = (
    r"(?:say|said|says|saying|think|thinks|thought|state|stated|claim|claimed|argue|argued|tell|told|mention|"
    r"mentioned|write|wrote|note|noted|declare|declared)"
)
_ABOUT = r"(?:about|on|regarding|concerning|of|in relation to|with regard to|in regard to|re)"
# A year is a time expression ("in 2019", "during 2018", "the 2019 speech"), not any four digits ("the 2030 Agenda",
# "Resolution 2254"): those stay in the topic.
_YEAR = re.compile(
    r"\s*,?\s*\b(?:(?:in|during|since|from|for)\s+(?:the\s+year\s+)?(?P<a>(?:1[89]|20)\d{2})\b"
    r"(?!\s*(?:agenda|goals?|targets?|vision|plan|summit|conference|framework)\b)"
    r"|(?:in\s+)?(?:(?:the|its|his|her|their)\s+)?(?P<b>(?:1[89]|20)\d{2})(?:['’]s)?\s+"
    r"(?:speech|statement|session|address|general\s+debate|debate|remarks)\b)",
    re.IGNORECASE,
)
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
# "Who spoke about X?", "Which countries mentioned X?", "Who has warned of X?": one quote per speaker. The verb
# is checked against the cue lexicon (``cue_words``), not listed here.
_WHO = re.compile(
    r"^(?:and\s+)?(?:who|which\s+(?:\w+\s+){0,2}?(?:countries|country|speakers?|leaders?|states?|delegations?|"
    r"governments?|officials?|people|nations?|ministers?|presidents?|organi[sz]ations?|groups?|parties))\s+"
    r"(?:(?:has|have|had|did|does|do|ever|also|else|actually|already)\s+)*(?P<verb>[a-z]+)"
    r"(?P<rest>(?:\s+(?:up|to|for|on|about|of|over|regarding|against|that))*\s+.+)$",
    re.IGNORECASE,
)
# Markers of a timeline question: "…changed over the years", "when did X first mention…", "timeline of…".
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = re.compile(
    r"\s*,?\s*\b(?:(?:in|during|of|on)\s+(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d)|"
    r"(?P<rel>last|this)\s+|(?:on\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?"
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?(?:\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?)?"
    r"(?:\s+(?P<year>(?:19|20)\d{2}))?\b",
    re.IGNORECASE,
)
_RELATIVE_YEAR = re.compile(r"\s*,?\s*\b(?:in\s+)?(last|this)\s+year\b", re.IGNORECASE)
_OVER_TIME = (r"over\s+(?:the\s+)?(?:years|time|decades?|sessions)|through\s+the\s+years|across\s+(?:the\s+)?years|"
              r"year\s+(?:by|after)\s+year")
_TIMELINE = re.compile(
    rf"\b(?:{_OVER_TIME}|timeline\s+of|"
    r"(?:has|have|did)\b[^?]{1,80}?\b(?:position|view|views|stance|line|policy|approach|tone|rhetoric|thinking|"
    r"language|priorities)\b[^?]{0,60}?\b(?:change|evolve|shift|changed|evolved|shifted|developed)\b|"
    r"(?<=\bwhen\s)\s*(?:did|has|have)\b[^?]{1,80}?\b(?P<first>first)(?=\s+\w+))",
    re.IGNORECASE,
)
_TIMELINE_WORDS = re.compile(
    rf"\b(?:{_OVER_TIME}|timeline(?:\s+of)?|changed|evolved|shifted|developed|change|evolve|shift|first)\b",
    re.IGNORECASE,
)
_FIRST_VERB = re.compile(r"\bfirst\s+(\w+)", re.IGNORECASE)

# "Did he mention China?", "Has Voss ever warned of floods?": a pronoun or a capitalised name, then any verb of speech.
_DID_SPEAK = re.compile(
    r"^(?i:and\s+|so\s+)?(?i:did|does|do|has|have|had)\s+(?P<speaker>he|she|they|it|(?:the\s+)?[A-Z][\w.'’-]*"
    r"(?:\s+(?:[A-Z][\w.'’-]*|of|de|da|bin|al))*?)\s+(?:ever\s+|also\s+|not\s+|actually\s+)?(?P<verb>[a-z]+)"
    r"(?:\s+(?:up|about|on|of|to|for|that|against|over))*\s+(?P<topic>.+)$",
)

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
    kind: str = "ask"  # ask | topic | more | others | quote (who said these exact words?)
    exclude_speaker: str = ""  # for "did anyone else say that?"
    follow_up: bool = False
    phrase: str = ""  # words the question quotes, looked up word for word
    first: bool = False  # a timeline that asks when something was first said
    within: tuple[str, ...] = ()  # statements a follow-up is restricted to ("in that speech")
    spelled: str = ""  # the topic as the index spells it, when a word of it was misspelt ("climte" → "climat")

    @property
    def search_text(self) -> str:
        """The text retrieval searches with (by meaning)."""
        return " ".join(x for x in (self.speaker, self.topic) if x) or self.text

    @property
    def lexical_topic(self) -> str:
        """The topic whose words are looked for: spelt as the index spells them."""
        return self.spelled or self.topic

    @property
    def lexical_text(self) -> str:
        """The text retrieval searches with by words."""
        return " ".join(x for x in (self.speaker, self.lexical_topic) if x) or self.text


def parse_question(text: str) -> QuestionFrame:
    """Split a question into speaker, topic and year, without looking at any history."""
    raw = " ".join(text.split())
    if not quoted_phrase(raw):
        timeline = _timeline(raw)
        if timeline is not None:
            return timeline
        who = _WHO.match(raw.rstrip(" ?!."))
        if who and is_speech_verb(who.group("verb")):
            inner = _parse(raw)
            topic = _clean(re.sub(r"^(?:(?:up|to|for|on|about|of|over|regarding|against|that|so|the\s+same)\s+)+", "",
                                  without_year(who.group("rest")).strip(" ?!.") + " ", flags=re.I))
            if re.search(r"\belse\b", raw, re.I):  # "who else spoke about it?": the previous topic, others
                topic = "" if topic.lower() in ("it", "that", "this", "so", "the same", "the same thing") else topic
                return QuestionFrame(raw, topic, "", inner.year, "others")
            return QuestionFrame(raw, topic or inner.topic, "", inner.year, "who")
    return _parse(raw)


def _timeline(raw: str) -> QuestionFrame | None:
    """A timeline question read as the plain question without its timeline words, or None if it is not one."""
    m = _TIMELINE.search(raw)
    if m is None:
        return None
    verb = _FIRST_VERB.search(raw)
    first = bool(m.group("first")) and verb is not None and is_speech_verb(verb.group(1))
    if m.group("first") and not first:
        return None  # "first" outside "when did X first …" is a word of the topic
    plain = " ".join(_TIMELINE_WORDS.sub(" ", raw).split())
    plain = re.sub(r"^\s*(?:when|in\s+which\s+year)\s+(did|has|have)\b", r"what \1", plain, flags=re.I)
    plain = re.sub(r"['’]s\s+(?:position|view|views|stance|line|policy|approach)\s+(?:on|of|about|towards?)\s+",
                   " say about ", plain, flags=re.I)
    plain = re.sub(r"^\s*how\s+(?:has|have|did)\s+", "what did ", plain, flags=re.I)
    plain = re.sub(r"\b(?:mention(?:ed)?|raised?|(?:speak|spoke|spoken|talk(?:ed)?)\s+(?:about|of|on)|brought\s+up|"
                   r"bring\s+up|refer(?:red)?\s+to|address(?:ed)?)\b", "say about", plain, count=1, flags=re.I)
    inner = _parse(plain)
    return replace(inner, text=raw, kind="timeline", first=first, year="")


def _parse(raw: str) -> QuestionFrame:
    body = raw.rstrip(" ?!.")
    year = ""
    full = body
    found = time_expression(body)
    if found is not None:
        year, (start, end) = found
        body = (body[:start] + body[end:]).strip(" ,")
    phrase = quoted_phrase(raw)
    for pattern, kind in _PATTERNS:
        m = pattern.match(body)
        if m:
            groups = m.groupdict()
            speaker = _clean(groups.get("speaker") or "")
            topic = _clean(groups.get("topic") or "")
            if phrase and not speaker:
                break
            return QuestionFrame(raw, topic, speaker, year, kind, phrase=phrase)
    if phrase:  # "who said '…'?": the words themselves, whatever year they contain
        return QuestionFrame(raw, phrase, "", "", "quote", phrase=phrase)
    m = _DID_SPEAK.match(body)
    if m and is_speech_verb(m.group("verb")):  # "did he mention China?", "has Voss warned of floods?"
        return QuestionFrame(raw, _clean(m.group("topic")), _clean(m.group("speaker")), year, "ask")
    return QuestionFrame(raw, _clean(full), "", year, "ask")  # a plain question keeps its year as words


def without_year(text: str) -> str:
    """The question without its time expression ("in 2019", "the 2018 speech", "last September")."""
    found = time_expression(text)
    return (text[: found[1][0]] + " " + text[found[1][1] :]).strip() if found else text


def spoken_date(value: str) -> str:
    """A frame's year or date as a person writes it: "2019", "September 2019", "12 September 2019"."""
    parts = value.split("-")
    if len(parts) == 1 or not all(x.isdigit() for x in parts):
        return value
    month = _MONTH_NAMES[int(parts[1]) - 1] if 1 <= int(parts[1]) <= 12 else parts[1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def time_expression(text: str, today: date | None = None) -> tuple[str, tuple[int, int]] | None:
    """The year ("2019") or month ("2019-09") a question's time expression names, and where it is.

    "in 2019", "during 2018", "the 2019 speech", "in September 2019", "last September" (the latest
    September before ``today``), "last year", "this year". Other numbers ("the 2030 Agenda") are not dates.
    """
    today = today or date.today()
    m = _MONTH.search(text)
    if m:
        month = _MONTHS.index(m.group("month").lower()[:3]) + 1
        day = m.group("day") or m.group("day2")
        if m.group("year"):
            when = f"{m.group('year')}-{month:02d}" + (f"-{int(day):02d}" if day and 1 <= int(day) <= 31 else "")
            return when, m.span()
        if m.group("rel"):
            year = today.year if (m.group("rel").lower() == "this" or month < today.month) else today.year - 1
            return f"{year}-{month:02d}", m.span()
    m = _RELATIVE_YEAR.search(text)
    if m:
        return str(today.year - (1 if m.group(1).lower() == "last" else 0)), m.span()
    m = _YEAR.search(text)
    if m:
        return m.group("a") or m.group("b"), m.span()
    return None


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
