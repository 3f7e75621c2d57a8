"""From a question (and the conversation so far) to an Answer of verbatim, attributed quotes."""
from __future__ import annotations

from typing import Mapping, Sequence

from assistant.answer import Answer, Quote
from assistant.extract import Candidate, ExtractionSettings, QuoteExtractor, question_texts
from assistant.question import Question, parse_question, resolve
from assistant.retrieval import HybridRetriever
from assistant.speakers import SpeakerDirectory

HistoryItem = Answer | Question | str


class Answerer:
    """Answers questions over one opened index generation."""

    def __init__(self, retriever: HybridRetriever, settings: ExtractionSettings = ExtractionSettings()) -> None:
        self.retriever = retriever
        self.settings = settings
        self.extractor = QuoteExtractor(retriever, settings)
        self.speakers = SpeakerDirectory(retriever.index.store.attributions())
        self.has_dates = retriever.index.store.has_dates()

    def frame(self, question: str, history: Sequence[HistoryItem] = ()) -> Question:
        """The question with speaker, topic and year filled in from the conversation."""
        frames: list[Question] = []
        for item in history:
            if isinstance(item, Answer) and item.frame is not None:
                frames.append(item.frame)
            elif isinstance(item, Question):
                frames.append(item)
            elif isinstance(item, str) and item.strip():
                frames.append(resolve(parse_question(item), frames))
        return resolve(parse_question(question), frames)

    def answer(
        self,
        question: str,
        history: Sequence[HistoryItem] = (),
        filters: Mapping[str, object] | None = None,
    ) -> Answer:
        """Quotes that answer ``question``; ``abstained`` when nothing relevant enough exists."""
        frame = self.frame(question, history)
        if not (frame.topic or frame.speaker):
            return Answer(question, (), True, "Please ask about a person, an organisation or a topic.", frame)
        filters = dict(filters or {})
        if frame.year and self.has_dates:
            filters.setdefault("date_from", frame.year)
            filters.setdefault("date_to", frame.year)
        reported = ""
        if frame.speaker:
            match = self.speakers.match(frame.speaker)
            if match is not None:
                filters["statement_ids"] = sorted(match.statement_ids)
            else:
                reported = frame.speaker
        excluded_speaker = ""
        if frame.exclude_speaker:
            match = self.speakers.match(frame.exclude_speaker)
            if match is not None:
                filters["exclude_statement_ids"] = sorted(match.statement_ids)
            else:
                excluded_speaker = frame.exclude_speaker
        texts = [frame.search_text, *question_texts(frame)]  # one forward pass for all three
        vectors = self.retriever.index.encoder.model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        passages = self.retriever.retrieve(
            frame.search_text, k=self.settings.passages, filters=filters, query_vector=vectors[0]
        )
        cands = self.extractor.candidates(frame, passages, reported, question_vectors=vectors[1:])
        if excluded_speaker:
            cands = self._without_speaker(cands, excluded_speaker)
        shown = _quoted_ranges(history) if frame.kind == "more" else []
        quotes = self.extractor.quotes(cands, shown, reported, require_topic=bool(frame.topic))
        quotes = [q for q in quotes if _verbatim(q, cands)]
        if quotes:
            return Answer(question, tuple(quotes), False, _found_message(frame, quotes), frame)
        closest = self.extractor.quotes(cands, shown, "", require_topic=False)[:2]
        return Answer(question, (), True, _abstain_message(frame), frame, tuple(closest))

    def _without_speaker(self, cands: list[Candidate], speaker: str) -> list[Candidate]:
        from assistant.reported_speech import speaker_evidence

        out = []
        for c in cands:
            texts = [c.statement.text[a:b] for a, b in c.spans]
            if speaker_evidence(texts, c.position, speaker) == 0:
                out.append(c)
        return out


def _verbatim(quote: Quote, cands: Sequence[Candidate]) -> bool:
    """The offset check: the quote is exactly the statement's text between its offsets."""
    for c in cands:
        if c.statement.id == quote.statement_id:
            return c.statement.text[quote.start : quote.end] == quote.text
    return False


def _quoted_ranges(history: Sequence[HistoryItem]) -> list[tuple[str, int, int]]:
    ranges = []
    for item in history:
        if isinstance(item, Answer):
            ranges += [(q.statement_id, q.start, q.end) for q in item.quotes]
    return ranges


def _found_message(frame: Question, quotes: Sequence[Quote]) -> str:
    n = len({q.statement_id for q in quotes})
    where = f"{n} statement{'s' if n != 1 else ''}"
    when = f" in {frame.year}" if frame.year else ""
    if frame.exclude_speaker:
        return f"Others than {frame.exclude_speaker} on {frame.topic}{when} ({where}):"
    if frame.speaker and frame.topic:
        return f"What {frame.speaker} said about {frame.topic}{when} ({where}):"
    if frame.speaker:
        return f"What {frame.speaker} said{when} ({where}):"
    return f"From {where}:"


def _abstain_message(frame: Question) -> str:
    when = f" in {frame.year}" if frame.year else ""
    if frame.exclude_speaker:
        return f"No statement was found in which anyone other than {frame.exclude_speaker} says that{when}."
    if frame.speaker and frame.topic:
        return f"No statement was found in which {frame.speaker} speaks about {frame.topic}{when}."
    if frame.speaker:
        return f"No further statement by {frame.speaker} was found{when}."
    return f"No statement on “{frame.topic}” was found{when}."
