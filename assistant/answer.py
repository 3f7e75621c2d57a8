"""What the assistant returns: verbatim quotes with attribution, or an abstention."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from assistant.citation import described, untitled_heading
from assistant.reading.frame import QuestionFrame


@dataclass(frozen=True)
class Quote:
    """A verbatim passage: ``statement.text[start:end] == text`` is checked before it is returned."""

    text: str
    statement_id: str
    start: int
    end: int
    context_before: str
    context_after: str
    speaker: str
    source: str
    date: str
    title: str
    url: str
    page: int | None
    score: float
    reported_speaker: str = ""  # older indexes: who speaks in reported speech, guessed from the question
    path: str = ""
    speaker_kind: str = ""  # direct | indirect | first_person (attributions found at index time); "" otherwise
    reported: bool = False  # the statement reports the words of ``speaker`` (found in its text)
    speaker_confidence: float = 0.0  # how surely ``speaker`` said it (0 when known from metadata alone)
    reported_by: str = ""  # the statement's own speaker, when they report ``speaker``'s words (a speech quoting)
    role: str = ""  # the post of the statement's own speaker ("Prime Minister"), from its metadata
    country: str = ""  # the country or organisation the statement speaks for ("Norvania"), from its metadata
    context: str = ""  # what the statement answers or is titled (corpus.context): shown beside it, never quoted

    def attribution(self) -> str:
        """One line, as a journalist would cite it: who said it (with post and country), where, when, in which
        document (and page).

        "Elara Voss, Prime Minister of Norvania — 2019, “Norvania — UN General Debate 2019”" for a statement's
        own speaker ("Elara Voss — Ministry of…, 2018-03-02, “title”" without a post); "Sergei Lavrov (reported
        by Ministry of Foreign Affairs…), 2021-07-13, “title”" for reported words ("Tomas Quill (reported by
        Elara Voss, Ministry of…)" when a speech quotes him).
        """
        doc = (f"“{self.title}”" if self.title else "") + (f", p. {self.page}" if self.page is not None else "")
        doc = doc.removeprefix(", ")
        if self.reported and self.speaker:
            own = described(self.reported_by, self.role, self.country)
            by = ", ".join(x for x in (own, self._publisher(own)) if x)
            who = f"{self.speaker} (reported by {by})" if by else f"{self.speaker} (reported speech)"
            return ", ".join(x for x in (who, self.date, doc) if x)
        who = described(self.speaker, self.role, self.country)
        if not who and self.reported_speaker:
            who = f"{self.reported_speaker} (reported speech)"
        where = ", ".join(x for x in (self._publisher(who), self.date, doc) if x)
        return f"{who} — {where}" if who and where else who or where

    @property
    def heading(self) -> str:
        """What the Sources panel calls the statement: its title, else who published it and when, else where it
        is in its file; never a bare id."""
        own = self.reported_by if self.reported else self.speaker
        who = own or self.source or self.country
        return self.title or untitled_heading(who, self.date, self.path, self.statement_id)

    def _publisher(self, who: str) -> str:
        """The source, unless it is the country that ``who`` (a speaker described with it) speaks for; the
        country when there is neither a source nor a speaker."""
        if self.source:
            return "" if who and self.source == self.country else self.source
        return "" if who else self.country

    def citation(self) -> str:
        """The quote and its attribution as plain text, ready to paste."""
        return f"“{self.text}” ({self.attribution()})"


@dataclass(frozen=True)
class Answer:
    """Quotes that answer a question, best first; or ``abstained`` with the closest passages."""

    question: str
    quotes: tuple[Quote, ...]
    abstained: bool
    message: str
    frame: QuestionFrame | None = None
    closest: tuple[Quote, ...] = ()

    @property
    def kind(self) -> str:
        """What the question asked for: ask, who (one quote per speaker), timeline (in date order), quote, …"""
        return self.frame.kind if self.frame is not None else "ask"

    def heading(self, quote: Quote) -> str:
        """The line above a quote: its date in a timeline, its speaker in a "who spoke about…" answer."""
        if self.kind == "timeline":
            return quote.date
        if self.kind in ("who", "others"):
            return quote.speaker or quote.source or quote.country
        return ""

    def to_markdown(self) -> str:
        """The chat message: block quotes with an attribution line each."""
        lines = [escape_markdown(self.message)]
        for quote in self.quotes:
            heading = self.heading(quote)
            if heading:
                lines += ["", f"**{escape_markdown(heading)}**"]
            lines += ["", *_block_quote(quote.text), "", f"— {escape_markdown(quote.attribution())}"]
        if self.closest:
            lines += ["", "**Closest passages (not an answer):**"]
            for quote in self.closest:
                lines += ["", *_block_quote(quote.text), "", f"— {escape_markdown(quote.attribution())}"]
        return "\n".join(lines)

    def to_text(self) -> str:
        """Plain text for the terminal."""
        lines = [self.message]
        for i, quote in enumerate(self.quotes, 1):
            heading = self.heading(quote)
            lines += ["", f"{i}. {heading + ': ' if heading else ''}“{quote.text}”", f"   — {quote.attribution()}"]
        if self.closest:
            lines += ["", "Closest passages (not an answer):"]
            for quote in self.closest:
                lines += [f"   “{quote.text}”", f"   — {quote.attribution()}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready."""
        d = dataclasses.asdict(self)
        d["frame"] = dataclasses.asdict(self.frame) if self.frame else None
        return d


def _block_quote(text: str) -> list[str]:
    """``text`` as the lines of a Markdown block quote, escaped as a whole (emphasis can span its lines)."""
    return [f"> {line}".rstrip() for line in escape_markdown(text).split("\n")]


_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_LINE_MARKER = re.compile(r"#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))")  # heading, quote, list item
_RULE_CHARS = frozenset("=-*_|: \t")  # a line of only these: setext underline, thematic break, table delimiter row
_ENTITY = re.compile(r"&#?[A-Za-z0-9]+;")
_AUTOLINK = re.compile(r"\b(?:https?|ftp)(?=://)|(?<![\w.])www(?=\.\w)", re.IGNORECASE)
_PAIRED = "*_~`"  # emphasis, strikethrough and code need two of a kind


def escape_markdown(text: str) -> str:
    """Escape what would render as Markdown or HTML, and nothing else, so that text always shows literally.

    Context decides: ``#``, ``>``, ``-``, ``+`` and ``1.`` only at the start of a line (with leading
    spaces dropped, which Markdown ignores or reads as code), ``<`` only before a tag, ``&`` only before an
    entity, ``]`` only before a link target (``(``, ``[``, ``:``), ``*`` ``_`` ``~`` `````` only when the text
    holds two of a kind that could pair up, ``$`` only in ``$$``, a backslash only before punctuation, and the
    ``:`` or ``.`` that would make a web address a link. "U.S. (1 statement)" stays as it is.
    """
    paired = {ch for ch in _PAIRED if text.count(ch) >= 2}
    return "\n".join(_escape_line(line.lstrip(" \t"), paired) for line in text.split("\n"))


def _escape_line(line: str, paired: set[str]) -> str:
    """One line of ``escape_markdown``: the positions to escape, then the escaped line."""
    marked: set[int] = {m.end() for m in _AUTOLINK.finditer(line)}
    marker = _LINE_MARKER.match(line)
    if marker:
        marked.add(marker.end() if line[0].isdigit() else 0)
    elif line and set(line) <= _RULE_CHARS and line[0] in _ASCII_PUNCTUATION:
        marked.add(0)
    out = []
    for i, ch in enumerate(line):
        before = line[i - 1] if i else " "
        after = line[i + 1] if i + 1 < len(line) else " "
        if ch == "<" and (after.isascii() and after.isalpha() or after in "/!?"):
            out.append("&lt;")
        elif ch == "&" and _ENTITY.match(line, i):
            out.append("&amp;")
        elif i in marked or _special(ch, before, after, paired, i + 1 == len(line)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _special(ch: str, before: str, after: str, paired: set[str], last: bool) -> bool:
    """Whether ``ch`` between ``before`` and ``after`` (spaces at the line's ends) would act as Markdown."""
    if ch == "\\":
        return after in _ASCII_PUNCTUATION or last
    if ch == "]":
        return after in "([:"
    if ch == "$":
        return "$" in (before, after)
    if ch not in paired:
        return False
    if ch == "`":
        return True
    if before.isspace() and after.isspace():
        return False  # "a * b": neither opens nor closes
    return not (ch == "_" and before.isalnum() and after.isalnum())  # snake_case stays as it is
