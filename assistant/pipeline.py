"""From a question (and the conversation so far) to an Answer of verbatim, attributed quotes.

question → frame (``reading.read_question``) → retrieval (``retrieval``: passages carrying their statement)
→ sentences scored (``sentence_scoring``) → quotes built (``quote_building``) → ``Answer``. A time or speaker
that leaves nothing to quote is relaxed (``relaxations``) and the answer says so.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer import Answer, Quote
from assistant.citation import split_honorifics
from assistant.quote_building import QuoteBuilder
from assistant.reading import NearestIntent, QuestionFrame, Vocabulary, read_question
from assistant.retrieval import HybridRetriever, Passage
from assistant.sentence_scoring import ScoredSentence, SentenceScorer, question_texts
from assistant.sentence_speakers import (
    ORGANISATION_WORDS,
    DescribedSpeaker,
    Speaker,
    SpeakerQuery,
    described_speaker,
)
from assistant.settings import ExtractionSettings
from assistant.speakers import SpeakerDirectory, SpeakerMatch, typo_corrected
from embeddings.backend.terms import tokenize

HistoryItem = Answer | QuestionFrame | str
ANSWER_PASSAGES = 6  # retrieved passages whose sentences are scored for an answer
WIDE_DEPTH = 5  # quoted words, "who spoke about…" and timelines look in this many times more passages
WHO_SPOKE_SHOWN = 5  # speakers quoted for "who spoke about…?"
TIMELINE_SHOWN = 12  # dated statements quoted for a timeline


@dataclass(frozen=True)
class Scored:
    """Scored sentences for one reading of a question, the speaker they were checked against, and the vectors
    of the search text, the question and its topic."""

    sentences: list[ScoredSentence]
    speaker: Speaker
    vectors: np.ndarray


class AnswerPipeline:
    """Answers questions over one opened index generation."""

    def __init__(
        self,
        retriever: HybridRetriever,
        settings: ExtractionSettings = ExtractionSettings(),
        passages: int = ANSWER_PASSAGES,
        aliases: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.retriever = retriever
        self.settings = settings
        self.passages = passages
        index = retriever.index
        self.scorer = SentenceScorer(index, settings)
        self.builder = QuoteBuilder(settings, index.manifest.context_fields)
        self.attributed = index.has_attributions  # who said each sentence is known (corpus.attribution)
        found = index.store.attributed_speakers() if self.attributed else []
        self.speakers = SpeakerDirectory(index.store.headers(), found, aliases)
        self.has_dates = index.store.has_dates()
        self.date_range = index.store.date_range()
        self.vocabulary = Vocabulary(self.speakers, index.lexical, *self.date_range)
        self.nearest = NearestIntent(index.encoder.encode_texts)

    def frame(self, question: str, history: Sequence[HistoryItem] = ()) -> QuestionFrame:
        """What the question asks, with what a follow-up leaves out filled in from the conversation."""
        frames: list[QuestionFrame] = []
        answered: tuple[str, ...] = ()  # the statements the last answer quoted
        for item in history:
            if isinstance(item, Answer) and item.frame is not None:
                frames.append(item.frame)
                answered = tuple(dict.fromkeys(q.statement_id for q in item.quotes)) or answered
            elif isinstance(item, QuestionFrame):
                frames.append(item)
            elif isinstance(item, str) and item.strip():
                frames.append(read_question(item, frames, self.vocabulary, nearest=self.nearest))
        return read_question(question, frames, self.vocabulary, answered, self.nearest)

    def answer(
        self,
        question: str,
        history: Sequence[HistoryItem] = (),
        filters: Mapping[str, object] | None = None,
    ) -> Answer:
        """Quotes that answer ``question``; ``abstained`` when nothing relevant enough exists.

        A statement time or a speaker that leaves nothing to quote is relaxed, one step at a time (a day to its
        month, a month to its year, a year to any time; a role to its country; a person to whom they speak
        for), and the answer says what it relaxed."""
        frame = self.frame(question, history)
        if not (frame.topic or frame.speaker):
            return Answer(question, (), True, "Please ask about a person, an organisation or a topic.", frame)
        if frame.unknown:
            return Answer(question, (), True, f"No statement mentions {frame.unknown}.", frame)
        if frame.unheld:
            held = self._held_years()
            return Answer(question, (), True, f"The statements are from {held}; none is from {frame.unheld}.", frame)
        answer = self._answer(question, frame, history, filters)
        if not answer.abstained:
            return answer
        for relaxed, note in self._relaxations(frame):
            tried = self._answer(question, relaxed, history, filters)
            if not tried.abstained:
                return replace(tried, message=f"{note} {tried.message}")
        return answer

    def _answer(
        self, question: str, frame: QuestionFrame, history: Sequence[HistoryItem], filters: Mapping[str, object] | None
    ) -> Answer:
        """The answer to one reading of the question, no constraint relaxed."""
        scored = self.scored(frame, filters)
        sentences, speaker, vectors = scored.sentences, scored.speaker, scored.vectors
        named = self._as_linked(frame)  # what messages call the speaker
        if frame.phrase:
            found = self.builder.containing(frame.phrase, sentences, speaker)
            if found:
                return Answer(question, found, False, _phrase_message(named, found), frame)
        if frame.kind in ("who", "timeline", "others"):
            grouped = self._grouped(frame, sentences, speaker, named)
            if grouped is not None:
                return grouped
        shown = _quoted_ranges(history) if frame.kind == "more" else []
        selection = self.builder.select(sentences, shown, speaker, require_topic=bool(frame.topic))
        if selection.quotes:
            quotes = selection.quotes
            if frame.kind == "timeline":  # fewer dated statements than a timeline needs: still in date order
                quotes = tuple(sorted(quotes, key=lambda q: q.date))
            return Answer(question, quotes, False, _found_message(named, quotes), frame)
        message = _abstain_message(named)
        if frame.speaker and frame.topic and not frame.exclude_speaker:
            others = self._others_on_topic(frame, filters, vectors)
            if others:
                when = _spoken_when(frame)
                counted = "at least 1 statement by others does" if others == 1 else (
                    f"at least {others} statements by others do")
                message = (f"No statement by {named.speaker} on {frame.topic}{when}; {counted} — ask “Who spoke "
                           f"about {frame.topic}?”")
        return Answer(question, (), True, message, frame, selection.closest)

    def scored(self, frame: QuestionFrame, filters: Mapping[str, object] | None = None) -> Scored:
        """The sentences of the passages retrieved for a reading of a question, scored, best first, and the
        speaker they were checked against (what answers are chosen from; ``benchmarks/tune_sentences.py``)."""
        query_filters, speaker, excluded = self._filters(frame, filters)
        texts = [frame.search_text, *question_texts(frame)]  # one forward pass for the query and the question
        vectors = self.retriever.index.encoder.encode_texts(texts)
        wide = frame.phrase or frame.kind in ("who", "timeline", "others")
        passages = self._retrieve(frame, self.passages * (WIDE_DEPTH if wide else 1), query_filters, speaker,
                                  vectors[0])
        sentences = self.scorer.score(frame, passages, vectors[1:], speaker=speaker, exclude_speaker=excluded)
        return Scored(sentences, speaker, vectors)

    def _relaxations(self, frame: QuestionFrame) -> Iterator[tuple[QuestionFrame, str]]:
        """Readings of the question with one constraint loosened, tightest first, each with what to say of it."""
        when = frame.when
        while when is not None and self.has_dates:  # the note names the time as asked, and the one answered
            wider = when.wider()
            said = f"from {wider.spoken()}" if wider is not None else "from other dates"
            yield replace(frame, when=wider), f"Nothing was found from {frame.spoken_when}; {said}:"
            when = wider
        if not frame.speaker or frame.kind not in ("ask", "timeline", "more"):
            return
        broader = self.speakers.broader(frame.speaker)
        if broader and broader.lower() != frame.speaker.lower():
            yield replace(frame, speaker=broader), f"Nothing was found from {frame.speaker}; from {broader}:"

    def _held_years(self) -> str:
        """The years the statements span: "2019 to 2021"."""
        first, last = (x[:4] for x in self.date_range)
        return first if first == last else f"{first} to {last}"

    def _others_on_topic(self, frame: QuestionFrame, filters: Mapping[str, object] | None, vectors: np.ndarray) -> int:
        """How many statements by anyone answer the frame's topic (for an abstention that says where to look)."""
        topic_frame = replace(frame, speaker="", kind="who")
        out = self._dated(frame, dict(filters or {}))
        # ``vectors`` are [search text, question, topic]: the question's own, reused (no second forward pass)
        passages = self.retriever.retrieve(frame.lexical_topic, k=self.passages * 2, filters=out,
                                           query_vector=vectors[-1])
        sentences = self.scorer.score(topic_frame, passages, vectors[1:])
        quotes, more = self.builder.one_per(sentences, lambda q: q.statement_id, WHO_SPOKE_SHOWN)
        return len(quotes) + more

    def _retrieve(
        self, frame: QuestionFrame, k: int, filters: dict[str, object], speaker: Speaker, vector: np.ndarray
    ) -> list[Passage]:
        """The passages to score. A speaker with statements of their own and statements that only report them
        gets ``k`` of each, so that reports never crowd out their own words (or the reverse)."""
        ids = filters.get("statement_ids")
        if not isinstance(speaker, SpeakerQuery) or not speaker.own_statements or not isinstance(ids, list):
            return self.retriever.retrieve(frame.lexical_text, k=k, filters=filters, query_vector=vector)
        own = [i for i in ids if i in speaker.own_statements]
        others = [i for i in ids if i not in speaker.own_statements]
        found: dict[int, Passage] = {}
        for part in (own, others):
            if part:
                for p in self.retriever.retrieve(frame.lexical_text, k=k, filters={**filters, "statement_ids": part},
                                                 query_vector=vector):
                    found.setdefault(p.chunk_id, p)
        return sorted(found.values(), key=lambda p: -p.score)

    def _as_linked(self, frame: QuestionFrame) -> QuestionFrame:
        """The frame with a misspelt speaker ("Lavorv") written as the name it was linked to ("Sergei Lavrov"), for
        messages; as asked otherwise (a role, a demonym, a surname alone are how the asker names them)."""
        match = self.speakers.match(frame.speaker) if frame.speaker else None
        if match is None or not match.names:
            return frame
        linked = typo_corrected(frame.speaker, match.names)
        return replace(frame, speaker=split_honorifics(linked)[1]) if linked else frame

    def _grouped(
        self, frame: QuestionFrame, sentences: Sequence[ScoredSentence], speaker: Speaker, named: QuestionFrame
    ) -> Answer | None:
        """"Who spoke about X?": one quote per speaker. A timeline: one per dated statement, in date order
        (``named``: the frame as messages name its speaker)."""
        if frame.kind in ("who", "others"):  # "did anyone else say that?": one quote per other speaker too
            quotes, more = self.builder.one_per(sentences, _speaker_key, WHO_SPOKE_SHOWN, speaker, frame.topic)
            if not quotes:
                return None
            return Answer(frame.text, quotes, False, _who_message(named, quotes, more), frame)
        quotes, more = self.builder.one_per(sentences, lambda q: q.statement_id, TIMELINE_SHOWN, speaker)
        dated = sorted((q for q in quotes if q.date), key=lambda q: q.date)
        if not dated:
            return None
        return Answer(frame.text, tuple(dated), False, _timeline_message(named, dated), frame)

    def _filters(
        self, frame: QuestionFrame, filters: Mapping[str, object] | None
    ) -> tuple[dict[str, object], Speaker, Speaker]:
        """Retrieval filters for the frame, and the speakers to find in the sentences (asked, excluded).

        With attributions, a speaker's statements are those whose metadata or text names them, and
        each sentence is checked against who said it. Without (older indexes), a speaker named in
        statements' metadata becomes a filter on those statements; one who is not (reported speech:
        "Lavrov argued that…") is looked for near a speech verb instead.
        """
        out = self._dated(frame, dict(filters or {}))
        if frame.within:
            _narrow(out, frame.within)
        if self.attributed:
            return self._attributed_filters(frame, out)
        speaker = excluded = ""
        if frame.speaker:
            match = self.speakers.match(frame.speaker)
            if match is not None:
                _narrow(out, match.metadata_ids)
            else:
                speaker = frame.speaker
        if frame.exclude_speaker:
            match = self.speakers.match(frame.exclude_speaker)
            if match is not None:
                out["exclude_statement_ids"] = sorted(match.metadata_ids)
            else:
                excluded = frame.exclude_speaker
        return out, speaker, excluded

    def _dated(self, frame: QuestionFrame, out: dict[str, object]) -> dict[str, object]:
        """``out`` with the frame's statement time (a day, month, year or span) as date bounds, when the index has
        dates; a filter the caller set wins."""
        if frame.when is not None and self.has_dates:
            if frame.when.start:
                out.setdefault("date_from", frame.when.start)
            if frame.when.end:
                out.setdefault("date_to", frame.when.end)
        return out

    def _attributed_filters(
        self, frame: QuestionFrame, out: dict[str, object]
    ) -> tuple[dict[str, object], Speaker, Speaker]:
        """Filters and speakers when who said each sentence is known.

        A speaker the directory knows (metadata or text) restricts retrieval to their statements and
        each sentence is checked against who said it. A phrase it does not know ("the Homeland Security
        secretary") is looked for as the statements describe their speakers (``DescribedSpeaker``), and
        failing that near a verb of saying, over all statements, as on an index without attributions. A
        Speaker filter (the chat's menu) with no speaker in the question acts as one.
        """
        chosen = "" if frame.speaker else str(out.pop("speaker", "") or "")
        asked = frame.speaker or chosen
        speaker: Speaker = frame.speaker
        if asked:
            match = self.speakers.match(asked)
            described = described_speaker(asked) if frame.speaker else None
            if match is not None and described is not None and _names_a_post(described, match):
                speaker = described  # "the Homeland Security secretary": the person, not the department
            elif match is not None:
                _narrow(out, match.all_ids)
                speaker = SpeakerQuery(asked, match.metadata_ids, frozenset(match.names))
            elif chosen:
                out["speaker"] = chosen  # a filter naming no one known finds nothing, as a filter should
            else:
                speaker = described_speaker(asked) or asked  # "the Homeland Security secretary"
        excluded: Speaker = frame.exclude_speaker
        if frame.exclude_speaker:
            match = self.speakers.match(frame.exclude_speaker)
            if match is not None:
                if match.metadata_ids:
                    out["exclude_statement_ids"] = sorted(match.metadata_ids)
                excluded = SpeakerQuery(frame.exclude_speaker, match.metadata_ids, frozenset(match.names))
        return out, speaker, excluded

def _names_a_post(described: DescribedSpeaker, match: SpeakerMatch) -> bool:
    """Whether a phrase names a person by a post that no matched name or metadata post holds: "the Homeland
    Security secretary" matched only the Homeland Security Department."""
    if not described.person_words or match.by_post:
        return False
    held = {s for name in match.names for s in tokenize([name])[0]}
    organisations = all(set(tokenize([name])[0]) & ORGANISATION_WORDS for name in match.names)
    return organisations and not described.person_words <= held  # "President Halimah Yacob" is her


def _narrow(out: dict[str, object], ids: Collection[str]) -> None:
    """Restrict ``out``'s statements to ``ids`` (within any statement ids it already names)."""
    current = out.get("statement_ids")
    allowed = set(ids) & set(current) if isinstance(current, (list, tuple, set, frozenset)) else set(ids)
    out["statement_ids"] = sorted(allowed)


def _quoted_ranges(history: Sequence[HistoryItem]) -> list[tuple[str, int, int]]:
    ranges = []
    for item in history:
        if isinstance(item, Answer):
            ranges += [(q.statement_id, q.start, q.end) for q in item.quotes]
    return ranges


def _spoken_when(frame: QuestionFrame) -> str:
    """" in 2019", " in 2016–2018", " since 2018", or ""."""
    if frame.when is None:
        return ""
    spoken = frame.when.spoken()
    if spoken.startswith(("since", "until")):
        return f" {spoken}"
    return f" on {spoken}" if len(frame.when.start) == 10 and frame.when.single else f" in {spoken}"


def _found_message(frame: QuestionFrame, quotes: Sequence[Quote]) -> str:
    n = len({q.statement_id for q in quotes})
    where = f"{n} statement{'s' if n != 1 else ''}"
    when = _spoken_when(frame)
    if frame.exclude_speaker:
        return f"Others than {frame.exclude_speaker} on {frame.topic}{when} ({where}):"
    if frame.speaker and frame.topic:
        return f"What {frame.speaker} said about {frame.topic}{when} ({where}):"
    if frame.speaker:
        return f"What {frame.speaker} said{when} ({where}):"
    return f"From {where}:"


def _speaker_key(quote: Quote) -> str:
    """Who a quote is by, for "who spoke about…": the statement's own speaker when it reports words in its text
    (a speech's "San Marino believes…" is the speech's), else the speaker, the source or the statement."""
    return (quote.reported_by or quote.speaker or quote.source or quote.statement_id).lower()


def _who_message(frame: QuestionFrame, quotes: Sequence[Quote], more: int) -> str:
    n = len(quotes)
    rest = f"; {more} more also did" if more else ""
    when = _spoken_when(frame)
    others = f" other than {frame.exclude_speaker}" if frame.exclude_speaker else ""
    return f"{n} speaker{'s' if n != 1 else ''}{others} on {frame.topic}{when}, most relevant first{rest}:"


def _timeline_message(frame: QuestionFrame, quotes: Sequence[Quote]) -> str:
    who = frame.speaker or "The statements"
    first = quotes[0].date[:4]
    span = f"{first}–{quotes[-1].date[:4]}" if quotes[-1].date[:4] != first else first
    if frame.first:
        return f"{who} first spoke about {frame.topic} in {first}; every statement on it, in date order ({span}):"
    return f"{who} on {frame.topic} over time, one quote per statement in date order ({span}):"


def _phrase_message(frame: QuestionFrame, quotes: Sequence[Quote]) -> str:
    n = len({q.statement_id for q in quotes})
    who = sorted({q.speaker for q in quotes if q.speaker})
    by = f", said by {', '.join(who)}" if who and len(who) <= 3 else ""
    return f"The words “{frame.phrase}” occur in {n} statement{'s' if n != 1 else ''}{by}:"


def _abstain_message(frame: QuestionFrame) -> str:
    when = _spoken_when(frame)
    if frame.exclude_speaker:
        return f"No statement was found in which anyone other than {frame.exclude_speaker} says that{when}."
    if frame.speaker and frame.topic:
        return f"No statement was found in which {frame.speaker} speaks about {frame.topic}{when}."
    if frame.speaker:
        return f"No further statement by {frame.speaker} was found{when}."
    return f"No statement on “{frame.topic}” was found{when}."
