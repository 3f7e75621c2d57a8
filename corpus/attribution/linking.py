"""Attributions from the token tagger's spans: each tagged content linked to its cue and source through the parse,
and the result combined with the rules' attributions.

A content's cue is the tagged cue the parse ties to it (the content hangs on the cue, "said [that…]", or the cue
on the content, "[…], she said"), else the nearest tagged cue in its sentence; the cue's source is the tagged
source that is the cue's subject (or its holder, "according to [X]"), else the nearest tagged source in the
sentence, else the rules' subject of the cue. A content with no cue and no source continues the previous speaker
(a quote running over paragraphs), as the rules' own quotes do.

``combine`` merges these with the rules' attributions (``COMBINATIONS``, chosen on a held-out part of PolNeAR
train): the rules keep what the tagger cannot express (nested speech inside a content: "criticized statements by
X, which characterized…"; "according to"), the tagger adds what the rules have no frame for and drops rule
contents it reads as no one's words.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.attribution.model import Found
from corpus.attribution.span_tagger import CharSpan, TaggedSpans

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from corpus.attribution.rules import RuleFinder

_UP = 4  # parse steps searched between a content and its cue


@dataclass(frozen=True)
class Combination:
    """How the tagger's attributions and the rules' are combined.

    ``rules``, which rule attributions are kept: ``all``; ``unopposed`` (all but those a tagged content overlaps
    by less than half of both: the tagger reads the words otherwise); ``supported`` (those a tagged content
    overlaps by at least half of either); ``nested`` (none but those below). Every mode keeps a rule
    attribution with a source of its own nested inside a tagged content (nested speech). ``bounds``: a kept rule
    content that a tagged content overlaps by at least half of both takes the tagged bounds (the rule's cue and
    source stay). ``tagged``, the tagged contents added: ``disjoint`` (those overlapping no kept rule content),
    ``new`` (those no kept rule content covers half of) or ``none``.
    """

    rules: str = "supported"
    bounds: bool = True
    tagged: str = "new"


COMBINATIONS = {
    "rules": Combination("all", False, "none"),
    "add": Combination("all", False, "disjoint"),
    "add_bounds": Combination("all", True, "disjoint"),
    "unopposed": Combination("unopposed", False, "new"),
    "unopposed_bounds": Combination("unopposed", True, "new"),
    "supported": Combination("supported", False, "new"),
    "supported_bounds": Combination("supported", True, "new"),
    "tagger": Combination("nested", False, "new"),
}
DEFAULT_COMBINATION = COMBINATIONS["supported_bounds"]


class Linker:
    """Links one parsed document's tagged spans into attributions (sources not yet resolved)."""

    def __init__(self, doc: Doc, finder: RuleFinder, spans: TaggedSpans) -> None:
        self.doc = doc
        self.finder = finder
        self.spans = spans
        self.cue_of: dict[int, int] = {}  # token → tagged cue
        for k, (start, end) in enumerate(spans.cue):
            for t in self._tokens((start, end)):
                self.cue_of.setdefault(t.i, k)
        self.source_of: dict[int, int] = {}  # token → tagged source
        for k, (start, end) in enumerate(spans.source):
            for t in self._tokens((start, end)):
                self.source_of.setdefault(t.i, k)

    def _tokens(self, span: CharSpan) -> Sequence[Token]:
        tokens = self.doc.char_span(span[0], span[1], alignment_mode="expand")
        return list(tokens) if tokens is not None else []

    def found(self) -> list[Found]:
        """One attribution per tagged content, with its cue and source."""
        out: list[Found] = []
        for content in self.spans.content:
            inside = {t.i for t in self._tokens(content)}
            if not inside:
                continue
            cue = self._cue_for(content, inside)
            source = self._source_for(content, inside, cue)
            cue_span = self.spans.cue[cue] if cue is not None else (content[0], content[0])
            kind = "direct" if self.finder.quoted(content) else "indirect"
            out.append(Found(content, cue_span, source, kind))
        return out

    def _cue_for(self, content: CharSpan, inside: set[int]) -> int | None:
        """The tagged cue tied to a content by the parse, else the nearest one in its sentence."""
        for i in sorted(inside):
            for head in _ancestors(self.doc[i]):
                if head.i in inside:
                    break
                if head.i in self.cue_of:
                    return self.cue_of[head.i]
        for i, k in self.cue_of.items():
            if i not in inside and any(head.i in inside for head in _ancestors(self.doc[i])):
                return k
        return self._nearest(self.spans.cue, content, inside)

    def _nearest(self, spans: Sequence[CharSpan], content: CharSpan, inside: set[int]) -> int | None:
        """The span nearest ``content`` outside it in the sentences the content starts and ends in."""
        first, last = self.doc[min(inside)].sent, self.doc[max(inside)].sent
        lo, hi = first.start_char, last.end_char
        best: tuple[int, int] | None = None
        for k, (start, end) in enumerate(spans):
            if start < lo or end > hi or (start < content[1] and content[0] < end):
                continue
            distance = content[0] - end if end <= content[0] else start - content[1]
            if best is None or distance < best[0]:
                best = (distance, k)
        return best[1] if best is not None else None

    def _source_for(self, content: CharSpan, inside: set[int], cue: int | None) -> Span | None:
        """The tagged source of a content's cue: its subject or holder, else the nearest in the sentence, else
        the rules' subject of the cue."""
        if cue is not None:
            cue_tokens = self._tokens(self.spans.cue[cue])
            for t in cue_tokens:
                for child in t.children:
                    for d in child.subtree:
                        if d.i in self.source_of and d.i not in inside:
                            return self._source_span(self.source_of[d.i])
            k = self._nearest(self.spans.source, self.spans.cue[cue], {t.i for t in cue_tokens} | inside)
            if k is not None:
                return self._source_span(k)
            verbs = [t for t in cue_tokens if t.pos_ in ("VERB", "AUX")]
            return self.finder.subject_of(verbs[0]) if verbs else None
        k = self._nearest(self.spans.source, content, inside)
        return self._source_span(k) if k is not None else None

    def _source_span(self, k: int) -> Span | None:
        start, end = self.spans.source[k]
        return self.doc.char_span(start, end, alignment_mode="expand")


def _ancestors(token: Token) -> Iterator[Token]:
    """The tokens above ``token`` in its parse, nearest first, at most ``_UP`` of them."""
    for _ in range(_UP):
        if token.head.i == token.i:
            return
        token = token.head
        yield token


def combine(rules: Sequence[Found], tagged: Sequence[Found], how: Combination = DEFAULT_COMBINATION) -> list[Found]:
    """The rules' attributions and the tagger's, combined as ``how`` says, in text order."""
    kept: list[Found] = []
    for r in rules:
        overlapping = [t for t in tagged if _overlap(r.content, t.content) > 0]
        nested = r.source is not None and any(_nested(r, t.content) for t in overlapping)
        supported = any(_half(r.content, t.content) for t in overlapping)
        if nested or how.rules == "all" or (how.rules == "supported" and supported) or (
                how.rules == "unopposed" and (supported or not overlapping)):
            kept.append(r)
    if how.bounds:
        kept = [_with_bounds(r, tagged) for r in kept]
    out = list(kept)
    if how.tagged == "disjoint":
        out += [t for t in tagged if not any(_overlap(t.content, r.content) > 0 for r in kept)]
    elif how.tagged == "new":
        out += [t for t in tagged if not any(_overlap(t.content, r.content) * 2 >= _length(t.content) for r in kept)]
    return sorted(out, key=lambda f: (f.content[0], f.cue[0]))


def _with_bounds(rule: Found, tagged: Sequence[Found]) -> Found:
    """A rule attribution with the bounds of the tagged content that matches it by at least half of both."""
    for t in tagged:
        if _both_half(rule.content, t.content):
            if rule.cue[0] < rule.cue[1] and t.content[0] < rule.cue[1] and rule.cue[0] < t.content[1] and not (
                    rule.content[0] < rule.cue[1] and rule.cue[0] < rule.content[1]):
                return rule  # the tagged span would swallow the rule's own cue
            return Found(t.content, rule.cue, rule.source, rule.kind)
    return rule


def _nested(rule: Found, content: CharSpan) -> bool:
    """Whether a rule attribution is reported inside a longer content, its cue in it (nested speech)."""
    return (content[0] <= rule.content[0] and rule.content[1] <= content[1] and content != rule.content
            and content[0] <= rule.cue[0] < content[1])


def _overlap(a: CharSpan, b: CharSpan) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _length(a: CharSpan) -> int:
    return max(1, a[1] - a[0])


def _half(a: CharSpan, b: CharSpan) -> bool:
    shared = _overlap(a, b)
    return shared * 2 >= _length(a) or shared * 2 >= _length(b)


def _both_half(a: CharSpan, b: CharSpan) -> bool:
    return _overlap(a, b) * 2 >= max(_length(a), _length(b))
