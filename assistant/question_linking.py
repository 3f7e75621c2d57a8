"""Linking a question to the index: which words name a speaker the index knows, and what is left as the topic.

The question's words are matched against the index's own vocabulary (``SpeakerDirectory``: speaker
names from metadata and from attributions, sources, organisations, countries and their codes,
aliases, demonyms, roles with a country, misspellings), not against a grammar. The longest run of
words that names someone is the speaker mention; what remains once question words, verbs of saying
or asking and their prepositions are taken off its edges is the topic. So any verb works as the cue:
"What did the Peruvian PM warn about?", "Which proposals did Norvania bring up on debt relief?".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.cue_words import is_cue_word
from assistant.speakers import SpeakerDirectory, name_tokens

_WORDS = re.compile(r"[\w][\w'’.\-]*")
MAX_MENTION_WORDS = 7
# Words that frame a question rather than say what it is about: taken off the topic's edges.
FRAME_WORDS = frozenset("""
what whats what's how why when where which who whom whose did does do has have had was were is are be been being will
would could should can may might shall the a an and or but so then also ok okay please tell me us show give find list
about on regarding concerning of in into to for with over towards toward against re as at by from that this these those
say said says saying speak spoke spoken speaks speaking talk talked talks talking mention mentioned mentions
position positions view views stance stances opinion opinions line take remarks comments statement statements
speech speeches words quote quotes anything something much think thought thinks feel felt
changed evolve evolved evolution developed over the years first ever
ask asked asks bring brought brings up call called calls respond responded responds react reacted reacts
his her their its he she they it him them any
""".split())
@dataclass(frozen=True)
class Mention:
    """Words of a question that name a speaker: as written, and where."""

    text: str
    start: int
    end: int


def find_mention(question: str, directory: SpeakerDirectory) -> Mention | None:
    """The longest run of the question's words that names a speaker, country or organisation the index knows.

    A run of lower-case words counts only when it is a whole known name or alias ("north korea"); one
    with a capital letter when every distinctive word is in one name ("Lavrov", "Peru's prime minister").
    Question words and verbs never start or end a run; a run of one short lower-case word ("can") never counts.
    """
    words = list(_WORDS.finditer(question))
    best: Mention | None = None
    for size in range(min(MAX_MENTION_WORDS, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            run = words[i : i + size]
            first, last = run[0].group(), run[-1].group()
            if _framing(first) or _framing(last):
                continue
            text = re.sub(r"['’]s?$", "", question[run[0].start() : run[-1].end()]).rstrip(".")
            capitalised = any(w.group()[:1].isupper() for w in run)
            if not capitalised and (size == 1 and len(text) <= 3):
                continue
            if not _speaks(question, run[0].start(), run[0].start() + len(text)):
                continue
            if _inside_longer_name(words, i, i + size):
                continue  # "John" in "the John Jones Collection", "University" in "University of Chicago"
            if size == 1 and i == 0 and not directory.is_whole_name(text):
                continue  # a capital that only starts the sentence ("Generally speaking, …")
            if directory.is_demonym(text) and not (i + size < len(words) and is_cue_word(words[i + size].group())):
                continue  # "the Dutch warned" names a speaker; "the Dutch document" does not
            match = directory.match(text, strict=True)
            if match is None or (not capitalised and not directory.is_whole_name(text)):
                continue
            best = Mention(text, run[0].start(), run[0].start() + len(text))
            break
        if best is not None:
            break
    if best is None:
        return None
    return _with_article(question, best)


def topic_without(question: str, mention: Mention | None) -> str:
    """The question's topic: what is left once the mention, and the framing words at the edges, are taken off."""
    pieces = [question] if mention is None else [question[: mention.start], question[mention.end :]]
    kept: list[str] = []
    for piece in pieces:
        tokens = [t for t in re.split(r"\s+", piece.strip(" ?!.,;:")) if t]
        while tokens and (_framing(tokens[0]) or tokens[0] in ("'s", "’s", "s")):
            tokens.pop(0)
        while tokens and _framing(tokens[-1]):
            tokens.pop()
        if tokens:
            kept.append(" ".join(tokens))
    return " ".join(kept).strip(" ,;:'\"“”‘’")


_SUBJECT_BEFORE = re.compile(
    r"\b(?:did|does|do|has|have|had|was|were|is|are|will|would|by|from|according\s+to)\s+(?:the\s+)?$", re.I)
_WORDS_BY = re.compile(r"\b(?:statements?|remarks|comments|quotes?|speech(?:es)?|words|views?|address)\s+"
                       r"(?:by|from|of)\s+(?:the\s+)?$", re.I)
_POSITION_AFTER = re.compile(r"^(?:['’]s?\s+)?(?:own\s+)?(?:position|view|stance|opinion|line|take|remarks|comments|"
                             r"statements?|speech|speeches|words|response|reaction|call|proposal|warning)s?\b", re.I)


def _speaks(question: str, start: int, end: int) -> bool:
    """Whether the words at ``start:end`` are who speaks, not what is spoken about: the holder of "…'s
    position" or "statements by …", or the subject of a verb of saying or asking after it ("did Norvania
    warn…", "Norvania warned…"); "climate change in Peru" is about Peru, "where does Hamas come from" asks
    no one's words."""
    before, after = question[:start], question[end:]
    if _POSITION_AFTER.match(after.lstrip()) or _WORDS_BY.search(before):
        return True
    following = re.findall(r"[\w']+", after)
    near = following[:3] if not _SUBJECT_BEFORE.search(before) else following  # "did X … warn": anywhere after
    return any(is_cue_word(w) for w in near)


def _inside_longer_name(words: list[re.Match[str]], first: int, end: int) -> bool:
    """Whether the run ``words[first:end]`` is part of a longer capitalised name in the question (a capitalised
    word, or "of"/"de" followed by one, right before or after it), which the index does not know as a whole."""
    def capital(i: int) -> bool:  # "Did" or "What" opening the question is no part of a name
        return 0 <= i < len(words) and words[i].group()[:1].isupper() and not (i == 0 and _framing(words[i].group()))

    if first > 0 and capital(first - 1) and words[first - 1].end() + 1 >= words[first].start():
        return True
    if capital(end) and words[end].start() <= words[end - 1].end() + 1:
        return True
    return (end + 1 < len(words) and words[end].group().lower() in ("of", "de", "for") and capital(end + 1)
            and not any(w.group()[:1].islower() for w in words[first:end] if w.group() not in ("of", "the")))


def is_framing_word(word: str) -> bool:
    """Whether a word frames a question (a question word, an auxiliary, a verb of saying) rather than names anything."""
    return _framing(word)


def _framing(word: str) -> bool:
    w = word.lower().strip(",;:'\"“”‘’?!.")
    return w in FRAME_WORDS or is_cue_word(w) or not any(ch.isalnum() for ch in w)


def _with_article(question: str, mention: Mention) -> Mention:
    """"the" before a mention belongs to it ("the prime minister of Peru")."""
    before = question[: mention.start]
    m = re.search(r"\bthe\s+$", before, re.IGNORECASE)
    if m and name_tokens(mention.text):
        return Mention(question[m.start() : mention.end], m.start(), mention.end)
    return mention
