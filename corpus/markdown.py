"""Markdown structure in a statement's text: headings and rules are not anyone's words.

A statement keeps its text exactly as written (quotes are offsets into it), so headings are not
cut out: the lines that carry structure are recognised where it matters instead. Sentence
splitting ends a sentence at the end of a heading line, answers never quote a sentence on such a
line (``is_structure``; nor a line that only repeats the statement's title: ``is_heading``), and a
``.md`` or ``.txt`` file whose text opens with a heading takes it as
its title when its front matter gives none (``leading_heading``).

Structure lines (CommonMark): an ATX heading (``# Title`` … ``###### Title``, up to three spaces
of indentation), the text line of a setext heading (a line underlined by ``===`` or ``---``), and
the underline or a thematic break itself (a line of only ``=``, ``-``, ``*`` or ``_``).
"""
from __future__ import annotations

import re

_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_ATX_TEXT = re.compile(r" {0,3}#{1,6}[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r" {0,3}(?:=+|-{2,}|(?:[-*_][ \t]*){3,})[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-{2,})[ \t]*$")
MAX_FURNITURE_CHARS = 60  # a page header or footer line is short: a document symbol, a date, a page number


def line_at(text: str, offset: int) -> tuple[int, int]:
    """``(start, end)`` of the line of ``text`` that holds ``offset`` (without its line break)."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end < 0 else end


def is_heading_line(line: str) -> bool:
    """Whether ``line`` is an ATX heading (``# …``); ``#hashtag`` is not."""
    return _ATX.match(line) is not None


def is_rule_line(line: str) -> bool:
    """Whether ``line`` is a setext underline or a thematic break (only ``=``, ``-``, ``*`` or ``_``)."""
    return _RULE.match(line) is not None


def is_structure(text: str, offset: int) -> bool:
    """Whether the character at ``offset`` sits on a heading line, a setext heading's text or a rule."""
    start, end = line_at(text, offset)
    line = text[start:end]
    if is_heading_line(line) or is_rule_line(line):
        return True
    if end >= len(text) or not line.strip():
        return False
    below_end = line_at(text, end + 1)[1]
    below = text[end + 1 : below_end]
    return _SETEXT_UNDERLINE.match(below) is not None


def repeats_title(text: str, offset: int, title: str) -> bool:
    """Whether the character at ``offset`` sits on a line that only repeats the statement's ``title`` (a news
    story that opens with its headline): like a heading, nobody's words."""
    if not title.strip():
        return False
    start, end = line_at(text, offset)
    line = " ".join(text[start:end].split()).rstrip(".:!?").casefold()
    return bool(line) and line == " ".join(title.split()).rstrip(".:!?").casefold()


def is_capitals_line(text: str, offset: int) -> bool:
    """Whether the character at ``offset`` sits on a line written in capitals only ("MINISTRY OF FOREIGN
    AFFAIRS", "SINGAPORE", "19 MAY 2021"): a heading or a sign-off, not speech."""
    start, end = line_at(text, offset)
    line = text[start:end]
    if end - start > 400 or line != line.upper():  # a long line is prose; one lower-case letter is enough
        return False
    return sum(c.isalpha() for c in line) >= 2 and len(line.split()) <= 40


def is_page_furniture(text: str, offset: int) -> bool:
    """Whether the character at ``offset`` sits on a line a printed page adds: a short line of numbers, codes and
    capitals ("15-29425 31/34", "A/70/PV.15 28/09/2015", "- 12 -") or one holding a page break (form feed)."""
    start, end = line_at(text, offset)
    line = text[start:end]
    if "\f" in line:
        return True
    return len(line.strip()) <= MAX_FURNITURE_CHARS and any(c.isdigit() for c in line) and line == line.upper()


def is_heading(text: str, offset: int, title: str = "") -> bool:
    """Whether the character at ``offset`` is on a Markdown structure line, a line in capitals only, a page's
    header or footer, or a line repeating the title: nobody's words."""
    return (
        is_structure(text, offset) or is_capitals_line(text, offset) or is_page_furniture(text, offset)
        or repeats_title(text, offset, title)
    )


def heading_text(line: str) -> str:
    """The words of an ATX heading line, without its ``#`` marks (``"## Title ##"`` → ``"Title"``)."""
    match = _ATX_TEXT.match(line)
    return match.group(1).strip() if match else line.strip()


def leading_heading(text: str) -> str:
    """The words of the heading that opens ``text`` (ATX, or setext underlined), or ``""`` when it opens otherwise."""
    stripped = text.lstrip("\n")
    start, end = line_at(stripped, 0)
    first = stripped[start:end]
    if is_heading_line(first):
        return heading_text(first)
    if first.strip() and is_structure(stripped, 0) and not is_rule_line(first):
        return first.strip()
    return ""
