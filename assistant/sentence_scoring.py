"""Scoring the sentences of retrieved passages against a question: meaning, words, passage, speaker."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.reading.frame import QuestionFrame
from assistant.reading.times import is_time_word
from assistant.reported_speech import speaker_evidence
from assistant.retrieval import Passage
from assistant.sentence_speakers import DescribedSpeaker, Speaker, SpeakerQuery, attributions_in, phrase_of
from assistant.settings import ExtractionSettings
from corpus.attribution import Attribution
from corpus.context import context_of
from corpus.markdown import is_heading
from corpus.statement import Statement
from embeddings.backend.interface import SearchIndex
from embeddings.backend.terms import tokenize
from embeddings.encoding.encoder import Encoder

Span = tuple[int, int]

# Words of a question that say nothing about its topic.
QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "done", "is",
    "are", "was", "were", "be", "been", "has", "have", "had", "say", "said", "says", "tell", "told", "about",
    "the", "a", "an", "of", "in", "on", "to", "for", "and", "or", "that", "this", "it", "its", "any", "anything",
    "there", "much", "many", "can", "could", "would", "should", "will", "name", "kind", "type",
}
NAME_PREFIX = 5  # a word sharing this many first letters with a name of the topic writes that name
SCORED_CHARS = 400  # a sentence encoded at question time is compared by its first ~80 tokens


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a retrieved passage, with the scores it was ranked by.

    ``spans`` are every sentence of the statement and ``position`` is this one's place in them,
    so that quotes can join neighbours. All scores are in [0, 1] except ``score``, the weighted sum.
    """

    statement: Statement
    spans: tuple[Span, ...]
    position: int
    passage_score: float  # the passage's retrieval score, relative to the best passage
    lexical_score: float  # share of the topic's words (IDF-weighted) in the sentence
    speaker_score: float  # evidence that the asked-about speaker says it (1.0 when no speaker is asked about)
    dense_score: float  # similarity to the question
    topic_score: float  # similarity to the topic (the question again when it has no separate topic)
    score: float
    attributions: tuple[Attribution, ...] = ()  # who said what in the statement (found at index time)
    context_score: float = 0.0  # share of the topic's words (IDF-weighted) in the statement's context (a question…)
    names_found: bool = True  # it writes a name the topic gives ("Paris"), or its statement all of them, or none given

    @property
    def key(self) -> tuple[str, int]:
        """(statement id, position): identifies the sentence within one answer."""
        return self.statement.id, self.position

    @property
    def span(self) -> Span:
        return self.spans[self.position]

    def sentence(self, position: int | None = None) -> str:
        """The text of this sentence, or of another sentence of the same statement."""
        a, b = self.spans[self.position if position is None else position]
        return self.statement.text[a:b]


def question_texts(frame: QuestionFrame) -> list[str]:
    """What sentences are compared with: the question, and its topic when that differs."""
    return [frame.text] + ([frame.topic] if frame.topic and frame.topic != frame.text else [])


def topic_names(topic: str, question: str = "", speaker: str = "") -> tuple[str, ...]:
    """The names a topic gives, as word stems ("the weather in Paris" → ("pari",)): its capitalised words (not
    the question's first, nor a month or a weekday), other than acronyms ("UN", "COVID-19", often written out)
    and the speaker's words."""
    words = re.findall(r"[^\W\d_][\w'’-]*", topic)
    first = re.match(r"\W*([\w'’-]+)", question)
    spoken = set(tokenize([speaker])[0]) if speaker else set()
    names = [w for w in words if w[0].isupper() and not w.isupper() and w.lower() not in QUESTION_WORDS
             and not is_time_word(w) and not (
        first and first.start(1) == question.find(w) and first.group(1) == w)]
    stems = [t for t in tokenize([" ".join(names)])[0] if t not in spoken] if names else []
    return tuple(dict.fromkeys(stems))


def writes_any(text: str, names: Sequence[str]) -> bool:
    """Whether ``text`` writes one of the name stems ``names``, or, for a longer name, a word sharing its first
    five letters ("Ukrainian" for "Ukraine"; "Grand" is not "grandchildren")."""
    tokens = tokenize([text])[0]
    return any(_writes(tokens, n) for n in names)


def writes_all(statement: Statement, names: Sequence[str]) -> bool:
    """Whether the statement (its text, title or a metadata value) writes every one of the name stems ``names``."""
    values = [v for v in statement.metadata.values() if isinstance(v, str)]
    found = set(tokenize([" ".join([statement.title or "", *values, statement.text])])[0])
    return all(_writes(found, n) for n in names)


def _writes(tokens: Collection[str], name: str) -> bool:
    """Whether the word stems ``tokens`` hold ``name``, or for a longer name a word with its first five letters."""
    return name in tokens or (len(name) > NAME_PREFIX and any(t[:NAME_PREFIX] == name[:NAME_PREFIX] for t in tokens))


def _names_found(slots: Sequence[_Slot], names: Sequence[str]) -> list[bool]:
    """Per sentence: whether it writes one of the topic's ``names``, or its statement writes them all (a rally's
    town is in the report's first lines, not in the sentence quoted from it)."""
    if not names:
        return [True] * len(slots)
    whole: dict[str, bool] = {}
    out = []
    for slot in slots:
        sid = slot.statement.id
        if writes_any(slot.sentence, names):
            out.append(True)
            continue
        if sid not in whole:
            whole[sid] = writes_all(slot.statement, names)
        out.append(whole[sid])
    return out


class EncodedSentenceCache:
    """Vectors of sentences encoded at question time (indexes without stored sentence vectors); LRU, thread-safe."""

    def __init__(self, encoder: Encoder, capacity: int = 8192) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def encode_many(self, items: list[tuple[Statement, list[Span]]]) -> list[np.ndarray]:
        """One matrix of normalised vectors per (statement, spans) item; new sentences in one batch."""
        keys = [[(statement.id, a, b) for a, b in spans] for statement, spans in items]
        with self._lock:
            found = {key: self._cache[key] for group in keys for key in group if key in self._cache}
        todo = {
            key: statement.text[key[1] : min(key[2], key[1] + SCORED_CHARS)]
            for (statement, _), group in zip(items, keys, strict=True)
            for key in group
            if key not in found
        }
        if todo:
            found.update(zip(todo, self.encoder.encode_texts(list(todo.values()), batch_size=64), strict=True))
        with self._lock:
            for key, vec in found.items():
                self._cache[key] = vec
                self._cache.move_to_end(key)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return [np.stack([found[key] for key in group]) for group in keys]


@dataclass(frozen=True)
class _Slot:
    """A sentence found in a passage, before scoring."""

    statement: Statement
    spans: tuple[Span, ...]
    position: int
    passage_score: float
    vector: np.ndarray | None  # stored at index time (see embeddings.encoding.sentence_pooling), if any
    attributions: tuple[Attribution, ...] = ()

    @property
    def sentence(self) -> str:
        return self.statement.text[slice(*self.spans[self.position])]


class SentenceScorer:
    """Ranks every sentence of the retrieved passages for a question, over one opened index."""

    def __init__(self, index: SearchIndex, settings: ExtractionSettings = ExtractionSettings()) -> None:
        self.index = index
        self.settings = settings
        self.encoded = EncodedSentenceCache(index.encoder)

    def score(
        self,
        frame: QuestionFrame,
        passages: Sequence[Passage],
        question_vectors: np.ndarray,
        speaker: Speaker = "",
        exclude_speaker: Speaker = "",
    ) -> list[ScoredSentence]:
        """Every quotable sentence of ``passages``, scored against the question; best first (Markdown
        headings and rules are left out: ``corpus.markdown.is_heading``).

        ``question_vectors``: embeddings of ``question_texts(frame)``. ``speaker``: the speaker a
        question asks about, as a ``SpeakerQuery`` (an index with attributions: sentences credited
        to them) or as a name (older indexes: a name in no statement's metadata, looked for near a
        speech verb); their sentences rank higher (``speaker_score``). ``exclude_speaker``:
        sentences with any evidence of this speaker's words are left out ("did anyone else say that?").
        """
        slots = self._slots(passages)
        if not slots:
            return []
        s = self.settings
        lexical, context = self._lexical_scores(frame, slots, phrase_of(speaker))
        names = topic_names(frame.topic, frame.text, phrase_of(speaker))
        named = _names_found(slots, names)
        speakers = _speaker_scores(slots, speaker) if speaker else [1.0] * len(slots)
        dense, topic = self._dense_scores(slots, question_vectors, lexical, speakers)
        sentences = []
        for i, slot in enumerate(slots):
            score = (s.dense_weight * dense[i] + s.topic_weight * topic[i] + s.lexical_weight * lexical[i]
                     + s.passage_weight * slot.passage_score)
            if s.quoted_weight and _quoted(slot):
                score += s.quoted_weight
            if speaker:
                score += s.speaker_weight * (speakers[i] - 1.0)
            sentences.append(
                ScoredSentence(
                    slot.statement, slot.spans, slot.position, slot.passage_score, lexical[i], speakers[i],
                    dense[i], topic[i], score, slot.attributions, context[i], named[i],
                )
            )
        sentences.sort(key=lambda c: -c.score)
        if exclude_speaker:
            excluded = _speaker_scores(sentences, exclude_speaker)
            sentences = [c for c, evidence in zip(sentences, excluded, strict=True) if evidence == 0]
        return sentences

    def _slots(self, passages: Sequence[Passage]) -> list[_Slot]:
        if not passages:
            return []
        top = max(p.score for p in passages) or 1.0
        slots: list[_Slot] = []
        seen: set[tuple[str, int]] = set()
        for p in passages:
            st = p.statement
            spans = self.index.sentence_spans(st.id)
            starts = {a: i for i, (a, _) in enumerate(spans)}
            stored = self.index.sentence_vectors_of(p.chunk_id) if self.settings.stored_sentence_vectors else None
            if stored is not None and len(stored) != len(p.sentences):
                stored = None  # never expected: the index stores one row per sentence of the chunk
            passage_score = max(p.score, 0.0) / top if top > 0 else 0.0
            for j, (a, _) in enumerate(p.sentences):
                pos = starts.get(a)
                if pos is None or (st.id, pos) in seen or is_heading(st.text, a, st.title):  # nobody's words
                    continue
                seen.add((st.id, pos))
                vector = None if stored is None else np.asarray(stored[j], dtype=np.float32)
                slots.append(_Slot(st, spans, pos, passage_score, vector, p.attributions))
        return slots

    def _lexical_scores(
        self, frame: QuestionFrame, slots: Sequence[_Slot], speaker: str
    ) -> tuple[list[float], list[float]]:
        """IDF-weighted share of the topic's words that each sentence contains, and that its statement's
        context (``corpus.context``: a journalist's question, a title) contains."""
        lexical = self.index.lexical
        skip = QUESTION_WORDS | set(tokenize([speaker])[0] if speaker else [])
        terms = [t for t in dict.fromkeys(tokenize([frame.lexical_topic or frame.text])[0]) if t not in skip]
        if not terms:
            return [0.0] * len(slots), [0.0] * len(slots)
        idf = lexical.idf(terms)
        idf = np.where(idf > 0, idf, lexical.max_idf)  # a word the index never saw is rare, not noise
        total = float(idf.sum())

        def share(tokens: Sequence[str]) -> float:
            present = set(tokens)
            return float(sum(w for t, w in zip(terms, idf, strict=True) if t in present)) / total

        texts = [slot.statement.text[slice(*slot.spans[slot.position])] for slot in slots]
        fields = self.index.manifest.context_fields
        contexts: dict[str, float] = {}
        for slot in slots:
            if fields and slot.statement.id not in contexts:
                contexts[slot.statement.id] = share(tokenize([context_of(slot.statement, fields)])[0])
        return [share(tokens) for tokens in tokenize(texts)], [contexts.get(slot.statement.id, 0.0) for slot in slots]

    def _dense_scores(
        self, slots: Sequence[_Slot], qv: np.ndarray, lexical: Sequence[float], speakers: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """Similarity of each sentence to the question (first row of ``qv``) and to its topic (last row).

        Sentences with vectors stored at index time are all compared. Others (an index built
        with a model that does not mean-pool) are encoded now, and only the ``encode_top`` most
        promising of them by the cheap scores (words, passage, speaker); their vectors may come
        from the cache, but which ones are compared never depends on it, so an answer does not
        depend on earlier questions. Sentences not compared get the lowest similarity seen.
        """
        s = self.settings
        dense = [0.0] * len(slots)
        topic = [0.0] * len(slots)
        vectors = {i: slot.vector for i, slot in enumerate(slots) if slot.vector is not None}
        stored = list(vectors)
        if stored:
            sims = np.stack(list(vectors.values())) @ qv.T  # (sentences, 1 or 2)
            for i, row in zip(stored, sims, strict=True):
                dense[i], topic[i] = float(row[0]), float(row[-1])
        unstored = [i for i, slot in enumerate(slots) if slot.vector is None]
        cheap = {
            i: s.lexical_weight * lexical[i] + s.passage_weight * slots[i].passage_score
            + s.speaker_weight * speakers[i]
            for i in unstored
        }
        unstored.sort(key=lambda i: -cheap[i])
        encoded = unstored[: s.encode_top] if s.encode_top > 0 else unstored
        groups: dict[str, list[int]] = {}
        for i in sorted(encoded):
            groups.setdefault(slots[i].statement.id, []).append(i)
        items = [(slots[ids[0]].statement, [slots[i].spans[slots[i].position] for i in ids]) for ids in groups.values()]
        for ids, vecs in zip(groups.values(), self.encoded.encode_many(items), strict=True):
            for i, row in zip(ids, vecs @ qv.T, strict=True):
                dense[i], topic[i] = float(row[0]), float(row[-1])
        compared = stored + encoded
        floor_dense = min(dense[i] for i in compared)
        floor_topic = min(topic[i] for i in compared)
        for i in unstored[len(encoded) :]:
            dense[i], topic[i] = floor_dense, floor_topic
        return dense, topic


def _quoted(slot: _Slot) -> bool:
    """Whether the sentence holds words someone is credited with in quote marks."""
    return any(a.kind == "direct" for a in attributions_in(slot.spans[slot.position], slot.attributions))


def _speaker_scores(sentences: Sequence[_Slot | ScoredSentence], speaker: Speaker) -> list[float]:
    """How surely each sentence is the speaker's words: from attributions, or ``speaker_evidence`` (older indexes)."""
    if isinstance(speaker, SpeakerQuery):
        found = [speaker.evidence(c.statement, c.spans[c.position], c.attributions) for c in sentences]
        if not isinstance(speaker, DescribedSpeaker) or any(found):
            return found
        speaker = speaker.phrase  # no statement describes its speaker so: near a verb of saying, as written
    texts_by_statement: dict[str, list[str]] = {}
    scores = []
    for c in sentences:
        texts = texts_by_statement.get(c.statement.id)
        if texts is None:
            texts = texts_by_statement[c.statement.id] = [c.statement.text[a:b] for a, b in c.spans]
        scores.append(speaker_evidence(texts, c.position, speaker))
    return scores

