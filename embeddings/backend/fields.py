"""How filters read a statement on every backend: which keys are columns, and how a partial date bound widens."""
from __future__ import annotations

# Filter keys that are columns; any other key is looked up in the metadata JSON.
COLUMN_KEYS = ("id", "title", "speaker", "source", "date", "url", "path")


def end_of_period(bound: str) -> str:
    """Pad a partial ISO date so that it includes the whole year or month."""
    return bound + "-12-31"[len(bound) - 4 :] if len(bound) in (4, 7) else bound
