"""Constraints a question puts on its answer, and how softly they are read, over a small fictional general debate:
years the index does not hold, dates of events, days and years relaxed when nothing matches, ranges, names no
statement holds, names spelt two ways, lower case and typos, topic pronouns in follow-ups, and "has anyone…?".

Countries, speakers and organisations are all fictional; the index is real (encoder, FAISS, bm25s, SQLite).
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from assistant import Assistant
from assistant.answer import Answer

DEBATE = [
    {"id": "NRV_2019", "country": "NRV", "country_name": "Norvania", "speaker": "Elara Voss", "post": "Prime Minister",
     "date": "2019-09-24", "title": "Norvania at the 2019 general debate",
     "text": "Our islands are sinking. The sea walls of Kessmouth were built for a calmer century, and we are "
             "rebuilding them with our own hands.\nNorvania asks every delegation to cut fishing quotas in the "
             "Pelgrin Sea by a fifth."},
    {"id": "NRV_2020", "country": "NRV", "country_name": "Norvania", "speaker": "Elara Voss", "post": "Prime Minister",
     "date": "2020-09-22", "title": "Norvania at the 2020 general debate",
     "text": "The pandemic has closed our harbours for months.\nVaccines must reach the smallest island states at "
             "the same time as the largest economies.\nThe sea walls of Kessmouth still need a regional fund."},
    {"id": "NRV_2021", "country": "NRV", "country_name": "Norvania", "speaker": "Elara Voss", "post": "Prime Minister",
     "date": "2021-09-21", "title": "Norvania at the 2021 general debate",
     "text": "The sea walls of Kessmouth held through the winter storms, thanks to the regional fund.\n"
             "We now ask that the fund be opened to every low island.\n"
             "Debt relief for island states is the price of a stable ocean economy."},
    {"id": "VLD_2020", "country": "VLD", "country_name": "Valdoria", "speaker": "Ilya Brannock", "post": "President",
     "date": "2020-09-23", "title": "Valdoria at the 2020 general debate",
     "text": "Valdoria will lower its grain tariffs for every neighbour that opens its ports to our ships.\n"
             "Our own sea walls at Castelmar are crumbling, and we will rebuild them with Norvanian engineers.\n"
             "The fishing quotas of the Pelgrin Sea must be shared fairly between all coastal states."},
    # one speaker, spelt two ways in two years
    {"id": "KST_2019", "country": "KST", "country_name": "Kastria", "speaker": "Marek Olzewski",
     "post": "Prime Minister", "date": "2019-09-25", "title": "Kastria at the 2019 general debate",
     "text": "Kastria will not build the Drava dam until the farmers downstream agree.\n"
             "Clean water is a right of every village."},
    {"id": "KST_2021", "country": "KST", "country_name": "Kastria", "speaker": "Marek Olszewski",
     "post": "Prime Minister", "date": "2021-09-23", "title": "Kastria at the 2021 general debate",
     "text": "The Drava dam is now finished, and the farmers downstream have their water.\n"
             "Kastria thanks its neighbours for their patience."},
    {"id": "EST_2021", "country": "XEM", "country_name": "Estmark", "speaker": "Aldric Morrow", "post": "King",
     "date": "2021-09-21", "title": "Estmark at the 2021 general debate",
     "text": "Sea-level rise has already taken three of our villages.\n"
             "Estmark pledges half of its climate budget to coastal defences.\n"
             "Fishing quotas should be raised, because the cod stocks have recovered."},
]
DATES = {r["id"]: r["date"] for r in DEBATE}
VOSS = {"NRV_2019", "NRV_2020", "NRV_2021"}


@pytest.fixture(scope="module")
def debate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    folder = tmp_path_factory.mktemp("soft_debate")
    (folder / "debate.jsonl").write_text("\n".join(json.dumps(r) for r in DEBATE) + "\n", encoding="utf-8")
    assistant = Assistant.build([folder], tmp_path_factory.mktemp("soft_debate_index") / "index", progress=False)
    yield assistant
    assistant.close()


def _ids(answer: Answer) -> set[str]:
    return {q.statement_id for q in answer.quotes}


def _assert_verbatim(debate: Assistant, answer: Answer) -> None:
    statements = debate.statements(sorted(_ids(answer)))
    for quote in answer.quotes:
        assert statements[quote.statement_id].text[quote.start:quote.end] == quote.text


# -- years the index does not hold, and years of events ----------------------------------------------------------------
def test_a_year_the_index_does_not_hold_dates_no_statement(debate: Assistant) -> None:
    answer = debate.ask("What did Voss say about quotas in her 2031 address?")
    assert answer.frame is not None and answer.frame.unheld == "2031"
    assert answer.abstained and not answer.quotes
    assert answer.message.startswith("The statements are from 2019 to 2021"), answer.message


@pytest.mark.parametrize("question", [
    "What did Voss say about the 2031 quotas?",
    "What did Voss say about the quotas for 2031?",
])
def test_a_year_of_an_event_is_not_a_year_the_index_lacks(debate: Assistant, question: str) -> None:
    answer = debate.ask(question)
    assert answer.frame is not None and answer.frame.unheld == ""
    assert "2031" in answer.frame.topic
    assert not answer.message.startswith("The statements are from"), answer.message


# -- a date that leaves nothing is relaxed, and the answer says so -----------------------------------------------------
DAY_QUESTION = "What did Voss say about vaccines on 12 March 2020?"


def test_a_day_with_nothing_on_the_topic_is_relaxed_to_its_year(debate: Assistant) -> None:
    answer = debate.ask(DAY_QUESTION)
    assert not answer.abstained, answer.message
    assert _ids(answer) == {"NRV_2020"} and "Vaccines must reach" in answer.quotes[0].text
    assert answer.message.startswith("Nothing was found from "), answer.message
    _assert_verbatim(debate, answer)


def test_a_relaxed_day_is_named_as_the_question_gave_it(debate: Assistant) -> None:
    answer = debate.ask(DAY_QUESTION)
    assert answer.message.startswith("Nothing was found from 12 March 2020;"), answer.message


def test_a_year_with_nothing_on_the_topic_is_relaxed_to_other_years(debate: Assistant) -> None:
    answer = debate.ask("What did Voss say about vaccines in 2019?")
    assert not answer.abstained, answer.message
    assert answer.message.startswith("Nothing was found from 2019;"), answer.message
    assert _ids(answer) == {"NRV_2020"} and "Vaccines must reach" in answer.quotes[0].text
    _assert_verbatim(debate, answer)


# -- ranges ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "first", "last"), [
    ("What did Voss say about the sea walls from 2019 to 2020?", "2019", "2020"),
    ("What did Voss say about the sea walls between 2020 and 2021?", "2020", "2021"),
    ("What has Voss said about the sea walls since 2020?", "2020", "9999"),
    ("What did Voss say about the sea walls before 2021?", "0000", "2020"),
])
def test_a_range_of_years_bounds_the_statements(debate: Assistant, question: str, first: str, last: str) -> None:
    answer = debate.ask(question)
    assert not answer.abstained, answer.message
    assert _ids(answer) <= VOSS
    for quote in answer.quotes:
        assert first <= quote.date[:4] <= last, (question, quote.statement_id)
    assert "sea walls" in answer.quotes[0].text


# -- names no statement holds ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", [
    "What did Kalder Smit say about the harbour?",
    "Who spoke about Kalder Smit?",
])
def test_a_name_no_statement_mentions(debate: Assistant, question: str) -> None:
    answer = debate.ask(question)
    assert answer.abstained and not answer.quotes
    assert answer.message == "No statement mentions Kalder Smit."


# -- names spelt two ways, lower case and typos ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Olszewski", "Olzewski", "Marek Olszewski", "Marek Olzewski"])
def test_one_speaker_spelt_two_ways_is_quoted_in_both_years(debate: Assistant, name: str) -> None:
    answer = debate.ask(f"How has {name}'s position on the Drava dam changed over the years?")
    assert answer.kind == "timeline" and not answer.abstained, answer.message
    assert _ids(answer) == {"KST_2019", "KST_2021"}
    assert [q.date for q in answer.quotes] == sorted(q.date for q in answer.quotes)


@pytest.mark.parametrize("question", [
    "what did elara voss say abut the sea walls",
    "what did elara voss say about the sea walls",
    "What did Elara Voss say abut the sea walls?",
])
def test_lower_case_names_and_misspelt_framing_words(debate: Assistant, question: str) -> None:
    expected = debate.ask("What did Elara Voss say about the sea walls?")
    assert not expected.abstained and _ids(expected) <= VOSS
    answer = debate.ask(question)
    assert not answer.abstained, answer.message
    got, want = answer.quotes[0], expected.quotes[0]
    assert (got.statement_id, got.start, got.end, got.text) == (want.statement_id, want.start, want.end, want.text)


# -- follow-ups --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("follow_up", [
    "and what did Brannock say about them?",
    "What did Brannock say about them?",
])
def test_a_topic_pronoun_in_a_follow_up_is_the_previous_topic(debate: Assistant, follow_up: str) -> None:
    first = debate.ask("What did Voss say about sea walls?")
    assert not first.abstained and _ids(first) <= VOSS
    answer = debate.ask(follow_up, history=[first])
    assert answer.frame is not None and answer.frame.topic == "sea walls"
    assert not answer.abstained, answer.message
    assert _ids(answer) == {"VLD_2020"}
    assert {q.speaker for q in answer.quotes} == {"Ilya Brannock"}
    assert "sea walls" in answer.quotes[0].text


# -- who raised it -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "speakers"), [
    ("Has anyone raised fishing quotas?", {"Elara Voss", "Ilya Brannock", "Aldric Morrow"}),
    ("Has anyone raised the sea walls?", {"Elara Voss", "Ilya Brannock"}),
])
def test_has_anyone_raised_is_a_who_spoke_question(debate: Assistant, question: str, speakers: set[str]) -> None:
    answer = debate.ask(question)
    assert answer.kind == "who" and not answer.abstained, answer.message
    said = [q.speaker for q in answer.quotes]
    assert len(said) == len(set(said)) >= 2
    assert set(said) == speakers
    _assert_verbatim(debate, answer)


# -- names a topic gives, and years after a topic that names no event --------------------------------------------------
def test_a_year_after_a_plain_topic_dates_the_statement(debate: Assistant) -> None:
    answer = debate.ask("What did Voss say about fishing quotas in 2031?")
    assert answer.abstained and answer.message.startswith("The statements are from 2019 to 2021"), answer.message


def test_a_topic_name_no_sentence_writes_is_not_answered_from_lookalikes(debate: Assistant) -> None:
    # the sea walls of Kessmouth and Castelmar are in the index; "Marlow" is a place no sentence names, though
    # every word of "the sea walls of Marlow" but one is there
    answer = debate.ask("Which countries spoke about the sea walls of Kessmouth?")
    assert not answer.abstained and _ids(answer) <= VOSS | {"VLD_2020"}
    assert all("Kessmouth" in q.text for q in answer.quotes if q.statement_id in VOSS)
    castelmar = debate.ask("Did any leader comment on the sea walls of Castelmar?")
    assert castelmar.frame is not None and castelmar.frame.kind == "who"
    assert castelmar.frame.topic == "the sea walls of Castelmar"
    assert _ids(castelmar) == {"VLD_2020"}  # Kessmouth's sea walls are not Castelmar's


def test_a_topic_name_the_statement_writes_elsewhere_still_answers(debate: Assistant) -> None:
    # "Valdoria" opens Brannock's statement, two lines above the quotas sentence, which does not name it
    answer = debate.ask("What did Brannock say about the fishing quotas of the Valdorian fleet?")
    assert not answer.abstained, answer.message
    assert "fishing quotas of the Pelgrin Sea" in answer.quotes[0].text
    missing = debate.ask("What did Brannock say about the fishing quotas of the Marlow fleet?")
    assert missing.abstained, missing.message  # no statement of his names Marlow


def test_the_answer_names_the_speaker_a_misspelling_was_linked_to(debate: Assistant) -> None:
    answer = debate.ask("What did Brannok say about grain tariffs?")
    assert _ids(answer) == {"VLD_2020"}
    assert answer.message.startswith("What Ilya Brannock said about grain tariffs"), answer.message
    asked_by_country = debate.ask("What did the Valdorian president say about grain tariffs?")
    assert "Ilya Brannock" not in asked_by_country.message  # a role and a demonym are how the asker names him
