"""The attribution content tagger (a CRF trained on PolNeAR train, shipped with the package), on fictional news.

Speakers and organisations are invented.
"""
from __future__ import annotations

import pytest

from corpus.attribution import Attribution, attribute, english_pipeline, extraction
from corpus.attribution.tagger import MODEL_PATH, content_tagger, labels_for, spans_from

NEWS = [
    "Grellin did not back the plan. She pushed for a new round of talks instead.",
    "Voters in Castelmar are skeptical of the harbour deal, a new survey by the Valdoria News Agency found.",
    "Ilya Brannock said that the harbour talks had failed. He blamed the delegation of Ostrava for the collapse.",
    "The minister criticized remarks by Petra Grellin, which described the tariff on grain as a gift to smugglers.",
]


def _rules_only(text: str) -> list[Attribution]:
    tagger = extraction.content_tagger
    extraction.content_tagger = lambda: None  # type: ignore[assignment]
    try:
        return attribute(text)
    finally:
        extraction.content_tagger = tagger  # type: ignore[assignment]


def test_the_model_ships_small_and_loads() -> None:
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 2_000_000
    assert content_tagger() is not None


ROUND_TRIP = "Grellin said the talks had failed. Brannock said the ferry would run."


def _span(words: str) -> tuple[int, int]:
    return ROUND_TRIP.index(words), ROUND_TRIP.index(words) + len(words)


@pytest.mark.parametrize("spans", [
    [_span("the talks had failed")],
    [_span("the talks had failed"), _span("the ferry would run")],
    [_span("Grellin said the talks had failed"), _span("the talks had failed")],  # nested: the outer one is kept
])
def test_labels_and_spans_round_trip(spans: list[tuple[int, int]]) -> None:
    doc = english_pipeline()(ROUND_TRIP)
    outermost = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    assert spans_from(doc, labels_for(doc, spans)) == sorted(outermost)


def _spans(a: Attribution) -> tuple[int, int, int, int, int | None, int | None, str]:
    return a.content_start, a.content_end, a.cue_start, a.cue_end, a.source_start, a.source_end, a.kind


@pytest.mark.parametrize("text", NEWS)
def test_the_tagger_only_adds_to_the_rules(text: str) -> None:
    rules = [_spans(a) for a in _rules_only(text)]
    both = attribute(text)
    assert all(a in [_spans(b) for b in both] for a in rules)  # every rule attribution's spans are kept as they were
    added = [a for a in both if _spans(a) not in rules]  # (who "she" is may change: the tagger's finds come before)
    for a in added:
        assert not any(r[0] < a.content_end and a.content_start < r[1] for r in rules)
        assert text[a.content_start:a.content_end].strip() == text[a.content_start:a.content_end]


def test_the_tagger_finds_a_report_the_rules_have_no_frame_for() -> None:
    text = NEWS[0]
    assert not any(text[a.content_start:a.content_end] == "the plan" for a in _rules_only(text))
    found = [a for a in attribute(text) if text[a.content_start:a.content_end] == "the plan"]
    assert [(a.speaker, text[a.cue_start:a.cue_end]) for a in found] == [("Grellin", "back")]
