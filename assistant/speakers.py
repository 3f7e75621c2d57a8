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
    """Statements whose metadata names the speaker, those whose text credits words to them, and the names."""

    metadata_ids: frozenset[str]  # statements whose metadata names them
    names: tuple[str, ...]
    attributed_ids: frozenset[str] = frozenset()  # by attributions found in the text

    @property
    def all_ids(self) -> frozenset[str]:
        return self.metadata_ids | self.attributed_ids


class SpeakerDirectory:
    """Who speaks in which statement: from the statements' metadata, and from the speakers found in their text.

    ``attributed``: (speaker, statement id, count) rows, as ``StatementStore.attributed_speakers`` gives them.
    """

    def __init__(self, statements: Iterable[Statement], attributed: Iterable[tuple[str, str, int]] = ()) -> None:
        self._names: dict[str, set[str]] = {}  # a name → statement ids
        self._codes: dict[str, set[str]] = {}  # country codes (upper case) → statement ids
        self._attributed: dict[str, set[str]] = {}  # a speaker found in the text → statement ids
        for name, statement_id, _ in attributed:
            self._attributed.setdefault(name, set()).add(statement_id)
        for st in statements:
            for name in self._statement_names(st):
                self._names.setdefault(name, set()).add(st.id)
            code = st.metadata.get("country")
            if isinstance(code, str) and 2 <= len(code) <= 3 and code.isupper():
                self._codes.setdefault(code, set()).add(st.id)
        self._tokens = {name: frozenset(name_tokens(name)) for name in (*self._names, *self._attributed)}

    @staticmethod
    def _statement_names(st: Statement) -> set[str]:
        names = {v for v in (st.speaker, st.source) if v}
        for key in SPEAKER_KEYS:
            value = st.metadata.get(key)
            if isinstance(value, str) and value:
                names.add(value)
        return names

    def match(self, phrase: str) -> SpeakerMatch | None:
        """Statements by the speaker the phrase names, or None if neither metadata nor text names them.

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
        by_name, names = _matching(self._names, self._tokens, words)
        ids |= by_name
        attributed, attributed_names = _matching(self._attributed, self._tokens, words)
        if not ids and not attributed:
            return None
        return SpeakerMatch(frozenset(ids), tuple(sorted({*matched, *names, *attributed_names})), frozenset(attributed))


def _matching(
    names: dict[str, set[str]], tokens: dict[str, frozenset[str]], words: list[str]
) -> tuple[set[str], list[str]]:
    """Statement ids of the names that hold every word; failing that, of those holding the last word (a surname)."""
    rules: tuple[Callable[[frozenset[str]], bool], ...] = (
        lambda toks: all(w in toks for w in words), lambda toks: words[-1] in toks,
    )
    for rule in rules:
        ids: set[str] = set()
        matched: list[str] = []
        for name, sids in names.items():
            if rule(tokens[name]):
                ids |= sids
                matched.append(name)
        if ids:
            return ids, matched
    return set(), []
