"""Attribution extraction on PolNeAR: who said what, through which cue, against human annotations.

    python benchmarks/attribution.py /work/shared/data/polnear [--split dev|train] [--limit N]
        [--methods baseline,rules,crf,spacy,spacy:COMBINATION] [--tagger-model PATH] [--token-tagger DIR]
        [--dtype float32|bfloat16] [--reuse-tags] [--runs N] [--errors N]

Loads ``polnear_<split>.jsonl.gz`` from the folder (format: the folder's README.md; the data stay
there, nothing of them is copied into the project) and runs every method on every article text
with ``speaker=None`` (PolNeAR has no metadata speaker). Methods:

- ``spacy``: the system under test, ``corpus.attribution.attribute(text)``: spaCy rules and the token
  tagger (the bundled encoder with a LoRA adapter, trained on PolNeAR train by ``train_token_tagger.py``;
  ``--token-tagger DIR`` tries another one, ``--dtype`` another weight type), combined as
  ``corpus.attribution.linking.DEFAULT_COMBINATION`` says, or as ``COMBINATION`` says for ``spacy:COMBINATION``
  (the names of ``linking.COMBINATIONS``; ``--reuse-tags`` tags each text once for all of them, so their
  speed leaves tagging out). Without the token tagger's files, ``spacy`` is ``crf``;
- ``crf``: the spaCy rules and the CRF content tagger (trained by ``train_attribution_tagger.py``;
  ``--tagger-model PATH`` tries another model file), the system before the token tagger;
- ``rules``: the spaCy rules alone;
- ``baseline``: defined here, to show the gain. In each sentence (``corpus.sentences.split_sentences``)
  the first word of a speech-verb lexicon (``BASELINE_CUES``: said, says, told, according to,
  added, stated, argued, claimed, noted, reported, ...) is the cue. If the cue comes early (less
  text before it than after it in the sentence) the content is the rest of the sentence after it,
  else the part before it (edges trimmed of spaces and ,;:- and a final full stop). The source,
  and the speaker, is the nearest run of capitalised words before the cue in the sentence, leading
  titles/function words dropped (for "according to": the first such run after the cue, and the
  content is the part after the next comma, or before the cue if it comes late).

Gold: the first annotator's attributions of each article (``annotations[0]``; 2 dev and 16 train
articles have several annotators, up to 6: the others are ignored). Attributions without content
spans (3 in train) are skipped and counted. Results: ``benchmarks/results/attribution_<split>.json``
(``_limitN`` added with ``--limit``), with the command line and machine. ``--errors N`` prints up to N sampled misses
of each kind per method to stderr (gold against predicted, with context), for tuning only: never
paste that output into a committed file (PolNeAR texts are copyrighted news).

Scoring, exactly:

- **Tokens** are ``\\w+`` matches of the article text with their character offsets. The tokens of
  a span ``[start, end)`` are those overlapping it by at least one character; a discontinuous gold
  span takes the union over its pieces. A span without tokens never matches.
- **Content P/R/F1 (>=50% overlap)**: a predicted content span ``[content_start, content_end)`` and a
  gold content span are a candidate pair when their shared tokens are at least 50% of the gold
  span's tokens AND at least 50% of the predicted span's tokens. Pairs are matched one-to-one
  within an article, greedily by the number of shared tokens (ties: the higher of the two smaller
  ratios, then text order). P = matched / predicted, R = matched / gold, F1 their harmonic mean,
  summed over the split (micro average).
- **Content exact P/R/F1**: a gold span's bounds are the min start / max end of its pieces; both
  gold and predicted bounds are trimmed of surrounding whitespace, punctuation and quote marks;
  a match is equal trimmed bounds, one-to-one (multiset intersection per article).
- **Source P/R/F1 (>=50% overlap)**: over the attributions with a gold source (gold side) and the
  predictions with a non-empty source span (predicted side), the same token-overlap rule and
  greedy one-to-one matching as for content, independent of the content matching. Also
  ``source_on_matched``: of matched content pairs with a gold source, the share whose predicted
  source span matches the gold source span by the same >=50% rule.
- **Cue accuracy**: of matched content pairs with a gold cue, the share whose predicted cue span
  overlaps a gold cue piece by at least one character (an empty predicted cue never does).
- **Speaker accuracy**: of matched content pairs whose gold has a source, the share whose predicted
  ``speaker`` names the gold source's entity. Words are ``\\w+(['’]\\w+)*`` with a possessive 's
  dropped; *title/function words* are ``TITLE_WORDS`` (Mr, Sen, President, Secretary, ...),
  ``FUNCTION_WORDS`` (the, a, his, some, ...) and ``DESCRIPTOR_WORDS`` (Republican(s), Democrat(s),
  Democratic, American(s), ...). A *name token* of a gold source is a word starting upper-case,
  at least two characters long, not a title/function word, and, if it starts a sentence (only
  spaces or opening quotes/brackets between it and the start of the text or a . ! ? : or line
  break; a . after a title or a single letter does not count), not a *common word*: one that
  occurs in lower case at least as often as capitalised mid-sentence (after a lower-case letter,
  digit, comma or semicolon) over the whole split file ("Officials said" is not a name; "Roe
  said" is). Gold sources are typed:
  * *named*: the source text has a name token. Name tokens separated only by spaces, dots,
    hyphens, capitalised title/descriptor words, single capitals or of/de/del/la/van/von/bin/for
    form a *run* (a possessive ends a run); the entity is the set of name tokens of the source's
    head run: among the name tokens from the first one up to the next comma, parenthesis or dash
    (an apposition), the last run not ending in a possessive, else the last run.
    (Invented examples.) "Senate candidate Jane Roe" -> {jane, roe}; "Acme Party spokesman John
    Doe" -> {john, doe}; "Doe, a Roe ally," -> {doe}; "Acme News's Jane Roe" -> {jane, roe};
    "Jane Roe's campaign" -> {jane, roe};
  * *pronoun*: the whole source text is one of he she they it we I him her them his its their
    our us me you who whom which that; the entity is the entity of the nearest preceding gold
    source (by source start) in the article that is *named* (any named source is compatible: no
    gender or number check). For who/whom/which/that, the last run of name tokens before the
    pronoun in its own sentence comes first ("Roe, who said"), and that nearest named source
    only when the sentence has none. A pronoun with no named antecedent is *unresolved*: counted,
    and left out of the speaker accuracy;
  * *description* (anything else: "the party's nominee", "a spokesperson", "sources",
    "officials"): the entity is resolved as for a pronoun (nearest preceding named gold source,
    possibly none), and the prediction is also correct when its speaker shares a non-function word
    with the gold source text (case-insensitive), e.g. "officials" ~ "senior officials".
  The predicted speaker *names* an entity when its words, lower-cased and without title/function
  words, share at least one word with the entity's name tokens ("Jane Roe" ~ "Roe",
  "Sen. Jane Roe" ~ "Jane Roe's"). An empty speaker is always wrong. Reported overall and per
  type, with the counts of gold sources per type (all gold attributions, and matched pairs).
  ``speaker_recall`` is end to end: correct speakers over all gold attributions with a resolvable
  source (unmatched ones count as wrong). Because "nearest preceding named source" is often not
  the referent (a "she" after a man's name, a "he" after a country), ``speaker_accuracy_lenient``
  also accepts, for pronouns and descriptions, a speaker naming any of the 3 most recent distinct
  named entities before the source (the relative-pronoun run first): a diagnostic upper bound,
  not the headline.
- **Throughput**: sentences (``split_sentences`` of each article, counted once) divided by the
  median over ``--runs`` of the wall time of the method over all articles of the split; the
  first call of a method (which may load a model) is timed apart on a tiny made-up text.
- Breakdowns: recall per gold content type (*quoted*: the gold content, trimmed of spaces, starts
  with a quote mark; *other*), precision per predicted ``kind``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import common
from common import log, median, write_result

from corpus.attribution import Attribution
from corpus.sentences import split_sentences

Span = tuple[int, int]

# -- words ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
TITLE_WORDS = frozenset("""
mr mrs ms miss messrs dr prof sir dame rev fr sen sens senator senators rep reps representative
representatives gov governor governors gen lt col maj capt cmdr adm sgt cpl pvt president presidents
vice prime minister ministers secretary secretaries chairman chairwoman chair speaker leader majority
minority whip judge justice attorney general former presidential candidate candidates nominee
mayor ambassador director chief deputy lady first ceo spokesman spokeswoman spokesperson
congressman congresswoman jr sr esq hon st
""".split())
FUNCTION_WORDS = frozenset("""
the a an this that these those his her hers their theirs its our my your he she they it we i you
him them us me who whom which what some many most more other others one two three both all several
few each every any no not and or of for in on at to by from with as about according also but
another such four five six seven eight nine ten eleven twelve twenty hundred percent
""".split())
DESCRIPTOR_WORDS = frozenset("""
republican republicans democrat democrats democratic american americans conservative conservatives
liberal liberals progressive progressives evangelical evangelicals christian christians muslim muslims
catholic catholics jewish hispanic hispanics latino latinos african european europeans british
russian russians chinese mexican mexicans iranian israeli syrian french german
""".split())
IGNORED_WORDS = TITLE_WORDS | FUNCTION_WORDS | DESCRIPTOR_WORDS
PRONOUNS = frozenset("he she they it we i him her them his its their our us me you who whom which that".split())
RELATIVE_PRONOUNS = frozenset({"who", "whom", "which", "that"})
LENIENT_ANTECEDENTS = 3
_NAME_GAP = re.compile(r"(?:[\s.\-]|\b[A-Z][\w'’]*\b|\b(?:of|de|del|la|van|von|bin|for)\b)*")
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z0-9,;])[ \u00a0]+([A-Z]\w*(?:['’]\w+)*)")
_APPOSITION = re.compile(r",|\(|\s[-–—]+\s|[–—]")
_LAST_WORD = re.compile(r"\w+$")
_OPENERS = " \t\r\n\u00a0\"'“‘(["
_TRIM = " \t\r\n\u00a0\u2009\u200b\"'“”‘’«»„‚()[]{}.,;:!?-–—…*/"


def norm_word(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower().rstrip(".")


def words_of(text: str) -> list[str]:
    """Lower-cased words of ``text`` without possessive 's."""
    return [norm_word(m.group()) for m in _WORD.finditer(text)]


def speaker_names(speaker: str) -> set[str]:
    """A predicted speaker's words that can name an entity (no titles/function words)."""
    return {w for w in words_of(speaker) if w not in IGNORED_WORDS}


def trim(text: str, start: int, end: int) -> Span:
    """``[start, end)`` without surrounding whitespace, punctuation and quote marks."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


# -- data -------------------------------------------------------------------------------------
@dataclass
class Gold:
    content: list[Span]
    content_tokens: frozenset[int]
    content_exact: Span
    content_type: str  # quoted / other
    cue: list[Span]
    source: list[Span]
    source_text: str
    source_tokens: frozenset[int]
    source_type: str = ""  # named / pronoun / description ("" when no source)
    entity: frozenset[str] | None = None  # name tokens of the source's entity; None when unresolved
    recent: list[frozenset[str]] = field(default_factory=list)  # lenient: entity + recent named ones


@dataclass
class Article:
    id: str
    text: str
    golds: list[Gold]
    sentences: list[Span]
    tok_starts: list[int] = field(default_factory=list)
    tok_ends: list[int] = field(default_factory=list)

    def tokens(self, spans: Sequence[Span]) -> frozenset[int]:
        out: set[int] = set()
        for start, end in spans:
            if end > start:
                out.update(range(bisect_right(self.tok_ends, start), bisect_left(self.tok_starts, end)))
        return frozenset(out)


def load_split(folder: Path, split: str, limit: int) -> tuple[list[Article], dict[str, int]]:
    path = folder / f"polnear_{split}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    common_words = common_word_set(rec["text"] for rec in records)  # over the whole file, whatever --limit
    articles: list[Article] = []
    skipped = Counter()
    for rec in records[:limit] if limit else records:
        text = rec["text"]
        art = Article(rec["id"], text, [], split_sentences(text))
        for m in _TOKEN.finditer(text):
            art.tok_starts.append(m.start())
            art.tok_ends.append(m.end())
        annotations = rec.get("annotations") or [{"attributions": []}]
        if len(annotations) > 1:
            skipped["articles_with_several_annotators"] += 1
            skipped["other_annotators_ignored"] += len(annotations) - 1
        for at in annotations[0]["attributions"]:
            content = sorted(tuple(s) for s in ((at.get("content") or {}).get("spans") or []) if s[1] > s[0])
            if not content:
                skipped["attributions_without_content"] += 1
                continue
            source = sorted(tuple(s) for s in ((at.get("source") or {}).get("spans") or []) if s[1] > s[0])
            cue = sorted(tuple(s) for s in ((at.get("cue") or {}).get("spans") or []) if s[1] > s[0])
            exact = trim(text, min(s for s, _ in content), max(e for _, e in content))
            lead = text[min(s for s, _ in content):].lstrip(" \t\r\n\u00a0")
            art.golds.append(Gold(
                content=content, content_tokens=art.tokens(content), content_exact=exact,
                content_type="quoted" if lead[:1] in "\"“‘'" else "other", cue=cue, source=source,
                source_text=" ".join(text[s:e] for s, e in source),
                source_tokens=art.tokens(source),
            ))
        resolve_gold_entities(art, common_words)
        articles.append(art)
    return articles, dict(skipped)


def common_word_set(texts: Iterable[str]) -> set[str]:
    """Lower-case words found more often in lower case than capitalised after a lower-case letter,
    digit, comma or semicolon (mid-sentence), over ``texts``: "police", "critics", "foreign"."""
    lower: Counter[str] = Counter()
    capitalised: Counter[str] = Counter()
    for text in texts:
        lower.update(w for w in _WORD.findall(text) if w.islower())
        capitalised.update(norm_word(w) for w in _MID_SENTENCE_CAPITAL.findall(text))
    return {w for w, n in lower.items() if n >= capitalised[norm_word(w)]}


def _sentence_initial(text: str, pos: int) -> bool:
    """Only spaces or opening quotes/brackets between ``pos`` and the text start or a . ! ? : or line break."""
    while pos > 0 and text[pos - 1] in _OPENERS:
        if text[pos - 1] == "\n":
            return True
        pos -= 1
    if pos > 0 and text[pos - 1] == ".":  # not after a title or an initial ("Mr. Doe", "J. Doe")
        before = _LAST_WORD.search(text, max(0, pos - 20), pos - 1)
        if before and (len(before.group()) == 1 or before.group().lower() in TITLE_WORDS):
            return False
    return pos == 0 or text[pos - 1] in ".!?:"


def name_tokens(text: str, spans: Sequence[Span], common_words: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, normalised word) of the name tokens in ``spans`` of ``text`` (see the module docstring)."""
    out = []
    for start, end in spans:
        for m in _WORD.finditer(text, start, end):
            word = m.group()
            norm = norm_word(word)
            if not word[0].isupper() or len(norm) < 2 or norm in IGNORED_WORDS:
                continue
            if _sentence_initial(text, m.start()) and norm in common_words:
                continue
            out.append((m.start(), m.end(), norm))
    return out


def name_runs(text: str, names: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Name tokens grouped into runs of adjacent ones ("John Q. Doe", "Department of Justice"); a
    possessive ends a run ("Acme's | Jane Roe")."""
    runs: list[list[tuple[int, int, str]]] = []
    for tok in names:
        prev = runs[-1][-1] if runs else None
        if prev and not _POSSESSIVE.search(text[prev[0]:prev[1]]) and _NAME_GAP.fullmatch(text[prev[1]:tok[0]]):
            runs[-1].append(tok)
        else:
            runs.append([tok])
    return runs


def head_entity(text: str, names: list[tuple[int, int, str]]) -> frozenset[str]:
    """The entity of a named source (see the module docstring): among its name tokens from the first
    one up to the next comma, parenthesis or dash, the last run not ending in a possessive, else the
    last run."""
    cut = _APPOSITION.search(text, names[0][0], names[-1][1])
    head = [n for n in names if n[1] <= cut.start()] if cut else names  # never empty: names[0] is in it
    runs = name_runs(text, head)
    for run in reversed(runs):
        if not _POSSESSIVE.search(text[run[-1][0]:run[-1][1]]):
            return frozenset(w for _, _, w in run)
    return frozenset(w for _, _, w in runs[-1])


def resolve_gold_entities(art: Article, common_words: set[str]) -> None:
    """Type every gold source (named / pronoun / description) and find its entity."""
    text = art.text
    with_source = sorted((g for g in art.golds if g.source), key=lambda g: g.source[0][0])
    named: list[tuple[int, frozenset[str]]] = []  # (source start, entity) of named sources, in text order
    for g in with_source:
        names = name_tokens(text, g.source, common_words)
        if names:
            g.source_type = "named"
            g.entity = head_entity(text, names)
            named.append((g.source[0][0], g.entity))
    for g in with_source:
        if g.source_type:
            continue
        start = g.source[0][0]
        stripped = g.source_text.strip().lower()
        g.source_type = "pronoun" if stripped in PRONOUNS else "description"
        if stripped in RELATIVE_PRONOUNS:
            sent = next(((s, e) for s, e in art.sentences if s <= start < e), (start, start))
            names = name_tokens(text, [(sent[0], start)], common_words)
            if names:  # the last run of name tokens before the pronoun in its sentence
                g.entity = frozenset(w for _, _, w in name_runs(text, names)[-1])
        recent: list[frozenset[str]] = [g.entity] if g.entity else []
        for _, entity in reversed([x for x in named if x[0] < start]):
            if len(recent) >= LENIENT_ANTECEDENTS:
                break
            if entity not in recent:
                recent.append(entity)
        g.recent = recent
        if g.entity is None:
            g.entity = recent[0] if recent else None


# -- predictions ----------------------------------------------------------------------------


BASELINE_CUES = (
    "according to", "said", "says", "say", "saying", "told", "tells", "telling", "added", "adds", "adding",
    "stated", "argued", "argues", "claimed", "noted", "reported", "wrote", "writes", "explained", "announced",
    "insisted", "warned", "suggested", "asked", "tweeted", "acknowledged", "declared", "stressed",
)
_BASELINE_CUE = re.compile(r"\b(?:" + "|".join(c.replace(" ", r"\s+") for c in BASELINE_CUES) + r")\b", re.IGNORECASE)
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’.-]*(?:[ \u00a0]+(?:[A-Z][\w'’.-]*|of|de|van|von|bin|al-\w+))*")
_BASELINE_EDGE = " \t\r\n\u00a0,;:-–—"


def _baseline_names(text: str, start: int, end: int) -> list[Span]:
    """Runs of capitalised words in ``text[start:end]`` with leading titles/function words dropped."""
    out = []
    for m in _CAPITALISED_RUN.finditer(text, start, end):
        s = m.start()
        for w in _WORD.finditer(text, m.start(), m.end()):
            if norm_word(w.group()) not in IGNORED_WORDS:
                s = w.start()
                break
        else:
            continue
        e = m.end()
        while e > s and text[e - 1] in ".'’-":
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _edge_trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start] in _BASELINE_EDGE:
        start += 1
    while end > start and text[end - 1] in _BASELINE_EDGE:
        end -= 1
    if end > start and text[end - 1] == ".":
        end -= 1
    return start, end


def baseline_attribute(text: str, speaker: str | None = None) -> list[Attribution]:
    """The lexicon baseline (see the module docstring)."""
    out = []
    for s, e in split_sentences(text):
        m = _BASELINE_CUE.search(text, s, e)
        if not m:
            continue
        cs, ce = m.start(), m.end()
        early = (cs - s) < (e - ce)
        source: Span | None = None
        if m.group().lower().startswith("according"):
            comma = text.find(",", ce, e)
            names = _baseline_names(text, ce, comma if comma >= 0 else e)
            source = names[0] if names else None
            if early:
                content = _edge_trim(text, comma + 1 if comma >= 0 else ce, e)
            else:
                content = _edge_trim(text, s, cs)
        else:
            names = _baseline_names(text, s, cs)
            source = names[-1] if names else None
            content = _edge_trim(text, ce, e) if early else _edge_trim(text, s, cs)
        if content[1] <= content[0]:
            continue
        src_text = text[source[0]:source[1]] if source else ""
        kind = "direct" if text[content[0]] in "\"“‘" else "indirect"
        out.append(Attribution(content[0], content[1], cs, ce, source[0] if source else None,
                        source[1] if source else None, src_text, src_text, kind, 0.5))
    return out


def load_method(name: str, tagger_model: Path | None = None, token_tagger: Path | None = None,
                dtype: str | None = None, reuse_tags: bool = False) -> Callable[[str], Sequence[Any]]:
    """A method by name: ``baseline``, ``rules``, ``crf``, ``spacy`` or ``spacy:COMBINATION``."""
    if name == "baseline":
        return baseline_attribute
    base, _, combination = name.partition(":")
    if base in ("spacy", "rules", "crf"):
        import corpus.attribution as attribution
        from corpus.attribution import extraction, linking, span_tagger
        from corpus.attribution.tagger import ContentTagger

        crf = None if base == "rules" else ContentTagger(tagger_model) if tagger_model else (
            extraction.content_tagger())
        if base == "crf" and crf is None:
            raise ValueError("no CRF tagger model: corpus/models/attribution_content.crfsuite is missing")
        tokens = None
        if base == "spacy":
            tokens = span_tagger.TokenTagger(token_tagger, dtype) if token_tagger else (
                span_tagger.TokenTagger(dtype=dtype) if dtype and span_tagger.token_tagger() else
                span_tagger.token_tagger())
        if combination and combination not in linking.COMBINATIONS:
            raise ValueError(f"unknown combination {combination!r} (known: {', '.join(linking.COMBINATIONS)})")
        how = linking.COMBINATIONS[combination] if combination else linking.DEFAULT_COMBINATION
        tags: dict[str, Any] = {}

        def tag(texts: Sequence[str], batch_size: int = 16) -> list[Any]:
            assert tokens is not None
            if not reuse_tags:
                return tokens.tag(texts, batch_size)
            missing = [t for t in texts if t not in tags]
            tags.update(zip(missing, tokens.tag(missing, batch_size)))
            return [tags[t] for t in texts]

        tagging = SimpleNamespace(tag=tag)  # the method's token tagger (tags of a text kept with --reuse-tags)

        def run(text: str) -> Sequence[Any]:
            extraction.content_tagger = lambda: crf  # type: ignore[assignment]
            extraction.token_tagger = lambda: tagging if tokens is not None else None  # type: ignore[assignment]
            extraction.COMBINATION = how
            return attribution.attribute(text)

        return run
    raise ValueError(f"unknown method {name!r} (known: baseline, rules, crf, spacy, spacy:COMBINATION)")


# -- scoring --------------------------------------------------------------------------------
def greedy_match(gold: Sequence[frozenset[int]], pred: Sequence[frozenset[int]]) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, pred index) sharing >= 50% of both sides' tokens, most shared first."""
    cands = []
    for i, g in enumerate(gold):
        if not g:
            continue
        for j, p in enumerate(pred):
            if not p:
                continue
            shared = len(g & p)
            if shared and 2 * shared >= len(g) and 2 * shared >= len(p):
                cands.append((-shared, -min(shared / len(g), shared / len(p)), i, j))
    cands.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "matched": tp, "predicted": n_pred, "gold": n_gold}


def share(num: int, den: int) -> dict[str, Any]:
    return {"accuracy": round(num / den, 4) if den else None, "correct": num, "of": den}


def speaker_verdict(gold: Gold, speaker: str, lenient: bool = False) -> str:
    """'correct', 'correct_by_description' (descriptions only), 'wrong' or 'unresolved'.

    ``lenient``: a pronoun or description is also right when the speaker names one of the
    ``LENIENT_ANTECEDENTS`` most recent distinct named gold sources before it."""
    names = speaker_names(speaker)
    if gold.entity is not None and names & gold.entity:
        return "correct"
    if lenient and gold.source_type != "named" and any(names & e for e in gold.recent):
        return "correct"
    if gold.source_type == "description":
        described = {w for w in words_of(gold.source_text) if w not in FUNCTION_WORDS}
        if speaker.strip() and described & {w for w in words_of(speaker) if w not in FUNCTION_WORDS}:
            return "correct_by_description"
    if gold.source_type == "pronoun" and gold.entity is None:
        return "unresolved"
    return "wrong"


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    errors: dict[str, list[tuple[Article, Gold | None, Any]]] = field(
        default_factory=lambda: {"missed": [], "spurious": [], "speaker": [], "cue": []})

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n


def score_article(art: Article, preds: Sequence[Any], t: Tally) -> None:
    c = t.counts
    text = art.text
    golds = art.golds
    pred_content = [art.tokens([(p.content_start, p.content_end)]) for p in preds]
    pairs = greedy_match([g.content_tokens for g in golds], pred_content)
    c["gold"] += len(golds)
    c["pred"] += len(preds)
    c["matched"] += len(pairs)
    matched_g = {i for i, _ in pairs}
    matched_p = {j for _, j in pairs}
    for g_i, g in enumerate(golds):
        c[f"gold_{g.content_type}"] += 1
        c[f"matched_{g.content_type}"] += g_i in matched_g
    for j, p in enumerate(preds):
        c[f"pred_kind_{p.kind}"] += 1
        c[f"matched_kind_{p.kind}"] += j in matched_p
    # exact
    gold_exact = Counter(g.content_exact for g in golds)
    pred_exact = Counter(trim(text, p.content_start, p.content_end) for p in preds)
    c["exact"] += sum((gold_exact & pred_exact).values())
    # sources, independent of the content matching
    gold_src = [g.source_tokens for g in golds if g.source]
    pred_src_idx = [j for j, p in enumerate(preds)
                    if p.source_start is not None and p.source_end is not None and p.source_end > p.source_start]
    pred_src = [art.tokens([(preds[j].source_start, preds[j].source_end)]) for j in pred_src_idx]
    c["source_gold"] += len(gold_src)
    c["source_pred"] += len(pred_src)
    c["source_matched"] += len(greedy_match(gold_src, pred_src))
    for g in golds:
        if g.source:
            c[f"gold_sources_{g.source_type}"] += 1
            if g.source_type == "pronoun" and g.entity is None:
                c["gold_sources_pronoun_unresolved"] += 1
    # per matched pair
    for i, j in pairs:
        g, p = golds[i], preds[j]
        if g.cue:
            c["cue_of"] += 1
            ok = p.cue_end > p.cue_start and any(p.cue_start < e and s < p.cue_end for s, e in g.cue)
            c["cue_ok"] += ok
            if not ok:
                t.errors["cue"].append((art, g, p))
        if not g.source:
            continue
        c["src_pair_of"] += 1
        if p.source_start is not None and p.source_end is not None:
            c["src_pair_ok"] += bool(greedy_match([g.source_tokens], [art.tokens([(p.source_start, p.source_end)])]))
        verdict = speaker_verdict(g, p.speaker)
        typ = g.source_type
        c[f"pairs_{typ}"] += 1
        if verdict == "unresolved":
            c["pairs_pronoun_unresolved"] += 1
            continue
        c["spk_of"] += 1
        c[f"spk_of_{typ}"] += 1
        if verdict.startswith("correct"):
            c["spk_ok"] += 1
            c[f"spk_ok_{typ}"] += 1
            if verdict == "correct_by_description":
                c["spk_ok_description_by_overlap"] += 1
        else:
            t.errors["speaker"].append((art, g, p))
        if speaker_verdict(g, p.speaker, lenient=True).startswith("correct"):
            c["spk_lenient_ok"] += 1
            c[f"spk_lenient_ok_{typ}"] += 1
    for i, g in enumerate(golds):
        if i not in matched_g:
            best = max(range(len(preds)), key=lambda j: len(g.content_tokens & pred_content[j]), default=None)
            near = preds[best] if best is not None and g.content_tokens & pred_content[best] else None
            t.errors["missed"].append((art, g, near))
    for j, p in enumerate(preds):
        if j not in matched_p:
            t.errors["spurious"].append((art, None, p))


def summarise(c: Counter) -> dict[str, Any]:
    resolvable = c["gold_sources_named"] + c["gold_sources_pronoun"] + c["gold_sources_description"]
    resolvable -= c["gold_sources_pronoun_unresolved"]
    kinds = sorted(k[len("pred_kind_"):] for k in c if k.startswith("pred_kind_"))
    return {
        "content": prf(c["matched"], c["pred"], c["gold"]),
        "content_exact": prf(c["exact"], c["pred"], c["gold"]),
        "source": prf(c["source_matched"], c["source_pred"], c["source_gold"]),
        "source_on_matched": share(c["src_pair_ok"], c["src_pair_of"]),
        "cue_accuracy": share(c["cue_ok"], c["cue_of"]),
        "speaker_accuracy": share(c["spk_ok"], c["spk_of"]),
        "speaker_accuracy_by_type": {
            typ: share(c[f"spk_ok_{typ}"], c[f"spk_of_{typ}"]) for typ in ("named", "pronoun", "description")},
        "speaker_accuracy_lenient": share(c["spk_lenient_ok"], c["spk_of"]),
        "speaker_accuracy_lenient_by_type": {
            typ: share(c[f"spk_lenient_ok_{typ}"], c[f"spk_of_{typ}"]) for typ in ("pronoun", "description")},
        "speaker_description_correct_by_overlap_only": c["spk_ok_description_by_overlap"],
        "matched_pairs_with_source_by_type": {
            "named": c["pairs_named"], "pronoun": c["pairs_pronoun"], "description": c["pairs_description"],
            "pronoun_unresolved": c["pairs_pronoun_unresolved"]},
        "speaker_recall": share(c["spk_ok"], resolvable),
        "content_recall_by_gold_type": {
            typ: share(c[f"matched_{typ}"], c[f"gold_{typ}"]) for typ in ("quoted", "other")},
        "content_precision_by_kind": {k: share(c[f"matched_kind_{k}"], c[f"pred_kind_{k}"]) for k in kinds},
    }


# -- error samples (stderr only) --------------------------------------------------------------
def _context(text: str, start: int, end: int, words: int = 8, limit: int = 220) -> str:
    before = " ".join(text[max(0, start - 200):start].split()[-words:])
    after = " ".join(text[end:end + 200].split()[:words])
    middle = " ".join(text[start:end].split())
    if len(middle) > limit:
        middle = middle[:limit // 2] + " … " + middle[-limit // 2:]
    return f"…{before} [[{middle}]] {after}…"


def _show_gold(text: str, g: Gold) -> str:
    cue = " ".join(text[s:e] for s, e in g.cue)
    ent = "/".join(sorted(g.entity)) if g.entity else "-"
    return f"gold source={g.source_text!r} ({g.source_type or 'none'}, entity {ent}) cue={cue!r}"


def _show_pred(text: str, p: Any) -> str:
    src = text[p.source_start:p.source_end] if p.source_start is not None and p.source_end is not None else ""
    return (f"pred source={src!r} speaker={p.speaker!r} cue={text[p.cue_start:p.cue_end]!r} kind={p.kind} "
            f"conf={p.confidence:.2f}")


def print_errors(method: str, t: Tally, n: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    out = sys.stderr
    for kind, items in t.errors.items():
        sample = rng.sample(items, min(n, len(items)))
        print(f"\n=== {method}: {kind} ({len(items)} in all, {len(sample)} shown) ===", file=out)
        for art, g, p in sample:
            text = art.text
            if g is not None:
                print(f"- {art.id} @{g.content[0][0]}: {_show_gold(text, g)}", file=out)
                print(f"    gold content: {_context(text, g.content[0][0], g.content[-1][1])}", file=out)
            else:
                print(f"- {art.id} @{p.content_start}:", file=out)
            if p is not None:
                print(f"    {_show_pred(text, p)}", file=out)
                print(f"    pred content: {_context(text, p.content_start, p.content_end)}", file=out)
            elif g is not None:
                print("    (no overlapping prediction)", file=out)


# -- main -----------------------------------------------------------------------------------
def run_method(name: str, fn: Callable[[str], Sequence[Any]], articles: list[Article], runs: int):
    with common.Stopwatch() as warm:
        fn("The minister said on Monday that the talks would continue.")  # made-up text: loads any model
    times = []
    preds: list[Sequence[Any]] = []
    for r in range(runs):
        start = time.perf_counter()
        out = [fn(a.text) for a in articles]
        times.append(time.perf_counter() - start)
        log(f"{name}: run {r + 1}/{runs} {times[-1]:.2f} s")
        if r == 0:
            preds = out
    return preds, times, warm.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="the PolNeAR folder (polnear_{train,dev}.jsonl.gz)")
    ap.add_argument("--split", choices=("dev", "train"), default="dev")
    ap.add_argument("--limit", type=int, default=0, help="the first N articles only (0: all)")
    ap.add_argument("--methods", default="baseline,rules,spacy",
                    help="comma-separated: baseline, rules, crf, spacy, spacy:COMBINATION")
    ap.add_argument("--tagger-model", type=Path, default=None,
                    help="the content tagger of the spacy method (default: the shipped one)")
    ap.add_argument("--token-tagger", type=Path, default=None,
                    help="the token tagger folder of the spacy method (default: the shipped one)")
    ap.add_argument("--dtype", choices=("float32", "bfloat16"), default=None,
                    help="the token tagger's weights when tagging (default: as its tagger.json says)")
    ap.add_argument("--reuse-tags", action="store_true",
                    help="tag each text once for all spacy:* methods (tuning; their speed then leaves tagging out)")
    ap.add_argument("--runs", type=int, default=1, help="timed runs per method (scores come from the first)")
    ap.add_argument("--errors", type=int, default=0, metavar="N",
                    help="print N sampled misses of each kind per method to stderr (local use only)")
    args = ap.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        fns = {m: load_method(m, args.tagger_model, args.token_tagger, args.dtype, args.reuse_tags) for m in methods}
    except (ValueError, ImportError) as exc:
        ap.error(str(exc))

    with common.Stopwatch() as load_sw:
        articles, skipped = load_split(args.data, args.split, args.limit)
    n_sent = sum(len(a.sentences) for a in articles)
    golds = [g for a in articles for g in a.golds]
    types = Counter(g.source_type or "none" for g in golds)
    unresolved = sum(g.source_type == "pronoun" and g.entity is None for g in golds)
    log(f"{args.split}: {len(articles)} articles, {len(golds)} attributions, {n_sent} sentences "
        f"({load_sw.seconds:.1f} s to load and split); sources {dict(types)}, {unresolved} pronouns unresolved")
    data: dict[str, Any] = {
        "split": args.split, "limit": args.limit or None, "runs": args.runs,
        "articles": len(articles), "characters": sum(len(a.text) for a in articles), "sentences": n_sent,
        "gold_attributions": len(golds), "skipped": skipped,
        "gold_content_types": dict(Counter(g.content_type for g in golds)),
        "gold_sources_by_type": {"named": types["named"], "pronoun": types["pronoun"],
                                 "pronoun_unresolved": unresolved, "description": types["description"],
                                 "none": types["none"]},
        "methods": {},
    }
    for name, fn in fns.items():
        preds, times, warm = run_method(name, fn, articles, args.runs)
        tally = Tally()
        for art, p in zip(articles, preds):
            score_article(art, p, tally)
        res = summarise(tally.counts)
        sec = median(times)
        res["speed"] = {"seconds_median": round(sec, 3), "seconds_runs": [round(x, 3) for x in times],
                        "sentences_per_second": round(n_sent / sec, 1) if sec else None,
                        "first_call_seconds": round(warm, 3)}
        data["methods"][name] = res
        if args.errors:
            print_errors(name, tally, args.errors)

    print_table(data)
    suffix = f"_limit{args.limit}" if args.limit else ""
    path = write_result(f"attribution_{args.split}{suffix}", data)
    log(f"wrote {path}")


def print_table(data: dict[str, Any]) -> None:
    def pct(x: float | None) -> str:
        return "   -" if x is None else f"{100 * x:5.1f}"

    print(f"\nPolNeAR {data['split']}: {data['articles']} articles, {data['gold_attributions']} gold attributions, "
          f"{data['sentences']} sentences; gold sources {data['gold_sources_by_type']}")
    head = (f"{'method':<22} {'cont P':>6} {'R':>5} {'F1':>5} | {'exact F1':>8} | {'src F1':>6} | {'cue':>5} | "
            f"{'spk':>5} {'named':>5} {'pron':>5} {'desc':>5} {'lenient':>7} | {'spk rec':>7} | {'sent/s':>7}")
    print(head)
    print("-" * len(head))
    for name, r in data["methods"].items():
        by = r["speaker_accuracy_by_type"]
        print(f"{name:<22} {pct(r['content']['precision']):>6} {pct(r['content']['recall']):>5} "
              f"{pct(r['content']['f1']):>5} | {pct(r['content_exact']['f1']):>8} | {pct(r['source']['f1']):>6} | "
              f"{pct(r['cue_accuracy']['accuracy']):>5} | {pct(r['speaker_accuracy']['accuracy']):>5} "
              f"{pct(by['named']['accuracy']):>5} {pct(by['pronoun']['accuracy']):>5} "
              f"{pct(by['description']['accuracy']):>5} {pct(r['speaker_accuracy_lenient']['accuracy']):>7} | "
              f"{pct(r['speaker_recall']['accuracy']):>7} | "
              f"{r['speed']['sentences_per_second']:>7}")


if __name__ == "__main__":
    main()
