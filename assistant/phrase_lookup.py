"""Quoted words in a question ("who said '…'?") and where they occur, word for word, in a statement.

Both sides are compared normalised: curly and straight quotes are one, every dash is "-", runs of
spaces and line breaks are one space, case is ignored, and the phrase's own surrounding
punctuation does not count. Offsets found are offsets into the original text.
"""
from __future__ import annotations

import re

from corpus.markdown import is_heading

_QUOTED = re.compile(
    r"“(?P<a>[^“”]{8,}?)”|\"(?P<b>[^\"]{8,}?)\"|‘(?P<c>[^‘’]{8,}?)’(?!\w)|(?<!\w)'(?P<d>[^']{8,}?)'(?!\w)"
    r"|«(?P<e>[^«»]{8,}?)»"
)
_NAMED_PHRASE = re.compile(
    r"\b(?:the\s+(?:phrase|words|expression|line|sentence)|who\s+said)\s+(?P<p>(?:\w+\W+){3,}?\w+)"
    r"(?:\s+(?:come\s+from|originate|appear|first\s+appear)\b.*)?\W*$",
    re.IGNORECASE,
)
_FOLD = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                       "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "\u00a0": " "})
_EDGE = " \t\n\"'.,;:!?-…"
MIN_WORDS = 3


def quoted_phrase(question: str) -> str:
    """The words a question quotes ("Who said “we will not retreat”?"), or "" when it quotes none.

    A phrase needs at least ``MIN_WORDS`` words; "where does the phrase X come from" and "who said X"
    with a long X (six words or more, no quote marks) count too.
    """
    m = _QUOTED.search(question)
    if m:
        phrase = next(g for g in m.groups() if g)
        return phrase.strip(_EDGE) if len(phrase.split()) >= MIN_WORDS else ""
    m = _NAMED_PHRASE.search(question.rstrip(" ?"))
    if m and len(m.group("p").split()) >= 6:
        return m.group("p").strip(_EDGE)
    return ""


def normalised(text: str) -> tuple[str, list[int]]:
    """The text folded for comparison, and for each of its characters the offset it came from."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text.translate(_FOLD)):
        lower = ch.lower()
        ch = lower if len(lower) == 1 else ch  # "İ".lower() is two characters: offsets stay one to one
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(ch)
        offsets.append(i)
    return "".join(out), offsets


def find_phrase(text: str, phrase: str, title: str = "") -> list[tuple[int, int]]:
    """Every occurrence of ``phrase`` in ``text`` as (start, end) offsets into ``text``, except those on a
    Markdown heading or rule line, or on a line repeating ``title`` (``corpus.markdown.is_heading``): a heading
    is nobody's words."""
    needle, _ = normalised(phrase.strip(_EDGE))
    needle = needle.strip()
    if not needle:
        return []
    hay, offsets = normalised(text)
    spans = []
    at = hay.find(needle)
    while at >= 0:
        if not is_heading(text, offsets[at], title):
            spans.append((offsets[at], offsets[at + len(needle) - 1] + 1))
        at = hay.find(needle, at + len(needle))
    return spans
