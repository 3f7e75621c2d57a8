"""``attribute``: parse a text, find its attributions by rules and the content tagger, resolve their
speakers and, in a speech, give the speaker every sentence no one else is credited with."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from corpus.attribution.lexicon import MAY_REPORT
from corpus.attribution.linking import DEFAULT_COMBINATION, Linker, combine
from corpus.attribution.model import FIRST_PERSON_CONFIDENCE, SPEAKER_CONFIDENCE, Attribution
from corpus.attribution.parsing import english_pipeline
from corpus.attribution.prefilter import Window, report_windows
from corpus.attribution.rules import RuleFinder
from corpus.attribution.span_tagger import TaggedSpans, token_tagger
from corpus.attribution.speakers import SpeakerResolver, known_names, strip_titles
from corpus.attribution.tagger import content_tagger
from corpus.attribution.title_speaker import SPEECH_NOUNS

if TYPE_CHECKING:
    from spacy.tokens import Doc

COMBINATION = DEFAULT_COMBINATION  # how the token tagger's attributions join the rules' (corpus.attribution.linking)

def attribute(text: str, speaker: str | None = None, owner: str | None = None) -> list[Attribution]:
    """Every attribution in ``text``, in text order. ``speaker``: who speaks in the first person, if known.

    Without a speaker (a news report, a readout) the whole text is parsed. With one (a speech),
    only sentences that may report someone else's words (a cue verb not in the first person,
    "according to", a quotation) are parsed, each with the sentence before it; the others are the speaker's.
    ``owner`` (without a speaker): who says "I" and "we" outside quotes in a text read as a report, such as a
    column or a speech whose metadata names only a country; its first-person sentences no one else is credited
    with are the owner's.
    """
    return attribute_many([text], [speaker], owners=[owner])[0]


def attribute_many(
    texts: Sequence[str], speakers: Sequence[str | None], batch_size: int = 32,
    owners: Sequence[str | None] | None = None, prefilter: bool = True,
) -> list[list[Attribution]]:
    """``attribute`` over many texts, parsed in batches (``owners``: one per text, or None for none).

    A report is parsed only in the sentences that can hold an attribution (``corpus.attribution.prefilter``);
    ``prefilter=False`` parses all of it (what the pre-filter's recall is measured against)."""
    if len(texts) != len(speakers) or (owners is not None and len(owners) != len(texts)):
        raise ValueError("one speaker (or None) per text, and one owner (or None) per text")
    owner_of = list(owners) if owners is not None else [None] * len(texts)
    from corpus.sentences import split_sentences  # blingfire loads only when attributing, not with ``corpus``

    nlp = english_pipeline()
    results: list[list[Attribution]] = [[] for _ in texts]
    reports = [i for i, (t, spk) in enumerate(zip(texts, speakers, strict=True)) if t.strip() and not spk]
    tagger = token_tagger() if reports else None
    tagged: list[TaggedSpans | None] = [None] * len(reports)
    if tagger is not None:
        tagged = list(tagger.tag([texts[i] for i in reports]))
    whole = [i for i in reports if tagger is not None or not prefilter or _delivers(texts[i])]
    docs = nlp.pipe((texts[i] for i in whole), batch_size=batch_size)
    for i, doc, spans in zip(whole, docs, tagged if tagger is not None else [None] * len(whole), strict=True):
        results[i] = with_questions_asked(texts[i], attributions_in(doc, "", tagged=spans, owner=owner_of[i] or ""))
    parsed_whole = set(whole)
    windowed = _reports_in_windows([i for i in reports if i not in parsed_whole], texts, owner_of, batch_size)
    for i, in_windows in windowed:
        results[i] = with_questions_asked(texts[i], in_windows)
    # Speeches: each sentence that may report someone else's words is parsed with the sentence before it (what
    # "she" or "the minister" stands for), and names are expanded with the statement's own (``known_names``).
    pieces: list[tuple[int, int, int, str]] = []  # (text number, offset, the sentence's own start, text) to parse
    sentences_of: dict[int, list[tuple[int, int]]] = {}
    names_of: dict[int, tuple[tuple[str, int, bool], ...]] = {}
    for i, (text, spk) in enumerate(zip(texts, speakers, strict=True)):
        if spk and text.strip():
            sentences_of[i] = sentences = split_sentences(text)
            names_of[i] = known_names(text)
            for k, (a, b) in enumerate(sentences):
                if MAY_REPORT.search(text[a:b]):
                    before = sentences[k - 1][0] if k else a
                    pieces.append((i, before, a, text[before:b]))
    found: dict[int, list[Attribution]] = {i: [] for i in sentences_of}
    for (i, offset, own, _), doc in zip(pieces, nlp.pipe((p[3] for p in pieces), batch_size=batch_size), strict=True):
        names = [n for n, _, _ in names_of[i]]
        earlier = [n for n, at, person in names_of[i] if at < offset and person]
        found[i] += [_shifted(a, offset) for a in attributions_in(doc, speakers[i] or "", first_person=False,
                                                                  names=names, earlier=earlier)
                     if a.content_start + offset >= own]
    for i in sentences_of:
        found[i] = with_questions_asked(texts[i], found[i])
    for i, sentences in sentences_of.items():
        results[i] = with_first_person(texts[i], speakers[i] or "", found[i], sentences)
    return results


def _reports_in_windows(
    reports: Sequence[int], texts: Sequence[str], owners: Sequence[str | None], batch_size: int
) -> Iterator[tuple[int, list[Attribution]]]:
    """The attributions of each report (text number), parsed in the windows that can hold one, each window with
    the names its text gives and the people it named before the window."""
    from corpus.sentences import split_sentences

    pieces: list[tuple[int, Window]] = []
    for i in reports:
        pieces += [(i, w) for w in report_windows(texts[i], split_sentences(texts[i]), bool(owners[i]))]
    found: dict[int, list[Attribution]] = {i: [] for i in reports}
    names_of = {i: known_names(texts[i]) for i in {i for i, _ in pieces}}
    seen: dict[int, list[str]] = {i: [] for i in reports}  # people parsed in a report's earlier windows
    docs = english_pipeline().pipe((texts[i][w.start:w.end] for i, w in pieces), batch_size=batch_size)
    for (i, w), doc in zip(pieces, docs, strict=True):
        names = [n for n, _, _ in names_of[i]]
        earlier = [n for n, at, person in names_of[i] if at < w.start and person] + seen[i]
        last = next(((a.speaker, a.confidence) for a in reversed(found[i]) if a.speaker), ("", 0.0))
        found[i] += [_shifted(a, w.start) for a in attributions_in(doc, "", names=names, earlier=earlier,
                                                                   owner=owners[i] or "", previous=last,
                                                                   seen=seen[i])
                     if a.content_start + w.start >= w.own]
        seen[i] += [strip_titles(e.text) for e in doc.ents if e.label_ == "PERSON"]
    for i in reports:
        yield i, sorted(found[i], key=lambda x: (x.content_start, x.cue_start))


_DELIVERING = re.compile(r"\b(?:deliver|give|gave|given|make|made|read|present)\w*\b[^.!?\n]{0,60}\b(?:"
                         + "|".join(sorted(SPEECH_NOUNS)) + r")\b", re.IGNORECASE)


def _delivers(text: str) -> bool:
    """Whether a report says someone delivered a statement, whose first-person words follow it (``_delivered``):
    such a text is parsed whole."""
    return _DELIVERING.search(text) is not None


def tagger_features(doc: Doc) -> list[list[str]]:
    """What the content tagger sees of each token of a parsed news text (for training it)."""
    finder = RuleFinder(doc, "")
    return finder.features(finder.find())


# A parliamentary question, as replies print it: "Mr Leon Perera: To ask the Minister for Foreign Affairs (a) …"
# (the name sometimes glued to "To ask").
_QUESTION_LINE = re.compile(
    r"^(?P<name>(?:(?:Mr|Ms|Mrs|Miss|Dr|Prof|Assoc Prof|Assistant Professor|Associate Professor)\.?\s+)?"
    r"[A-Z][\w'’.-]*(?:[ \t]+[A-Za-z][\w'’.-]*){0,5}?)[ \t]*:?[ \t]*(?P<cue>To ask the)\b[^\n]*",
    re.MULTILINE,
)
_HONORIFIC = re.compile(r"^(?:(?:Mr|Ms|Mrs|Miss|Dr|Prof|Assoc Prof|Assistant Professor|Associate Professor)\.?\s+)")


def with_questions_asked(text: str, found: list[Attribution]) -> list[Attribution]:
    """``found`` with each parliamentary question line ("Mr X: To ask the Minister for … whether …") credited to
    the member who asked it, not to the minister whose reply prints it."""
    lines = [(m.start(), m.end(), m) for m in _QUESTION_LINE.finditer(text)]
    if not lines:
        return found
    kept = [a for a in found if not any(s <= a.content_start and a.content_end <= e for s, e, _ in lines)]
    for start, end, m in lines:
        name = _HONORIFIC.sub("", m.group("name")).strip()
        kept.append(Attribution(m.start("cue"), end, m.start("cue"), m.end("cue"), start, m.end("name"),
                                m.group("name"), name, "indirect", 0.9))
    return sorted(kept, key=lambda x: (x.content_start, x.cue_start))


def _shifted(a: Attribution, offset: int) -> Attribution:
    """An attribution found in a sentence, with offsets into the whole text."""
    return replace(
        a, content_start=a.content_start + offset, content_end=a.content_end + offset,
        cue_start=a.cue_start + offset, cue_end=a.cue_end + offset,
        source_start=None if a.source_start is None else a.source_start + offset,
        source_end=None if a.source_end is None else a.source_end + offset,
    )


def with_first_person(
    text: str, speaker: str, found: list[Attribution], sentences: Sequence[tuple[int, int]]
) -> list[Attribution]:
    """``found`` plus, for every sentence no attribution touches, the speaker's own first-person words."""
    out = list(found)
    for a, b in sentences:
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a < 3 or any(x.content_start < b and a < x.content_end for x in found):
            continue  # someone else's words are in it, or it is already the speaker's
        out.append(Attribution(a, b, a, a, None, None, "", speaker, "first_person", FIRST_PERSON_CONFIDENCE))
    return sorted(out, key=lambda x: (x.content_start, x.cue_start))


def attributions_in(
    doc: Doc, speaker: str, first_person: bool = True, tagged: TaggedSpans | None = None, names: Sequence[str] = (),
    earlier: Sequence[str] = (), owner: str = "", previous: tuple[str, float] = ("", 0.0), seen: Sequence[str] = (),
) -> list[Attribution]:
    """The attributions of one parsed document, in text order: the rules' spans combined with the token
    tagger's (``tagged``, news only; without it, the CRF content tagger's where the rules found none), their
    sources resolved, and with a speaker, their first-person words (without one: the ``owner``'s, outside quotes).
    ``previous``: the speaker of the attribution before ``doc`` when it is a part of a text, and ``seen``: the people
    the parse found in the parts before it."""
    finder = RuleFinder(doc, speaker)
    found = finder.find()
    if not finder.speaker and tagged is not None:
        found = combine(found, Linker(doc, finder, tagged).found(), COMBINATION)
    elif not finder.speaker and (crf := content_tagger()) is not None:
        found = finder.tagged(found, crf)
    resolver = SpeakerResolver(doc, finder.speaker, names, earlier, owner if not finder.speaker else "",
                               finder.in_quote, seen)
    out = resolver.resolve(found, previous)
    if finder.speaker and first_person:
        spans = [(sent.start_char, sent.end_char) for sent in doc.sents]
        out = with_first_person(finder.text, finder.speaker, out, spans)
    elif not finder.speaker:
        out = _delivered(doc, out, finder, resolver, owner)
    return sorted(out, key=lambda a: (a.content_start, a.cue_start))


_DELIVER = frozenset({"deliver", "give", "make", "read", "present"})
_FIRST_PERSON_WORD = re.compile(r"\b(?:I|we|We|our|Our|us|my|My)\b")


def _delivered(
    doc: Doc, found: list[Attribution], finder: RuleFinder, resolver: SpeakerResolver, owner: str = ""
) -> list[Attribution]:
    """A readout that carries the speech it reports ("SMS Sim delivered a statement at the general debate." and
    then the statement): each later first-person sentence outside quotes that no one else is credited with is
    the words of whoever delivered the statement (a person or organisation the text names); before any such
    sentence, and with no one delivering, the ``owner``'s."""
    out = list(found)
    speaker, since = (owner, 0) if owner else ("", len(doc.text))
    for sent in doc.sents:
        a, b = sent.start_char, sent.end_char
        if speaker and a >= since and _FIRST_PERSON_WORD.search(sent.text) and not finder.in_quote(a + 1) and not any(
                x.content_start < b and a < x.content_end for x in found):
            out.append(Attribution(a, b, a, a, None, None, "", speaker, "first_person", 0.7))
        for verb in sent:
            if verb.lemma_.lower() in _DELIVER and any(
                    c.dep_ == "dobj" and c.lemma_.lower() in SPEECH_NOUNS for c in verb.children):
                subject = finder.subject_of(verb)
                name, confidence = resolver.speaker_of(subject, verb.idx, "") if subject is not None else ("", 0.0)
                if name and confidence >= SPEAKER_CONFIDENCE:
                    speaker, since = name, b
    return out
