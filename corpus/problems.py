"""Problems met while loading input, and the summary of a load."""
from __future__ import annotations

from dataclasses import dataclass, field


class StatementsError(Exception):
    """An error a user can act on; the CLI prints its message as one line, without a traceback."""


def one_line(error: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none), for one-line reports."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@dataclass(frozen=True)
class LoadProblem:
    """One skipped file or record: which file, which line (where there is one), and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"skipped {where}: {self.reason}"


@dataclass
class LoadReport:
    """What a load did: files read, statements loaded, problems and duplicates found."""

    files_read: int = 0
    statements_loaded: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (dropped id, kept id)

    def summary(self) -> str:
        """One line: loaded N statements from M files, skipped K."""
        line = (
            f"loaded {self.statements_loaded} statement{'s' if self.statements_loaded != 1 else ''} "
            f"from {self.files_read} file{'s' if self.files_read != 1 else ''}, "
            f"skipped {len(self.problems)}"
        )
        if self.duplicates:
            line += f", {len(self.duplicates)} exact duplicate{'s' if len(self.duplicates) != 1 else ''} indexed once"
        return line
