"""What every backend's writer shares: the chunking and attribution step before embedding, the statement context
searched with every chunk, and the base writer holding the encoder, the chunker (loaded when first needed), the
progress setting and the context fields."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from corpus.attribution import Attribution, attribute_many, speaker_of_title
from corpus.attribution.first_person import speaks_in_first_person
from corpus.attribution.parallel import ParallelAttributor
from corpus.chunk import Chunk
from corpus.context import DEFAULT_CONTEXT_FIELDS, context_of
from corpus.problems import StatementsError, one_line
from corpus.statement import Statement
from embeddings.encoding.encoder import Encoder

CONTEXT_WEIGHT = 0.5  # a chunk's vector is its own plus this much of its statement's context's (then normalised)


class StatementChunker(Protocol):
    """What the writer needs of a chunker."""

    def chunk_many(self, statements: Iterable[Statement]) -> list[Chunk]: ...

    @property
    def settings(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ChunkedStatement:
    """A statement with its chunks and attributions, before embedding."""

    statement: Statement
    chunks: tuple[Chunk, ...]
    attributions: tuple[Attribution, ...]
    context: str = ""  # the statement's context fields (corpus.context): searched with every chunk, never quoted


def chunk_and_attribute(
    statements: Sequence[Statement], chunker: StatementChunker, attributions: bool, context_fields: Sequence[str] = (),
    attributor: ParallelAttributor | None = None,
) -> list[ChunkedStatement]:
    """Chunk statements, find who said each sentence (``attributions=False``: skip that; ``attributor``: with its
    worker processes too) and gather each one's context (``context_fields``)."""
    chunks_of: dict[str, list[Chunk]] = {}
    for chunk in chunker.chunk_many(statements):
        chunks_of.setdefault(chunk.statement_id, []).append(chunk)
    speakers = [st.speaker or speaker_of_title(st.title) or None for st in statements]  # a speech's speaker
    owners = [None if speaker else first_person_source(st) for st, speaker in zip(statements, speakers, strict=True)]
    attribute = attributor.attribute_many if attributor is not None else attribute_many
    found = (attribute([st.text for st in statements], speakers, owners=owners) if attributions
             else [[] for _ in statements])
    return [
        ChunkedStatement(st, tuple(chunks_of.get(st.id, ())), tuple(a), context_of(st, context_fields))
        for st, a in zip(statements, found, strict=True)
    ]


def first_person_source(st: Statement) -> str | None:
    """Who says "I" and "we" outside quotes in a statement whose metadata and title name no speaker: its source (a
    country, a ministry, a column's paper) when the text speaks in the first person (``speaks_in_first_person``),
    else no one (a report)."""
    return st.source if st.source and speaks_in_first_person(st.text) else None


def searched_text(text: str, context: str) -> str:
    """What BM25 counts of a chunk: its text and its statement's context."""
    return f"{text}\n{context}" if context else text


def with_context(vectors: np.ndarray, contexts: Sequence[str], encoder: Encoder) -> np.ndarray:
    """Chunk vectors moved towards their statement's context (``CONTEXT_WEIGHT``), each context encoded once."""
    distinct = sorted({c for c in contexts if c})
    if not distinct:
        return vectors
    encoded = dict(zip(distinct, encoder.encode(distinct), strict=True))
    out = np.array(vectors, dtype=np.float32, copy=True)
    for row, context in enumerate(contexts):
        if context:
            moved = out[row] + CONTEXT_WEIGHT * encoded[context]
            out[row] = moved / max(float(np.linalg.norm(moved)), 1e-12)
    return out


class StatementWriter:
    """What every backend's writer holds: the encoder, the chunker (loaded when first needed), whether to show
    progress, and whether a new index finds who said each sentence (``attributions``)."""

    def __init__(
        self,
        encoder: Encoder | None = None,
        chunker: StatementChunker | None = None,
        progress: bool = True,
        attributions: bool = True,
        context_fields: Sequence[str] | None = None,
    ) -> None:
        self.encoder = encoder or Encoder()
        self._chunker = chunker
        self.progress = progress
        self.attributions = attributions
        self.context_fields = None if context_fields is None else list(context_fields)

    def context_for(self, current: list[str] | None, where: str, hint: str) -> list[str]:
        """The context fields to index with: the index's own (``current``; None for a new index, which takes
        the ones asked for, else the defaults); asking for others than an index has needs a rebuild."""
        if current is None:
            return list(DEFAULT_CONTEXT_FIELDS) if self.context_fields is None else self.context_fields
        if self.context_fields is not None and self.context_fields != current:
            shown = ", ".join(current) or "none"
            raise StatementsError(f"{where} was built with context fields {shown}, not "
                                  f"{', '.join(self.context_fields) or 'none'}: {hint}")
        return current

    @property
    def chunker(self) -> StatementChunker:
        """The chunker; the default one loads the model's tokenizer, so only when first needed."""
        if self._chunker is None:
            self._chunker = default_chunker(self.encoder)
        return self._chunker




def default_chunker(encoder: Encoder) -> StatementChunker:
    """The default sentence-aware chunker, counting tokens with the encoder's tokenizer."""
    from corpus.chunker import Chunker
    from corpus.tokens import TokenCounter

    try:
        counter = TokenCounter(encoder.path)
    except Exception as exc:  # transformers raises many kinds; the user needs one line
        raise StatementsError(
            f"cannot load the tokenizer of embedding model {encoder.name!r}: {one_line(exc)}"
            " (give a local sentence-transformers folder or a model already in the cache)"
        ) from None
    return Chunker(token_counter=counter)
