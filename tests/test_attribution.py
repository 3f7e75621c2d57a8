"""Attribution of speech in fictional articles and speeches: spans, cues, sources and resolved speakers.

Every speaker, place and organisation here is invented. spaCy's English pipeline runs for real.
"""
from __future__ import annotations

import pytest

from corpus.attribution import Attribution, attribute

NEWS = """Harbour talks stall in Castelmar

Valdoria's Foreign Minister Ilya Brannock said on Tuesday that the harbour talks had failed. He blamed the \
delegation of Ostrava for the collapse.

Petra Grellin, the ambassador of Ostrava, rejected that account. “We came to every session with a proposal,” she \
told reporters. “Valdoria walked out twice.”

The minister later criticized remarks by Grellin, which described the tariff on grain as a gift to smugglers.

According to the Ostrava Fisheries Board, the cod stocks have recovered since 2019.

A spokesperson for the Harbour Authority of Lindqvist said the ferry will run twice a day from June.
"""

SPEECH = """Thank you, Madam President.
We meet at a time when the Pelgrin Sea is rising faster than ever.
Our islands cannot wait another decade for a fund.
As Tomas Quill told this Assembly last year, “the sea does not negotiate.”
I call on every delegation to support the regional fund.
"""


def rows(text: str, found: list[Attribution]) -> list[tuple[str, str, str, str, str]]:
    """(kind, speaker, source as written, cue, content) for each attribution."""
    return [
        (a.kind, a.speaker, a.source_text, text[a.cue_start : a.cue_end], text[a.content_start : a.content_end])
        for a in found
    ]


@pytest.fixture(scope="module")
def news() -> list[tuple[str, str, str, str, str]]:
    return rows(NEWS, attribute(NEWS))


@pytest.mark.parametrize(
    "expected",
    [
        # a name with its role and country; the title line above does not run into the source
        ("indirect", "Ilya Brannock", "Valdoria's Foreign Minister Ilya Brannock", "said",
         "that the harbour talks had failed"),
        # a pronoun resolved to the person named in the sentence before
        ("indirect", "Ilya Brannock", "He", "blamed", "the delegation of Ostrava for the collapse"),
        # a second speaker, with an apposition
        ("indirect", "Petra Grellin", "Petra Grellin, the ambassador of Ostrava,", "rejected", "that account"),
        # a direct quote, quote marks included, its pronoun source resolved across the paragraph; the quote
        # after the cue, with no cue of its own, is its second part (one attribution, as PolNeAR annotates it)
        ("direct", "Petra Grellin", "she", "told",
         "“We came to every session with a proposal,” she told reporters. “Valdoria walked out twice.”"),
        # a description as source: the person introduced with that role, not the last speaker
        ("indirect", "Ilya Brannock", "The minister", "criticized",
         "remarks by Grellin, which described the tariff on grain as a gift to smugglers"),
        # nested speech: the characterization inside the criticized remarks is Grellin's
        ("indirect", "Petra Grellin", "Grellin", "described", "the tariff on grain as a gift to smugglers"),
        # "according to"
        ("indirect", "Ostrava Fisheries Board", "the Ostrava Fisheries Board", "According to",
         "the cod stocks have recovered since 2019."),
        # a spokesperson speaks for an organisation
        ("indirect", "Harbour Authority of Lindqvist", "A spokesperson for the Harbour Authority of Lindqvist", "said",
         "the ferry will run twice a day from June"),
    ],
)
def test_news_attributions(news: list[tuple[str, str, str, str, str]], expected: tuple[str, ...]) -> None:
    assert expected in news, "\n".join(map(str, news))


def test_news_has_no_other_attributions(news: list[tuple[str, str, str, str, str]]) -> None:
    assert len(news) == 8, "\n".join(map(str, news))
    assert all(row[1] for row in news)  # every source resolved


def test_a_later_quote_without_a_cue_continues_the_previous_speaker() -> None:
    text = (
        "“The nets are empty,” said Anselm Rook, a fisherman from Castelmar. The harbour board met on Friday.\n\n"
        "“We will sail anyway, whatever the board decides.”\n"
    )
    found = rows(text, attribute(text))
    assert ("direct", "Anselm Rook", "", "", "“We will sail anyway, whatever the board decides.”") in found, found


def test_more_cue_frames_in_news() -> None:
    text = (
        "Senator Ilse Marrow blasted the harbour levy on Monday. She talked about the cost of diesel. "
        "The levy seems to have few friends. Marrow's aides say the vote will be close."
    )
    found = rows(text, attribute(text))
    assert ("indirect", "Ilse Marrow", "Senator Ilse Marrow", "blasted", "the harbour levy") in found, found
    assert ("indirect", "Ilse Marrow", "She", "talked about", "the cost of diesel") in found, found
    assert ("indirect", "", "", "seems", "The levy seems to have few friends") in found, found
    assert ("indirect", "Ilse Marrow", "Marrow's aides", "say", "the vote will be close") in found, found


def test_colon_lines_nominal_cues_and_a_name_the_ner_does_not_know() -> None:
    text = (
        "Ilse Marrow: The levy is dead\n\n"
        "Okafor voiced criticism of the ferry timetable.\n\n"
        "“We will not pay,” Okafor said on Tuesday. “Not now, not ever.”\n\n"
        "He added that the board was “out of touch”."
    )
    found = rows(text, attribute(text))
    assert ("indirect", "Ilse Marrow", "Ilse Marrow", ":", "The levy is dead") in found, found
    assert ("indirect", "Okafor", "Okafor", "criticism of", "the ferry timetable") in found, found
    # "Okafor" is no PERSON entity for the small model, yet "He" is still taken as him
    assert ("indirect", "Okafor", "He", "added", "that the board was “out of touch”") in found, found


def test_offsets_point_into_the_text() -> None:
    for a in attribute(NEWS):
        assert 0 <= a.content_start < a.content_end <= len(NEWS)
        assert a.cue_start <= a.cue_end
        if a.source_start is not None and a.source_end is not None:
            assert NEWS[a.source_start : a.source_end] == a.source_text
        assert 0.0 < a.confidence <= 1.0 and a.kind in ("direct", "indirect", "first_person")


def test_a_speech_is_its_speakers_unless_it_quotes_someone_else() -> None:
    # only the sentence that may report someone else's words ("told", a quotation) is parsed
    found = rows(SPEECH, attribute(SPEECH, speaker="Elara Voss"))
    assert found == [
        ("first_person", "Elara Voss", "", "", "Thank you, Madam President."),
        ("first_person", "Elara Voss", "", "", "We meet at a time when the Pelgrin Sea is rising faster than ever."),
        ("first_person", "Elara Voss", "", "", "Our islands cannot wait another decade for a fund."),
        ("direct", "Tomas Quill", "Tomas Quill", "told", "“the sea does not negotiate.”"),
        ("first_person", "Elara Voss", "", "", "I call on every delegation to support the regional fund."),
    ]


def test_without_a_metadata_speaker_nothing_is_first_person() -> None:
    assert all(a.kind != "first_person" for a in attribute(SPEECH))
    assert attribute("") == [] and attribute("   \n") == []
