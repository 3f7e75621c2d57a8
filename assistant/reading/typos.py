"""Misspelt words of the question's own language ("abut", "govermnent", "minster") read as meant.

A question is made of two kinds of words: the few that frame it (question words, verbs of saying,
roles, organisations, time words) and the ones that name a speaker or a topic. A word one edit from
a framing word, much rarer in English than it (or not English at all), and held by no statement nor
speaker name, is that framing word misspelt: "abut" → "about", "govermnent" → "government",
"minster" → "minister". Topic words are left to the index's own spelling (``Vocabulary.spelled``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from assistant.cue_words import is_cue_word
from assistant.reading.words import QUESTION_VOCABULARY

RARER = 100  # a misspelling is at least this many times rarer in English than the word it stands for
_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]{3,}(?![^\W\d_])")  # whole words: "Temüjin" is no "Tem"


@lru_cache(maxsize=1)
def _frequencies() -> Any:  # pyspellchecker's English word frequencies (the package ships no type hints)
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency


def corrected_question(text: str, is_known: Callable[[str], bool]) -> str:
    """``text`` with its misspelt framing words corrected (``is_known``: a word the index or a name holds)."""
    return _WORD.sub(lambda m: _corrected(m.group(), is_known), text)


def _corrected(word: str, is_known: Callable[[str], bool]) -> str:
    lower = word.lower()
    if lower in QUESTION_VOCABULARY or is_cue_word(lower):
        return word
    meant = framing_word_for(lower)
    if meant is None or is_known(word):
        return word
    return meant.capitalize() if word[:1].isupper() else meant


@lru_cache(maxsize=4096)
def framing_word_for(word: str) -> str | None:
    """The framing word a lower-case word misspells, or None when it is no such misspelling."""
    frequencies = _frequencies()
    own = int(frequencies[word])
    best: tuple[int, str] | None = None
    for candidate in QUESTION_VOCABULARY:
        if abs(len(candidate) - len(word)) > 1 or len(candidate) < 4:
            continue
        if OSA.distance(word, candidate) != 1:
            continue
        frequency = int(frequencies[candidate])
        if frequency > RARER * max(own, 1) and (best is None or frequency > best[0]):
            best = (frequency, candidate)
    return best[1] if best else None
