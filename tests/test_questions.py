"""Questions as people ask them, over a small fictional general debate: speakers by role, country, alias or
misspelt name, any verb, exact quotes, years that are not dates, follow-ups that change one thing, who spoke
about a topic, timelines, and abstentions that say where else to look.

Countries, speakers and organisations are all fictional; the index is real (encoder, FAISS, bm25s, SQLite).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.aliases import load_alias_file
from assistant.speakers import SpeakerDirectory

DEBATE = [
    {"id": "NRV_2019", "country": "NRV", "country_name": "Norvania", "speaker": "Elara Voss", "post": "Prime Minister",
     "date": "2019-09-24", "title": "Norvania at the 2019 general debate",
     "text": "Our islands are sinking. The sea walls of Kessmouth were built for a calmer century, and we are "
             "rebuilding them with our own hands.\nNorvania asks every delegation to cut fishing quotas in the "
             "Pelgrin Sea by a fifth."},
    {"id": "NRV_2020", "country": "NRV", "country_name": "Norvania", "speaker": "Elara Voss", "post": "Prime Minister",
     "date": "2020-09-22", "title": "Norvania at the 2020 general debate",
     "text": "The pandemic has closed our harbours for months.\nVaccines must reach the smallest island states at "
             "the same time as the largest economies, or none of us will be safe.\nThe sea walls of Kessmouth "
             "still need a regional fund."},
    {"id": "NRV_2021", "country": "NRV", "country_name": "Republic of Norvania", "speaker": "Jonas Brevick",
     "post": "Minister for Foreign Affairs", "date": "2021-09-25", "title": "Norvania at the 2021 general debate",
     "text": "Vaccine patents should be waived for as long as the pandemic lasts.\nDebt relief for island states "
             "is not charity: it is the price of a stable ocean economy."},
    {"id": "VLD_2020", "country": "VLD", "country_name": "Valdoria", "speaker": "Ilya Brannock", "post": "President",
     "date": "2020-09-23", "title": "Valdoria at the 2020 general debate",
     "text": "Valdoria will lower its grain tariffs for every neighbour that opens its ports to our ships.\n"
             "As Elara Voss told this Assembly last year, “the sea does not negotiate with anyone.”\n"
             "We warn that a new tariff war would starve the poorest harbours first."},
    {"id": "EST_2021", "country": "XEM", "country_name": "Kingdom of Estmark", "speaker": "Aldric Morrow",
     "post": "King", "date": "2021-09-21", "title": "Estmark at the 2021 general debate",
     "text": "Sea-level rise has already taken three of our villages.\nThe 2030 Agenda for the Coasts must put "
             "mangrove restoration first.\nEstmark pledges half of its climate budget to coastal defences."},
]


@pytest.fixture(scope="module")
def debate(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("debate")
    (folder / "debate.jsonl").write_text("\n".join(json.dumps(r) for r in DEBATE) + "\n", encoding="utf-8")
    return Assistant.build([folder], tmp_path_factory.mktemp("debate_index") / "index", progress=False)


def _ids(answer: object) -> set[str]:
    return {q.statement_id for q in answer.quotes}  # type: ignore[attr-defined]


# -- speakers named by role, country, demonym, alias or a misspelt name -----------------------------------------------
@pytest.mark.parametrize(("question", "statements", "words"), [
    ("What did the Norvanian prime minister say about vaccines?", {"NRV_2020"}, "Vaccines must reach"),
    ("What did the PM of Norvania say about vaccines?", {"NRV_2020"}, "Vaccines must reach"),
    ("What did the foreign minister of Norvania say about vaccines?", {"NRV_2021"}, "Vaccine patents"),
    ("What did Norvania's foreign minister say about debt relief?", {"NRV_2021"}, "Debt relief"),
    ("What did the king of Estmark say about sea-level rise?", {"EST_2021"}, "Sea-level rise"),
    ("What did Branock say about grain tariffs?", {"VLD_2020"}, "grain tariffs"),
    ("What did Valdoria warn about a tariff war?", {"VLD_2020"}, "tariff war"),
    ("Which villages did Estmark bring up when it talked about sea-level rise?", {"EST_2021"}, "villages"),
])
def test_speaker_by_role_country_alias_or_typo(debate: Assistant, question: str, statements: set[str],
                                               words: str) -> None:
    answer = debate.ask(question)
    assert not answer.abstained, answer.message
    assert _ids(answer) <= statements
    assert words in answer.quotes[0].text


def test_a_misspelt_topic_word_is_read_as_the_statements_spell_it(debate: Assistant) -> None:
    answer = debate.ask("What did Norvania say about the pandemc and its harbours?")
    assert answer.frame is not None and "pandem" in answer.frame.spelled
    assert not answer.abstained and answer.quotes[0].statement_id == "NRV_2020"
    assert "pandemic" in answer.quotes[0].text


def test_a_name_the_metadata_misspells_is_found_by_the_right_spelling(debate: Assistant) -> None:
    answer = debate.ask("What did Jonas Brevik say about debt relief?")  # the metadata says "Brevick"
    assert not answer.abstained and _ids(answer) == {"NRV_2021"}
    assert not answer.message.startswith("No statement")


def test_a_country_under_another_name_in_the_metadata_is_the_same_country(debate: Assistant) -> None:
    answer = debate.ask("What did Norvania say about debt relief?")
    assert _ids(answer) == {"NRV_2021"}  # whose metadata says "Republic of Norvania"


def test_user_alias_file(tmp_path: Path, debate: Assistant) -> None:
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("Kingdom of Estmark: [the Coastal Kingdom, KoE]\n", encoding="utf-8")
    directory = SpeakerDirectory(debate.statement_headers(), aliases=load_alias_file(aliases))
    match = directory.match("the Coastal Kingdom")
    assert match is not None and match.metadata_ids == {"EST_2021"}
    assert SpeakerDirectory(debate.statement_headers()).match("the Coastal Kingdom") is None
    with Assistant.open(debate.index_dir, aliases=aliases) as qa:
        answer = qa.ask("What did the Coastal Kingdom say about mangroves?")
    assert _ids(answer) == {"EST_2021"}


def test_a_bad_alias_file_is_one_line_naming_it(tmp_path: Path, debate: Assistant) -> None:
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"aliases\.yaml: an alias file maps a name"):
        Assistant.open(debate.index_dir, aliases=aliases)
    aliases.write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"aliases\.yaml: cannot read the alias file") as info:
        Assistant.open(debate.index_dir, aliases=aliases)
    assert "\n" not in str(info.value)


# -- exact quotes, and numbers that are not years -------------------------------------------------------------------
@pytest.mark.parametrize("question", [
    "Who said “the sea does not negotiate with anyone”?",
    "who said 'the sea does not  negotiate with anyone'",
    'Who said "The sea does not negotiate"?',
])
def test_exact_quote_names_who_said_it(debate: Assistant, question: str) -> None:
    answer = debate.ask(question)
    assert answer.frame is not None and answer.frame.kind == "quote"
    assert [q.statement_id for q in answer.quotes] == ["VLD_2020"]
    quote = answer.quotes[0]
    assert "the sea does not negotiate with anyone" in quote.text
    assert quote.speaker == "Elara Voss" and quote.reported_by == "Ilya Brannock"


def test_a_number_that_is_not_a_date_stays_in_the_topic(debate: Assistant) -> None:
    answer = debate.ask("What did Estmark say about the 2030 Agenda for the Coasts?")
    assert answer.frame is not None and answer.frame.year == ""
    assert not answer.abstained and "2030 Agenda" in answer.quotes[0].text


def test_a_year_the_index_does_not_hold_is_said_so(debate: Assistant) -> None:
    answer = debate.ask("What did Norvania say about vaccines in her 1987 address?")
    assert answer.frame is not None and answer.frame.unheld == "1987" and answer.frame.when is None
    assert answer.abstained and not answer.quotes
    assert answer.message == "The statements are from 2019 to 2021; none is from 1987."


# -- conversation --------------------------------------------------------------------------------------------------
def test_follow_ups_change_one_thing(debate: Assistant) -> None:
    first = debate.ask("How did Norvania describe the sea walls?")
    assert _ids(first) <= {"NRV_2019", "NRV_2020"} and first.quotes
    year = debate.ask("and in 2020?", history=[first])
    assert year.frame is not None and (year.frame.speaker, year.frame.year) == ("Norvania", "2020")
    assert _ids(year) == {"NRV_2020"}
    other = debate.ask("And Valdoria?", history=[first, year])
    assert other.frame is not None and other.frame.speaker == "Valdoria" and other.frame.topic == first.frame.topic
    topic = debate.ask("what about grain tariffs?", history=[first, year, other])
    assert topic.frame is not None and (topic.frame.speaker, topic.frame.year) == ("Valdoria", "2020")
    assert _ids(topic) == {"VLD_2020"}


def test_in_that_speech_restricts_to_the_previous_answer(debate: Assistant) -> None:
    first = debate.ask("What did the Norvanian prime minister say about the pandemic in 2020?")
    assert _ids(first) == {"NRV_2020"}
    second = debate.ask("What did she say about sea walls in that speech?", history=[first])
    assert second.frame is not None and second.frame.within == ("NRV_2020",)
    assert _ids(second) == {"NRV_2020"} and "sea walls" in second.quotes[0].text


def test_a_new_complete_question_starts_fresh(debate: Assistant) -> None:
    first = debate.ask("What did Valdoria say about grain tariffs?")
    second = debate.ask("What did Estmark pledge on coastal defences?", history=[first])
    assert second.frame is not None and second.frame.speaker == "Estmark" and not second.frame.follow_up
    assert _ids(second) == {"EST_2021"}


# -- several speakers, timelines, honest abstention -------------------------------------------------------------------
def test_who_spoke_about_gives_one_quote_per_speaker(debate: Assistant) -> None:
    answer = debate.ask("Who spoke about vaccines?")
    assert answer.frame is not None and answer.frame.kind == "who"
    speakers = [q.speaker for q in answer.quotes]
    assert len(speakers) == len(set(speakers)) >= 2
    assert {"Elara Voss", "Jonas Brevick"} <= set(speakers)


def test_timeline_in_date_order(debate: Assistant) -> None:
    answer = debate.ask("How has Norvania's position on the sea walls changed over the years?")
    assert answer.frame is not None and answer.frame.kind == "timeline"
    dates = [q.date for q in answer.quotes]
    assert dates == sorted(dates) and len(dates) == len({q.statement_id for q in answer.quotes}) >= 2


def test_when_first(debate: Assistant) -> None:
    answer = debate.ask("When did Norvania first mention vaccines?")
    assert answer.frame is not None and answer.frame.first
    assert answer.quotes[0].statement_id == "NRV_2020" and "first spoke about" in answer.message


def test_a_speaker_who_never_spoke_about_it_abstains_and_points_to_others(debate: Assistant) -> None:
    answer = debate.ask("What did Brannock say about vaccines?")
    assert answer.abstained and not answer.quotes
    assert answer.message.startswith("No statement by Brannock on vaccines; ")
    assert "Who spoke about vaccines?" in answer.message
