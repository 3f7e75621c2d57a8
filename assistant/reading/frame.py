"""What a question asks, once read: who, about what, when, and what kind of answer it wants."""
from __future__ import annotations

from dataclasses import dataclass

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def spoken_date(value: str) -> str:
    """An ISO date or part of one as a person writes it: "2019", "September 2019", "12 September 2019"."""
    parts = value.split("-")
    if len(parts) == 1 or not all(x.isdigit() for x in parts):
        return value
    month = MONTH_NAMES[int(parts[1]) - 1] if 1 <= int(parts[1]) <= 12 else parts[1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


@dataclass(frozen=True)
class TimeSpan:
    """A stretch of time as ISO dates or parts of them ("2019", "2019-03", "2019-03-12"); "" is open."""

    start: str = ""
    end: str = ""

    @property
    def single(self) -> bool:
        """One day, month or year ("in 2019"), not a range."""
        return bool(self.start) and self.start == self.end

    @property
    def years(self) -> tuple[int, int] | None:
        """The first and last year the span touches (None when both ends are open)."""
        if not self.start and not self.end:
            return None
        return int((self.start or "0000")[:4]), int((self.end or "9999")[:4])

    def spoken(self) -> str:
        """"2019", "March 2021", "2016–2018", "since 2018", "until 2017"."""
        if self.single:
            return spoken_date(self.start)
        if self.start and self.end:
            return f"{spoken_date(self.start)}–{spoken_date(self.end)}"
        return f"since {spoken_date(self.start)}" if self.start else f"until {spoken_date(self.end)}"

    def shifted(self, years: int) -> TimeSpan:
        """The same span ``years`` later (earlier when negative): "the following year"."""
        def move(value: str) -> str:
            return f"{int(value[:4]) + years:04d}{value[4:]}" if value else value
        return TimeSpan(move(self.start), move(self.end))

    def wider(self) -> TimeSpan | None:
        """The span one step coarser (a day → its month, a month → its year), or None for years."""
        start, end = self.start, self.end
        if max(len(start), len(end)) <= 4:
            return None
        cut = 7 if max(len(start), len(end)) == 10 else 4
        return TimeSpan(start[:cut], end[:cut])


@dataclass(frozen=True)
class QuestionFrame:
    """What a question asks (speaker, topic, time, kind), after resolving it against the conversation so far.

    ``when`` dates the statements asked about (a filter, relaxed when it leaves nothing); a date that
    belongs to an event of the topic ("the March 2021 floods") stays in the topic's words instead.
    """

    text: str
    topic: str
    speaker: str = ""
    when: TimeSpan | None = None
    kind: str = "ask"  # ask | topic | more | others | who | timeline | quote
    exclude_speaker: str = ""  # for "did anyone else say that?"
    follow_up: bool = False
    phrase: str = ""  # words the question quotes (or names after "who said that"), looked up word for word
    first: bool = False  # a timeline that asks when something was first said
    within: tuple[str, ...] = ()  # statements a follow-up is restricted to ("in that speech")
    spelled: str = ""  # the topic as the index spells it, when a word of it was misspelt ("climte" → "climat")
    unknown: str = ""  # a name the question asks about that no statement holds ("No statement mentions …")
    unheld: str = ""  # a time the question asks for that the index does not hold ("2031")
    hint: str = ""  # words naming where it was said ("S Rajaratnam Lecture"): searched for, not the topic

    @property
    def year(self) -> str:
        """The statement date asked for when it is one day, month or year; else ""."""
        return self.when.start if self.when is not None and self.when.single else ""

    @property
    def spoken_when(self) -> str:
        """The statement time as a person writes it, or ""."""
        return self.when.spoken() if self.when is not None else ""

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
        """The text retrieval searches with by words (with the words naming where it was said)."""
        return " ".join(x for x in (self.speaker, self.lexical_topic, self.hint) if x) or self.text
