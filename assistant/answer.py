"""What the assistant returns: verbatim quotes with attribution, or an abstention."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from assistant.question_frame import QuestionFrame


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

    def attribution(self) -> str:
        """One line, as a journalist would cite it: who said it, where, when, in which document (and page).

        "Sergei Lavrov (reported by Ministry of Foreign Affairs…), 2021-07-13, “title”" for reported
        words ("Tomas Quill (reported by Elara Voss, Ministry of…)" when a speech quotes him);
        "Elara Voss — Ministry of…, 2018-03-02, “title”" for a statement's own speaker.
        """
        doc = f"“{self.title or self.statement_id}”" + (f", p. {self.page}" if self.page is not None else "")
        if self.reported and self.speaker:
            by = ", ".join(x for x in (self.reported_by, self.source) if x)
            who = f"{self.speaker} (reported by {by})" if by else f"{self.speaker} (reported speech)"
            return ", ".join(x for x in (who, self.date, doc) if x)
        who = self.speaker or (f"{self.reported_speaker} (reported speech)" if self.reported_speaker else "")
        where = ", ".join(x for x in (self.source, self.date, doc) if x)
        return f"{who} — {where}" if who else where

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
        if self.kind == "who":
            return quote.speaker or quote.source
        return ""

    def to_markdown(self) -> str:
        """The chat message: block quotes with an attribution line each."""
        lines = [escape_markdown(self.message)]
        for quote in self.quotes:
            heading = self.heading(quote)
            if heading:
                lines += ["", f"**{escape_markdown(heading)}**"]
            lines += ["", *(f"> {escape_markdown(part)}" for part in quote.text.split("\n"))]
            lines += ["", f"— {escape_markdown(quote.attribution())}"]
        if self.closest:
            lines += ["", "**Closest passages (not an answer):**"]
            for quote in self.closest:
                lines += ["", f"> {escape_markdown(quote.text)}", "", f"— {escape_markdown(quote.attribution())}"]
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


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~&$")


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML so a statement's text always shows literally."""
    out = []
    for ch in text:
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
