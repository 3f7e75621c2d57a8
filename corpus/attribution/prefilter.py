"""Which sentences of a report can hold an attribution, decided without parsing.

A sentence can hold one when it has a word form of a cue the rules know (any verb or noun of the cue lexicon,
inflected), a quotation (or lies inside one that runs over several sentences), "according to", a transcript label
("Amanpour: …") or, when the text has an ``owner`` who speaks in the first person, a first-person word. The parse
then runs over runs of such sentences, each with the sentence before it for what "she" or "the minister" stands
for (``report_windows``). Its recall against parsing every sentence is measured on PolNeAR dev by
``benchmarks/attribution_prefilter.py``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.attribution.first_person import FIRST_PERSON_WORD
from corpus.attribution.lexicon import (
    CLAUSE_NOUNS,
    CUE_VERBS,
    NEWS_CLAUSE_CUES,
    NEWS_INFINITIVE_CUES,
    NEWS_OBJECT_CUES,
    NEWS_PREPOSITION_CUES,
    OBJECT_CUES,
    PREPOSITION_NOUNS,
    RAISING_CUES,
    TRANSCRIPT_LABEL,
)
from corpus.attribution.title_speaker import SPEECH_NOUNS

_IRREGULAR = {
    "say": ("said",), "tell": ("told",), "write": ("wrote", "written"), "think": ("thought",),
    "speak": ("spoke", "spoken"), "find": ("found",), "show": ("shown",), "hold": ("held",),
    "give": ("gave", "given"), "make": ("made",), "seek": ("sought",), "feel": ("felt",),
    "know": ("knew", "known"), "see": ("saw", "seen"), "take": ("took", "taken"), "bring": ("brought",),
    "read": ("read",), "lead": ("led",), "fight": ("fought",), "teach": ("taught",), "deliver": ("delivered",),
    "present": ("presented",), "sound": ("sounded",), "paint": ("painted",),
}
LEARNED_CUES = Path(__file__).parents[1] / "models" / "cue_lemmas.json"
CONTEXT = 1  # sentences parsed before a run, for what "she" or "the minister" stands for
GAP = 1  # runs of sentences that can report, at most this many sentences apart, are parsed as one
_WORD = re.compile(r"[A-Za-z]+")
_QUOTATION = re.compile(r"“[^”]*”?|\"[^\"]*\"?|‘[^’]{20,}’")
_LABEL = re.compile(TRANSCRIPT_LABEL, re.MULTILINE)


def word_forms(lemma: str) -> set[str]:
    """A lemma's inflected forms, generously (a form too many costs a parse, a form too few an attribution)."""
    forms = {lemma, lemma + "s", lemma + "es", lemma + "ed", lemma + "d", lemma + "ing", lemma + lemma[-1] + "ed",
             lemma + lemma[-1] + "ing"}
    if lemma.endswith("e"):
        forms.add(lemma[:-1] + "ing")
    if lemma.endswith("y"):
        forms.update((lemma[:-1] + "ied", lemma[:-1] + "ies"))
    forms.update(_IRREGULAR.get(lemma, ()))
    return forms


@lru_cache(maxsize=1)
def cue_words() -> frozenset[str]:
    """Every lower-case word form of every cue verb and cue noun the rules know, and of the words the content
    tagger has been seen to take as cues (``learned_cue_lemmas``)."""
    lemmas = (CUE_VERBS | OBJECT_CUES | NEWS_CLAUSE_CUES | NEWS_INFINITIVE_CUES | NEWS_OBJECT_CUES
              | NEWS_PREPOSITION_CUES | RAISING_CUES | CLAUSE_NOUNS | SPEECH_NOUNS
              | frozenset().union(*PREPOSITION_NOUNS.values()) | {"according", "hop"}
              | learned_cue_lemmas())
    return frozenset(form for lemma in lemmas for form in word_forms(lemma))


def learned_cue_lemmas() -> frozenset[str]:
    """The lemmas the content tagger took as cues beyond the lexicon, on PolNeAR train (``LEARNED_CUES``, written by
    ``benchmarks/learn_cue_lemmas.py``); none if the file is absent."""
    if not LEARNED_CUES.exists():
        return frozenset()
    return frozenset(json.loads(LEARNED_CUES.read_text(encoding="utf-8"))["lemmas"])


@dataclass(frozen=True)
class Window:
    """A piece of a text to parse: ``start``..``end``, whose attributions count from ``own`` (the sentence
    before ``own`` is there only to say who "she" is)."""

    start: int
    own: int
    end: int


def can_report(sentence: str, owner: bool = False) -> bool:
    """Whether a sentence can hold an attribution (the module says when); ``owner``: the text's source speaks in
    the first person, so a first-person sentence can be the owner's."""
    if "according to" in sentence.lower() or _LABEL.search(sentence):
        return True
    if owner and FIRST_PERSON_WORD.search(sentence):
        return True
    words = cue_words()
    return any(w.lower() in words for w in _WORD.findall(sentence))


def report_windows(text: str, sentences: Sequence[tuple[int, int]], owner: bool = False) -> list[Window]:
    """The runs of sentences that can hold an attribution, each with the ``CONTEXT`` sentences before it; a sentence
    that overlaps a quotation counts as one that can, and runs at most ``GAP`` sentences apart are one run."""
    quoted = [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]
    keep = [k for k, (a, b) in enumerate(sentences)
            if can_report(text[a:b], owner) or any(qa < b and a < qb for qa, qb in quoted)]
    runs: list[list[int]] = []
    for k in keep:
        if runs and k - runs[-1][1] <= GAP + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return [Window(sentences[max(0, first - CONTEXT)][0], sentences[first][0], sentences[last][1])
            for first, last in runs]
