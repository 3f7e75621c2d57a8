"""Mapping one structured record (a JSON object or a CSV row) onto a Statement.

Rules: for each statement field, the first name in ``LoadOptions`` whose value is present
(not null, not blank) wins. Numbers become strings (``2017`` -> ``"2017"``). Every other field
goes into ``metadata`` (except null or blank values of fields named in the options); a nested
``metadata`` object is merged into it (the record's own fields win). Values are kept only if JSON-serialisable.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from corpus.loaders.decode import normalise_newlines
from corpus.options import LoadOptions
from corpus.statement import Statement

AttributionField = Literal["title", "speaker", "source", "date", "url"]


class AttributionFields(TypedDict, total=False):
    """Statement fields besides id, text, path, metadata and pages, by name (missing ones stay ``""``)."""

    title: str
    speaker: str
    source: str
    date: str
    url: str


_ATTRIBUTES: tuple[AttributionField, ...] = ("title", "speaker", "source", "date", "url")


class RecordError(ValueError):
    """A record that cannot become a statement; the message is the one-line reason."""


def is_present(value: Any) -> bool:
    """A value counts when it is not null and not a blank string."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def as_field_text(value: Any) -> str:
    """A metadata value as a one-line field string: numbers without ``.0``, dates in ISO form."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(json_safe(value), ensure_ascii=False)


def json_safe(value: Any) -> Any:
    """``value`` made JSON-serialisable: dates to ISO strings, tuples to lists, others to ``str``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def pick(record: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first (name, value) among ``names`` whose value is present, else ``(None, None)``."""
    for name in names:
        if name in record and is_present(record[name]):
            return name, record[name]
    return None, None


def record_text(record: Mapping[str, Any], options: LoadOptions) -> tuple[str, list[str]]:
    """The quotable text and the field names it came from; RecordError if there is none."""
    names = [n for n in options.text if n in record and record[n] is not None]
    if not names:
        raise RecordError(f"no text field (expected {_either(options.text)})")
    for name in names:
        if not isinstance(record[name], str):
            raise RecordError(f"text field '{name}' is not a string ({_json_type(record[name])})")
    used = [n for n in names if record[n].strip()]
    if not used:
        raise RecordError(f"empty text field '{names[0]}'")
    if not options.join_text:
        used = used[:1]
    parts = [normalise_newlines(record[n]).strip() for n in used]
    return "\n\n".join(parts), used


def record_to_statement(
    record: Any, default_id: str, path: str, options: LoadOptions
) -> Statement:
    """Build a statement from one record; ``default_id`` is used when it has no id field."""
    if not isinstance(record, Mapping):
        raise RecordError(f"record is not an object ({_json_type(record)})")
    text, used = record_text(record, options)
    consumed = set(used)
    id_name, id_value = pick(record, options.id)
    statement_id = default_id
    if id_name is not None and isinstance(id_value, (str, int, float)) and not isinstance(id_value, bool):
        statement_id = as_field_text(id_value)
        consumed.add(id_name)
    fields: AttributionFields = {}
    for attribute in _ATTRIBUTES:
        name, value = pick(record, getattr(options, attribute))
        fields[attribute] = as_field_text(value) if name is not None else ""
        if name is not None and name not in used:
            consumed.add(name)
    metadata: dict[str, Any] = {}
    nested = record.get("metadata")
    if isinstance(nested, Mapping) and "metadata" not in consumed:
        consumed.add("metadata")
        metadata.update(json_safe(nested))
    mapped = {name for attribute in ("id", "text", *_ATTRIBUTES) for name in getattr(options, attribute)}
    for key, value in record.items():
        if key not in consumed and (key not in mapped or is_present(value)):
            metadata[str(key)] = json_safe(value)
    return Statement(id=statement_id, text=text, path=path, metadata=metadata, **fields)


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names) if names else "none configured"


def _json_type(value: Any) -> str:
    names = {list: "array", dict: "object", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
