"""Which words of a question name who speaks: a speaker, organisation or country the index knows, found
anywhere in the question, in any case, in a speaker's place in the parse.

The question's words are matched against the index's own vocabulary (``SpeakerDirectory``: names from
metadata and from attributions, sources, organisations, countries and their codes, aliases, demonyms,
roles with a country, close misspellings), not against a grammar. The longest run of words that names
someone and stands where a speaker stands (the subject of a verb of saying, the holder of "…'s line",
"statements by …", "per …") is the mention. A lower-case run counts when it is a whole known name
("north korea", "elara voss") or its name words are no English words ("voss", "valdorian government").
A name in a speaker's place that neither the speakers nor any statement hold is reported as unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.cue_words import is_cue_word
from assistant.reading.times import STATEMENT_NOUNS
from assistant.reading.vocabulary import Vocabulary
from assistant.reading.words import FRAME_WORDS
from assistant.sentence_speakers import ORGANISATION_WORDS, PERSON_WORDS
from assistant.speakers import ROLE_WORDS, SpeakerDirectory, name_tokens
from embeddings.backend.terms import tokenize

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_WORDS = re.compile(r"[\w][\w'’.\-]*")
MAX_MENTION_WORDS = 7
_HOLDER_PREPOSITIONS = frozenset({"by", "from", "per", "to"})  # "statements by X", "per X", "according to X"
_PUNCTUATION = re.compile(r"[,;:?!()\[\]\"“”]")
_ARTICLES = frozenset({"the", "a", "an"})
_CONNECTORS = frozenset({"of", "the", "for", "and", "de", "da", "del", "al", "el", "bin", "von", "van", "la", "le"})


@dataclass(frozen=True)
class Mention:
    """Words of a question that name a speaker: as written, and where."""

    text: str
    start: int
    end: int


def find_mention(question: str, directory: SpeakerDirectory, doc: Doc | None = None) -> Mention | None:
    """The run of the question's words that names a speaker, country or organisation the index knows and stands
    where a speaker stands (``doc``: the question's parse; without it, the words around decide): one the parse
    makes the subject of a verb of saying (or the holder of "…'s position") before one only the words around
    suggest, a longer before a shorter, an earlier before a later.

    Question words and verbs never start or end a run; a run of one short lower-case word ("can") never counts;
    a run addressed by a verb of telling ("told CNN's Christiane Amanpour") is no speaker.
    """
    words = list(_WORDS.finditer(question))
    addressed = _addressees(doc) if doc is not None else set()
    best: tuple[tuple[int, int, int], Mention] | None = None
    for size in range(min(MAX_MENTION_WORDS, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            run = words[i : i + size]
            first, last = run[0].group(), run[-1].group()
            if is_framing_word(first) or is_framing_word(last):
                continue
            text = re.sub(r"['’]s?$", "", question[run[0].start() : run[-1].end()]).rstrip(".")
            if _PUNCTUATION.search(text) or any(is_framing_word(w.group()) and w.group().lower() not in _CONNECTORS
                                                for w in run[1:-1]):
                continue  # a name runs over no comma, and holds no question word ("…readout, what did X")
            capitalised = any(w.group()[:1].isupper() for w in run)
            if not capitalised and size == 1 and len(text) <= 3:
                continue
            start, end = run[0].start(), run[0].start() + len(text)
            if _in_topic(doc, start, end) or any(a <= start and end <= b for a, b in addressed):
                continue
            placed = _speaker_place(doc, start, end)
            if not (placed or speaks(question, start, end)):
                continue
            rank = (placed, size, -i)
            if best is not None and rank <= best[0]:
                continue
            if _inside_longer_name(words, i, i + size):
                continue  # "John" in "the John Jones Collection", "University" in "University of Chicago"
            if size == 1 and i == 0 and capitalised and not directory.is_whole_name(text):
                continue  # a capital that only starts the sentence ("Generally speaking, …")
            if directory.is_demonym(text) and not (i + size < len(words) and is_cue_word(words[i + size].group())):
                continue  # "the Dutch warned" names a speaker; "the Dutch document" does not
            if not all(_name_word(w.group(), directory) for w in run):
                continue  # "the nuclear power plant Belarus" is no name, though it ends with one
            if directory.match(text, strict=True) is None:
                continue
            if not capitalised and not (directory.is_whole_name(text) or _distinctive(text, directory)):
                continue
            best = (rank, Mention(text, start, end))
    return _with_article(question, best[1]) if best is not None else None


def whole_subject(question: str, mention: Mention, doc: Doc | None) -> Mention:
    """The mention widened to the noun phrase it qualifies when that phrase is who speaks: "Clinton's campaign
    manager", "the head of the Congressional Black Caucus" (the subject of the verb of saying, or of the
    question's own verb), not just "Clinton"."""
    if doc is None:
        return mention
    tokens = [t for t in doc if mention.start <= t.idx < mention.end]
    inside = {t.i for t in tokens}
    for t in tokens:
        head = t.head
        if head.i in inside or head.i == t.i:
            continue
        while head.dep_ in ("pobj", "prep") and head.head.i != head.i:
            head = head.head  # "the head of [the Congressional Black Caucus]"
        if not set(tokenize([head.text])[0]) & (PERSON_WORDS | ORGANISATION_WORDS):
            continue  # "Voss's position", "MFA's travel advice": the speaker is Voss, MFA
        if head.pos_ in ("NOUN", "PROPN") and head.dep_ in ("nsubj", "nsubjpass") and head.i > max(inside) - 8 and (
                is_cue_word(head.head.lower_) or head.head.dep_ == "ROOT"):
            first = min(head.left_edge.i, min(inside))
            last = max(head.i, max(inside))
            start, end = doc[first].idx, doc[last].idx + len(doc[last].text)
            return Mention(question[start:end], start, end)
    return mention


def unknown_name(question: str, doc: Doc | None, vocabulary: Vocabulary, speaker: str = "",
                 taken: Mention | None = None) -> str:
    """The speaker phrase, or a name in the question, that no speaker is and no statement holds at all
    ("Brannock" over an index that never mentions him), or ""."""
    names = [speaker] if speaker else []
    if doc is not None:
        names += [ent.text for ent in doc.ents if ent.label_ in ("PERSON", "ORG", "GPE", "NORP")
                  and not (taken is not None and taken.start < ent.end_char and ent.start_char < taken.end)]
    for name in names:
        words = [w for w in name_tokens(name) if w not in ROLE_WORDS and w not in FRAME_WORDS]
        if not _checkable(name, words) or vocabulary.speakers.match(name, strict=True) is not None:
            continue
        if not any(vocabulary.holds_word(w) or vocabulary.spelled(w) != w or vocabulary.spells_closely(w)
                   for w in words):
            return re.sub(r"^(?:the|The)\s+", "", name)  # no statement holds it, nor a word spelt like it
    return ""


def _checkable(name: str, words: list[str]) -> bool:
    """Whether a name can be looked for word by word: capitalised words of three letters or more, not an
    abbreviation ("U.S.", "V&A", "WWI") that the statements may spell out."""
    parts = name.split()
    return bool(words) and all(len(w) >= 3 and w.isalpha() for w in words) and any(
        p[:1].isupper() and not p.isupper() for p in parts) and not re.search(r"[.&]", name)


def topic_without(question: str, *spans: tuple[int, int], doc: Doc | None = None) -> str:
    """The question's topic: what is left once ``spans`` (a mention, a time), and the framing words at the edges
    of each remaining piece, are taken off. A verb of saying frames the question; the same word as a noun ("the
    talks", "his remarks on…" aside) may be the topic, so with ``doc`` only words the parse calls verbs count."""
    verbs = {t.idx for t in doc if t.pos_ in ("VERB", "AUX")} if doc is not None else None
    particles = {t.idx for t in doc if t.dep_ == "prt"} if doc is not None else set()  # "push back", "speak out"
    addressed = _addressees(doc) if doc is not None else set()
    spans = (*spans, *addressed)
    stops = [(m.start(), m.end()) for m in re.finditer(r"\?\s+", question)]  # "Why did X…? What reasons…?"
    pieces, at = [], 0
    for start, end in sorted([*spans, *stops]):
        pieces.append((at, question[at:start]))
        at = max(at, end)
    pieces.append((at, question[at:]))
    kept: list[str] = []
    for offset, piece in pieces:
        tokens = [(offset + m.start(), m.group()) for m in re.finditer(r"\S+", piece)]
        tokens = [(i, t.strip(" ?!.,;:")) for i, t in tokens if t.strip(" ?!.,;:")]

        tokens = [(i, t) for i, t in tokens if i not in particles]
        while tokens and _framing(tokens, 0, verbs):
            tokens.pop(0)
        while tokens and _framing(tokens, len(tokens) - 1, verbs):
            tokens.pop()
        if tokens:
            kept.append(" ".join(t for _, t in tokens))
    return " ".join(kept).strip(" ,;:'\"“”‘’")


def _framing(tokens: list[tuple[int, str]], k: int, verbs: set[int] | None) -> bool:
    """Whether the ``k``th word of a piece frames the question. "the" before a topic word is the topic's ("the
    talks"); a verb of saying the parse reads as a noun is the topic's after an article or a word of the topic
    ("describe the talks", "the peace talks"), and frames the question otherwise ("his remarks on…")."""
    at, word = tokens[k]
    lower = word.lower()
    following = tokens[k + 1][1].lower() if k + 1 < len(tokens) else ""
    if lower in _ARTICLES:
        return not following or _framing(tokens, k + 1, verbs)
    if len(word) >= 2 and word.isupper():
        return False  # "US", "EU", "AI": names, not the pronoun "us"
    if verbs is not None and at not in verbs and is_cue_word(lower):
        before = tokens[k - 1][1] if k > 0 else ""
        return not before or (before.lower() not in _ARTICLES and is_framing_word(before)) or before in ("'s", "’s")
    return is_framing_word(word, verb=None if verbs is None else at in verbs) or word in ("'s", "’s", "s")


_TELL = frozenset({"tell", "inform", "brief", "remind", "assure", "address"})
_TO_WHOM = frozenset({"write", "say", "speak", "talk", "explain", "send", "reply", "announce", "pledge"})


def _addressees(doc: Doc) -> set[tuple[int, int]]:
    """Who a verb of telling is addressed to ("told the Assembly", "briefed reporters"): framing, not topic."""
    out = set()
    for t in doc:
        if t.dep_ in ("dobj", "dative", "iobj") and t.head.lemma_.lower() in _TELL and t.i > t.head.i:
            out.add((t.left_edge.idx, t.idx + len(t.text)))  # the noun phrase, not what hangs on it
        if t.dep_ == "pobj" and t.head.lower_ == "to" and t.head.head.lemma_.lower() in _TELL | _TO_WHOM:
            out.add((t.head.idx, t.idx + len(t.text)))  # "write to the Palestinian prime minister"
    return out


_HELD_VIEW = re.compile(r"['’]s\s+\w+\s+(?:by|from|of)\s+(?:the\s+)?$")  # "Nicaragua's view of X": X is the topic
_TOPIC_PREPOSITIONS = frozenset({"about", "on", "regarding", "concerning", "over", "towards", "toward"})
_ON_TOPIC_AFTER = re.compile(r"^(?:['’]s)?\s*(?:on|about|regarding|re:?)\s+\w", re.IGNORECASE)
_SUBJECT_BEFORE = re.compile(
    r"\b(?:did|does|do|has|have|had|was|were|is|are|will|would|by|from|per|according\s+to)\s+(?:the\s+)?$", re.I)
_WORDS_BY = re.compile(r"\b(?:statements?|remarks|comments|quotes?|speech(?:es)?|words|views?|address|line|readout)\s+"
                       r"(?:by|from|of)\s+(?:the\s+)?$", re.I)
_POSITION_AFTER = re.compile(r"^(?:['’]s?\s+)?(?:own\s+)?(?:position|view|stance|opinion|line|take|remarks|comments|"
                             r"statements?|speech|speeches|words|response|reaction|call|proposal|warning|mentions?|"
                             r"addresses|readout|message)s?\b", re.I)


def speaks(question: str, start: int, end: int) -> bool:
    """Whether the words at ``start:end`` are who speaks, not what is spoken about, by the words around them:
    the holder of "…'s position" or "statements by …", or the subject of a verb of saying or asking after it
    ("did Norvania warn…", "Norvania warned…"); "climate change in Peru" is about Peru."""
    before, after = question[:start], question[end:]
    if _POSITION_AFTER.match(after.lstrip()) or (_WORDS_BY.search(before) and not _HELD_VIEW.search(before)):
        return True
    if not before.strip(" \"'“‘") and _ON_TOPIC_AFTER.match(after):  # "Voss on fishing quotas"
        return True
    following = re.findall(r"[\w']+", after)
    near = following[:3] if not _SUBJECT_BEFORE.search(before) else following  # "did X … warn": anywhere after
    return any(is_cue_word(w) for w in near)


def _speaker_place(doc: Doc | None, start: int, end: int) -> int:
    """How surely the parse puts the words at ``start:end`` where a speaker stands: 2 for the subject of a verb
    of saying or of the question's own verb, 1 for the holder of a noun ("Voss's mentions") or the object of
    "by", "from", "per" or "according to", 0 otherwise."""
    if doc is None:
        return 0
    tokens = [t for t in doc if start <= t.idx < end]
    inside = {t.i for t in tokens}
    for t in tokens:
        if t.head.i in inside:
            continue
        head = t.head
        if t.dep_ in ("nsubj", "nsubjpass") and head.pos_ in ("VERB", "AUX") and (
                is_cue_word(head.lower_) or head.dep_ == "ROOT"):
            return 2  # the subject of a verb of saying, or of the question's own verb
        if t.dep_ == "poss":  # "Voss's line on…", but not "about Trump's comments": that is the topic
            return 0 if any(_topic_preposition(a) for a in t.ancestors) else 1
        if t.dep_ == "pobj" and head.lower_ in _HOLDER_PREPOSITIONS:
            if head.lower_ == "to":
                return int(head.head.lower_ == "according")
            if head.lower_ == "from":  # "a letter from X", not "suspend Russia from the Council"
                return int(head.head.lower_ in STATEMENT_NOUNS)
            return 1
    return 0


def _name_word(word: str, directory: SpeakerDirectory) -> bool:
    """Whether a word can be part of a name as a question writes it: capitalised, a role or connector ("the
    prime minister of"), or a known name word or demonym in any case ("voss", "valdorian")."""
    lower = word.lower().strip("'’.")
    lower = lower[:-2] if lower.endswith(("'s", "’s")) else lower
    return (word[:1].isupper() or lower in ROLE_WORDS or lower in _CONNECTORS or directory.knows_name_word(lower)
            or directory.is_demonym(lower) or directory.is_whole_name(lower))


def _in_topic(doc: Doc | None, start: int, end: int) -> bool:
    """Whether the parse puts the words at ``start:end`` inside what is spoken about ("say about Trump's remarks")."""
    if doc is None:
        return False
    tokens = [t for t in doc if start <= t.idx < end]
    return any(_topic_preposition(a) for t in tokens for a in t.ancestors)


def _topic_preposition(token: Token) -> bool:
    """A preposition that introduces what is spoken about: "about", "on", "to" ("respond to", "write to") but
    not "according to", which names who speaks."""
    if token.dep_ != "prep":
        return False
    return token.lower_ in _TOPIC_PREPOSITIONS or token.lower_ == "to" and token.head.lower_ != "according"


def _distinctive(text: str, directory: SpeakerDirectory) -> bool:
    """Whether every name word of a lower-case phrase is a known name word that is no English word ("voss")."""
    from assistant.spelling import is_english_word

    words = [w for w in name_tokens(text) if w not in ROLE_WORDS]
    return bool(words) and all(directory.knows_name_word(w) and not is_english_word(w) for w in words)


def _inside_longer_name(words: list[re.Match[str]], first: int, end: int) -> bool:
    """Whether the run ``words[first:end]`` is part of a longer capitalised name in the question (a capitalised
    word, or "of"/"de" followed by one, right before or after it), which the index does not know as a whole."""
    def capital(i: int) -> bool:  # "Did" or "What" opening the question is no part of a name
        return 0 <= i < len(words) and words[i].group()[:1].isupper() and not (
            i == 0 and is_framing_word(words[i].group()))

    if first > 0 and capital(first - 1) and words[first - 1].end() + 1 >= words[first].start():
        return True
    if capital(end) and words[end].start() <= words[end - 1].end() + 1:
        return True
    return (end + 1 < len(words) and words[end].group().lower() in ("of", "de", "for") and capital(end + 1)
            and not any(w.group()[:1].islower() for w in words[first:end] if w.group() not in ("of", "the")))


def is_framing_word(word: str, verb: bool | None = None) -> bool:
    """Whether a word frames a question (a question word, an auxiliary, a verb of saying) rather than names
    anything (``verb``: whether the parse reads it as a verb; a cue word frames only as one, when known)."""
    w = word.lower().strip(",;:'\"“”‘’?!.")
    return w in FRAME_WORDS or (is_cue_word(w) and verb is not False) or not any(ch.isalnum() for ch in w)


def _with_article(question: str, mention: Mention) -> Mention:
    """"the" before a mention belongs to it ("the prime minister of Peru")."""
    before = question[: mention.start]
    m = re.search(r"\bthe\s+$", before, re.IGNORECASE)
    if m and name_tokens(mention.text):
        return Mention(question[m.start() : mention.end], m.start(), mention.end)
    return mention
