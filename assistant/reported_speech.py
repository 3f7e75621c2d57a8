"""Who is speaking in a sentence of reported speech ("Lavrov argued that…", "He contended…")."""
from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.speakers import name_tokens

SPEECH_VERBS = {
    "said", "says", "say", "saying", "argued", "argues", "argue", "asserted", "asserts", "contended", "contends",
    "criticized", "criticised", "criticizes", "criticises", "dismissed", "dismisses", "stressed", "stresses",
    "described", "describes", "suggested", "suggests", "framed", "frames", "noted", "notes", "stated", "states",
    "claimed", "claims", "emphasized", "emphasised", "emphasizes", "emphasises", "warned", "warns", "urged",
    "urges", "called", "calls", "insisted", "insists", "accused", "accuses", "added", "adds", "told", "tells",
    "declared", "declares", "maintained", "maintains", "remarked", "remarks", "characterized", "characterised",
    "characterizes", "expressed", "expresses", "reiterated", "reiterates", "underscored", "underscores",
    "underlined", "pointed", "highlighted", "highlights", "announced", "announces", "affirmed", "affirms",
    "explained", "explains", "observed", "observes", "proposed", "proposes", "rejected", "rejects",
    "denounced", "denounces", "condemned", "condemns", "welcomed", "welcomes", "acknowledged", "admitted",
    "alleged", "alleges", "believes", "believed", "thinks", "thought", "considers", "considered", "recalled",
    "recalls", "questioned", "questions", "praised", "praises", "blamed", "blames", "denied", "denies",
    "mentioned", "mentions", "wrote", "writes", "replied", "responded", "commented", "voiced", "presented",
    "portrayed", "viewed", "sees", "saw", "labelled", "labeled", "branded", "vowed", "pledged",
    "promised", "demanded", "demands", "asked", "asks", "cautioned", "assessed", "concluded", "indicated",
}
SUBJECT_REFERENCES = {"he", "she", "they", "his", "her", "their", "minister", "president", "official",
                      "ambassador", "spokesperson", "spokesman", "spokeswoman", "secretary", "chancellor",
                      "diplomat", "envoy", "leader", "premier"}
NOT_SUBJECT_BEFORE = {"by", "to", "of", "with", "about", "against", "on", "at", "from", "toward", "towards",
                      "for", "criticized", "criticised", "dismissed", "than", "like", "and"}
# "X's remarks": words after a possessive name that make X the speaker.
POSSESSED_SPEECH = {"remarks", "words", "view", "views", "statement", "statements", "position", "assessment",
                    "comments", "argument", "claim", "claims"}
OBJECT_BEFORE = {"by", "to", "of", "about", "against"}  # two words before a name: "by the minister X"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def names_speaker(sentence: str, speaker: str) -> bool:
    """Whether ``sentence`` has the named speaker as the one speaking.

    The speaker's surname (the last word of ``speaker``) must come before a speech verb, not
    right after a preposition ("statements by X" names X as the object, not the speaker);
    "according to X" and "X's remarks/words/view" count too.
    """
    surname = _surname(speaker)
    if not surname:
        return False
    words = _words(sentence)
    for i, w in enumerate(words):
        base = w.replace("’s", "").replace("'s", "")
        if base != surname:
            continue
        if i >= 2 and words[i - 2] == "according" and words[i - 1] == "to":
            return True
        if w != base and i + 1 < len(words) and words[i + 1] in POSSESSED_SPEECH:
            return True
        before = words[max(0, i - 2) : i]
        if any(b in NOT_SUBJECT_BEFORE for b in before[-1:]) or (len(before) == 2 and before[0] in OBJECT_BEFORE):
            continue
        if any(v in SPEECH_VERBS for v in words[i + 1 : i + 10]):
            return True
    return False


def refers_back(sentence: str) -> bool:
    """Whether ``sentence`` speaks through a pronoun or a role ("He contended…", "The minister stressed…")."""
    words = _words(sentence)
    verbs = [i for i, w in enumerate(words) if w in SPEECH_VERBS]
    if not verbs:
        return False
    return any(w in SUBJECT_REFERENCES for w in words[: verbs[0]][-8:])


def speaker_evidence(sentences: Sequence[str], index: int, speaker: str, lookback: int = 3) -> float:
    """How surely sentence ``index`` reports ``speaker``'s words: 1 named, 0.8 referred back to, 0 not."""
    if names_speaker(sentences[index], speaker):
        return 1.0
    if refers_back(sentences[index]):
        surname = _surname(speaker)
        for j in range(index - 1, max(-1, index - 1 - lookback), -1):
            if names_speaker(sentences[j], speaker):
                return 0.8
            if surname and surname in _words(sentences[j]):
                return 0.0  # named there, but not as the speaker
    return 0.0


def _surname(speaker: str) -> str:
    tokens = name_tokens(speaker)
    return tokens[-1] if tokens else ""
