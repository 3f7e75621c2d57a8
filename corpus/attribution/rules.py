"""The rules: cue verbs and nouns in their frames, "according to", "NAME:" lines and direct quotes, each
giving a content span, its cue and its source phrase (``Found``); the content tagger's spans join them."""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from corpus.attribution.lexicon import (
    CLAUSE_NOUNS,
    CUE_PREPOSITIONS,
    CUE_VERBS,
    NAMED,
    NEWS_LEXICON,
    OBJECT_PREPOSITIONS,
    ORGANISATION_NOUNS,
    PERSON_NOUNS,
    PREPOSITION_NOUNS,
    RELATIVE,
    SPEECH_LEXICON,
    TITLES,
    lemma_of,
)
from corpus.attribution.model import Found
from corpus.attribution.prefilter import can_report
from corpus.attribution.speakers import name_start
from corpus.attribution.tagger import ContentTagger, spans_from, token_features

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MARKUP = re.compile(r"<[^<>\n]{1,400}>")  # leftover tags ("<tweet author=…>"): not text
QUOTE = re.compile(r"“[^“”]{3,}?”|\"[^\"\n]{3,}?\"")


class RuleFinder:
    """Finds the attributions of one parsed document by rules over its parse (sources not yet resolved)."""

    def __init__(self, doc: Doc, speaker: str) -> None:
        self.doc = doc
        self.text = doc.text
        self.speaker = speaker.strip()
        self.lexicon = SPEECH_LEXICON if self.speaker else NEWS_LEXICON
        self.quotes = [(m.start(), m.end()) for m in QUOTE.finditer(self.text)]
        self.sentence_ends = [sent.end_char for sent in doc.sents]
        self.markup = [(m.start(), m.end()) for m in MARKUP.finditer(self.text)]

    def find(self) -> list[Found]:
        """The rules' attributions, sources not yet resolved, in text order."""
        found: list[Found] = []
        used_cues: set[int] = set()
        for token in self.doc:
            if token.i in used_cues:
                continue
            item = (self._verb_cue(token) or self._according_to(token) or self._colon_cue(token)
                    or self._noun_cue(token))
            if item is not None:
                found.append(item)
                used_cues.add(token.i)
        found = self._with_quotes(found)
        found.sort(key=lambda f: (f.content[0], f.cue[0]))
        return found

    def features(self, found: Sequence[Found]) -> list[list[str]]:
        """The tagger's features of every token, given the rules' attributions."""
        return token_features(
            self.doc, [f.content for f in found], [f.cue for f in found if f.cue[1] > f.cue[0]],
            [(f.source.start_char, f.source.end_char) for f in found if f.source is not None], self.quotes,
            self.lexicon.knows,
        )

    # -- tagged content spans ------------------------------------------------------------------
    def tagged(self, found: list[Found], tagger: ContentTagger, anywhere: bool = False) -> list[Found]:
        """The rules' attributions, plus the tagger's content spans that no rule attribution overlaps, each with
        the cue and source of the word it depends on (``_found_for``): the rules keep their spans (nested
        speech, "according to"), the tagger adds the reports they have no frame for. Only spans in a sentence
        that can report are kept (``_may_report``), unless ``anywhere`` (to learn the cue forms it uses)."""
        out = list(found)
        for span in spans_from(self.doc, tagger.tag(self.features(found))):
            if not any(f.content[0] < span[1] and span[0] < f.content[1] for f in found) and (
                    anywhere or self._may_report(span)):
                out.append(self._found_for(span))
        return sorted(out, key=lambda f: (f.content[0], f.cue[0]))

    def _may_report(self, span: tuple[int, int]) -> bool:
        """Whether a tagged content span is in a sentence that can hold an attribution (``prefilter.can_report``:
        a cue form, a quotation, "according to", a transcript label) or is quoted: a content needs a cue."""
        tokens = self.doc.char_span(span[0], span[1], alignment_mode="expand")
        sentences = {t.sent.start for t in tokens or ()}
        return self._quoted(span) or any(can_report(self.doc[s].sent.text) for s in sentences)

    def _found_for(self, span: tuple[int, int]) -> Found:
        """A tagged content span the rules missed: its cue is the word it depends on (a verb or noun above its
        root, or a cue verb hanging on it: "[…], he said"), its source that word's subject or holder."""
        tokens = self.doc.char_span(span[0], span[1], alignment_mode="expand")
        inside = {t.i for t in tokens} if tokens is not None else set()
        candidates: list[Token] = []
        for t in tokens or ():
            if t.head.i not in inside:
                head = t.head
                for _ in range(3):
                    if head.pos_ in ("VERB", "AUX", "NOUN") or head.head.i == head.i:
                        break
                    head = head.head
                candidates.append(head)
            candidates += [c for c in t.children
                           if c.i not in inside and c.pos_ == "VERB" and self.lexicon.knows(lemma_of(c))]
        cues = [c for c in candidates if c.i not in inside and self.lexicon.knows(lemma_of(c))] or [
            c for c in candidates if c.i not in inside]
        kind = "direct" if self._quoted(span) else "indirect"
        if not cues:
            return Found(span, (span[0], span[0]), None, kind)
        cue = cues[0]
        source = self._holder(cue) if cue.pos_ == "NOUN" else self._subject(cue)
        return Found(span, (cue.idx, cue.idx + len(cue.text)), source, kind)

    # -- finding -----------------------------------------------------------------------------
    def _verb_cue(self, verb: Token) -> Found | None:
        lemma = lemma_of(verb)
        if verb.pos_ not in ("VERB", "AUX") or not self.lexicon.knows(lemma) or self._in_markup(verb.idx):
            return None
        if not self.speaker and self._in_quote(verb.idx):
            return None  # "I have to thank…", "she told me…" inside a quote: part of the quote, not a report of its own
        cue = (verb.idx, verb.idx + len(verb.text))
        source: Span | None = None
        content_tokens = self._raised_content(verb, lemma)
        if not content_tokens:
            source = self._subject(verb)
            content_tokens = self._clause_content(verb, lemma) or self._object_content(verb, lemma)
        if not content_tokens:
            content_tokens = self._preposition_content(verb, lemma)
            if content_tokens:
                cue = (verb.idx, _preposition_end(verb, content_tokens))
        if not content_tokens and verb.dep_ == "parataxis" and verb.head.i < verb.i and lemma in self.lexicon.clauses:
            content_tokens = [t for t in verb.head.subtree if t.i < verb.i and not _inside(t, verb)]
        if not content_tokens:
            quote = self._quote_next_to(verb)
            if quote is None or lemma not in self.lexicon.clauses:
                return None
            content = quote
        else:
            content = self._snap_to_quote(_trim(self.text, content_tokens), verb.idx)
        if content[1] - content[0] < 3:
            return None
        kind = "direct" if self._quoted(content) else "indirect"
        return Found(content, cue, source, kind)

    def _clause_content(self, verb: Token, lemma: str) -> list[Token]:
        """A cue's clausal complement ("said [that…]") or infinitive ("vowed [to…]")."""
        tokens: list[Token] = []
        for child in verb.children:
            if child.dep_ == "ccomp" and lemma in self.lexicon.clauses:
                tokens += self._without_added_cues(child)
            elif child.dep_ == "xcomp" and child.i > verb.i and lemma in self.lexicon.infinitives:
                addressees = [c for c in verb.children if c.dep_ == "dobj" and verb.i < c.i < child.i]
                tokens += [t for c in addressees for t in c.subtree] + self._without_added_cues(child)
        return tokens

    def _without_added_cues(self, clause: Token) -> list[Token]:
        """A clause's tokens without a trailing participle cue of the same speaker ("[Y], adding that Z"):
        that is an attribution of its own."""
        added = [t for t in clause.subtree if t.dep_ in ("advcl", "conj") and t.tag_ == "VBG" and t.i > clause.i
                 and self.lexicon.knows(lemma_of(t)) and not any(c.dep_ == "nsubj" for c in t.children)]
        if not added:
            return list(clause.subtree)
        cut = min(t.left_edge.i for t in added)
        return [t for t in clause.subtree if t.i < cut]

    def _object_content(self, verb: Token, lemma: str) -> list[Token]:
        """An object cue's object and what completes it ("criticized [X for Y]", "described [Y as Z]")."""
        if lemma not in self.lexicon.objects:
            return []
        deps = ("dobj", "xcomp", "ccomp", "attr", "oprd", "prt")
        after = [c for c in verb.children if c.i > verb.i and (c.dep_ in deps or c.dep_ == "prep" and
                                                                c.lower_ in OBJECT_PREPOSITIONS)]
        if not any(c.dep_ in ("dobj", "ccomp", "xcomp") for c in after):
            return []
        return [t for child in after for t in child.subtree]

    def _preposition_content(self, verb: Token, lemma: str) -> list[Token]:
        """The object of a prepositional cue ("talked about [X]", "referred to [X]")."""
        if lemma not in self.lexicon.prepositions:
            return []
        for child in verb.children:
            if child.dep_ == "prep" and child.lower_ in CUE_PREPOSITIONS and child.i > verb.i and child.i - verb.i <= 3:
                objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
                if objects and objects[0].ent_type_ not in ("DATE", "TIME", "GPE", "LOC", "FAC", "CARDINAL"):
                    return list(objects[0].subtree)
        return []

    def _raised_content(self, verb: Token, lemma: str) -> list[Token]:
        """"[Y] seems [to be…]", "[Y] is expected [to…]": the subject and the infinitive, said by no one named."""
        if lemma not in self.lexicon.raising:
            return []
        subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < verb.i]
        infinitives = [c for c in verb.children if c.dep_ == "xcomp" and c.i > verb.i]
        if not subjects or not infinitives or (lemma == "expect" and subjects[0].dep_ != "nsubjpass"):
            return []
        if subjects[0].lower_ in RELATIVE or subjects[0].pos_ == "PRON" and subjects[0].lower_ in ("it", "there"):
            return []
        return list(subjects[0].subtree) + list(infinitives[0].subtree)

    def _according_to(self, token: Token) -> Found | None:
        if token.lower_ != "according":
            return None
        to = next((c for c in token.children if c.lower_ == "to"), None)
        if to is None:
            return None
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if not objects:
            return None
        source = self.doc[objects[0].left_edge.i : objects[0].right_edge.i + 1]
        phrase = {t.i for t in token.subtree}
        clause = token.head if token.head.i != token.i else token
        rest = [t for t in clause.subtree if t.i not in phrase]
        if not rest:
            return None
        content = _trim(self.text, rest)
        cue = (token.idx, to.idx + len(to.text))
        return Found(content, cue, source, "direct" if self._quoted(content) else "indirect")

    def _noun_cue(self, noun: Token) -> Found | None:
        """A nominal cue in news: "her claim [that…]", "criticism of [X]" by whoever holds it ("his", "by
        X", or the subject of the verb it is the object of: "X raised questions about…")."""
        if noun.pos_ != "NOUN" or self.speaker or self._in_quote(noun.idx):
            return None
        lemma = lemma_of(noun)
        content: list[Token] = []
        cue_end = noun
        for child in noun.children:
            if child.dep_ in ("acl", "ccomp") and lemma in CLAUSE_NOUNS and child.i > noun.i and any(
                    c.dep_ == "mark" and c.lower_ == "that" for c in child.children):
                content = list(child.subtree)
            elif child.dep_ == "prep" and child.i == noun.i + 1 and lemma in PREPOSITION_NOUNS.get(child.lower_, ()):
                objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
                content, cue_end = (list(objects[0].subtree), child) if objects else ([], noun)
            if content:
                break
        if not content:
            return None
        span = _trim(self.text, content)
        if span[1] - span[0] < 3:
            return None
        cue = (noun.idx, cue_end.idx + len(cue_end.text))
        return Found(span, cue, self._holder(noun), "direct" if self._quoted(span) else "indirect")

    def _holder(self, noun: Token) -> Span | None:
        """Whose a nominal cue is: its possessive or "by"/"from" phrase, else the subject of its verb."""
        for child in noun.children:
            if child.dep_ == "poss":
                return self.doc[child.left_edge.i : child.i + 1]
            if child.dep_ == "prep" and child.lower_ in ("by", "from"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return self.doc[objects[0].left_edge.i : objects[0].right_edge.i + 1]
        verb = noun.head
        while verb.dep_ in ("pobj", "prep") and verb.head.i != verb.i:
            verb = verb.head
        if noun.dep_ in ("dobj", "pobj") and verb.pos_ in ("VERB", "AUX"):
            return self._subject(verb)
        return None

    def _colon_cue(self, colon: Token) -> Found | None:
        """A line opened by a name and a colon ("Jane Roe: The plan is dead", an interview's "Roe: …",
        "Minister: …" in the transcript of a minister's interview): the name is the source, the rest of the
        line the content."""
        if colon.text != ":":
            return None
        start = colon.sent.start
        while start < colon.i and self.doc[start].is_punct:  # a transcript line may open with a quote mark
            start += 1
        head = self.doc[start : colon.i]
        if not 1 <= len(head) <= 4 or not all(t.pos_ == "PROPN" or t.lower_ in TITLES for t in head):
            return None
        line_end = self.text.find("\n", colon.idx)
        end = len(self.text) if line_end < 0 else line_end
        rest = [t for t in self.doc[colon.i + 1 : colon.i + 400] if t.idx < end]
        if not rest:
            return None
        content = _trim(self.text, rest)
        if content[1] - content[0] < 10:
            return None
        return Found(content, (colon.idx, colon.idx + 1), head, "direct" if self._quoted(content) else "indirect")

    def _subject(self, verb: Token) -> Span | None:
        """The source span of a cue verb: its subject or passive agent; for a cue without one ("…,
        suggesting that…", "…and warned"), that of the verb it is chained to (any verb for a
        conjunct or participle, a cue verb for a clause it reports); for a cue in a relative clause
        ("statements by X, which characterized…") or a participle of a noun ("a statement saying…"),
        what the relative pronoun or the noun stands for."""
        current, reported = verb, False
        fallback: Span | None = None  # an inherited subject that cannot speak, if nothing better is found
        for _ in range(4):
            if current.i == verb.i or not reported or current.lemma_.lower() in CUE_VERBS:
                source = self._own_subject(current)
                # an inherited subject should be able to speak: in "the turmoil has persisted, suggesting
                # that…" (itself reported by "Lavrov argued that…") the source is Lavrov, not the turmoil
                if source is not None and (current.i == verb.i or _can_speak(source)):
                    return source
                fallback = fallback or source
            if current.dep_ == "acl" and current.head.pos_ in ("NOUN", "PROPN"):
                return self._described(current.head)
            if current.dep_ == "pcomp" and current.head.dep_ == "prep" and current.head.head.pos_ in ("VERB", "AUX"):
                current = current.head.head  # "After savaging X, Trump is…", "…, before talking about Y"
                continue
            if current.dep_ not in ("conj", "xcomp", "advcl", "ccomp") or current.head.i == current.i:
                return fallback
            reported = reported or current.dep_ == "ccomp"
            current = current.head
        return fallback

    def _own_subject(self, verb: Token) -> Span | None:
        for child in verb.children:
            if child.dep_ == "nsubj":
                if child.lower_ in RELATIVE and verb.dep_ == "relcl":
                    return self._described(verb.head)
                return self.doc[child.left_edge.i : child.right_edge.i + 1]
            if child.dep_ == "agent":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return self.doc[objects[0].left_edge.i : objects[0].right_edge.i + 1]
        return None

    def _described(self, noun: Token) -> Span:
        """The source behind a noun: "statements by X" → X, "X's remarks" → X, else the noun phrase."""
        for child in noun.children:
            if child.dep_ == "prep" and child.lower_ in ("by", "of", "from"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    obj = objects[0]
                    return self.doc[name_start(obj) : obj.i + 1]
            if child.dep_ == "poss":
                return self.doc[child.left_edge.i : child.i + 1]
        return self.doc[noun.left_edge.i : noun.i + 1]

    def _quote_next_to(self, verb: Token) -> tuple[int, int] | None:
        """A quote that ends just before the cue's clause or starts just after it, in the same sentence."""
        sent = verb.sent
        for start, end in self.quotes:
            if sent.start_char - 2 <= end <= verb.idx and self.text[end:verb.idx].strip(" ,\n").count(" ") < 6:
                return start, end
            if verb.idx < start <= sent.end_char + 2 and self.text[verb.idx:start].count(" ") < 8:
                return start, end
        return None

    def _snap_to_quote(self, span: tuple[int, int], cue: int) -> tuple[int, int]:
        """A content span that is mostly one quote becomes that whole quote, quote marks included (not the
        quote the cue is in: "“They keep showing videos of X”" does not make the quote the showing's)."""
        for start, end in self.quotes:
            if start <= cue < end:
                continue
            if start <= span[0] <= start + 2 and span[1] < end:  # X said, “[first sentence] more…”
                return start, end
            if start < span[0] and end - 3 <= span[1] <= end:  # “More… [last sentence],” X said
                return start, end
            overlap = min(end, span[1]) - max(start, span[0])
            if overlap > 0.6 * (span[1] - span[0]) and overlap > 0.6 * (end - start):
                return start, end
        return span

    def in_quote(self, at: int) -> bool:
        """Whether the character at ``at`` is inside a quotation."""
        return self._in_quote(at)

    def quoted(self, span: tuple[int, int]) -> bool:
        """Whether most of a span is inside quotation marks."""
        return self._quoted(span)

    def subject_of(self, verb: Token) -> Span | None:
        """The source span a verb would have as a cue (its subject, passive agent or chained subject)."""
        return self._subject(verb)

    def _in_quote(self, at: int) -> bool:
        return any(start < at < end for start, end in self.quotes)

    def _in_markup(self, at: int) -> bool:
        return any(start <= at < end for start, end in self.markup)

    def _quoted(self, span: tuple[int, int]) -> bool:
        inside = sum(max(0, min(e, span[1]) - max(s, span[0])) for s, e in self.quotes)
        return inside >= 0.6 * (span[1] - span[0])

    def _with_quotes(self, found: list[Found]) -> list[Found]:
        """Direct quotes no cue covers: the second part of the quote before them, or a quote of the previous
        attribution's speaker (within 400 characters)."""
        out = list(found)
        for start, end in self.quotes:
            if any(f.content[0] <= start + 1 and end - 1 <= f.content[1] for f in out):
                continue
            if len(self.text[start:end].split()) < 4:
                continue  # a quoted phrase or title, not speech
            previous = [f for f in out if f.content[1] <= start]
            if not previous:
                continue
            last = max(previous, key=lambda f: f.content[1])
            if start - last.content[1] >= 400:
                continue
            if last.kind == "direct" and self._continues(last, start):
                out[out.index(last)] = replace(last, content=(last.content[0], end))  # “…,” she said. “…”
            else:
                out.append(Found((start, end), (start, start), None, "direct"))  # continues the previous quote
        return out

    def _continues(self, quote: Found, start: int) -> bool:
        """A quote starting at ``start`` is the second part of ``quote``: only its cue lies between them
        ("“…,” she said. “…”") or nothing does (a quote running over paragraphs)."""
        gap = self.text[quote.content[1] : start]
        if not gap.strip(" \n\t.,"):
            return True
        if not quote.content[1] <= quote.cue[0] < start or len(gap.split()) > 25:
            return False
        i = bisect_right(self.sentence_ends, quote.cue[0])
        cue_sentence_end = self.sentence_ends[i] if i < len(self.sentence_ends) else start
        return not self.text[cue_sentence_end:start].strip()

    # -- resolving ---------------------------------------------------------------------------


def _preposition_end(verb: Token, content: Sequence[Token]) -> int:
    """The end of a prepositional cue: the preposition before its object ("talked about")."""
    first = min(t.i for t in content)
    prep = verb.doc[first - 1] if first > verb.i + 1 else verb
    return prep.idx + len(prep.text)


def _can_speak(source: Span) -> bool:
    """Whether a phrase can be a source: a pronoun, a name, a person or an organisation."""
    root = source.root
    if root.pos_ in ("PRON", "PROPN") or root.lower_ in PERSON_NOUNS | ORGANISATION_NOUNS:
        return True
    return any(e.start <= root.i < e.end and e.label_ in NAMED for e in source.ents)


def _inside(token: Token, ancestor: Token) -> bool:
    return token.i == ancestor.i or ancestor in token.ancestors


def _trim(text: str, tokens: Sequence[Token]) -> tuple[int, int]:
    """The character span of ``tokens`` without leading/trailing punctuation other than quote marks."""
    start = min(t.idx for t in tokens)
    end = max(t.idx + len(t.text) for t in tokens)
    while start < end and text[start] in " ,;:—–-\n":
        start += 1
    while end > start and text[end - 1] in " ,;:—–-\n":
        end -= 1
    return start, end
