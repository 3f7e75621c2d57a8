"""Whether a word is known English (pyspellchecker's English word list), to tell a typo from a rare real word.

A topic word the index has never seen is read as a misspelling of an indexed word only when it is
not an English word either: "climte" becomes "climate", while "bride" or "purview" stay as asked
(they are simply absent from these statements). The list loads on first use (about 0.3 s).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _english() -> Any:  # a spellchecker.SpellChecker (the package ships no type hints)
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_english_word(word: str) -> bool:
    """Whether ``word`` (any case) is in the English word list."""
    return bool(word) and word.lower() in _english()
