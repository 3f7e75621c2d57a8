"""One name per country: codes and the ways a country is spelt become ISO 3166's code and common name, the
original kept; the header counts countries, filters and questions take either name.

The speakers and what they say are invented; only the countries their metadata names are real.
"""
from __future__ import annotations

import json

import pytest

from assistant.filters import check_filters
from corpus.countries import country_names, standard_country, with_standard_country
from corpus.statement import Statement
from ui.facets import facets, header_counts


@pytest.mark.parametrize(("code", "name", "expected"), [
    ("FRA", "French Republic", ("FRA", "France")),
    ("", "French Republic", ("FRA", "France")),  # ISO's official name
    ("", "Czech Republic", ("CZE", "Czechia")),
    ("cze", "", ("CZE", "Czechia")),  # a code in lower case
    ("CZ", "", ("CZE", "Czechia")),  # two letters
    ("", "Republic of Korea", ("KOR", "South Korea")),  # ISO's "Korea, Republic of" turned round
    ("", "Lao People’s Democratic Republic", ("LAO", "Laos")),  # a curly apostrophe
    ("", "Phlippines", ("PHL", "Philippines")),  # a close misspelling
    ("IRL", "Taoiseach of Ireland", ("IRL", "Ireland")),  # the code decides when the name is not a country's
    ("EU", "", ("EU", "European Union")),  # ISO's exceptionally reserved code
    ("UK", "", ("GBR", "United Kingdom")),
    ("", "Holy See (Vatican City State)", ("VAT", "Holy See")),
])
def test_codes_and_names_find_the_country(code: str, name: str, expected: tuple[str, str]) -> None:
    found = standard_country(code, name)
    assert found is not None and (found.code, found.name) == expected


@pytest.mark.parametrize("name", ["Kingdom of Estmark", "Palestine Liberation Organization", "Lybian Arab Republic",
                                  "Korea", ""])
def test_what_is_not_clearly_one_country_is_not_guessed(name: str) -> None:
    # "Korea" is two countries; "Lybian Arab Republic" is as close to Syria's name as to any other
    assert standard_country("", name) is None
    assert standard_country("XEM", name) is None  # a user-assigned code is no country either


def test_a_statement_keeps_the_names_it_gave() -> None:
    given = Statement(id="a", text="We thank the President.", source="French Republic",
                      metadata={"country": "fra", "country_name": "French Republic", "year": 2017})
    loaded = with_standard_country(given)
    assert (loaded.source, loaded.metadata["country"], loaded.metadata["country_name"]) == ("France", "FRA", "France")
    assert loaded.metadata["country_name_original"] == "French Republic"
    assert loaded.metadata["country_original"] == "fra"
    already = Statement(id="b", text="x", metadata={"country": "FRA", "country_name": "France"})
    assert with_standard_country(already) is already
    nameless = with_standard_country(Statement(id="c", text="x", metadata={"country": "FRA"}))
    assert nameless.metadata == {"country": "FRA", "country_name": "France"}  # a name filled in, nothing kept
    fictional = Statement(id="d", text="x", metadata={"country": "XEM", "country_name": "Estmark"})
    assert with_standard_country(fictional) is fictional
    assert "French Republic" in country_names("FRA") and country_names("XEM") == ()


def test_a_source_that_names_the_country_takes_its_common_name() -> None:
    # `--field source=country_name` moves the name given into the source; the code still says which country
    mapped = with_standard_country(Statement(id="e", text="x", source="French Republic", metadata={"country": "FRA"}))
    assert mapped.source == "France" and mapped.metadata["source_original"] == "French Republic"
    agency = Statement(id="f", text="x", source="Valdoria News Agency", metadata={"country": "FRA"})
    assert with_standard_country(agency).source == "Valdoria News Agency"  # a source that is no country's name
    formal = Statement(id="g", text="x", source="Commonwealth of Australia", metadata={"country": "AUS"})
    assert with_standard_country(formal).source == "Australia"  # the state's form set aside
    ministry = Statement(id="h", text="x", source="Ministry of Foreign Affairs of Australia",
                         metadata={"country": "AUS"})
    assert with_standard_country(ministry).source == "Ministry of Foreign Affairs of Australia"
    accented = Statement(id="i", text="x", source="São Tomé and Príncipe", metadata={"country": "STP"})
    assert with_standard_country(accented).source == "Sao Tome and Principe"


def test_filters_take_either_name() -> None:
    assert check_filters({"country_name": "French Republic"}, ["country_name"]) == {"country_name": "France"}
    assert check_filters({"country": "fr"}, ["country"]) == {"country": "FRA"}
    assert check_filters({"country_name": "Estmark"}, ["country_name"]) == {"country_name": "Estmark"}


SPEECHES = [  # invented speakers; the countries spelt as UN speaker lists spell them, several ways
    {"id": "FRA_74_2019", "country": "FRA", "country_name": "France", "year": 2019, "speaker": "Mr. Elian Vorre",
     "text": "Our harbour at Vell will welcome the grain convoys this winter."},
    {"id": "FRA_75_2020", "country": "FRA", "country_name": "French Republic", "year": 2020,
     "speaker": "Mr. Elian Vorre", "text": "The grain convoys reached Vell before the storms."},
    {"id": "CZE_74_2019", "country": "CZE", "country_name": "Czech Republic", "year": 2019,
     "speaker": "Ms. Dana Kolvar", "text": "We will fund the mountain seed vault for ten more years."},
    {"id": "CZE_75_2020", "country": "CZE", "country_name": "Czechia", "year": 2020,
     "speaker": "Ms. Dana Kolvar", "text": "The mountain seed vault now holds four thousand varieties."},
    {"id": "EU_75_2020", "country": "EU", "country_name": None, "year": 2020, "speaker": None,
     "text": "The Union will double its support for the seed vault programme."},
]


@pytest.fixture(scope="module")
def spelt_two_ways(tmp_path_factory):
    from assistant.api import Assistant

    folder = tmp_path_factory.mktemp("countries")
    (folder / "speeches.jsonl").write_text("\n".join(json.dumps(r) for r in SPEECHES) + "\n", encoding="utf-8")
    with Assistant.build([folder / "speeches.jsonl"], folder / "index") as qa:
        yield qa


def test_the_header_counts_each_country_once(spelt_two_ways) -> None:
    found = facets(spelt_two_ways)
    assert [value for _, value in found.fields["country_name"]] == ["Czechia", "European Union", "France"]
    assert "from **3** countries" in header_counts(found)
    assert not any(key.endswith("_original") for key in found.fields)  # the names as given make no menu


def test_a_filter_and_a_question_find_a_country_by_its_other_name(spelt_two_ways) -> None:
    keys = {key for st in spelt_two_ways.statement_headers() for key in st.metadata}
    filters = check_filters({"country_name": "Czech Republic"}, keys)
    answer = spelt_two_ways.ask("What was said about the seed vault?", filters=filters)
    assert answer.quotes and {q.statement_id for q in answer.quotes} <= {"CZE_74_2019", "CZE_75_2020"}
    asked = spelt_two_ways.ask("What did the French Republic say about the grain convoys?")
    assert asked.quotes and {q.statement_id for q in asked.quotes} <= {"FRA_74_2019", "FRA_75_2020"}


def test_a_speech_without_a_speaker_is_cited_by_its_country(spelt_two_ways) -> None:
    answer = spelt_two_ways.ask("What did the European Union say about the seed vault?")
    quote = answer.quotes[0]
    assert quote.statement_id == "EU_75_2020"
    assert quote.attribution() == "European Union, 2020, “European Union — 2020”"
    assert quote.heading == "European Union — 2020"
