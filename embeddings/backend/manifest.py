"""The manifest: what an index holds (model, chunker settings, counts, generation), for every backend.

The index directory keeps it in ``manifest.json`` (``embeddings.local.files``); Milvus in its meta collection.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """Format version, model, chunker settings, counts and checksums of the current generation."""

    generation: int
    model: str
    dimension: int
    chunker: dict[str, Any]
    statements: int
    chunks: int
    approximate: bool
    checksums: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    attributions: bool = False  # who said each sentence (corpus.attribution); indexes before it have none
    context_fields: list[str] = field(default_factory=list)  # indexed, never quoted (corpus.context); older: none
