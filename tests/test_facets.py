"""The Filters tab and the header: the metadata fields an index has, names sorted without honorifics, once each.

UN-like metadata with invented speakers and countries.
"""
from __future__ import annotations

import json

import pytest

from ui.facets import facets, field_label, header_counts, name_choices

SPEECHES = [
    {"id": "NRV_73_2018", "speaker": "Ms. Elara Voss", "country_name": "Norvania", "country": "NRV", "year": 2018,
     "post": "Prime Minister", "text": "Norvania asks every coastal state to cut its fishing quotas."},
    {"id": "NRV_74_2019", "speaker": "Elara Voss", "country_name": "Norvania", "country": "NRV", "year": 2019,
     "post": "Prime Minister", "text": "Norvania will protect the cod stocks of the Pelgrin Sea."},
    {"id": "EST_74_2019", "speaker": "His Excellency Tomas Quill", "country_name": "Estmark", "country": "XEM",
     "year": 2019, "post": "President", "text": "Estmark believes the fishing quotas should be raised."},
    {"id": "VAL_74_2019", "speaker": "Mr. Ilya Brännock", "country_name": "Valdoria", "country": "VAL",
     "year": 2019, "post": "Minister for Foreign Affairs", "text": "Valdoria remains committed to the grain treaty."},
    {"id": "VAL_75_2020", "speaker": "Ilya Brannock", "country_name": "Valdoria", "country": "VAL",
     "year": 2020, "post": "Minister for Foreign Affairs", "text": "Valdoria asks for a new grain treaty."},
]


@pytest.fixture(scope="module")
def un_like(tmp_path_factory):
    from assistant.api import Assistant

    folder = tmp_path_factory.mktemp("un_like")
    (folder / "speeches.jsonl").write_text("\n".join(json.dumps(r) for r in SPEECHES) + "\n", encoding="utf-8")
    with Assistant.build([folder / "speeches.jsonl"], folder / "index") as qa:
        yield qa


def test_names_sort_without_honorifics_and_variants_are_listed_once():
    choices = name_choices([("Mr. Ilya Brännock", 1), ("Ilya Brannock", 2), ("His Excellency Tomas Quill", 1),
                            ("Ms. Elara Voss", 1), ("Elara Voss", 1), ("A/77/331", 1)])
    assert choices == [
        ("Elara Voss (2)", "Elara Voss"), ("Ilya Brannock (3)", "Ilya Brannock"),
        ("His Excellency Tomas Quill (1)", "Tomas Quill"),  # under T, not under H
    ]


def test_other_fields_keep_their_words():
    assert name_choices([("President and Head of State", 1), ("Amir", 2)], with_counts=False, people=False) == [
        ("Amir", "Amir"), ("President and Head of State", "President and Head of State")]


def test_header_counts_countries_when_the_statements_name_no_source(un_like):
    found = facets(un_like)
    # three people however spelt, and Norvania, found speaking in the text ("Norvania asks …")
    assert header_counts(found) == "Index: **5** statements by **4** speakers from **3** countries."


def test_header_counts_countries_when_the_sources_are_the_countries_spelt_several_ways(tmp_path):
    from assistant.api import Assistant

    rows = [dict(r, source=r["country_name"]) for r in SPEECHES]  # `--field source=country_name`…
    rows[1]["source"] = "Republic of Norvania"  # …with a country's name spelt another way one year
    (tmp_path / "speeches.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with Assistant.build([tmp_path / "speeches.jsonl"], tmp_path / "index") as qa:
        found = facets(qa)
    assert len(found.sources) == 4
    assert header_counts(found).endswith("from **3** countries.")  # not "from 4 sources"


def test_filters_offer_the_metadata_fields_that_exist(un_like):
    found = facets(un_like)
    assert list(found.fields) == ["country_name", "post"]  # the country code beside its name is left out
    assert field_label("country_name") == "Country"
    assert [value for _, value in found.fields["country_name"]] == ["Estmark", "Norvania", "Valdoria"]
    answer = un_like.ask("What did they say about fishing quotas?", filters={"country_name": "Estmark"})
    assert answer.quotes and all("Estmark" in q.text for q in answer.quotes)
