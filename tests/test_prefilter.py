"""The attribution pre-filter: a report is parsed only in the sentences that can hold an attribution, and finds
what parsing all of it finds. Fictional speakers and places throughout."""
from __future__ import annotations

import pytest

from corpus.attribution import attribute_many
from corpus.attribution.prefilter import can_report, cue_words, learned_cue_lemmas, report_windows
from corpus.sentences import split_sentences

REPORTS = [
    "The ferry to Kessmouth left at noon. The harbour was calm and the gulls were loud. "
    "Minister Elara Voss said the fishing quotas must be cut by a fifth. She added that the monitoring body "
    "would meet in May. The weather stayed fair all afternoon. Boats lined the quay.",
    "Estmark's fleet returned on Tuesday. “We have respected every limit for ten years. The stocks have "
    "recovered. Nobody can say otherwise,” Tomas Quill told reporters. The cod season opens in June.",
    "Prices at the fish market rose again. According to the Pelgrin Sea Council, catches fell by a third. "
    "The market closes at six. Traders blamed the storms for the shortage.",
    "VOSS: The quotas stay as they are.\nQUILL: Then we will take this to the council.\nThe session ended early.",
    "The vote is set for June. Harbour fees were not discussed. Grellin did not back the plan. She pushed for a "
    "new round of talks instead.",  # "back": a cue only the content tagger knows
]


def _found(texts: list[str], prefilter: bool) -> list[set[tuple[int, int, str]]]:
    return [{(a.content_start, a.content_end, a.speaker) for a in found}
            for found in attribute_many(texts, [None] * len(texts), prefilter=prefilter)]


def test_the_pre_filter_finds_what_parsing_everything_finds() -> None:
    assert _found(REPORTS, prefilter=True) == _found(REPORTS, prefilter=False)
    assert all(_found(REPORTS, prefilter=True))  # every report holds an attribution to find


def test_sentences_that_report_no_one_are_not_parsed() -> None:
    text = REPORTS[0]
    sentences = split_sentences(text)
    windows = report_windows(text, sentences)
    parsed = sum(w.end - w.start for w in windows)
    assert parsed < len(text) * 0.7
    assert not any(w.start <= text.index("The ferry") < w.end for w in windows)  # nothing reported, nothing before
    assert any(w.own <= text.index("Minister Elara Voss") < w.end for w in windows)


def test_a_quotation_over_several_sentences_is_parsed_whole() -> None:
    text = REPORTS[1]
    windows = report_windows(text, split_sentences(text))
    start, end = text.index("“We have"), text.index("told reporters")
    assert any(w.own <= start and end < w.end for w in windows)  # the middle sentence has no quote mark of its own


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Grellin backed the plan on Monday.", True),  # "back": a cue the content tagger uses, learned from data
    ("According to the council, catches fell.", True),
    ("QUILL: Then we will take this to the council.", True),
    ("The ferry to Kessmouth left at noon.", False),
    ("We will take this to the council.", False),
])
def test_which_sentences_can_report(sentence: str, expected: bool) -> None:
    assert can_report(sentence) is expected


def test_a_first_person_sentence_can_report_when_the_text_has_an_owner() -> None:
    assert can_report("We will take this to the council.", owner=True)


def test_the_learned_cue_lemmas_ship_with_the_package() -> None:
    lemmas = learned_cue_lemmas()
    assert "back" in lemmas and {"backed", "backs", "backing"} <= cue_words()
    assert "have" not in lemmas and "be" not in {w for w in cue_words() if w in ("is", "are", "was")}
