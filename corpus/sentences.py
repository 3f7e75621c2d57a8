"""Sentence splitting with exact character offsets.

Boundaries inside a line come from Bling Fire (``text_to_sentences_and_offsets``); the few
Bling Fire sentences that may hide a boundary it is known to miss (a sentence end followed by
a number or a capitalised abbreviation: "... died. 150 more", "... long. Dr. Marr") are
re-split by pySBD. ``benchmarks/sentence_splitters.py`` chose this: with the rules below it
gets the most hard cases of ``tests/test_sentences.py`` right, ahead of pySBD with the same
rules, at about 15 times pySBD's speed (pySBD alone would need over a minute and a half for
the 24.8 M characters of UNGDC 2015-2024).

Rules on top of the library, each small and measured by that benchmark:

* a paragraph break (a line break, blank space, another line break; or U+2029) always ends
  a sentence; a single line break ends one too, except that a next line starting with a
  lower-case letter continues a hard-wrapped sentence (not after ``:`` or ``;``: list items);
* a piece ending with a title or ``v.`` (``Mr.``, ``Dr.``, ``No.``...) is joined to the next;
* within a line, a piece starting with a lower-case letter (``"Why?" he asked.``), or a
  piece that is only a list number (``1.``, ``IV.``), is joined to its neighbour; closing
  quotes, brackets or ``**`` cut off from their sentence are given back to it;
* a Markdown heading line, a setext heading's text, a rule line and a printed page's header or
  footer line ("A/70/PV.15 28/09/2015", ``corpus.markdown``) are never joined to the lines
  around them, so that they can be left out of quotes whole.

Known limit: a hard-wrapped line whose continuation starts with a capital letter
(``the Republic of`` / ``Freedonia``) is split there.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Protocol

import blingfire

from corpus.markdown import is_page_furniture, is_structure

Span = tuple[int, int]
LineSegmenter = Callable[[str], list[Span]]

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\u2029\s*")
_ENUMERATOR = re.compile(r"\(?(?:\d{1,3}|[A-Za-z]|[ivxlcIVXLC]{1,6})[.)]")
_TITLES = frozenset(
    "mr. mrs. ms. messrs. dr. prof. gen. sen. rep. gov. amb. st. no. nos. v. vs.".split()
)
_CLOSERS = frozenset("\u201d\u2019\u00bb)]}*.,;:!?\u2026")
_LIST_LEAD_OUT = frozenset(":;")
# A sentence end followed by a number or a capitalised abbreviation ("... died. 150 more",
# "... long. Dr. Marr"): boundaries Bling Fire is known to miss, so pySBD looks again.
_RECHECK = re.compile(
    r"[.!?][\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018(]?(?:[\d$\u20ac\u00a3]|[A-Z][a-z]{0,3}\.\s)"
)


class _Segmenter(Protocol):
    """What is used of a ``pysbd.Segmenter`` (pySBD ships no type hints)."""

    def segment(self, text: str) -> list[str]: ...


def blingfire_spans(text: str) -> list[Span]:
    """Raw Bling Fire sentence spans of ``text`` (may include whitespace; may be empty)."""
    if not text.strip():
        return []
    try:
        return list(blingfire.text_to_sentences_and_offsets(text)[1])
    except AssertionError:  # the wrapper fails on text it maps to nothing (e.g. only U+200B)
        return [(0, len(text))]


@cache
def _pysbd() -> _Segmenter:
    import pysbd

    segmenter: _Segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def pysbd_spans(text: str) -> list[Span]:
    """pySBD sentence spans of ``text`` (``segment`` with clean=False, located in order)."""
    if not text.strip():
        return []
    spans: list[Span] = []
    cursor = 0
    for sentence in _pysbd().segment(text):
        start = text.find(sentence, cursor)
        if start >= 0:
            spans.append((start, start + len(sentence)))
            cursor = start + len(sentence)
    return spans


def line_spans(text: str) -> list[Span]:
    """Bling Fire spans, with pySBD re-splitting the few that ``_RECHECK`` flags."""
    spans: list[Span] = []
    for start, end in blingfire_spans(text):
        if _RECHECK.search(text, start, end):
            try:
                spans.extend((start + a, start + b) for a, b in pysbd_spans(text[start:end]))
                continue
            except Exception:  # pySBD is only a second opinion: keep Bling Fire's span
                pass
        spans.append((start, end))
    return spans


def _strip(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _pieces(text: str, start: int, end: int, segment: LineSegmenter) -> list[Span]:
    """Stripped, gap-free pieces of ``text[start:end]`` cut where ``segment`` starts a sentence.

    Only the start offsets the library reports are used, so every character stays covered
    whatever the library drops or reorders.
    """
    cuts = sorted({start + s for s, _ in segment(text[start:end]) if 0 < s < end - start})
    pieces = []
    for a, b in zip([start, *cuts], [*cuts, end]):
        span = _strip(text, a, b)
        if span:
            pieces.append(span)
    return pieces


def _joins_previous(text: str, prev: Span, start: int, starts_line: bool) -> bool:
    """Whether the piece starting at ``start`` continues the sentence ``prev`` (rules above)."""
    prev_start, prev_end = prev
    first = text[start]
    tail = text[max(prev_start, prev_end - 10) : prev_end]  # titles are shorter than that
    if tail.rsplit(None, 1)[-1].lstrip("(").lower() in _TITLES:
        return True
    if starts_line:
        return first.islower() and text[prev_end - 1] not in _LIST_LEAD_OUT
    return (
        first.islower()
        or first in _CLOSERS
        or _ENUMERATOR.fullmatch(text, prev_start, prev_end) is not None
    )


def _paragraph(text: str, start: int, end: int, segment: LineSegmenter) -> list[Span]:
    """Sentences of one paragraph: library pieces per line, then the joins described above."""
    merged: list[Span] = []
    line_start = start
    after_structure = False
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline < 0 else newline
        structure = is_structure(text, line_start) or is_page_furniture(text, line_start)
        for i, (a, b) in enumerate(_pieces(text, line_start, line_end, segment)):
            if i == 0 and (structure or after_structure):  # a heading line is a sentence of its own
                merged.append((a, b))
                continue
            if merged and i > 0 and text[a] in _CLOSERS:
                k = a
                while k < b and text[k] in _CLOSERS:
                    k += 1
                if k == b or text[k].isspace():  # '.”' cut off its sentence: give it back
                    merged[-1] = (merged[-1][0], k)
                    rest = _strip(text, k, b)
                    if rest is None:
                        continue
                    a = rest[0]
            if merged and _joins_previous(text, merged[-1], a, starts_line=i == 0):
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        after_structure = structure
        line_start = line_end + 1
    return merged


def split_with(text: str, segment: LineSegmenter) -> list[Span]:
    """Sentence spans of ``text`` using ``segment`` for boundaries inside a line."""
    spans: list[Span] = []
    para_start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.extend(_paragraph(text, para_start, match.start(), segment))
        para_start = match.end()
    spans.extend(_paragraph(text, para_start, len(text), segment))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Absolute ``(start, end)`` spans of the sentences of ``text``, in order.

    Each span is stripped of surrounding whitespace, spans do not overlap, and together they
    cover every non-space character of ``text``.
    """
    return split_with(text, line_spans)
