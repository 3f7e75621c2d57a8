"""``.json`` (one record, a list of them, or ``{"data"|"statements": [...]}``) and ``.jsonl``.

JSONL (plain or gzipped) is streamed line by line; a bad line is one problem and the rest of
the file still loads. Record ids: the record's id field, else ``<file-id>:<line>`` for JSONL
and ``<file-id>:<index>`` (0-based) for a JSON array.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.loaders.base import FileSkipped, Item, check_file_size
from corpus.loaders.decode import iter_lines, read_text
from corpus.loaders.records import RecordError, record_to_statement
from corpus.options import LoadOptions
from corpus.problems import LoadProblem

_LIST_KEYS = ("statements", "data")


def load_jsonl(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement per line of a ``.jsonl`` file."""
    yield from _jsonl(path, file_id, options, gz=False)


def load_jsonl_gz(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement per line of a gzipped ``.jsonl.gz`` file."""
    yield from _jsonl(path, file_id, options, gz=True)


def _jsonl(path: Path, file_id: str, options: LoadOptions, gz: bool) -> Iterator[Item]:
    seen_any = False
    for line in iter_lines(path, options.encoding, gz=gz, max_line_bytes=options.max_file_bytes):
        if line.error:
            seen_any = True
            yield LoadProblem(str(path), line.error, line.number)
            continue
        if not line.text.strip():
            continue
        seen_any = True
        try:
            record = json.loads(line.text)
        except json.JSONDecodeError as error:
            yield LoadProblem(str(path), f"not valid JSON: {error.msg} (column {error.colno})", line.number)
            continue
        try:
            yield record_to_statement(record, f"{file_id}:{line.number}", str(path), options)
        except RecordError as error:
            yield LoadProblem(str(path), str(error), line.number)
    if not seen_any:
        raise FileSkipped("empty file")


def load_json(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """Statements from a ``.json`` file: one record, a list, or a ``data``/``statements`` list."""
    check_file_size(path, options)  # parsed whole: limited like a document
    text = read_text(path, options.encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileSkipped(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    records = _records_of(document, options)
    if records is None:
        yield _single(document, file_id, path, options)
        return
    if not records:
        raise FileSkipped("no records in JSON file")
    for index, record in enumerate(records):
        try:
            yield record_to_statement(record, f"{file_id}:{index}", str(path), options)
        except RecordError as error:
            yield LoadProblem(str(path), f"record {index}: {error}")


def _records_of(document: Any, options: LoadOptions) -> list[Any] | None:
    """The list of records a JSON document holds, or None if it is a single record."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if any(name in document for name in options.text):
            return None
        for key in _LIST_KEYS:
            records = document.get(key)
            if isinstance(records, list):
                return records
        return None
    kind = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(document), "null")
    raise FileSkipped(f"JSON file holds {kind}, not records")


def _single(document: Any, file_id: str, path: Path, options: LoadOptions) -> Item:
    try:
        return record_to_statement(document, file_id, str(path), options)
    except RecordError as error:
        return LoadProblem(str(path), str(error))
