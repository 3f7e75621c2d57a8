"""What an update of an index changed, as every backend reports it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UpdateReport:
    """What an update changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    statements: int = 0
    chunks: int = 0
    generation: int = 0
    missing: tuple[str, ...] = ()  # ids asked to be removed that the index did not hold

    def summary(self) -> str:
        """One line for the terminal or the chat."""
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, removed {self.removed}; "
            f"index holds {_count(self.statements, 'statement')} in {_count(self.chunks, 'chunk')}"
        )


def _count(n: int, noun: str) -> str:
    """``1 statement``, ``2 statements``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
