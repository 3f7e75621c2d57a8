"""Context of a statement that is indexed for retrieval and never quoted: a journalist's question, a headline, a title.

A press-conference answer often never names its topic; the question it answers does. Such a field is
found by meaning and by words like the text itself (``embeddings`` adds it to every chunk's vector and
BM25 terms), and is shown beside the quotes, but no quote ever comes from it. Which fields are context
is a setting of the index (``--context-field``); by default ``question``, ``headline`` and ``title``.
"""
from __future__ import annotations

from collections.abc import Sequence

from corpus.loaders.base import title_from_name
from corpus.statement import Statement

DEFAULT_CONTEXT_FIELDS: tuple[str, ...] = ("question", "headline", "title")
MAX_CONTEXT_CHARS = 600  # context beyond this adds little to a chunk's vector and would crowd out its words


def context_of(statement: Statement, fields: Sequence[str]) -> str:
    """The statement's context fields (``title`` or a metadata field) that the text does not already hold, one
    per line, at most ``MAX_CONTEXT_CHARS`` characters. A title made from the file's name is no context."""
    parts: list[str] = []
    for name in fields:
        value = statement.title if name == "title" else statement.metadata.get(name)
        if name == "title" and value == title_from_name(statement.id):
            continue
        if not isinstance(value, str):
            continue
        value = " ".join(value.split())
        if value and value not in parts and value not in " ".join(statement.text[:4000].split()):
            parts.append(value)
    return "\n".join(parts)[:MAX_CONTEXT_CHARS]
