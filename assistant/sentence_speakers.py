"""Who said a sentence, from the attributions found when the statement was indexed (corpus.attribution)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.citation import statement_country
from assistant.speakers import ROLE_WORDS, name_tokens
from corpus.attribution import SPEAKER_CONFIDENCE, Attribution
from corpus.attribution.lexicon import ORGANISATION_NOUNS, PERSON_NOUNS, PERSON_PRONOUNS
from corpus.statement import Statement
from embeddings.backend.terms import tokenize

Span = tuple[int, int]
UNNAMED = "someone unnamed"  # the speaker of words a statement credits to a person it does not name
MIN_SHARE = 0.3  # an attribution speaks a sentence when it covers this share of it (or half of its own content)


def names_match(name: str, phrase: str) -> bool:
    """Whether a resolved speaker name is the one a question names ("Sergei Lavrov" ~ "Lavrov", "Mr. Lavrov")."""
    words = [w for w in name_tokens(phrase) if w not in ROLE_WORDS]
    tokens = set(name_tokens(name))
    return bool(words) and (all(w in tokens for w in words) or words[-1] in tokens)


def is_own_speaker(name: str, statement: Statement) -> bool:
    """Whether a resolved name is the statement's own speaker ("Vantorp" in a statement by Ines Vantorp), the
    country they speak for ("Norvania asks…" in Norvania's speech), or unresolved ("she said": no one else)."""
    if name in ("", statement.speaker) or (bool(statement.speaker) and names_match(statement.speaker, name)):
        return True
    country = statement_country(statement) if statement.speaker else ""
    return bool(country) and names_match(country, name)


def attributions_in(span: Span, attributions: Sequence[Attribution]) -> list[Attribution]:
    """The resolved attributions whose content is a real part of the sentence ``span``, largest share first.

    Attributions resolved less surely than ``SPEAKER_CONFIDENCE`` (an unnamed or guessed source) say
    nothing about who speaks: they are left out.
    """
    found = [(share, x) for x in attributions if x.confidence >= SPEAKER_CONFIDENCE and (share := _speaks(span, x))]
    found.sort(key=lambda item: -item[0])
    return [x for _, x in found]


def _speaks(span: Span, x: Attribution) -> float:
    """The share of the sentence ``span`` that attribution ``x`` covers, when it covers ``MIN_SHARE`` of it or half
    of its own content; else 0."""
    a, b = span
    overlap = min(b, x.content_end) - max(a, x.content_start)
    if overlap <= 0:
        return 0.0
    share = overlap / max(1, b - a)
    return share if share >= MIN_SHARE or overlap >= 0.5 * (x.content_end - x.content_start) else 0.0


def someone_else(span: Span, attributions: Sequence[Attribution]) -> Attribution | None:
    """An attribution of the sentence ``span`` to a person other than the statement's speaker whom indexing could
    not name surely ("She said that…", "the minister added…" in a speech): the words are not the speaker's own.
    None when no such attribution covers the sentence."""
    for x in attributions:
        words = x.source_text.lower().split()
        if (x.kind != "first_person" and words and x.confidence < SPEAKER_CONFIDENCE
                and (words[-1] in PERSON_PRONOUNS or words[-1] in PERSON_NOUNS) and _speaks(span, x)):
            return x
    return None


def main_attribution(span: Span, attributions: Sequence[Attribution]) -> Attribution | None:
    """The attribution that covers most of the sentence, if any."""
    found = attributions_in(span, attributions)
    return found[0] if found else None


@dataclass(frozen=True)
class SpeakerQuery:
    """A speaker a question asks about: the phrase, the names it matched, and the statements whose metadata names them.

    A sentence is theirs when an attribution credits it to one of ``names`` (or, without names, to a
    name matching the phrase), or when it is in one of their own statements and, if that statement
    has a speaker of its own, no one else is credited with it (a speech quoting someone else is
    not). A statement with no metadata speaker (a ministry readout, a press release matched by its
    source or country) is its source's to report: every sentence in it counts.
    """

    phrase: str
    own_statements: frozenset[str]
    names: frozenset[str] = frozenset()  # speaker names the directory matched (exactly these, when given)

    def names_it(self, name: str) -> bool:
        """Whether a resolved speaker name is this speaker."""
        return name in self.names if self.names else names_match(name, self.phrase)

    def attribution(
        self, span: Span, attributions: Sequence[Attribution], statement: Statement | None = None
    ) -> Attribution | None:
        """The attribution crediting the sentence to this speaker, if any (``statement``: the one it is in)."""
        return next((x for x in attributions_in(span, attributions) if self.names_it(x.speaker)), None)

    def evidence(self, statement: Statement, span: Span, attributions: Sequence[Attribution]) -> float:
        """1.0 when the sentence is this speaker's words, else 0.0."""
        if self.attribution(span, attributions) is not None:
            return 1.0
        if statement.id not in self.own_statements:
            return 0.0
        if not statement.speaker:
            return 1.0
        others = [x for x in attributions_in(span, attributions) if x.kind != "first_person"]
        # a source left unresolved in the speaker's own statement ("she said", "officials said") is no one else
        return 1.0 if all(is_own_speaker(x.speaker, statement) for x in others) else 0.0


@dataclass(frozen=True)
class DescribedSpeaker(SpeakerQuery):
    """A speaker the question names as the statements describe them, not by a name the index knows: "the
    Homeland Security secretary", "Clinton's campaign manager", "the House Oversight Committee chairman".

    In a statement that holds the description's other words ("House Oversight Committee"), the people
    credited with words under a source phrase holding its person words ("panel Chairman Rep. Jason
    Chaffetz") are that speaker, and so are their other words there ("Chaffetz said…"). A description
    with no person word needs all its words in the source phrase ("Clinton campaign manager Robby Mook")."""

    person_words: frozenset[str] = frozenset()  # stems of its words for a person: secretary, chairman, chief…
    other_words: tuple[str, ...] = ()  # the rest, lower case as written: the organisation or place

    def described(self, statement: Statement, attributions: Sequence[Attribution]) -> frozenset[str]:
        """The speakers the description stands for in a statement."""
        text = statement.text.lower()
        if self.person_words and not all(w in text for w in self.other_words):
            return frozenset()
        needed = self.person_words or frozenset(tokenize([" ".join(self.other_words)])[0])
        introduced = statement.title + " " + str(statement.metadata.get("post") or "")  # a speech's own speaker
        return frozenset(
            x.speaker for x in attributions
            if x.speaker and x.confidence >= SPEAKER_CONFIDENCE and needed <= set(tokenize(
                [x.source_text if x.kind != "first_person" else introduced])[0])
        )

    def attribution(
        self, span: Span, attributions: Sequence[Attribution], statement: Statement | None = None
    ) -> Attribution | None:
        """The attribution crediting the sentence to a person the description stands for, if any."""
        if statement is None:
            return None
        people = self.described(statement, attributions)
        return next((x for x in attributions_in(span, attributions) if x.speaker in people), None)

    def evidence(self, statement: Statement, span: Span, attributions: Sequence[Attribution]) -> float:
        """1.0 when the sentence is the described person's words, else 0.0."""
        return 1.0 if self.attribution(span, attributions, statement) is not None else 0.0


# Words for a person by their role, in descriptions of a speaker.
PERSON_WORDS = frozenset(tokenize([" ".join(PERSON_NOUNS | {
    "manager", "head", "commissioner", "strategist", "surrogate", "counsel", "attorney", "judge", "secretary",
    "democrat", "republican", "spokeswoman", "director",
})])[0])
# Words for an organisation: "Trump's campaign", "the Homeland Security Department".
ORGANISATION_WORDS = frozenset(tokenize([" ".join(ORGANISATION_NOUNS | {"department", "service", "team"})])[0])
_DESCRIPTION_STOP = frozenset({"the", "a", "an", "of", "for", "his", "her", "their", "its", "s"})


def described_speaker(phrase: str) -> DescribedSpeaker | None:
    """A speaker known by its description, or None when the phrase has no words to look for."""
    words = [w for w in re.findall(r"[\w-]+", phrase.lower().replace("’s", "").replace("'s", ""))
             if w not in _DESCRIPTION_STOP]
    if not words:
        return None
    stems = {w: tuple(tokenize([w])[0]) for w in words}
    person = frozenset(s for w in words for s in stems[w] if s in PERSON_WORDS)
    others = tuple(w for w in words if not any(s in PERSON_WORDS for s in stems[w]) and stems[w])
    return DescribedSpeaker(phrase, frozenset(), person_words=person, other_words=others)


Speaker = str | SpeakerQuery  # a name (older indexes), or a speaker looked up in the attributions


def phrase_of(speaker: Speaker) -> str:
    """The speaker as the question wrote it."""
    return speaker.phrase if isinstance(speaker, SpeakerQuery) else speaker
