"""Content spans of attributions tagged by a linear-chain CRF (python-crfsuite) over spaCy features.

The rule finder in ``corpus.attribution.rules`` knows a few hundred cue frames; news reports many more ways
of saying and believing ("Palestinians want [East Jerusalem]", "[the timing] doesn't surprise X").
This tagger reads a parsed document token by token and labels each token ``B`` (first token of a
content span), ``I`` (inside one) or ``O``. Its features are the token's own (word, lemma, part of
speech, dependency, entity type, inside a quotation), its head's, the nearest verb above it in the
parse with the dependency that leads there ("under a ccomp of *say*"), and the rule finder's own
spans (stacking: the CRF learns when to trust, widen or add to them). It is trained on PolNeAR train
by ``benchmarks/train_attribution_tagger.py``; the model (under 1 MB) ships in ``corpus/models/``.
``corpus.attribution.rules`` adds its spans where the rules found none; without the model file the rules
work alone.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MODEL_PATH = Path(__file__).parents[1] / "models" / "attribution_content.crfsuite"
CharSpan = tuple[int, int]
_MAX_ANCESTORS = 6


def token_features(
    doc: Doc, rule_content: Sequence[CharSpan], rule_cues: Sequence[CharSpan], rule_sources: Sequence[CharSpan],
    quotes: Sequence[CharSpan], is_cue: Callable[[str], bool],
) -> list[list[str]]:
    """One feature list per token of ``doc``: its own, its neighbours', its parse context and the rules' marks."""
    content_mark = _marks(doc, rule_content)
    cue_mark = _marks(doc, rule_cues)
    source_mark = _marks(doc, rule_sources)
    in_quote = [any(s < t.idx < e for s, e in quotes) for t in doc]
    own: list[list[str]] = []
    for t in doc:
        lemma = t.lemma_.lower()
        f = [
            "w=" + t.lower_, "l=" + lemma, "p=" + t.tag_, "d=" + t.dep_, "e=" + (t.ent_type_ or "-"),
            "q=" + str(in_quote[t.i]), "rc=" + content_mark[t.i], "rq=" + cue_mark[t.i], "rs=" + source_mark[t.i],
            "hd=" + t.head.dep_, "hp=" + t.head.pos_, "hl=" + t.head.lemma_.lower(),
            "dir=" + ("L" if t.i < t.head.i else "R" if t.i > t.head.i else "0"),
        ]
        if t.is_sent_start:
            f.append("sent_start")
        if t.i + 1 == len(doc) or doc[t.i + 1].is_sent_start:
            f.append("sent_end")
        if is_cue(lemma):
            f.append("cue_word")
        f += _governor(t, is_cue)
        own.append(f)
    out: list[list[str]] = []
    for t in doc:
        f = list(own[t.i])
        for step in (-2, -1, 1, 2):
            j = t.i + step
            if 0 <= j < len(doc):
                near = own[j]
                f += [f"{step}:{x}" for x in near[:5] if abs(step) == 1 or x.startswith(("p=", "d="))]
                f += [f"{step}:{x}" for x in near[5:9]] if abs(step) == 1 else []
            else:
                f.append(f"{step}:edge")
        out.append(f)
    return out


def _marks(doc: Doc, spans: Sequence[CharSpan]) -> list[str]:
    """``B``/``I``/``O`` per token for character spans."""
    marks = ["O"] * len(doc)
    for start, end in spans:
        first = True
        for t in doc.char_span(start, end, alignment_mode="expand") or ():
            marks[t.i] = "B" if first else "I"
            first = False
    return marks


def _governor(token: Token, is_cue: Callable[[str], bool]) -> list[str]:
    """The nearest verb above ``token`` and the nearest cue word above it, each with the dependency that leads there."""
    out: list[str] = []
    child, current = token, token.head
    verb_seen = False
    for _ in range(_MAX_ANCESTORS):
        if current.i == child.i:
            break
        lemma = current.lemma_.lower()
        if current.pos_ in ("VERB", "AUX") and not verb_seen:
            out += ["gv=" + lemma, "gvd=" + child.dep_, f"gvx={lemma}|{child.dep_}"]
            verb_seen = True
        if is_cue(lemma):
            out += ["gc=" + lemma, "gcd=" + child.dep_, f"gcx={lemma}|{child.dep_}"]
            break
        child, current = current, current.head
    return out


def labels_for(doc: Doc, spans: Sequence[CharSpan]) -> list[str]:
    """Training labels: outermost spans first, a span nested in one already labelled is skipped."""
    labels = ["O"] * len(doc)
    for start, end in sorted(spans, key=lambda s: s[0] - s[1]):
        tokens = doc.char_span(start, end, alignment_mode="contract") or doc.char_span(start, end,
                                                                                       alignment_mode="expand")
        if not tokens or any(labels[t.i] != "O" for t in tokens):
            continue
        for n, t in enumerate(tokens):
            labels[t.i] = "B" if n == 0 else "I"
    return labels


def spans_from(doc: Doc, labels: Sequence[str]) -> list[CharSpan]:
    """Character spans of ``B I I…`` runs (an ``I`` after ``O`` starts a span too), trimmed of punctuation."""
    runs: list[list[int]] = []
    for i, label in enumerate(labels):
        if label == "B" or label == "I" and (i == 0 or labels[i - 1] == "O"):
            runs.append([i, i])
        elif label == "I":
            runs[-1][1] = i
    out: list[CharSpan] = []
    for first, last in runs:
        while first <= last and doc[first].is_punct and doc[first].text not in "“\"‘'":
            first += 1
        while last >= first and doc[last].is_punct and doc[last].text not in "”\"’'":
            last -= 1
        if last >= first:
            out.append((doc[first].idx, doc[last].idx + len(doc[last].text)))
    return out


class ContentTagger:
    """The trained CRF: ``tag(features)`` gives a label per token."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))

    def tag(self, features: Sequence[Sequence[str]]) -> list[str]:
        """A label per token: B, I or O."""
        labels: list[str] = self._tagger.tag([list(f) for f in features])
        return labels


@lru_cache(maxsize=1)
def content_tagger() -> ContentTagger | None:
    """The shipped tagger, or None when the model file is missing (the rules then work alone)."""
    return ContentTagger() if MODEL_PATH.exists() else None
