"""Finding the statements of a speaker named in a question: by name, surname, country or code."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from corpus.statement import Statement

# Metadata keys whose values name who is speaking (besides the speaker and source columns).
SPEAKER_KEYS = ("country", "country_name", "organisation", "organization", "party", "delegation")
# Words that describe a role rather than name someone; they never decide a match alone.
ROLE_WORDS = {
    "the", "of", "for", "and", "a", "an", "mr", "mrs", "ms", "dr", "h", "e", "his", "her", "excellency",
    "minister", "ministers", "ministry", "foreign", "affairs", "prime", "president", "vice", "deputy",
    "secretary", "state", "general", "head", "chief", "king", "queen", "prince", "sheikh", "ambassador",
    "representative", "permanent", "delegation", "government", "spokesperson", "spokesman", "official",
    "officials", "office", "chancellor", "leader", "sir", "madam", "republic", "kingdom",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens, with possessive 's removed."""
    return [t for t in _WORD.findall(text.lower().replace("’s", "").replace("'s", "")) if t != "s"]


@dataclass(frozen=True)
class SpeakerMatch:
    """Statements whose metadata names the speaker, and the names that matched."""

    statement_ids: frozenset[str]
    names: tuple[str, ...]


class SpeakerDirectory:
    """Who speaks in which statement, from the statements' metadata."""

    def __init__(self, statements: Iterable[Statement]) -> None:
        self._names: dict[str, set[str]] = {}  # a name → statement ids
        self._codes: dict[str, set[str]] = {}  # country codes (upper case) → statement ids
        for st in statements:
            for name in self._statement_names(st):
                self._names.setdefault(name, set()).add(st.id)
            code = st.metadata.get("country")
            if isinstance(code, str) and 2 <= len(code) <= 3 and code.isupper():
                self._codes.setdefault(code, set()).add(st.id)

    @staticmethod
    def _statement_names(st: Statement) -> set[str]:
        names = {v for v in (st.speaker, st.source) if v}
        for key in SPEAKER_KEYS:
            value = st.metadata.get(key)
            if isinstance(value, str) and value:
                names.add(value)
        return names

    def match(self, phrase: str) -> SpeakerMatch | None:
        """Statements by the speaker the phrase names, or None if no metadata names them.

        A name matches when every distinctive word of the phrase is in it ("Lavrov",
        "Sergey Lavrov", "the foreign minister of Norway" → "Norway"); failing that, when the
        phrase's last distinctive word (a surname) is.
        """
        words = [w for w in name_tokens(phrase) if w not in ROLE_WORDS]
        if not words:
            return None
        ids: set[str] = set()
        matched: list[str] = []
        for code, sids in self._codes.items():
            if len(words) == 1 and phrase.strip().upper() == code:
                ids |= sids
                matched.append(code)
        rules: tuple[Callable[[set[str]], bool], ...] = (
            lambda toks: all(w in toks for w in words), lambda toks: words[-1] in toks,
        )
        for rule in rules:
            for name, sids in self._names.items():
                if rule(set(name_tokens(name))):
                    ids |= sids
                    matched.append(name)
            if ids:
                break
        return SpeakerMatch(frozenset(ids), tuple(sorted(set(matched)))) if ids else None
