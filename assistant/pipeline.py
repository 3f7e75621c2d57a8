"""From a question (and the conversation so far) to an Answer of verbatim, attributed quotes.

question → frame (``question_frame``) → retrieval (``retrieval``: passages carrying their statement)
→ sentences scored (``sentence_scoring``) → quotes built (``quote_building``) → ``Answer``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.answer import Answer, Quote
from assistant.question_frame import QuestionFrame, parse_question, resolve_follow_up
from assistant.quote_building import QuoteBuilder
from assistant.retrieval import HybridRetriever
from assistant.sentence_scoring import SentenceScorer, question_texts
from assistant.sentence_speakers import Speaker, SpeakerQuery
from assistant.settings import ExtractionSettings
from assistant.speakers import SpeakerDirectory

HistoryItem = Answer | QuestionFrame | str
ANSWER_PASSAGES = 6  # retrieved passages whose sentences are scored for an answer


class AnswerPipeline:
    """Answers questions over one opened index generation."""

    def __init__(
        self,
        retriever: HybridRetriever,
        settings: ExtractionSettings = ExtractionSettings(),
        passages: int = ANSWER_PASSAGES,
    ) -> None:
        self.retriever = retriever
        self.settings = settings
        self.passages = passages
        index = retriever.index
        self.scorer = SentenceScorer(index, settings)
        self.builder = QuoteBuilder(settings)
        self.attributed = index.has_attributions  # who said each sentence is known (corpus.attribution)
        found = index.store.attributed_speakers() if self.attributed else []
        self.speakers = SpeakerDirectory(index.store.headers(), found)
        self.has_dates = index.store.has_dates()

    def frame(self, question: str, history: Sequence[HistoryItem] = ()) -> QuestionFrame:
        """The question with speaker, topic and year filled in from the conversation."""
        frames: list[QuestionFrame] = []
        for item in history:
            if isinstance(item, Answer) and item.frame is not None:
                frames.append(item.frame)
            elif isinstance(item, QuestionFrame):
                frames.append(item)
            elif isinstance(item, str) and item.strip():
                frames.append(resolve_follow_up(parse_question(item), frames))
        return resolve_follow_up(parse_question(question), frames)

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
        query_filters, speaker, excluded = self._filters(frame, filters)
        texts = [frame.search_text, *question_texts(frame)]  # one forward pass for the query and the question
        vectors = self.retriever.index.encoder.encode_texts(texts)
        passages = self.retriever.retrieve(
            frame.search_text, k=self.passages, filters=query_filters, query_vector=vectors[0]
        )
        sentences = self.scorer.score(frame, passages, vectors[1:], speaker=speaker, exclude_speaker=excluded)
        shown = _quoted_ranges(history) if frame.kind == "more" else []
        selection = self.builder.select(sentences, shown, speaker, require_topic=bool(frame.topic))
        if selection.quotes:
            return Answer(question, selection.quotes, False, _found_message(frame, selection.quotes), frame)
        return Answer(question, (), True, _abstain_message(frame), frame, selection.closest)

    def _filters(
        self, frame: QuestionFrame, filters: Mapping[str, object] | None
    ) -> tuple[dict[str, object], Speaker, Speaker]:
        """Retrieval filters for the frame, and the speakers to find in the sentences (asked, excluded).

        With attributions, a speaker's statements are those whose metadata or text names them, and
        each sentence is checked against who said it. Without (older indexes), a speaker named in
        statements' metadata becomes a filter on those statements; one who is not (reported speech:
        "Lavrov argued that…") is looked for near a speech verb instead.
        """
        out = dict(filters or {})
        if frame.year and self.has_dates:
            out.setdefault("date_from", frame.year)
            out.setdefault("date_to", frame.year)
        if self.attributed:
            return self._attributed_filters(frame, out)
        speaker = excluded = ""
        if frame.speaker:
            match = self.speakers.match(frame.speaker)
            if match is not None:
                out["statement_ids"] = sorted(match.metadata_ids)
            else:
                speaker = frame.speaker
        if frame.exclude_speaker:
            match = self.speakers.match(frame.exclude_speaker)
            if match is not None:
                out["exclude_statement_ids"] = sorted(match.metadata_ids)
            else:
                excluded = frame.exclude_speaker
        return out, speaker, excluded

    def _attributed_filters(
        self, frame: QuestionFrame, out: dict[str, object]
    ) -> tuple[dict[str, object], Speaker, Speaker]:
        """Filters and speakers when who said each sentence is known.

        A speaker the directory knows (metadata or text) restricts retrieval to their statements and
        each sentence is checked against who said it. A phrase it does not know ("the president")
        falls back to the speech-verb heuristics over all statements, as on an index without
        attributions. A Speaker filter (the chat's menu) with no speaker in the question acts as one.
        """
        chosen = "" if frame.speaker else str(out.pop("speaker", "") or "")
        asked = frame.speaker or chosen
        speaker: Speaker = frame.speaker
        if asked:
            match = self.speakers.match(asked)
            if match is not None:
                out["statement_ids"] = sorted(match.all_ids)
                speaker = SpeakerQuery(asked, match.metadata_ids, frozenset(match.names))
            elif chosen:
                out["speaker"] = chosen  # a filter naming no one known finds nothing, as a filter should
        excluded: Speaker = frame.exclude_speaker
        if frame.exclude_speaker:
            match = self.speakers.match(frame.exclude_speaker)
            if match is not None:
                if match.metadata_ids:
                    out["exclude_statement_ids"] = sorted(match.metadata_ids)
                excluded = SpeakerQuery(frame.exclude_speaker, match.metadata_ids, frozenset(match.names))
        return out, speaker, excluded

def _quoted_ranges(history: Sequence[HistoryItem]) -> list[tuple[str, int, int]]:
    ranges = []
    for item in history:
        if isinstance(item, Answer):
            ranges += [(q.statement_id, q.start, q.end) for q in item.quotes]
    return ranges


def _found_message(frame: QuestionFrame, quotes: Sequence[Quote]) -> str:
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


def _abstain_message(frame: QuestionFrame) -> str:
    when = f" in {frame.year}" if frame.year else ""
    if frame.exclude_speaker:
        return f"No statement was found in which anyone other than {frame.exclude_speaker} says that{when}."
    if frame.speaker and frame.topic:
        return f"No statement was found in which {frame.speaker} speaks about {frame.topic}{when}."
    if frame.speaker:
        return f"No further statement by {frame.speaker} was found{when}."
    return f"No statement on “{frame.topic}” was found{when}."
