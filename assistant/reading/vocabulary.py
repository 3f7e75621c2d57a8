"""What the index knows that a question may name: speakers and their variants, organisations, countries, the
years its statements span, and the words its statements hold."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from assistant.speakers import SpeakerDirectory
from assistant.spelling import is_english_word
from embeddings.backend.interface import TermStatistics
from embeddings.backend.terms import tokenize


@dataclass(frozen=True)
class Vocabulary:
    """The index's own vocabulary, as the question reader consults it.

    ``speakers``: every speaker, organisation and country the statements name (metadata and text);
    ``first_date``/``last_date``: the span of the statements' dates ("" when they have none);
    ``terms``: the words of the indexed chunks (BM25 statistics).
    """

    speakers: SpeakerDirectory
    terms: TermStatistics | None = None
    first_date: str = ""
    last_date: str = ""
    is_word: Callable[[str], bool] = is_english_word

    @property
    def has_dates(self) -> bool:
        return bool(self.first_date)

    @property
    def years(self) -> tuple[int, int] | None:
        """The first and last year of the statements, or None when they have no dates."""
        return (int(self.first_date[:4]), int(self.last_date[:4])) if self.first_date else None

    def holds_word(self, word: str) -> bool:
        """Whether some statement holds the word (by its stem); True when the index cannot say."""
        if self.terms is None:
            return True
        stems = tokenize([word])[0]
        return bool(stems) and all(float(x) > 0 for x in self.terms.idf(stems))

    def is_much_rarer(self, word: str, other: str, times: float = 20.0) -> bool:
        """Whether the statements hold ``word`` at least ``times`` less often than ``other`` (by their chunks)."""
        if self.terms is None:
            return True
        idf = self.terms.idf([*tokenize([word])[0][:1], *tokenize([other])[0][:1]])
        if len(idf) < 2 or float(idf[1]) <= 0:
            return False
        return float(idf[0]) <= 0 or float(idf[0]) - float(idf[1]) >= math.log(times)

    def spells_closely(self, word: str, score_cutoff: float = 88.0) -> bool:
        """Whether some statement writes a word spelt very like ``word`` ("Bismarck" for "bismark", "Frenchmen"
        for "frenchman"), dictionary word or not; True when the index cannot say."""
        if self.terms is None:
            return True
        return self.terms.corrected(word, lambda _: False, score_cutoff=score_cutoff) != word

    def spelled(self, text: str) -> str:
        """``text`` with lower-case words no statement holds and no dictionary knows read as the closest indexed
        term ("climte" → "climat"); a capitalised word is a name, never read as a look-alike one."""
        if self.terms is None:
            return text
        terms = self.terms
        return " ".join(w if w[:1].isupper() else terms.corrected(w, self.is_word) for w in text.split())
