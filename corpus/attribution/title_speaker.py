"""Who speaks in a statement whose metadata names no speaker, when its title says so.

A ministry publishes its minister's speeches, replies, letters and interviews under titles such as
"Remarks by Emeritus Senior Minister Goh Chok Tong at …", "Minister for Foreign Affairs Dr Vivian
Balakrishnan's Written Reply to Parliamentary Question" or "Letter from PM Lee to …", with no speaker
field. The text is then the speaker's own first-person words, and ``attribute`` is given that speaker
(the metadata's speaker always wins). A title that names someone without a word for what they said
("Visit by Minister X to Y", a readout) names no speaker: the ministry speaks there.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.attribution.lexicon import TITLES
from corpus.attribution.parsing import english_pipeline

if TYPE_CHECKING:
    from spacy.tokens import Token

# What a person says, as a title names it ("Opening Remarks", "Written Reply", "Doorstop Interview").
SPEECH_NOUNS = frozenset("""
speech speeches remarks statement reply replies answer answers address keynote lecture message letter comments
interview transcript doorstop op-ed eulogy toast tribute
""".split())
_BY = frozenset({"by", "from"})


@lru_cache(maxsize=4096)
def speaker_of_title(title: str) -> str:
    """The one speaker a title names as the author of the words ("" when it names none, or several)."""
    if not title.strip():
        return ""
    doc = english_pipeline()(title)
    for token in doc:
        if token.lower_ not in SPEECH_NOUNS:
            continue
        for child in token.children:
            if child.dep_ == "poss":  # "Minister X's Written Reply", "MFA Spokesperson's Comments"
                return _named(child)
            if child.dep_ == "prep" and child.lower_ in _BY:  # "Remarks by X at …", "Letter from X to …"
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return _named(objects[0])
    return ""


def _named(head: Token) -> str:
    """The person a phrase headed by ``head`` names, without titles ("Minister for Foreign Affairs Dr Vivian
    Balakrishnan" → "Vivian Balakrishnan"); "" for several people."""
    doc = head.doc
    kept = [t for t in head.subtree if not any(a.dep_ == "prep" and a.lower_ not in ("of", "for") and a.i != head.i
                                               and head in a.ancestors for a in [*t.ancestors, t])]
    if head.tag_ in ("NNS", "NNPS") or any(t.lower_ in ("and", "&") for t in kept):
        return ""  # "Singapore Leaders", "X and Y": no one speaker
    people = [e for e in doc.ents if e.label_ == "PERSON" and kept and kept[0].i <= e.start and e.end <= kept[-1].i + 1]
    if len(people) > 1:
        return ""
    if people:
        start, end = people[0].start, people[0].end
        if doc[end - 1].tag_ != "POS":
            while end < len(doc) and doc[end].pos_ == "PROPN":
                end += 1  # "Lee Hsien" + "Loong"
        words = [t.text for t in doc[start:end]]
        words = words[: next((i for i, w in enumerate(words) if w in ("'s", "’s")), len(words))]
    else:
        words = [t.text for t in kept if t.tag_ != "POS"]
    while words and (words[0].lower().rstrip(".") in _TITLE_WORDS or not words[0][:1].isupper()):
        words = words[1:]
    name = " ".join(words).removesuffix("’s").removesuffix("'s").strip()
    return name if name[:1].isupper() else ""


# Words of a title before a name: "Minister for Foreign Affairs Dr", "Emeritus Senior Minister", "PM".
_TITLE_WORDS = TITLES | frozenset("""
affairs for of state senior emeritus second minister ministers permanent special envoy trade industry defence
home finance pm sms mos dpm coordinating his her excellency
""".split())
