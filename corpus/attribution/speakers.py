"""Who a source is: a name expanded to its fullest form in the text, a pronoun or role resolved to the person
or organisation it stands for, a description kept as its own speaker."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from corpus.attribution.lexicon import (
    CLAUSE_NOUNS,
    FIRST_PERSON,
    GROUP_PRONOUNS,
    NAMED,
    ORGANISATION_NOUNS,
    PERSON_NOUNS,
    PERSON_PRONOUNS,
    TITLES,
)
from corpus.attribution.mention_ranking import candidates, mention_ranker, pronoun_class
from corpus.attribution.model import Attribution, Found

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Nouns that name a body: "the General Assembly" keeps "General", a title before a person's name.
BODY_NOUNS = ORGANISATION_NOUNS | frozenset({"assembly", "council", "conference", "summit", "forum"})
SECOND_PERSON = frozenset({"you", "your", "yourself", "yourselves"})
RANKED_SURE = 0.5  # the ranker's probability at which its best candidate is taken (else the rules below decide)
_PLURAL_NOUN_TAGS = frozenset({"NNS", "NNPS"})  # "the Palestinians" speak; "Palestinian" (an adjective) does not
_SPEAKING = frozenset({"PERSON", "ORG", "GPE"})  # entities that can speak (NORP only as a plural noun)
_NOT_SPEAKERS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY", "LAW", "EVENT",
                           "WORK_OF_ART", "PRODUCT", "LANGUAGE"})


class SpeakerResolver:
    """Resolves the sources of one parsed document's attributions to speakers."""

    def __init__(
        self, doc: Doc, speaker: str, names: Sequence[str] = (), earlier: Sequence[str] = (), owner: str = "",
        in_quote: Callable[[int], bool] | None = None, seen: Sequence[str] = (),
    ) -> None:
        self.doc = doc
        self.speaker = speaker.strip()
        self.owner = owner.strip()  # who says "I" outside quotes in a report (a column's author, a speech's country)
        self.in_quote = in_quote or (lambda at: False)
        self.people = [e for e in doc.ents if e.label_ == "PERSON"]
        # When ``doc`` is a part of a statement: the full names the whole statement gives (``known_names``), and
        # those of them named before this part, in order (who "she" may be).
        self.names = tuple(names)
        self.earlier = tuple(n for n in earlier if n != self.speaker and n.split()[-1].lower() not in BODY_NOUNS)
        self._name_words = frozenset(w for n in self.names for w in n.split())
        self.seen = tuple(seen)  # people the parse found in earlier parts of the statement, in order

    def resolve(self, found: Sequence[Found], previous: tuple[str, float] = ("", 0.0)) -> list[Attribution]:
        """Each found attribution with its speaker; ``previous``: the speaker (and confidence) of the attribution
        just before ``doc``, when it is a part of a text ("he added" in the next part is likely the same)."""
        out: list[Attribution] = []
        (previous_speaker, previous_confidence), previous_was_i = previous, False
        for f in found:
            head = f.source.root.lower_ if f.source is not None else ""
            before = "" if previous_was_i and head in PERSON_PRONOUNS else previous_speaker  # "I said … She said"
            speaker, confidence = self._speaker_of(f.source, f.cue[0], before)
            if f.source is None and f.cue[0] == f.cue[1] and out:
                speaker, confidence = previous_speaker, 0.6  # a quote continuing the previous attribution
            if speaker and speaker == previous_speaker and (f.source is None or not self._named_in(f.source)):
                confidence = min(confidence, previous_confidence)  # "it", "they": no surer than what they stand for
            src = (f.source.start_char, f.source.end_char) if f.source is not None else (None, None)
            out.append(
                Attribution(
                    content_start=f.content[0], content_end=f.content[1], cue_start=f.cue[0], cue_end=f.cue[1],
                    source_start=src[0], source_end=src[1],
                    source_text=f.source.text if f.source is not None else "", speaker=speaker, kind=f.kind,
                    confidence=confidence,
                )
            )
            if speaker:
                previous_speaker, previous_confidence, previous_was_i = speaker, confidence, head in FIRST_PERSON
        return out

    def speaker_of(self, source: Span | None, at: int, previous: str) -> tuple[str, float]:
        """The resolved speaker of a source span (``at``: where its cue is), and a confidence."""
        return self._speaker_of(source, at, previous)

    def _speaker_of(self, source: Span | None, at: int, previous: str) -> tuple[str, float]:
        """The resolved speaker of a source span, and a confidence."""
        if source is None:
            return "", 0.3
        label = self.doc.text[at : at + 1] == ":"
        if label and self.speaker and all(t.lower_.rstrip(".") in TITLES for t in source if not t.is_punct):
            return self.speaker, 0.9  # "Minister: …" in the transcript of the statement's own speaker
        if label and source.root.pos_ == "PROPN":  # "PENCE: …" in a transcript: the label names the speaker
            return self._full_name(strip_titles(source.text)), 0.9
        named = self._named_in(source)
        if named:
            return named, 0.9
        head = source.root.lower_
        if head in FIRST_PERSON and self.owner and not self.in_quote(source.start_char):
            return self.owner, 0.8
        if head in SECOND_PERSON:
            return "", 0.3  # "you", in a speech the one it addresses: no one the text names
        if head in FIRST_PERSON and self.speaker:
            return self.speaker, 0.9
        if head in FIRST_PERSON and previous:
            return previous, 0.6  # "I" in a news report: the person being quoted
        if pronoun_class(head) and (ranker := mention_ranker()) is not None:
            best, probability = ranker.best(candidates(self.doc, source, at, previous))
            if best is not None and probability >= RANKED_SURE:
                return self._full_name(strip_titles(best.name)), 0.7
        if head in PERSON_NOUNS:
            titled = self._titled_person(head, at)
            if titled:
                return titled, 0.7
        if head in PERSON_PRONOUNS or head in PERSON_NOUNS:
            return self._person_before(at, previous)
        if head in GROUP_PRONOUNS or head in ORGANISATION_NOUNS:
            if previous and not self._is_person(previous):
                return previous, 0.6
            speaker, confidence = self._last_named(at, ("ORG", "GPE", "NORP"), hint=head)
            if speaker or head in GROUP_PRONOUNS:
                return speaker, confidence
        return description(source), 0.4

    def _named_in(self, source: Span) -> str:
        """The name a source span gives: the entity at its head, else its person, else its longest name
        ("Trump campaign manager X" → X, "Sanders' aides" → Sanders); a proper noun the NER missed. Only
        people, organisations and countries speak: a date ("25 April"), a document ("the 2030 Agenda"), a
        nationality used as an adjective ("the Russian statement") or a lone capitalised word no entity
        backs ("the Almighty", "global Solidarity") names no one: ""."""
        root = source.root
        names = [e for e in source.ents if e.label_ in NAMED]
        at_head = [e for e in names if e.start <= root.i < e.end]
        if at_head and (at_head[0].label_ != "NORP" or root.tag_ in _PLURAL_NOUN_TAGS):
            return self._full_name(strip_titles(name_text(at_head[0])))
        if root.pos_ == "PROPN" and root.lower_ not in TITLES and self._speaks(root):  # a name the NER missed
            return self._full_name(strip_titles(self.doc[name_start(root) : root.i + 1].text))
        appositive = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "PROPN" and self._speaks(c)]
        if appositive and root.pos_ != "PROPN":  # "Valdoria's harbour minister, Ilya Brannock,": the name is the head's
            return self._full_name(strip_titles(self.doc[name_start(appositive[0]) : appositive[0].i + 1].text))
        holders = [e for e in names if e.label_ != "NORP" and self._holds(e, root)]
        if holders:  # "CITY (Agency) — Jane Roe", "Roe's aides": a person first, the nearest to the head
            name = max(holders, key=lambda e: (e.label_ == "PERSON", e.end))
            return self._full_name(strip_titles(name_text(name)))
        proper = [t for t in source if t.pos_ == "PROPN" and t.lower_ not in TITLES and not t.is_sent_start
                  and self._speaks(t) and t.ent_type_ not in _NOT_SPEAKERS]
        if proper and (root.lower_ in PERSON_NOUNS or root.lower_ in ORGANISATION_NOUNS or root.pos_ == "PROPN"):
            last = max(proper, key=lambda t: (t.i == root.i, t.i))
            return self._full_name(strip_titles(self.doc[name_start(last) : last.i + 1].text))
        return ""

    def _speaks(self, token: Token) -> bool:
        """A proper noun that can name a speaker: not a date or a number, and either part of a name of two or more
        words, titled ("Mr. Roe"), or a word some person, organisation or country entity of the text holds."""
        if token.ent_type_ in _NOT_SPEAKERS:
            return False
        titled = any(t.lower_.rstrip(".") in TITLES and t.lower_ != "the" for t in token.lefts)
        if name_start(token) < token.i or titled or token.text in self._name_words:
            return True
        return any(token.text in e.text.split() for e in self.doc.ents if e.label_ in _SPEAKING)

    def _holds(self, entity: Span, root: Token) -> bool:
        """Whether a name inside a source names its holder: the source is a person or body ("Acme spokesman
        John Doe", "the Estmark government"), the name is a possessor ("Roe's aides") or a body that made the
        thing ("a Post-ABC News poll", "the IMF report"), or it stands apart from the head ("CITY (Agency) — Jane
        Roe"); not a person's name modifying a thing ("the Covid times")."""
        if root.lower_ in PERSON_NOUNS or root.lower_ in ORGANISATION_NOUNS or root.pos_ == "PROPN":
            return True
        if entity.label_ in ("ORG", "GPE") or root.lemma_.lower() in CLAUSE_NOUNS:
            return True  # a body's poll or report; a person's statement, claim or remarks
        return any(t.dep_ == "poss" or t.tag_ == "POS" for t in entity) or entity.root.head.i != root.i

    def _person_before(self, at: int, previous: str) -> tuple[str, float]:
        """The person a "he"/"she"/"the senator" before ``at`` stands for: the previous attribution's
        speaker, else the nearest person named as a subject before, else the nearest person named."""
        if previous and self._is_person(previous):
            return previous, 0.7
        before = [e for e in self.people if e.end_char <= at]
        subjects = [e for e in before if e.root.dep_ in ("nsubj", "nsubjpass")]
        if subjects:
            return self._full_name(strip_titles(subjects[-1].text)), 0.5
        if before:
            return self._full_name(strip_titles(before[-1].text)), 0.5
        if self.earlier:  # named earlier in the statement, outside the part read
            return self.earlier[-1], 0.5
        return "", 0.3

    def _last_named(self, at: int, labels: tuple[str, ...], hint: str = "") -> tuple[str, float]:
        """The nearest named mention of these kinds before ``at`` (one containing ``hint`` first)."""
        before = [e for e in self.doc.ents if e.label_ in labels and e.end_char <= at]
        if hint:
            hinted = [e for e in before if hint in e.text.lower().split()]
            if hinted:
                return self._full_name(strip_titles(hinted[-1].text)), 0.6
        if not before:
            return "", 0.3
        return self._full_name(strip_titles(before[-1].text)), 0.5

    def _titled_person(self, role: str, at: int) -> str:
        """The nearest person before ``at`` introduced with this role ("Foreign Minister X", "X, the minister")."""
        for person in reversed([e for e in self.people if e.end_char <= at]):
            before = self.doc[max(0, person.start - 4) : person.start]
            after = self.doc[person.end : min(len(self.doc), person.end + 4)]
            if any(t.lower_ == role for t in before) or (after and after[0].text == "," and
                                                          any(t.lower_ == role for t in after)):
                return self._full_name(strip_titles(person.text))
        return ""

    def _is_person(self, name: str) -> bool:
        """A person's name: one the NER calls a person, or a capitalised name it calls nothing at all."""
        last = name.split()[-1] if name.split() else ""
        if any(e.text.split()[-1] == last for e in self.people if e.text.split()):
            return True
        others = [e for e in self.doc.ents if e.label_ in NAMED and e.label_ != "PERSON"]
        return last[:1].isupper() and not any(last in e.text.split() for e in others)

    def _full_name(self, name: str) -> str:
        """The longest PERSON mention in the text (or the metadata speaker) that ends with this name's last word
        and holds all its words: "Lavrov" → "Sergei Lavrov", but "Jeh Johnson" stays, whatever "Gary Johnson".
        The people the parse found (in this part and, ``seen``, earlier parts) come before the names a part is
        given from its whole text (``names``), which are capitalised runs ("Democrat Hillary Clinton")."""
        words = [w.removesuffix("’s").removesuffix("'s") for w in name.split()]
        if not words:
            return name
        parsed = [strip_titles(person.text) for person in self.people] + [self.speaker, *self.seen]
        if words[-1].lower() in BODY_NOUNS:  # "the Assembly" → "General Assembly", named earlier
            parsed += [strip_titles(name_text(e)) for e in self.doc.ents if e.label_ == "ORG"]
        best = _longest_holding(words, parsed) or _longest_holding(words, self.names) or " ".join(words)
        if best == " ".join(words) and len(words) == 1:  # "Sim" for "Sim Ann" (surname first): one such name only
            longer = {c for c in [*parsed, *self.names] if c.split()[:1] == words and len(c.split()) > 1}
            if len(longer) == 1:
                best = longer.pop()
        return best


def _longest_holding(words: Sequence[str], candidates: Sequence[str]) -> str:
    """The longest candidate that ends with the last of ``words`` and holds all of them ("" if none does)."""
    best = ""
    for candidate in candidates:
        parts = [w.removesuffix("’s").removesuffix("'s") for w in candidate.split()]
        if parts and parts[-1] == words[-1] and set(words) <= set(parts) and len(candidate) > len(best):
            best = " ".join(parts)
    return best


# A run of capitalised words (an initial or a short abbreviation may end in a dot: "J.", "Mr."; "Secretary-General."
# ends a sentence), with the lower-case particles of names between them.
_NAME_RUN = re.compile(
    r"(?:[A-Z][a-z]{0,2}\.|[A-Z][\w'’-]*)(?:[ \t]+(?:[A-Z][a-z]{0,2}\.|[A-Z][\w'’-]*|de|van|von|bin|al|el|da|du))*"
    r"[ \t]+[A-Z][\w'’-]+"
)


_WORD_BEFORE = re.compile(r"(\w+)\.?[ \t]+$")
_PERSON_WORDS = (TITLES | PERSON_NOUNS) - {"the", "general", "house", "white"}


def known_names(text: str) -> tuple[tuple[str, int, bool], ...]:
    """The names of two or more capitalised words in ``text`` (titles and a leading function word dropped), each
    with where it first occurs and whether it is a person's (a title or a post before it: "Mr. Lars Henning",
    "our minister Mira Santal"): what a surname alone ("Henning") or a body's short name ("the Assembly") later in
    it expands to, and who "she" may be, when the sentence it is in is read alone."""
    from spacy.lang.en.stop_words import STOP_WORDS

    found: dict[str, tuple[int, bool]] = {}
    for m in _NAME_RUN.finditer(text):
        words = m.group().split()
        before = _WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
        titled = before is not None and before.group(1).lower() in _PERSON_WORDS
        while words and (words[0].lower() in STOP_WORDS or words[0].lower().rstrip(".") in TITLES):
            if len(words) == 2 and words[1].lower() in BODY_NOUNS and words[0].lower() not in STOP_WORDS:
                break  # "General Assembly"
            titled = titled or words[0].lower().rstrip(".") in _PERSON_WORDS
            words = words[1:]
        if len(words) >= 2:
            name = " ".join(words)
            at, person = found.get(name, (m.start(), False))
            found[name] = (at, person or titled)
    return tuple((name, at, person) for name, (at, person) in found.items())


def name_text(entity: Span) -> str:
    """An entity's text without the words the NER took in before the name ("Later the Assembly" → "the Assembly")."""
    start = entity.start
    while start < entity.end - 1 and entity.doc[start].pos_ in ("ADV", "ADP", "CCONJ", "SCONJ", "PUNCT"):
        start += 1
    return entity.doc[start : entity.end].text


def name_start(token: Token) -> int:
    """The first token of a name ending at ``token``: its compound and flat PROPN modifiers."""
    start = token.i
    for child in token.lefts:
        if child.dep_ in ("compound", "flat") and child.pos_ == "PROPN":
            start = min(start, child.left_edge.i)
    return start


def description(source: Span) -> str:
    """An unresolved description as its own speaker: "the state's election officials" → "state's election officials"."""
    words = [t for t in source if not (t.i == source.start and t.dep_ in ("det", "poss"))]
    stop = next((t.i for t in words if t.dep_ in ("relcl", "acl", "appos") or t.text in ",(—–"), source.end)
    return " ".join(t.text for t in words if t.i < stop).strip()


def strip_titles(name: str) -> str:
    """"Foreign Minister Sergei Lavrov" → "Sergei Lavrov"; "the Ministry" → "Ministry"; a body's own name keeps
    its words: "the General Assembly" → "General Assembly", "the Secretary-General" → "Secretary-General"."""
    parts = name.split()
    while len(parts) > 1 and parts[0].lower().rstrip(".") in TITLES:
        if parts[0].lower() != "the" and len(parts) == 2 and parts[1].lower().rstrip(".,") in BODY_NOUNS:
            break
        parts = parts[1:]
    return " ".join(parts)
