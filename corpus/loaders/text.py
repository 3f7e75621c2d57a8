"""``.txt`` and ``.md``: optional YAML front matter, the text, an optional trailing attribution.

- Front matter (``---`` ... ``---`` at the very top) gives title/speaker/source/date/url, looked
  up with the same names as ``LoadOptions`` (keys are case-insensitive); other keys go into
  ``metadata``. A block that is valid YAML but not a mapping is not front matter (a Markdown
  rule); a block that is not valid YAML skips the file with the YAML error.
- A trailing ``(attribution: X)``, at the end of the last line or on a line of its own, sets
  ``source = X`` and is cut from the quotable text. Front matter wins if both name a source;
  the attribution is then kept as ``metadata["attribution"]``.
- A text that opens with a Markdown heading (``# Title``) takes it as its title unless the front
  matter names one; the heading stays in the text (offsets are exact) but is never quoted
  (``corpus.markdown``).
- The text is otherwise kept as in the file: only newlines are normalised (CRLF -> LF), leading
  blank lines and trailing whitespace are dropped.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from corpus.loaders.base import FileSkipped, Item, check_file_size, title_from_name
from corpus.loaders.decode import read_text
from corpus.loaders.records import AttributionField, AttributionFields, as_field_text, json_safe, pick
from corpus.markdown import leading_heading
from corpus.options import LoadOptions
from corpus.problems import one_line
from corpus.statement import Statement

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATTRIBUTION = re.compile(
    r"[ \t]*\(attribution:[ \t]*((?:[^()\n]|\([^()\n]*\))+?)[ \t]*\)\Z", re.IGNORECASE
)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_FIELDS: tuple[AttributionField, ...] = ("title", "speaker", "source", "date", "url")


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """``(front matter mapping or None, rest of the text)``; FileSkipped if the YAML is invalid."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text
    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(error, "problem", None) or one_line(error)
        raise FileSkipped(f"front matter is not valid YAML: {problem}", line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, text
    return {str(k).strip().lower(): v for k, v in data.items()}, text[match.end() :]


def split_attribution(text: str) -> tuple[str, str]:
    """``(text without a trailing "(attribution: X)", X)``; X is ``""`` when there is none."""
    match = _ATTRIBUTION.search(text)
    if not match:
        return text, ""
    return text[: match.start()].rstrip(), " ".join(match.group(1).split())


def tidy(text: str) -> str:
    """Drop leading blank lines and trailing whitespace; keep everything else as it is."""
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def build_statement(
    body: str, file_id: str, path: Path, options: LoadOptions, front: dict[str, Any] | None = None,
    defaults: AttributionFields | None = None,
) -> Statement:
    """A statement from a document's body, front matter and format defaults (e.g. a PDF title)."""
    text, attribution = split_attribution(tidy(body))
    if not text:
        raise FileSkipped("no text besides the attribution" if attribution else "empty file")
    front = front or {}
    fields: AttributionFields = {"title": title_from_name(file_id)}
    fields.update(defaults or {})
    used: set[str] = set()
    for field in _FIELDS:
        name, value = pick(front, getattr(options, field))
        if name is not None:
            fields[field] = as_field_text(value)
            used.add(name)
    metadata = {key: json_safe(value) for key, value in front.items() if key not in used}
    if attribution:
        if fields.get("source"):
            metadata["attribution"] = attribution
        else:
            fields["source"] = attribution
    return Statement(id=file_id, text=text, path=str(path), metadata=metadata, **fields)


def load_text(path: Path, file_id: str, options: LoadOptions) -> Iterator[Item]:
    """One statement from a ``.txt`` or ``.md`` file."""
    check_file_size(path, options)
    front, body = split_front_matter(read_text(path, options.encoding))
    if front is not None and not body.strip():
        raise FileSkipped("no text after the front matter")
    heading = leading_heading(body)  # a title, when the front matter names none; it stays in the text, unquoted
    yield build_statement(body, file_id, path, options, front, {"title": heading} if heading else None)
