"""Reading a question (``assistant.reading``): kind, speaker, topic and time, by the parse and the index's vocabulary.

Every row is one question over a small fictional index: speakers, countries and organisations are invented.
The vocabulary is real (a ``SpeakerDirectory`` over fictional statement headers and a bm25s index of their words).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from assistant.reading import QuestionFrame, TimeSpan, Vocabulary, read_question, spoken_date
from assistant.reading.times import find_times
from assistant.speakers import SpeakerDirectory
from corpus.statement import Statement
from embeddings.local.lexical_index import LexicalIndex

TODAY = date(2026, 11, 29)
HEADERS = [
    Statement("NRV_2019", "", speaker="Elara Voss", source="Norvania", date="2019-09-24",
              metadata={"country": "NRV", "country_name": "Norvania", "post": "Prime Minister"}),
    Statement("NRV_2021", "", speaker="Jonas Brevick", source="Norvania", date="2021-09-25",
              metadata={"country": "NRV", "country_name": "Norvania", "post": "Minister for Foreign Affairs"}),
    Statement("VLD_2020", "", speaker="Ilya Brannock", source="Valdoria", date="2020-09-23",
              metadata={"country": "VLD", "country_name": "Valdoria", "post": "President"}),
    Statement("MIN_2021", "", source="Ministry of Foreign Affairs of Valdoria", date="2021-03-02"),
]
TEXTS = [
    "Norvania asks every delegation to cut fishing quotas in the Pelgrin Sea. The sea walls of Kessmouth need a fund.",
    "Vaccine patents should be waived. Debt relief for island states is the price of a stable ocean economy.",
    "Valdoria will lower its grain tariffs. A tariff war would starve the poorest harbours first.",
    "The ministry condemns the floods response of Ostrava and thanks Petra Oduya for the relief convoy.",
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    directory = SpeakerDirectory(HEADERS, [("Petra Oduya", "MIN_2021", 2)])
    return Vocabulary(directory, LexicalIndex.build(TEXTS), "2019-09-24", "2021-09-25")


def read(question: str, vocabulary: Vocabulary, history: Sequence[str] = ()) -> QuestionFrame:
    frames: list[QuestionFrame] = []
    for turn in history:
        frames.append(read_question(turn, frames, vocabulary, today=TODAY))
    return read_question(question, frames, vocabulary, today=TODAY)


# -- kind, speaker and topic -------------------------------------------------------------------------------------------
FRAME_CASES = [
    # (question, kind, speaker, topic)
    ("What did Elara Voss say about fishing quotas?", "ask", "Elara Voss", "fishing quotas"),
    ("What did Voss have to say about quotas?", "ask", "Voss", "quotas"),
    ("What is Voss's position on sea walls?", "ask", "Voss", "sea walls"),
    ("What were Brannock's remarks on the talks?", "ask", "Brannock", "the talks"),
    ("How did Brannock describe the talks?", "ask", "Brannock", "the talks"),
    ("what did voss say about the peace talks", "ask", "voss", "the peace talks"),
    ("Quotes by Elara Voss on fisheries", "ask", "Elara Voss", "fisheries"),
    ("What did Petra Grellin say?", "ask", "Petra Grellin", ""),
    # anywhere in the question, any case, any verb
    ("On fishing quotas, what did Voss say?", "ask", "Voss", "fishing quotas"),
    ("what did elara voss say about fishing quotas", "ask", "elara voss", "fishing quotas"),
    ("what did voss warn about the sea walls", "ask", "voss", "the sea walls"),
    ("Give me Valdoria's line on grain tariffs", "ask", "Valdoria", "grain tariffs"),
    # organisations and countries as the speaker
    ("What did the valdorian government say about grain tariffs?", "ask", "the valdorian government", "grain tariffs"),
    ("did valdoria comment on the tariff war", "ask", "valdoria", "the tariff war"),
    ("What did the Norvanian prime minister say about sea walls?", "ask", "the Norvanian prime minister", "sea walls"),
    # where the words were said is not the topic
    ("Per the foreign office readout, what did Brannock say about grain tariffs after meeting Voss?", "ask",
     "Brannock", "grain tariffs after meeting Voss"),
    # misspelt framing words
    ("what did the minster of Norvania say abut the govermnent", "ask", "the minister of Norvania", "the government"),
    # who spoke, timelines, quotes
    ("Has anyone raised the tariff war?", "who", "", "the tariff war"),
    ("Which countries mentioned debt relief?", "who", "", "debt relief"),
    ("Give me Valdoria's line on grain tariffs, year by year", "timeline", "Valdoria", "grain tariffs"),
    ("How did Voss's mentions of the fishing quotas develop over her addresses?", "timeline", "Voss",
     "the fishing quotas"),
    ("When did Norvania first mention vaccine patents?", "timeline", "Norvania", "vaccine patents"),
    ("Who said “a tariff war would starve the poorest harbours”?", "quote", "",
     "a tariff war would starve the poorest harbours"),
    ("who told the assembly that a tariff war would starve the poorest harbours first", "quote", "",
     "a tariff war would starve the poorest harbours first"),
]


@pytest.mark.parametrize(("question", "kind", "speaker", "topic"), FRAME_CASES)
def test_kind_speaker_and_topic(vocabulary: Vocabulary, question: str, kind: str, speaker: str, topic: str) -> None:
    frame = read(question, vocabulary)
    assert (frame.kind, frame.speaker, frame.topic) == (kind, speaker, topic)


def test_whitespace_is_normalised(vocabulary: Vocabulary) -> None:
    frame = read("  What did Elara\tVoss say\nabout quotas ?  ", vocabulary)
    assert frame.text == "What did Elara Voss say about quotas ?"
    assert (frame.speaker, frame.topic) == ("Elara Voss", "quotas")


# -- time ---------------------------------------------------------------------------------------------------------
TIME_CASES = [
    # (question, statement time (start, end) or None, words of the topic)
    ("What did Voss say about quotas in 2019?", ("2019", "2019"), "quotas"),
    ("In 2019, what did Voss say about quotas?", ("2019", "2019"), "quotas"),
    ("What did Voss say about quotas in her 2019 address?", ("2019", "2019"), "quotas"),
    ("What did Voss say in September 2019?", ("2019-09", "2019-09"), ""),
    ("What did Voss say on 24 September 2019 about quotas?", ("2019-09-24", "2019-09-24"), "quotas"),
    ("What did Voss say about quotas from 2019 to 2021?", ("2019", "2021"), "quotas"),
    ("What did Voss say about quotas in the years 2019–2021?", ("2019", "2021"), "quotas"),
    ("What did Voss say about quotas between 2019 and 2020?", ("2019", "2020"), "quotas"),
    ("What has Voss said about quotas since 2020?", ("2020", ""), "quotas"),
    ("What did Voss tell the summit at the end of September 2019 about quotas?", ("2019-09", "2019-09"), "quotas"),
    ("What has Voss said about quotas, from mid-September into October 2019?", ("2019-09", "2019-10"), "quotas"),
    ("What did Voss say about quotas before 2021?", ("", "2020"), "quotas"),
    # a date of an event stays in the topic
    ("What did Voss say about the March 2020 floods?", None, "March 2020 floods"),
    ("What did Voss say about the storm of 6 February 2020?", None, "storm of 6 February 2020"),
    ("What did Voss say about climate targets for 2050?", None, "climate targets for 2050"),
    # numbers that are not dates
    ("What did Voss say about the 2030 Agenda?", None, "2030 Agenda"),
    ("What did Voss say about Resolution 2254?", None, "Resolution 2254"),
]


@pytest.mark.parametrize(("question", "span", "topic"), TIME_CASES)
def test_statement_time_and_event_time(vocabulary: Vocabulary, question: str, span: tuple[str, str] | None,
                                       topic: str) -> None:
    frame = read(question, vocabulary)
    assert frame.when == (TimeSpan(*span) if span else None)
    assert frame.topic.removeprefix("the ") == topic


@pytest.mark.parametrize(("question", "value"), [
    ("What did Voss say last September?", ("2026-09", "2026-09")),
    ("What did Voss say last December?", ("2025-12", "2025-12")),
    ("What did Voss say last year?", ("2025", "2025")),
    ("What did Voss say in the 1990s?", ("1990", "1999")),
    ("What did Voss say in 2019-21?", ("2019", "2021")),
])
def test_time_normaliser(question: str, value: tuple[str, str]) -> None:
    (found,) = find_times(question, today=TODAY)
    assert (found.span.start, found.span.end) == value


def test_a_year_the_index_does_not_hold_is_kept_to_be_said(vocabulary: Vocabulary) -> None:
    frame = read("What did Voss say about quotas in her 2031 address?", vocabulary)
    assert frame.unheld == "2031" and frame.when is None and frame.topic == "quotas"


def test_a_name_no_statement_holds_is_unknown(vocabulary: Vocabulary) -> None:
    assert read("What did Kalder Smit say about the tariffs?", vocabulary).unknown == "Kalder Smit"
    assert read("Who spoke about Kalder Smit?", vocabulary).unknown == "Kalder Smit"
    assert read("Who spoke about Ostrava?", vocabulary).unknown == ""  # a name the statements do hold


@pytest.mark.parametrize(("value", "spoken"), [
    ("2019", "2019"), ("2019-09", "September 2019"), ("2020-03-12", "12 March 2020"), ("", ""),
])
def test_spoken_date(value: str, spoken: str) -> None:
    assert spoken_date(value) == spoken


# -- follow-ups ---------------------------------------------------------------------------------------------------
VOSS_2019 = "What did Elara Voss say about fishing quotas in 2019?"
FOLLOW_UP_CASES = [
    # (history, question, speaker, topic, statement time, excluded speaker, follow-up)
    ([VOSS_2019], "And about sea walls?", "Elara Voss", "sea walls", ("2019", "2019"), "", True),
    ([VOSS_2019], "What else did she say?", "Elara Voss", "", ("2019", "2019"), "", True),
    ([VOSS_2019], "Did anyone else say that?", "", "fishing quotas", ("2019", "2019"), "Elara Voss", True),
    ([VOSS_2019], "What did she say about the sea walls?", "Elara Voss", "the sea walls", ("2019", "2019"), "", True),
    # a topic named by a pronoun is the previous topic
    ([VOSS_2019], "and what did Brannock say about it?", "Brannock", "fishing quotas", ("2019", "2019"), "", True),
    ([VOSS_2019], "what did the valdorian government say about them?", "the valdorian government",
     "fishing quotas", ("2019", "2019"), "", True),
    # one thing changed: the time, a year later or earlier, or the speaker
    ([VOSS_2019], "and in 2020?", "Elara Voss", "fishing quotas", ("2020", "2020"), "", True),
    ([VOSS_2019], "and the following year's?", "Elara Voss", "fishing quotas", ("2020", "2020"), "", True),
    ([VOSS_2019], "and the year before?", "Elara Voss", "fishing quotas", ("2018", "2018"), "", True),
    ([VOSS_2019], "And Valdoria?", "Valdoria", "fishing quotas", ("2019", "2019"), "", True),
    # a complete new question starts afresh
    ([VOSS_2019], "What did Ilya Brannock say about grain tariffs?", "Ilya Brannock", "grain tariffs", None, "",
     False),
    ([], "What did she say about grain?", "", "grain", None, "", False),
]


@pytest.mark.parametrize(("history", "question", "speaker", "topic", "span", "excluded", "follow_up"),
                         FOLLOW_UP_CASES)
def test_follow_ups(vocabulary: Vocabulary, history: list[str], question: str, speaker: str, topic: str,
                    span: tuple[str, str] | None, excluded: str, follow_up: bool) -> None:
    frame = read(question, vocabulary, history)
    assert (frame.speaker, frame.topic, frame.when) == (speaker, topic, TimeSpan(*span) if span else None)
    assert (frame.exclude_speaker, frame.follow_up) == (excluded, follow_up)


def test_reading_needs_no_vocabulary() -> None:
    frame = read_question("What did Elara Voss say about fishing quotas in 2019?", today=TODAY)
    assert (frame.kind, frame.speaker, frame.topic, frame.year) == ("ask", "Elara Voss", "fishing quotas", "2019")


# -- names: variants, look-alikes ---------------------------------------------------------------------------------
def test_one_person_spelt_two_ways_is_one_speaker() -> None:
    headers = [
        Statement("KST_2022", "", speaker="Marek Olzewski", date="2022", metadata={"country": "KST"}),
        Statement("KST_2023", "", speaker="Mr. Marek Olszewski", date="2023", metadata={"country": "KST"}),
        Statement("VLD_2023", "", speaker="Marek Olszewsky", date="2023", metadata={"country": "VLD"}),
    ]
    directory = SpeakerDirectory(headers)
    for spelling in ("Olzewski", "Olszewski", "Marek Olszewski"):
        found = directory.match(spelling)
        assert found is not None and found.metadata_ids == {"KST_2022", "KST_2023"}, spelling


def test_a_look_alike_name_is_not_taken_for_another() -> None:
    headers = [
        Statement("A", "", speaker="Ilya Brannock", metadata={"country": "VLD"}),
        Statement("B", "", speaker="Ilya Brannick", metadata={"country": "KST"}),
    ]
    directory = SpeakerDirectory(headers)
    assert directory.match("Branock") is not None and directory.match("Branock").metadata_ids == {"A"}
    assert directory.match("Brannack") is None  # one letter from both: neither


def test_a_capitalised_unknown_word_is_not_respelt_as_a_look_alike(vocabulary: Vocabulary) -> None:
    assert vocabulary.spelled("the tarifs of Kesmouth") == "the tariff of Kesmouth"  # a stem, as BM25 spells it


@pytest.mark.parametrize(("question", "strong"), [
    ("What did Voss say about fishing quotas in 2031?", True),  # a common-noun topic: the time dates the saying
    ("What did Voss say about Storm Pelgrin in 2019?", False),  # a named event: the time may be the event's
    ("What did Voss say in 2031 about fishing quotas?", True),
])
def test_a_time_after_a_topic_that_names_no_event_dates_the_statement(question: str, strong: bool) -> None:
    from assistant.reading.parsing import parse

    times = find_times(question, parse(question))
    assert [t.strong for t in times if t.role == "statement"] == [strong]


def test_a_name_spelt_like_a_word_the_index_writes_is_not_unknown() -> None:
    # the statements write "Frenchmen" and "Scandinavia"; the question's words are English words of their own
    texts = ["Three Frenchmen of the fleet sailed to Kessmouth.", "Scandinavia sent two ships to the Pelgrin Sea."]
    small = Vocabulary(SpeakerDirectory(HEADERS, []), LexicalIndex.build(texts), "2019-09-24", "2021-09-25")
    assert read("How many Frenchman sailed to Kessmouth?", small).unknown == ""
    assert read("What did the Scandinavian ships do?", small).unknown == ""
    assert read("What did Kalder Smit say about the ships?", small).unknown == "Kalder Smit"


def test_a_capitalised_name_is_not_read_as_a_common_word_it_looks_like() -> None:
    # "Wuring" is one letter from "during", which the statements write 30 times as often: still a name, not a typo
    texts = [f"During the storm of {1990 + i} the harbour of Kessmouth closed." for i in range(30)]
    texts.append("The Wuring dam on the Drava was finished in spring.")
    directory = SpeakerDirectory(HEADERS, [])
    small = Vocabulary(directory, LexicalIndex.build(texts), "2019-09-24", "2021-09-25")
    frame = read("What did Voss say about the Wuring dam?", small)
    assert "Wuring" in frame.topic and "during" not in frame.topic.lower()
    assert read("What did Voss say abut the dam?", small).topic == "the dam"  # a lower-case typo: read as meant
