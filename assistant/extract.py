"""Choosing the sentences that answer a question, and turning them into verbatim quotes."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from assistant.answer import Quote
from assistant.question import Question
from assistant.reported_speech import speaker_evidence
from assistant.retrieval import HybridRetriever, Passage
from assistant.speakers import ROLE_WORDS, name_tokens
from corpus.statement import Statement
from embeddings.lexical_index import tokenize

# Words of a question that say nothing about its topic.
QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "done", "is",
    "are", "was", "were", "be", "been", "has", "have", "had", "say", "said", "says", "tell", "told", "about",
    "the", "a", "an", "of", "in", "on", "to", "for", "and", "or", "that", "this", "it", "its", "any", "anything",
    "there", "much", "many", "can", "could", "would", "should", "will", "name", "kind", "type",
}
_CONTINUATION = re.compile(
    r"^\W*(?:he|she|they|it|this|these|those|such|that|the\s+(?:minister|president|official|ambassador|"
    r"spokesperson|spokesman|spokeswoman|secretary|statement|remarks?)|instead|moreover|furthermore|however|"
    r"but|also|in\s+(?:his|her|their)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ExtractionSettings:
    """Weights and limits of sentence selection (tuned on a SQuAD split: benchmarks/qa.py --tune)."""

    passages: int = 6  # retrieved chunks whose sentences are scored
    max_quotes: int = 3
    max_sentences: int = 2  # per quote
    dense_weight: float = 0.3
    lexical_weight: float = 0.2
    passage_weight: float = 0.5
    join_ratio: float = 0.8  # join a neighbour scoring at least this share of the best sentence
    keep_ratio: float = 0.75  # further quotes must score at least this share of the first
    abstain_below: float = 0.40  # topic match under which nothing counts as an answer (qa.py --calibrate)
    speaker_weight: float = 0.3
    encode_top: int = 8  # sentences without stored vectors encoded per question (0: all); see _score_dense
    stored_sentence_vectors: bool = True  # use the index's sentence vectors when it has them


@dataclass
class Candidate:
    """One sentence of a retrieved passage, with what it was scored on."""

    statement: Statement
    spans: list[tuple[int, int]]  # every sentence of the statement
    position: int  # this sentence's place in ``spans``
    passage_score: float
    dense: float = 0.0
    lexical: float = 0.0
    topic: float = 0.0
    speaker: float = 1.0
    score: float = 0.0
    vector: np.ndarray | None = None  # stored at index time (see embeddings.sentence_pooling), if any

    @property
    def span(self) -> tuple[int, int]:
        return self.spans[self.position]

    def sentence(self, position: int | None = None) -> str:
        a, b = self.spans[self.position if position is None else position]
        return self.statement.text[a:b]


SCORED_CHARS = 400  # a sentence is compared by its first ~80 tokens (the quote stays whole)


class SentenceVectors:
    """Embeddings of sentences, computed on first use and kept (LRU); safe across threads."""

    def __init__(self, encoder, capacity: int = 8192) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode_many(self, items: list[tuple[Statement, list[tuple[int, int]]]]) -> list[np.ndarray]:
        """One matrix of normalised vectors per (statement, spans) item; new sentences in one batch."""
        keys = [[(statement.id, a, b) for a, b in spans] for statement, spans in items]
        with self._lock:
            found = {key: self._cache[key] for group in keys for key in group if key in self._cache}
        todo = {
            key: statement.text[key[1] : min(key[2], key[1] + SCORED_CHARS)]
            for (statement, _), group in zip(items, keys)
            for key in group
            if key not in found
        }
        if todo:
            vectors = self.encoder.model.encode(
                list(todo.values()), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
            found.update(zip(todo, vectors))
        with self._lock:
            for key, vec in found.items():
                self._cache[key] = vec
                self._cache.move_to_end(key)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return [np.stack([found[key] for key in group]) for group in keys]


def question_texts(question: Question) -> list[str]:
    """What sentences are compared with: the question, and its topic when that differs."""
    return [question.text] + ([question.topic] if question.topic and question.topic != question.text else [])


class QuoteExtractor:
    """Scores the sentences of retrieved passages and builds the quotes of an answer."""

    def __init__(self, retriever: HybridRetriever, settings: ExtractionSettings = ExtractionSettings()) -> None:
        self.retriever = retriever
        self.settings = settings
        self.vectors = SentenceVectors(retriever.index.encoder)
        self._spans: OrderedDict[str, list[tuple[int, int]]] = OrderedDict()
        self._spans_lock = threading.Lock()

    # -- scoring ---------------------------------------------------------------------------
    def candidates(
        self,
        question: Question,
        passages: Sequence[Passage],
        reported_speaker: str = "",
        question_vectors: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Every sentence of the passages, scored against the question; best first.

        ``question_vectors``: embeddings of ``question_texts(question)``, if already computed.
        """
        if not passages:
            return []
        index = self.retriever.index
        statements = index.store.statements(sorted({p.statement_id for p in passages}))
        top = max(p.score for p in passages) or 1.0
        cands: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for p in passages:
            st = statements.get(p.statement_id)
            if st is None:
                continue
            spans = self._statement_spans(st)
            starts = {a: i for i, (a, _) in enumerate(spans)}
            stored = index.sentence_vectors_of(p.chunk_id) if self.settings.stored_sentence_vectors else None
            if stored is not None and len(stored) != len(p.sentences):
                stored = None  # never expected: the index stores one row per sentence of the chunk
            for j, (a, _) in enumerate(p.sentences):
                pos = starts.get(a)
                if pos is None or (st.id, pos) in seen:
                    continue
                seen.add((st.id, pos))
                vector = None if stored is None else np.asarray(stored[j], dtype=np.float32)
                cands.append(Candidate(st, spans, pos, max(p.score, 0.0) / top if top > 0 else 0.0, vector=vector))
        if not cands:
            return []
        self._score_lexical(question, cands, reported_speaker)
        if reported_speaker:
            texts_by_statement: dict[str, list[str]] = {}
            for c in cands:
                texts = texts_by_statement.setdefault(
                    c.statement.id, [c.statement.text[a:b] for a, b in c.spans]
                )
                c.speaker = speaker_evidence(texts, c.position, reported_speaker)
        self._score_dense(question, cands, question_vectors)
        s = self.settings
        for c in cands:
            c.score = s.dense_weight * c.dense + s.lexical_weight * c.lexical + s.passage_weight * c.passage_score
            if reported_speaker:
                c.score += s.speaker_weight * (c.speaker - 1.0)
        cands.sort(key=lambda c: -c.score)
        return cands

    def _statement_spans(self, statement: Statement) -> list[tuple[int, int]]:
        """Every sentence span of a statement (from its chunks), cached."""
        with self._spans_lock:
            spans = self._spans.get(statement.id)
        if spans is None:
            found: set[tuple[int, int]] = set()
            for _, chunk in self.retriever.index.store.chunks_of(statement.id):
                found.update(chunk.sentences)
            spans = sorted(found)
            with self._spans_lock:
                self._spans[statement.id] = spans
                while len(self._spans) > 2048:
                    self._spans.popitem(last=False)
        return spans

    def _score_dense(self, question: Question, cands: list[Candidate], qv: np.ndarray | None) -> None:
        """Dense similarity of sentences to the question and to its topic.

        Sentences with vectors stored at index time are all compared. Others (an index built
        with a model that does not mean-pool) are encoded now, and only the ``encode_top`` most
        promising of them by the cheap scores (words, passage, speaker); their vectors may come
        from the cache, but which ones are compared never depends on it, so an answer does not
        depend on earlier questions. Sentences not compared get the lowest similarity seen.
        """
        s = self.settings
        if qv is None:
            qv = self.retriever.index.encoder.model.encode(
                question_texts(question), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        stored = [i for i, c in enumerate(cands) if c.vector is not None]
        if stored:
            sims = np.stack([cands[i].vector for i in stored]) @ qv.T  # (sentences, 1 or 2)
            for i, row in zip(stored, sims):
                cands[i].dense, cands[i].topic = float(row[0]), float(row[-1])
        unstored = [i for i, c in enumerate(cands) if c.vector is None]
        cheap = {i: s.lexical_weight * cands[i].lexical + s.passage_weight * cands[i].passage_score
                 + s.speaker_weight * cands[i].speaker for i in unstored}
        unstored.sort(key=lambda i: -cheap[i])
        encoded = unstored[: s.encode_top] if s.encode_top > 0 else unstored
        groups: dict[str, list[int]] = {}
        for i in sorted(encoded):
            groups.setdefault(cands[i].statement.id, []).append(i)
        items = [(cands[ids[0]].statement, [cands[i].span for i in ids]) for ids in groups.values()]
        for ids, vecs in zip(groups.values(), self.vectors.encode_many(items)):
            for i, row in zip(ids, vecs @ qv.T):
                cands[i].dense, cands[i].topic = float(row[0]), float(row[-1])
        compared = stored + encoded
        floor_dense = min(cands[i].dense for i in compared)
        floor_topic = min(cands[i].topic for i in compared)
        for i in unstored[len(encoded):]:
            cands[i].dense, cands[i].topic = floor_dense, floor_topic

    def _score_lexical(self, question: Question, cands: list[Candidate], speaker: str) -> None:
        lexical = self.retriever.index.lexical
        skip = QUESTION_WORDS | set(tokenize([speaker])[0] if speaker else [])
        terms = [t for t in dict.fromkeys(tokenize([question.topic or question.text])[0]) if t not in skip]
        if not terms:
            return
        idf = lexical.idf(terms)
        idf = np.where(idf > 0, idf, lexical.max_idf)  # a word the index never saw is rare, not noise
        total = float(idf.sum())
        sentence_terms = tokenize([c.sentence() for c in cands])
        for c, tokens in zip(cands, sentence_terms):
            present = set(tokens)
            c.lexical = float(sum(w for t, w in zip(terms, idf) if t in present)) / total

    # -- quotes ----------------------------------------------------------------------------
    def topic_match(self, cand: Candidate, cands_by_key: dict[tuple[str, int], Candidate]) -> float:
        """How well the sentence or its neighbours match the topic, by words or meaning."""
        best = max(cand.topic, cand.lexical)
        for pos in (cand.position - 1, cand.position + 1):
            other = cands_by_key.get((cand.statement.id, pos))
            if other is not None:
                best = max(best, 0.9 * max(other.topic, other.lexical))
        return best

    def quotes(
        self,
        cands: list[Candidate],
        exclude: Sequence[tuple[str, int, int]] = (),
        reported_speaker: str = "",
        require_topic: bool = True,
    ) -> list[Quote]:
        """Up to ``max_quotes`` non-overlapping quotes of whole sentences, best first.

        ``exclude``: (statement id, start, end) ranges already quoted, never quoted again.
        """
        s = self.settings
        by_key = {(c.statement.id, c.position): c for c in cands}
        used: set[tuple[str, int]] = {
            (c.statement.id, c.position)
            for c in cands
            for sid, a, b in exclude
            if sid == c.statement.id and c.span[0] < b and a < c.span[1]
        }
        out: list[Quote] = []
        texts: list[set[str]] = []
        first_score = None
        for c in cands:
            if len(out) >= s.max_quotes:
                break
            key = (c.statement.id, c.position)
            if key in used or (reported_speaker and c.speaker <= 0):
                continue
            if first_score is not None and c.score < s.keep_ratio * first_score:
                break
            if require_topic and self.topic_match(c, by_key) < s.abstain_below:
                continue
            lo, hi = self._extend(c, by_key, used, reported_speaker)
            quote = self._quote(c, lo, hi, reported_speaker)
            words = set(quote.text.lower().split())
            if any(len(words & t) / max(1, len(words | t)) > 0.8 for t in texts):
                continue  # a near-duplicate of a quote already chosen
            used.update((c.statement.id, p) for p in range(lo, hi + 1))
            texts.append(words)
            out.append(quote)
            first_score = first_score if first_score is not None else c.score
        return out

    def _extend(
        self, c: Candidate, by_key: dict[tuple[str, int], Candidate], used: set[tuple[str, int]], speaker: str
    ) -> tuple[int, int]:
        """Join a neighbouring sentence that continues the thought or also answers."""
        s = self.settings
        if s.max_sentences < 2:
            return c.position, c.position
        options = []
        nxt = c.position + 1
        if nxt < len(c.spans) and (c.statement.id, nxt) not in used and _same_paragraph(c, c.position, nxt):
            other = by_key.get((c.statement.id, nxt))
            continues = bool(_CONTINUATION.match(c.sentence(nxt))) or (
                speaker and other is not None and other.speaker > 0 and _mentions(c.sentence(nxt), speaker)
            )
            if continues or (other is not None and other.score >= s.join_ratio * c.score):
                options.append((other.score if other else 0.0, c.position, nxt))
        prv = c.position - 1
        if prv >= 0 and (c.statement.id, prv) not in used and _same_paragraph(c, prv, c.position):
            other = by_key.get((c.statement.id, prv))
            if _CONTINUATION.match(c.sentence()) and not speaker or (other is not None and other.score >= s.join_ratio * c.score):
                options.append((other.score if other else 0.0, prv, c.position))
        if not options:
            return c.position, c.position
        _, lo, hi = max(options)
        return lo, hi

    def _quote(self, c: Candidate, lo: int, hi: int, reported_speaker: str) -> Quote:
        st = c.statement
        start, end = c.spans[lo][0], c.spans[hi][1]
        before = c.sentence(lo - 1) if lo > 0 else ""
        after = c.sentence(hi + 1) if hi + 1 < len(c.spans) else ""
        return Quote(
            text=st.text[start:end], statement_id=st.id, start=start, end=end, context_before=before,
            context_after=after, speaker=st.speaker, source=st.source, date=st.date, title=st.title, url=st.url,
            page=st.page_at(start), score=round(c.score, 4),
            reported_speaker=full_name(st.text, reported_speaker) if reported_speaker and not st.speaker else "",
            path=st.path,
        )


def _same_paragraph(c: Candidate, a: int, b: int) -> bool:
    return "\n\n" not in c.statement.text[c.spans[a][1] : c.spans[b][0]]


def _mentions(sentence: str, speaker: str) -> bool:
    surname = speaker.split()[-1].lower() if speaker.split() else ""
    return bool(surname) and surname in sentence.lower()


def full_name(text: str, speaker: str) -> str:
    """The fullest form of a speaker's name the statement uses ("Lavrov" → "Sergei Lavrov")."""
    words = speaker.split()
    if not words:
        return speaker
    surname = re.escape(words[-1])
    best = speaker
    for m in re.finditer(rf"((?:[A-Z][\w’'\-]+\s+){{1,2}}){surname}\b", text):
        candidate = (m.group(1) + words[-1]).strip()
        # stop at role words: "Foreign Minister Sergei Lavrov" → "Sergei Lavrov"
        parts = candidate.split()
        while len(parts) > 1 and any(w in ROLE_WORDS for w in name_tokens(" ".join(parts[:-1]))):
            parts = parts[1:]
        candidate = " ".join(parts)
        if len(candidate) > len(best):
            best = candidate
    return best
