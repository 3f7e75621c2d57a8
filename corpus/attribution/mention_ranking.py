"""Who "he", "she" or "they" is: the named people and bodies before a pronoun source, ranked by a learned score.

``candidates(doc, mention, at)`` lists the entities (people, organisations, countries, groups) named before the
pronoun ``mention`` whose cue is at character ``at``, one per name (its latest mention), each with its features:
how far back it is (sentences, and rank among the names of its kind), whether the pronoun fits it (a person for
"he"/"she", a body or a group for "they"/"it"), whether it was the subject of a verb of saying or the speaker of
the attribution before (a recent source), the subject of its clause, how often the text names it, whether it is
the article's first person, and whether "he" or "she" fits the pronouns the text uses after naming it.
``MentionRanker`` scores them with a logistic model trained on PolNeAR train by
``benchmarks/train_mention_ranker.py`` (its weights ship in ``corpus/models/mention_ranker.json``, a few KB) and
picks the best. ``mention_ranker()`` is None without that file.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.attribution.lexicon import CUE_VERBS, NEWS_CLAUSE_CUES

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

MODEL_PATH = Path(__file__).parents[1] / "models" / "mention_ranker.json"
KINDS = ("PERSON", "ORG", "GPE", "NORP")
LOOK_BACK = 6  # sentences before the pronoun's in which candidates are looked for
_SAYING = CUE_VERBS | NEWS_CLAUSE_CUES
_MALE = frozenset({"he", "him", "his", "himself"})
_FEMALE = frozenset({"she", "her", "hers", "herself"})
_PRONOUN_CLASS = {"he": "person", "him": "person", "his": "person", "she": "person", "her": "person",
                  "they": "group", "them": "group", "their": "group", "it": "thing", "its": "thing"}


@dataclass(frozen=True)
class Candidate:
    """One name a pronoun may stand for, with the features the ranker scores."""

    name: str  # the entity's text as written at its latest mention before the pronoun
    kind: str  # its entity label (PERSON, ORG, GPE, NORP)
    features: Mapping[str, float]


def pronoun_class(word: str) -> str:
    """"person" (he, she), "group" (they) or "thing" (it); "" for any other word."""
    return _PRONOUN_CLASS.get(word.lower(), "")


def candidates(doc: Doc, mention: Span, at: int, previous: str = "") -> list[Candidate]:
    """The named entities before ``mention`` (within ``LOOK_BACK`` sentences), the latest mention of each name,
    with their features (see the module docstring); ``previous``: the speaker of the attribution before, if any."""
    cls = pronoun_class(mention.root.text)
    sentences = list(doc.sents)
    here = next((k for k, s in enumerate(sentences) if s.start <= mention.start < s.end), 0)
    first_sentence = sentences[max(0, here - LOOK_BACK)].start
    before = [e for e in doc.ents if e.label_ in KINDS and e.end <= mention.start and e.start >= first_sentence
              and not (e.start <= mention.root.i < e.end)]
    counts: dict[str, int] = {}
    for e in doc.ents:
        if e.label_ in KINDS and e.end <= mention.start:
            counts[_key(e.text)] = counts.get(_key(e.text), 0) + 1
    people = [e for e in doc.ents if e.label_ == "PERSON"]
    first_person = _key(people[0].text) if people else ""
    latest: dict[str, Span] = {}
    for e in before:
        latest[_key(e.text)] = e
    by_recency = sorted(latest.values(), key=lambda e: -e.start)
    rank_of_kind: dict[str, int] = {}
    said = _saying_subjects(doc, mention.start)
    genders = _gender_votes(doc, mention.start)
    wanted = "m" if mention.root.lower_ in _MALE else "f" if mention.root.lower_ in _FEMALE else ""
    out: list[Candidate] = []
    for e in by_recency:
        kind_rank = rank_of_kind.get(e.label_, 0)
        rank_of_kind[e.label_] = kind_rank + 1
        where = next((k for k, s in enumerate(sentences) if s.start <= e.start < s.end), here)
        f: dict[str, float] = {
            f"sent_back={min(here - where, 4)}": 1.0,
            f"kind_rank={min(kind_rank, 2)}": 1.0,
            f"recency={min(len(out), 3)}": 1.0,
            f"fit={cls}:{e.label_}": 1.0,
            "log_tokens_back": math.log1p(mention.start - e.end),
            f"mentions={min(counts.get(_key(e.text), 1), 3)}": 1.0,
        }
        if e.root.dep_ in ("nsubj", "nsubjpass"):
            f["subject"] = 1.0
        if e.root.dep_ == "poss" or any(t.tag_ == "POS" for t in e):
            f["possessor"] = 1.0
        if e.root.i in said:
            f["said"] = 1.0
            if said[e.root.i] == max(said.values()):
                f["latest_sayer"] = 1.0
        if _key(e.text) == first_person:
            f["first_person_of_article"] = 1.0
        if previous and _key(e.text) == _key(previous):
            f["previous_source"] = 1.0
        votes = genders.get(_key(e.text))
        if wanted and votes and votes["m"] != votes["f"]:
            f["gender_agrees" if (votes["m"] > votes["f"]) == (wanted == "m") else "gender_clashes"] = 1.0
        out.append(Candidate(e.text, e.label_, f))
    return out


@dataclass(frozen=True)
class MentionRanker:
    """A logistic score over candidate features; the best candidate, and how sure the score is."""

    weights: Mapping[str, float]
    bias: float = 0.0

    def score(self, candidate: Candidate) -> float:
        """The probability the model gives that ``candidate`` is the one meant."""
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in candidate.features.items())
        return 1.0 / (1.0 + math.exp(-z))

    def best(self, found: Sequence[Candidate]) -> tuple[Candidate | None, float]:
        """The highest-scoring candidate (None when there are none) and its probability; a candidate whose gender
        clashes with the pronoun's is taken only when every candidate's does."""
        agreeing = [c for c in found if "gender_clashes" not in c.features]  # "she" is never a man the text calls "he"
        found = agreeing or found
        if not found:
            return None, 0.0
        scored = max(((self.score(c), c) for c in found), key=lambda pair: pair[0])
        return scored[1], scored[0]


@lru_cache(maxsize=1)
def mention_ranker() -> MentionRanker | None:
    """The shipped ranker, or None when its file is missing."""
    if not MODEL_PATH.exists():
        return None
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return MentionRanker({str(k): float(v) for k, v in data["weights"].items()}, float(data["bias"]))


def _key(text: str) -> str:
    """A name's identity across mentions: its last word, lower case ("Ilya Brannock" and "Brannock" are one)."""
    words = text.replace("’s", "").replace("'s", "").split()
    return words[-1].lower() if words else ""


def _gender_votes(doc: Doc, before: int) -> dict[str, dict[str, int]]:
    """Per person named before token ``before``: how often the next "he"/"his" or "she"/"her" after a mention of
    them (in that sentence or the next, with no other person named between) is male or female."""
    votes: dict[str, dict[str, int]] = {}
    people = [e for e in doc.ents if e.label_ == "PERSON" and e.end <= before]
    for k, e in enumerate(people):
        stop = min(before, people[k + 1].start if k + 1 < len(people) else len(doc), e.sent.end + 40)
        for t in doc[e.end : stop]:
            word = t.lower_
            if word in _MALE or word in _FEMALE:
                tally = votes.setdefault(_key(e.text), {"m": 0, "f": 0})
                tally["m" if word in _MALE else "f"] += 1
                break
    return votes


def _saying_subjects(doc: Doc, before: int) -> dict[int, int]:
    """Token index of each subject of a verb of saying before token ``before`` → that verb's token index."""
    out: dict[int, int] = {}
    for t in doc[:before]:
        if t.dep_ in ("nsubj", "nsubjpass") and t.head.lemma_.lower() in _SAYING and t.head.i < before:
            out[t.i] = t.head.i
    return out
