"""What every backend's writer shares: the chunking and attribution step before embedding, and the base
writer holding the encoder, the chunker (loaded when first needed) and the progress setting."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from corpus.attribution import Attribution, attribute_many
from corpus.chunk import Chunk
from corpus.problems import StatementsError, one_line
from corpus.statement import Statement
from embeddings.encoding.encoder import Encoder


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


def chunk_and_attribute(
    statements: Sequence[Statement], chunker: StatementChunker, attributions: bool
) -> list[ChunkedStatement]:
    """Chunk statements and find who said each sentence (``attributions=False``: skip that)."""
    chunks_of: dict[str, list[Chunk]] = {}
    for chunk in chunker.chunk_many(statements):
        chunks_of.setdefault(chunk.statement_id, []).append(chunk)
    found = (
        attribute_many([st.text for st in statements], [st.speaker or None for st in statements])
        if attributions else [[] for _ in statements]
    )
    return [
        ChunkedStatement(st, tuple(chunks_of.get(st.id, ())), tuple(a))
        for st, a in zip(statements, found, strict=True)
    ]


class StatementWriter:
    """What every backend's writer holds: the encoder, the chunker (loaded when first needed), whether to show
    progress, and whether a new index finds who said each sentence (``attributions``)."""

    def __init__(
        self,
        encoder: Encoder | None = None,
        chunker: StatementChunker | None = None,
        progress: bool = True,
        attributions: bool = True,
    ) -> None:
        self.encoder = encoder or Encoder()
        self._chunker = chunker
        self.progress = progress
        self.attributions = attributions

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
