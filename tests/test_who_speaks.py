"""Who counts as a speaker, and under which name: what a trial on UN speeches found (issue 22, item 5), on
fictional text. Only people, organisations and countries speak; a short name is the full name given earlier in the
statement; a speech's first-person words are its speaker's (or its country's); a colleague the speaker reports is
not the speaker; one person is one entry in the Speaker menu, honorifics aside (``ui.facets``).
"""
from __future__ import annotations

import pytest

from corpus.attribution import SPEAKER_CONFIDENCE, attribute
from corpus.attribution.first_person import speaks_in_first_person

SPEECH_SPEAKER = "Arno Vell"


def sure_speakers(text: str, speaker: str | None = None) -> set[str]:
    return {a.speaker for a in attribute(text, speaker=speaker) if a.confidence >= SPEAKER_CONFIDENCE and a.speaker}


@pytest.mark.parametrize("text, not_a_speaker", [
    ("We pray to the Almighty, who praised the patient in hardship and misfortune.", "Almighty"),
    ("The 2040 Compact affirms that it is the quality of assistance that matters.", "Compact"),
    ("The Covid times underlined before us the importance of investment in health.", "Covid"),
    ("Valdoria issued a Statement on 25 April 2020, which highlighted the impact of the storms.", "April"),
    ("Partnerships must rest on global solidarity, which affirms that no member is above another.", "solidarity"),
    ("We welcome the Estmark and Valdorian joint statement reaffirming that a war cannot be won.", "Valdorian"),
])
@pytest.mark.parametrize("speaker", [None, SPEECH_SPEAKER])
def test_dates_documents_and_adjectives_do_not_speak(text: str, not_a_speaker: str, speaker: str | None) -> None:
    assert not any(not_a_speaker in name for name in sure_speakers(text, speaker))


@pytest.mark.parametrize("speaker", [None, SPEECH_SPEAKER])
def test_a_body_keeps_its_name_and_its_short_name_expands(speaker: str | None) -> None:
    text = ("In 1960 the General Assembly declared that colonialism must end. "
            "Later the Assembly said that every people may choose its government.")
    found = [a for a in attribute(text, speaker=speaker) if a.kind != "first_person"]
    assert [a.speaker for a in found] == ["General Assembly", "General Assembly"]


def test_a_surname_in_a_speech_is_the_full_name_given_earlier() -> None:
    text = "Mr. President, I thank Lars Henning for his work. Henning said that the harbour would reopen in May."
    reported = [a for a in attribute(text, speaker=SPEECH_SPEAKER) if a.kind != "first_person"]
    assert [a.speaker for a in reported] == ["Lars Henning"]


def test_a_colleague_the_speaker_reports_is_not_the_speaker() -> None:
    text = ("I met our minister Mira Santal yesterday. I said that we must act. "
            "She said that the talks had been frank.")
    found = attribute(text, speaker=SPEECH_SPEAKER)
    talks = [a for a in found if "frank" in text[a.content_start : a.content_end]]
    assert talks and all(a.speaker == "Mira Santal" and a.kind != "first_person" for a in talks)
    assert any(a.speaker == SPEECH_SPEAKER and "must act" in text[a.content_start : a.content_end] for a in found)


def test_a_speech_that_names_no_speaker_speaks_for_itself() -> None:
    reply = ("Since the delegate of Valdoria uttered such reckless words about my country, I think it is fair for "
             "me to respond. We reject every accusation.")
    assert speaks_in_first_person(reply)
    news = ('Harbour master Ines Calder said on Monday that the lighthouse would be rebuilt. "We will use granite, '
            'and our crews start in May," she told reporters. "I expect no delays."')
    assert not speaks_in_first_person(news)
    found = attribute(reply, owner="Estmark")  # a speech whose metadata names only its country, read as a report
    reply_at = reply.index("We reject")
    rejected = [a for a in found if a.content_end > reply_at]
    assert rejected and all(a.speaker == "Estmark" for a in rejected)
    fair_at = reply.index("fair for me")
    assert not any(a.speaker == "Valdoria" and a.content_start <= fair_at < a.content_end for a in found)


SPEECH = """---
title: Address to the harbour council
speaker: Arno Vell
source: Government of Estmark
date: 2022-05-01
---
I met our fisheries minister Mira Santal yesterday. I said that the quotas must fall.
She said that the trawler fleet had shrunk by half since 2010.
We will build a new fish market in Kessmouth.
"""


def test_a_quote_of_a_colleague_is_not_cited_as_the_speakers_own_words(tmp_path) -> None:
    from assistant.api import Assistant, index_statements

    (tmp_path / "vell.md").write_text(SPEECH, encoding="utf-8")
    index_statements([tmp_path / "vell.md"], tmp_path / "index", progress=False)
    with Assistant.open(tmp_path / "index") as qa:
        fleet = [q for q in qa.ask("what did Arno Vell say about the trawler fleet?").quotes if "trawler" in q.text]
        market = [q for q in qa.ask("what did Arno Vell say about the fish market?").quotes if "market" in q.text]
    assert fleet and all(q.reported and q.speaker == "Mira Santal" for q in fleet)
    assert "reported by Arno Vell" in fleet[0].attribution()
    assert market and all(q.speaker == "Arno Vell" and not q.reported for q in market)


def test_a_pronoun_goes_to_the_person_it_fits() -> None:
    from corpus.attribution.mention_ranking import mention_ranker

    assert mention_ranker() is not None  # the shipped weights load
    text = ("Valdorian envoy Mira Santal arrived in Castelmar on Monday, and her delegation met the press. "
            "Estmark Prime Minister Tomas Quill said that his government would sign the grain treaty. "
            "{} said that the talks had been frank.")
    for pronoun, expected in (("She", "Mira Santal"), ("He", "Tomas Quill")):
        found = attribute(text.format(pronoun))
        frank = [a for a in found if "frank" in text.format(pronoun)[a.content_start : a.content_end]]
        assert [a.speaker for a in frank] == [expected]


def test_the_speaker_menu_lists_a_person_once_whatever_the_honorific(tmp_path) -> None:
    from assistant.api import Assistant, index_statements
    from ui.facets import speaker_choices

    (tmp_path / "quill.md").write_text(
        "---\ntitle: Remarks on the grain treaty\nspeaker: Mr. Tomas Quill\nsource: Government of Estmark\n"
        "date: 2021-03-01\n---\nWe will sign the grain treaty this spring.\n", encoding="utf-8")
    (tmp_path / "report.md").write_text(
        "---\ntitle: Treaty talks resume\nsource: Valdoria News Agency\ndate: 2021-03-02\n---\n"
        "Estmark Prime Minister Tomas Quill said on Monday that the grain treaty would be signed in May.\n",
        encoding="utf-8")
    index_statements([tmp_path / "quill.md", tmp_path / "report.md"], tmp_path / "index", progress=False)
    with Assistant.open(tmp_path / "index") as qa:
        spellings = {name for name, _ in qa.speaker_counts()}
        choices, more = speaker_choices(qa, "Quill")
    assert {"Mr. Tomas Quill", "Tomas Quill"} <= spellings  # the metadata's spelling and the text's
    assert [value for _, value in choices] == ["Tomas Quill"] and not more  # one entry in the Speaker menu
