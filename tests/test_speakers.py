"""Finding a question's speaker among the statements' metadata: names, surnames, countries, codes (pure rules).

Speakers, countries and organisations are fictional.
"""
from __future__ import annotations

import pytest

from assistant.speakers import SpeakerDirectory, name_tokens
from corpus.statement import Statement

NORVANIA = {"country": "NRV", "country_name": "Norvania"}
VALDORIA = {"country": "VLD", "country_name": "Valdoria"}
OSTRAVA = {"country": "OST", "country_name": "Ostrava", "organisation": "Ostrava Coastal League"}
NORVANIA_MFA = "Ministry of Foreign Affairs of Norvania"


def _statement(sid: str, speaker: str, source: str, metadata: dict[str, str]) -> Statement:
    return Statement(id=sid, text=f"{speaker} said something.", speaker=speaker, source=source, metadata=metadata)


STATEMENTS = [
    _statement("nrv-1", "Elara Voss", NORVANIA_MFA, NORVANIA),
    _statement("nrv-2", "Elara Voss", NORVANIA_MFA, NORVANIA),
    _statement("vld-1", "Ilya Brannock", "Valdoria News Agency", VALDORIA),
    _statement("ost-1", "Petra Grellin", "Government of Ostrava", OSTRAVA),
]
# A second Voss, from another Norvanian source: a surname alone then names both.
JONAS_VOSS = _statement("nrv-3", "Jonas Voss", "Norvania Fisheries Board", NORVANIA)


@pytest.fixture(scope="module")
def directory() -> SpeakerDirectory:
    return SpeakerDirectory(STATEMENTS)


@pytest.fixture(scope="module")
def two_vosses() -> SpeakerDirectory:
    return SpeakerDirectory([*STATEMENTS, JONAS_VOSS])


# -- name_tokens ---------------------------------------------------------------------------------------------------
NAME_TOKEN_CASES = [
    # (text, tokens)
    ("Elara Voss",                       ["elara", "voss"]),
    ("Voss's",                           ["voss"]),
    ("Voss’s remarks",                   ["voss", "remarks"]),
    ("Voss' views",                      ["voss", "views"]),
    ("H.E. Ilya Brannock",               ["h", "e", "ilya", "brannock"]),
    ("the Foreign Minister of Norvania", ["the", "foreign", "minister", "of", "norvania"]),
    ("Jean-Luc  GRELLIN",                ["jean", "luc", "grellin"]),
    ("Élara Voss",                       ["élara", "voss"]),
    ("Grellin_s",                        ["grellin"]),
    ("",                                 []),
]


@pytest.mark.parametrize(("text", "tokens"), NAME_TOKEN_CASES)
def test_name_tokens(text: str, tokens: list[str]) -> None:
    assert name_tokens(text) == tokens


# -- SpeakerDirectory.match ----------------------------------------------------------------------------------------
MATCH_CASES = [
    # (phrase, statement ids, matched names)
    # a full name, in any case
    ("Elara Voss",                          {"nrv-1", "nrv-2"}, ("Elara Voss",)),
    ("elara voss",                          {"nrv-1", "nrv-2"}, ("Elara Voss",)),
    ("Petra Grellin",                       {"ost-1"},          ("Petra Grellin",)),
    # the surname alone, or with a role word or title
    ("Voss",                                {"nrv-1", "nrv-2"}, ("Elara Voss",)),
    ("Brannock",                            {"vld-1"},          ("Ilya Brannock",)),
    ("Minister Grellin",                    {"ost-1"},          ("Petra Grellin",)),
    ("H.E. Petra Grellin",                  {"ost-1"},          ("Petra Grellin",)),
    # another spelling of the first name: the surname decides
    ("Elena Voss",                          {"nrv-1", "nrv-2"}, ("Elara Voss",)),
    # possessives
    ("Voss's",                              {"nrv-1", "nrv-2"}, ("Elara Voss",)),
    ("Grellin’s",                           {"ost-1"},          ("Petra Grellin",)),
    # a country, by role and country name, by name, or by its code
    ("the foreign minister of Norvania",    {"nrv-1", "nrv-2"}, (NORVANIA_MFA, "Norvania")),
    ("Valdoria",                            {"vld-1"},          ("Valdoria", "Valdoria News Agency")),
    ("NRV",                                 {"nrv-1", "nrv-2"}, ("NRV",)),
    ("nrv",                                 {"nrv-1", "nrv-2"}, ("NRV",)),
    ("OST",                                 {"ost-1"},          ("OST",)),
    # a source, and an organisation in the metadata
    ("Valdoria News Agency",                {"vld-1"},          ("Valdoria News Agency",)),
    ("Coastal League",                      {"ost-1"},          ("Ostrava Coastal League",)),
    # role words alone, unknown names and empty phrases match nothing
    ("the foreign minister",                None,               ()),
    ("the prime minister of Estmark",       None,               ()),
    ("Tomas Quill",                         None,               ()),
    ("XYZ",                                 None,               ()),
    ("he",                                  None,               ()),
    ("",                                    None,               ()),
]


@pytest.mark.parametrize(("phrase", "ids", "names"), MATCH_CASES)
def test_match(directory: SpeakerDirectory, phrase: str, ids: set[str] | None, names: tuple[str, ...]) -> None:
    match = directory.match(phrase)
    if ids is None:
        assert match is None
        return
    assert match is not None
    assert (set(match.metadata_ids), match.names) == (ids, names)


AMBIGUOUS_CASES = [
    # (phrase, statement ids, matched names) with two speakers called Voss
    ("Voss",                      {"nrv-1", "nrv-2", "nrv-3"}, ("Elara Voss", "Jonas Voss")),
    ("Elena Voss",                {"nrv-1", "nrv-2", "nrv-3"}, ("Elara Voss", "Jonas Voss")),
    ("Elara Voss",                {"nrv-1", "nrv-2"},          ("Elara Voss",)),
    ("Jonas Voss",                {"nrv-3"},                   ("Jonas Voss",)),
    ("Jonas",                     {"nrv-3"},                   ("Jonas Voss",)),
    ("Norvania Fisheries Board",  {"nrv-3"},                   ("Norvania Fisheries Board",)),
]


@pytest.mark.parametrize(("phrase", "ids", "names"), AMBIGUOUS_CASES)
def test_match_with_two_speakers_of_one_surname(
    two_vosses: SpeakerDirectory, phrase: str, ids: set[str], names: tuple[str, ...]
) -> None:
    match = two_vosses.match(phrase)
    assert match is not None
    assert (set(match.metadata_ids), match.names) == (ids, names)

