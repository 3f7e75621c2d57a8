"""``.csv`` and ``.csv.gz``: a header row, then one statement per row, streamed.

A row with broken quoting or the wrong number of columns is one problem (at the line the row
starts on). If such a row ran over several lines (an unclosed quote swallows what follows),
those following lines are parsed again, so one stray quote costs one row, not the rest of the file.
Fields longer than the csv module's limit (131,072 characters) are reported, not loaded.
"""
from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from corpus.loaders.base import FileSkipped, Item
from corpus.loaders.decode import Line, iter_lines
from corpus.loaders.records import RecordError, record_to_statement
from corpus.options import LoadOptions
from corpus.problems import LoadProblem


class _Rewindable:
    """Feeds decoded lines to ``csv.reader``, remembers those of the current row, takes some back."""

    def __init__(self, lines: Iterator[Line], path: str) -> None:
        self._lines = lines
        self._pending: deque[Line] = deque()
        self.path = path
        self.row: list[Line] = []
        self.problems: list[LoadProblem] = []

    def __iter__(self) -> _Rewindable:
        return self

    def __next__(self) -> str:
        while True:
            line = self._pending.popleft() if self._pending else next(self._lines)
            if line.error:
                self.problems.append(LoadProblem(self.path, line.error, line.number))
                continue
            self.row.append(line)
            return line.text

    def start_row(self) -> None:
        self.row = []

    def give_back_after_first(self) -> None:
        """Put back every line of the current row but its first, to be parsed again."""
        self._pending.extendleft(reversed(self.row[1:]))
        self.row = self.row[:1]


def load_csv(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement per row of a ``.csv`` file with a header row."""
    yield from _csv(path, file_id, options, gz=False)


def load_csv_gz(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement per row of a gzipped ``.csv.gz`` file."""
    yield from _csv(path, file_id, options, gz=True)


def _csv(path: Path, file_id: str, options: LoadOptions, gz: bool) -> Iterator[Item]:
    source = _Rewindable(iter_lines(path, options.encoding, gz=gz, max_line_bytes=options.max_file_bytes), str(path))
    reader = csv.reader(source, strict=True)
    header = _header(reader, source)
    header_line = _first(source)
    yield from _drain(source)
    if not any(name in header for name in options.text):
        expected = ", ".join(f"'{n}'" for n in options.text)
        raise FileSkipped(f"no text column in the CSV header (expected {expected})", header_line)
    while True:
        source.start_row()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield from _broken(source, _csv_reason(error))
            continue
        yield from _drain(source)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        start = source.row[0].number if source.row else reader.line_num
        if len(row) != len(header):
            yield from _broken(source, f"wrong column count (expected {len(header)}, got {len(row)})")
            continue
        try:
            yield record_to_statement(dict(zip(header, row)), f"{file_id}:{start}", str(path), options)
        except RecordError as error:
            yield LoadProblem(str(path), str(error), start)
    yield from _drain(source)


def _header(reader: Iterator[list[str]], source: _Rewindable) -> list[str]:
    """The first non-blank row, names stripped; FileSkipped if there is none or it is broken."""
    while True:
        source.start_row()
        try:
            row = next(reader)
        except StopIteration:
            raise FileSkipped("empty file") from None
        except csv.Error as error:
            raise FileSkipped(f"broken CSV header: {_csv_reason(error)}", _first(source)) from None
        if row and any(cell.strip() for cell in row):
            return [cell.strip() for cell in row]


def _broken(source: _Rewindable, reason: str) -> Iterator[Item]:
    """Report a broken row at its first line and re-read the lines it swallowed."""
    yield from _drain(source)
    line = _first(source)
    source.give_back_after_first()
    yield LoadProblem(source.path, reason, line)


def _drain(source: _Rewindable) -> Iterator[LoadProblem]:
    while source.problems:
        yield source.problems.pop(0)


def _first(source: _Rewindable) -> int | None:
    return source.row[0].number if source.row else None


def _csv_reason(error: csv.Error) -> str:
    message = str(error)
    if "field larger than field limit" in message:
        return f"CSV field longer than {csv.field_size_limit():,} characters (broken quoting?)"
    return f"broken CSV quoting: {message}"
