"""Statement filters as Milvus filter expressions over the chunk collection's fields.

The same filters as the local backend (``StatementStore.matching_chunk_ids``): text values match
case-insensitively as substrings, ``speaker`` also matches speakers found in the text, ``date_from``
/ ``date_to`` bound the ISO date (a year bound covers the whole year), ``statement_ids`` and
``exclude_statement_ids`` take lists. Values are written as escaped string literals (``literal``):
Milvus Lite does not take template parameters everywhere.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from corpus.attribution import SPEAKER_CONFIDENCE, Attribution
from corpus.statement import Statement
from embeddings.backend.fields import COLUMN_KEYS, end_of_period

# LIKE's wildcards, stored and searched as characters of Unicode's private use area, so that they match only
# themselves (Milvus' LIKE has no ESCAPE)
_LITERAL = str.maketrans({"%": "\ue000", "_": "\ue001"})


def comparable(value: object) -> str:
    """A value as filters compare it: lower-cased text, LIKE's wildcards made ordinary characters."""
    return str(value).lower().translate(_LITERAL)


def as_text(value: object) -> str:
    """A metadata value as the local backend's SQLite reads it (``CAST(json_extract(...) AS TEXT)``): true → 1,
    lists and objects as compact JSON."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def literal(value: object) -> str:
    """A Milvus string literal, or a list of them for a list."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(literal(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


@dataclass(frozen=True)
class MilvusFilter:
    """A filter expression; ``nothing``: no chunk can match (an empty id list)."""

    expression: str = ""
    nothing: bool = False

    def kwargs(self) -> dict[str, Any]:
        """The ``filter`` argument of a search or query."""
        return {"filter": self.expression} if self.expression else {}


def milvus_filter(filters: Mapping[str, object] | None) -> MilvusFilter:
    """The Milvus expression for ``filters`` (keys and values as ``Assistant.retrieve`` takes them)."""
    where: list[str] = []
    for key, value in (filters or {}).items():
        if value is None or value == "":
            continue
        if key == "date_from":
            where.append(f'date != "" and date >= {literal(value)}')
        elif key == "date_to":
            where.append(f'date != "" and date <= {literal(end_of_period(str(value)))}')
        elif key in ("statement_ids", "exclude_statement_ids"):
            if not isinstance(value, Iterable) or isinstance(value, str):
                raise TypeError(f"'{type(value).__name__}' object is not a list of statement ids")
            ids = [str(v) for v in value]
            if key == "statement_ids":
                if not ids:
                    return MilvusFilter(nothing=True)
                where.append(f"statement_id in {literal(ids)}")
            elif ids:
                where.append(f"statement_id not in {literal(ids)}")
        else:
            where.append(f"fields[{literal(key)}] like {literal('%' + comparable(value) + '%')}")
    return MilvusFilter(" and ".join(f"({w})" for w in where))


def filter_fields(statement: Statement, attributions: Iterable[Attribution]) -> dict[str, str]:
    """What filters match a statement's chunks by: lower-cased columns and metadata values; ``speaker``
    also holds the speakers found in its text (one per line)."""
    out: dict[str, str] = {}
    for key, value in statement.metadata.items():
        if value is not None:
            out[str(key)] = comparable(as_text(value))
    for key in COLUMN_KEYS:
        out[key] = comparable(getattr(statement, key) or "")
    found = sorted({comparable(a.speaker) for a in attributions if a.speaker and a.confidence >= SPEAKER_CONFIDENCE})
    out["speaker"] = "\n".join([out["speaker"], *found])
    return out
