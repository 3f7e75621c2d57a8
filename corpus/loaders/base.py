"""What every format loader shares: its signature and the way it gives up on a whole file."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from corpus.options import LoadOptions, too_large_reason
from corpus.problems import LoadProblem
from corpus.statement import Statement

Item = Statement | LoadProblem
"""A loader yields statements, and problems for single records it had to skip."""

Loader = Callable[[Path, str, LoadOptions], Iterator[Item]]
"""``loader(path, file_id, options)``: ``file_id`` is the stable id derived from the path."""


class FileSkipped(Exception):
    """Raised by a loader when a whole file cannot be used; the message is the one-line reason."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def check_file_size(path: Path, options: LoadOptions) -> int:
    """The file's size; FileSkipped if it is over ``options.max_file_bytes`` (checked before reading)."""
    size = path.stat().st_size
    limit = options.max_file_bytes
    if limit is not None and size > limit:
        raise FileSkipped(too_large_reason("file", size, limit))
    return size


def title_from_name(file_id: str) -> str:
    """A human title from a file id: ``"speeches/lavrov-dushanbe-201st-base"`` -> ``"Lavrov dushanbe 201st base"``."""
    name = file_id.rsplit("/", 1)[-1]
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]
