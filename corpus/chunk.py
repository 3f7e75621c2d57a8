"""A chunk: consecutive whole sentences of one statement, with exact character offsets."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """Whole sentences ``statement.text[start:end]``; ``sentences`` are absolute (start, end) spans."""

    statement_id: str
    index: int
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]

    @property
    def id(self) -> str:
        """A stable id: the statement id and the chunk's position in it."""
        return f"{self.statement_id}#{self.index}"
