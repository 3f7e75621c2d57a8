"""What an attribution is: who said which part of a text, before and after the source is resolved."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span

KINDS = ("direct", "indirect", "first_person")
FIRST_PERSON_CONFIDENCE = 0.8
# At or above this confidence a resolved speaker counts (menus, speaker look-ups, who said a sentence):
# a name, or a role or pronoun tied to a named person; below it, a guess from the nearest name.
SPEAKER_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Attribution:
    """Who said which part of a text: character offsets into the text the attribution was found in.

    ``source_start``/``source_end`` are None when no source is written (first-person speech of a
    metadata speaker, a quote continuing an earlier one). ``cue_start == cue_end`` when there is no
    cue word. ``speaker`` is the resolved name ("" when the source could not be resolved).
    """

    content_start: int
    content_end: int
    cue_start: int
    cue_end: int
    source_start: int | None
    source_end: int | None
    source_text: str
    speaker: str
    kind: str
    confidence: float


@dataclass(frozen=True)
class Found:
    """An attribution before its source is resolved."""

    content: tuple[int, int]
    cue: tuple[int, int]
    source: Span | None
    kind: str
