"""Who is speaking in a sentence of reported speech: named, referred back to, or only mentioned (pure rules).

Speakers, countries and places are fictional.
"""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.reported_speech import names_speaker, refers_back, speaker_evidence

VOSS = "Elara Voss"
BRANNOCK = "Ilya Brannock"
GRELLIN = "Petra Grellin"

# -- names_speaker -------------------------------------------------------------------------------------------------
NAMES_SPEAKER_CASES = [
    # (sentence, speaker, names the speaker)
    # the surname before a speech verb
    ("Voss said that the quotas were too generous.",                          VOSS,     True),
    ("Elara Voss warned that the harbour of Kessmouth floods every spring.", VOSS,     True),
    ("Elara Voss said that the quotas were too generous.",                    "Voss",   True),
    ("VOSS SAID the quotas were too high.",                                   VOSS,     True),
    ("Grellin had earlier described Valdoria's position as an obstacle.",     GRELLIN,  True),
    # the subject of "accused" speaks; the object does not
    ("Brannock accused Grellin of lying.",                                    BRANNOCK, True),
    ("Brannock accused Grellin of lying.",                                    GRELLIN,  False),
    ("Brannock criticized Grellin, who later said nothing.",                  GRELLIN,  False),
    # after a preposition the name is an object
    ("The council criticized statements by Grellin on the border.",           GRELLIN,  False),
    ("A letter to Voss said the quotas were too high.",                       VOSS,     False),
    ("Reporters asked Voss about the quotas.",                                VOSS,     False),
    # "according to X" and "X's remarks/statement/view"
    ("According to Voss, the harbour floods every spring.",                   VOSS,     True),
    ("Voss's remarks were widely reported in Norvania.",                      VOSS,     True),
    ("Voss’s statement on fisheries was brief.",                              VOSS,     True),
    ("Voss's view was that quotas must fall.",                                VOSS,     True),
    ("Voss's car was late.",                                                  VOSS,     False),
    # no speech verb, someone else speaking, or nothing to match
    ("Voss visited the harbour of Kessmouth on Monday.",                      VOSS,     False),
    ("Foreign Minister Elara Voss opened the session on northern fisheries.", VOSS,     False),
    ("Tomas Quill told the forum that quotas should be raised.",              VOSS,     False),
    ("",                                                                      VOSS,     False),
    ("Voss said so.",                                                         "",       False),
]


@pytest.mark.parametrize(("sentence", "speaker", "expected"), NAMES_SPEAKER_CASES)
def test_names_speaker(sentence: str, speaker: str, expected: bool) -> None:
    assert names_speaker(sentence, speaker) is expected


# -- refers_back ---------------------------------------------------------------------------------------------------
REFERS_BACK_CASES = [
    # (sentence, speaks through a pronoun or a role)
    ("He contended that the talks had never been suspended.",          True),
    ("She said that quotas must fall.",                                True),
    ("They warned of floods.",                                         True),
    ("The minister stressed that illegal trawling threatens towns.",   True),
    ("The spokeswoman noted the decision.",                            True),
    ("The weather was fine.",                                          False),
    ("He left early.",                                                 False),  # no speech verb
    ("Reporters said he was late.",                                    False),  # the pronoun follows the verb
    ("Voss said that the quotas were too generous.",                   False),  # named, not referred to
    ("Norvania will propose a joint monitoring body.",                 False),
    ("",                                                               False),
]


@pytest.mark.parametrize(("sentence", "expected"), REFERS_BACK_CASES)
def test_refers_back(sentence: str, expected: bool) -> None:
    assert refers_back(sentence) is expected


# -- speaker_evidence ----------------------------------------------------------------------------------------------
REPORT = [
    "Valdoria Foreign Minister Ilya Brannock spoke to reporters in Castelmar on Tuesday.",
    "Brannock said that the ambassador of Ostrava had misread the border talks.",
    "He contended that the talks had never been suspended.",
    "The minister added that Valdoria remains committed to the tariff agreement.",
]
LATE = [
    "Voss said that the quotas were too generous.",
    "The forum discussed harbour fees.",
    "The ferries were late.",
    "Tides rose in Kessmouth.",
    "She warned of floods.",
]
OBJECT = [
    "Voss said that the quotas were too generous.",
    "Quill criticized Voss.",
    "He warned of floods.",
]
BY_VOSS = ["The council criticized statements by Voss.", "She warned of floods."]
MET_VOSS = ["Voss met Quill in Kessmouth.", "She warned of floods."]
NO_REFERENCE = ["Voss said that quotas must fall.", "The forum discussed harbour fees."]
ALONE = ["She warned of floods."]

EVIDENCE_CASES = [
    # (sentences, index, speaker, lookback, evidence)
    # named in the sentence itself
    (REPORT,       1, BRANNOCK, 3, 1.0),
    # no speech verb
    (REPORT,       0, BRANNOCK, 3, 0.0),
    # referred back to a sentence that names the speaker, within the lookback
    (REPORT,       2, BRANNOCK, 3, 0.8),
    (REPORT,       3, BRANNOCK, 3, 0.8),
    (LATE,         4, VOSS,     4, 0.8),
    # the naming sentence is too far back
    (LATE,         4, VOSS,     3, 0.0),
    # the nearest earlier mention has the speaker only as an object
    (OBJECT,       2, VOSS,     3, 0.0),
    (BY_VOSS,      1, VOSS,     3, 0.0),
    # the speaker is never named as speaking, or the sentence neither names nor refers back
    (REPORT,       2, GRELLIN,  3, 0.0),
    (MET_VOSS,     1, VOSS,     3, 0.0),
    (NO_REFERENCE, 1, VOSS,     3, 0.0),
    # the first sentence has nothing to look back to
    (ALONE,        0, VOSS,     3, 0.0),
]


@pytest.mark.parametrize(("sentences", "index", "speaker", "lookback", "evidence"), EVIDENCE_CASES)
def test_speaker_evidence(sentences: Sequence[str], index: int, speaker: str, lookback: int, evidence: float) -> None:
    assert speaker_evidence(sentences, index, speaker, lookback=lookback) == evidence


def test_speaker_evidence_looks_back_three_sentences_by_default() -> None:
    three_back = [LATE[0], *LATE[2:]]  # "She warned" is the 3rd sentence after "Voss said"
    assert speaker_evidence(three_back, 3, VOSS) == 0.8
    assert speaker_evidence(LATE, 4, VOSS) == 0.0  # the 4th
