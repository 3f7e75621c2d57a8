"""Verbs of saying, asking and stating a position in any form ("warned", "urges", "calling"), for reading questions.

The lemmas are the attribution step's cue lexicons (``corpus.attribution``: general speech verbs and
those learned from PolNeAR train), so a question may use any verb a statement may report speech with.
"""
from __future__ import annotations

from corpus.attribution import CUE_VERBS, NEWS_CLAUSE_CUES, NEWS_OBJECT_CUES, NEWS_PREPOSITION_CUES

IRREGULAR_VERBS = {"said": "say", "told": "tell", "spoke": "speak", "spoken": "speak", "brought": "bring",
                   "thought": "think", "wrote": "write", "written": "write"}
# Verbs of taking up a topic, which questions use more than statements do ("who spoke about…", "raised").
TOPIC_VERBS = frozenset({"speak", "raise", "address", "discuss", "bring", "refer", "talk", "cite"})
_CUES = CUE_VERBS | NEWS_CLAUSE_CUES | NEWS_OBJECT_CUES | NEWS_PREPOSITION_CUES | TOPIC_VERBS
_SPEECH = CUE_VERBS | TOPIC_VERBS | frozenset({"think", "write"})


# Forms that are mostly nouns in a question ("the Chinese name of…", "the United States"): not read as cues.
NOUN_FORMS = frozenset("""
name names state states list lists issue issues post posts order orders show shows find finds release releases
read reads call calls table tables point points report reports
""".split())


def is_cue_word(word: str) -> bool:
    """Whether a word is a form of a verb of saying, asking or stating a position ("warned", "urges", "calling"),
    general or learned from news (``corpus.attribution``'s lexicons)."""
    return _is_form_of(word, _CUES)


def is_speech_verb(word: str) -> bool:
    """Whether a word is a form of a general verb of speech or of taking up a topic ("spoke", "mentioned",
    "warned"): the narrower list, for "who … about X?" and "when did X first …?"."""
    return _is_form_of(word, _SPEECH)


def _is_form_of(word: str, lemmas: frozenset[str]) -> bool:
    w = word.lower().strip("'’")
    if w in NOUN_FORMS:
        return False
    if w in IRREGULAR_VERBS:
        return IRREGULAR_VERBS[w] in lemmas
    stems = {w, w[:-1], w[:-2], w[:-3], w[:-3] + "e"}  # says, warned, urged, warning, urging
    if w.endswith(("ied", "ies")):
        stems.add(w[:-3] + "y")  # replied, replies
    if w.endswith("ing") or w.endswith("ed"):
        cut = w[:-3] if w.endswith("ing") else w[:-2]
        if len(cut) > 2 and cut[-1] == cut[-2]:
            stems.add(cut[:-1])  # planning, planned
    return any(s in lemmas for s in stems if s)
