"""Answers that know who said each sentence (attributions found at index time), and indexes without them.

The bundled sample is a ministry readout (no metadata speaker); the fictional folder below holds a
speech whose speaker quotes someone else, and a news report quoting two people. All fictional.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_app import SAMPLE_SOURCE

from assistant import Assistant
from corpus.load import bundled_sample_path
from ui.cli import main

SPEECH = """---
title: Address to the Pelgrin Sea Assembly
speaker: Elara Voss
source: Ministry of Foreign Affairs of Norvania
date: 2021-09-20
---
We meet at a time when the Pelgrin Sea is rising faster than ever.
Our islands cannot wait another decade for a fund to rebuild the sea walls.
As Tomas Quill told this Assembly last year, “the sea does not negotiate with anyone.”
I call on every delegation to support the regional fund for sea walls.
"""

REPORT = """Castelmar, 3 March 2022

Valdoria's Foreign Minister Ilya Brannock said on Tuesday that the harbour talks had failed. He blamed the \
delegation of Ostrava for the collapse of the talks.

Petra Grellin, the ambassador of Ostrava, rejected that account. “We came to every session of the harbour talks \
with a proposal,” she told reporters.
(attribution: Valdoria News Agency)
"""


@pytest.fixture(scope="module")
def speeches(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("attributed")
    (folder / "voss-assembly-2021.md").write_text(SPEECH, encoding="utf-8")
    (folder / "harbour-report.txt").write_text(REPORT, encoding="utf-8")
    return Assistant.build([folder], tmp_path_factory.mktemp("attributed_index") / "index", progress=False)


def test_and_about_isis_asked_first_credits_lavrov(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("And about ISIS?")
    quote = next(q for q in answer.quotes if "ISIS" in q.text)
    assert (quote.speaker, quote.reported, quote.source) == ("Sergei Lavrov", True, SAMPLE_SOURCE)
    assert quote.attribution().startswith(f"Sergei Lavrov (reported by {SAMPLE_SOURCE}), “")


def test_what_did_micaller_say_quotes_his_characterization_only(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("what did Micaller say?")
    assert not answer.abstained and answer.quotes
    assert all(q.speaker == "Manuel Micaller" for q in answer.quotes)
    assert any("characterized U.S. policy" in q.text for q in answer.quotes)
    assert not any(q.text.startswith(("Lavrov", "He ")) for q in answer.quotes)  # never Lavrov's words as his


def test_sample_speakers_in_the_filter_and_the_attributions(sample_assistant: Assistant) -> None:
    assert {"Sergei Lavrov", "Manuel Micaller"} <= set(sample_assistant.facet_values("speaker"))
    passages = sample_assistant.retrieve("Afghanistan", filters={"speaker": "Lavrov"})
    assert passages and all(p.statement_id == "lavrov-dushanbe-201st-base" for p in passages)
    found = sample_assistant.attributions("lavrov-dushanbe-201st-base")
    statement = sample_assistant.statement("lavrov-dushanbe-201st-base")
    assert statement is not None
    by_cue = {statement.text[a.cue_start : a.cue_end]: a for a in found}
    assert by_cue["characterized"].speaker == "Manuel Micaller"
    assert by_cue["criticized"].speaker == "Sergei Lavrov" and by_cue["criticized"].source_text == "the minister"
    assert sample_assistant.stats().attributions


def test_who_said_names_the_speaker(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask("who said that the United States continues to support extremist networks?")
    assert answer.quotes and answer.quotes[0].speaker == "Sergei Lavrov"


def test_a_speech_quoting_someone_else(speeches: Assistant) -> None:
    quill = speeches.ask("what did Quill say about the sea?")
    quote = next(q for q in quill.quotes if "does not negotiate" in q.text)
    assert (quote.speaker, quote.reported, quote.speaker_kind) == ("Tomas Quill", True, "direct")
    assert quote.reported_by == "Elara Voss"  # who quoted him, beside the statement's source
    cited = "Tomas Quill (reported by Elara Voss, Ministry of Foreign Affairs of Norvania)"
    assert quote.attribution().startswith(cited)
    voss = speeches.ask("what did Voss say about the sea?")
    assert voss.quotes and all(q.speaker == "Elara Voss" for q in voss.quotes)
    assert not any("does not negotiate" in q.text for q in voss.quotes)  # Quill's words are not hers


def test_news_report_speakers_by_name_pronoun_and_apposition(speeches: Assistant) -> None:
    answer = speeches.ask("what did Brannock say about the harbour talks?")
    assert answer.quotes and answer.quotes[0].speaker == "Ilya Brannock"
    assert answer.quotes[0].source == "Valdoria News Agency"
    grellin = speeches.ask("what did Grellin say about the harbour talks?")
    assert any("every session" in q.text and q.speaker == "Petra Grellin" for q in grellin.quotes)
    assert not any(q.text.startswith("Valdoria's Foreign Minister") for q in grellin.quotes)


def test_json_outputs_carry_the_attribution(sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "Micaller", "--index-dir", str(sample_index), "--json", "--k", "2"]) == 0
    passages = json.loads(capsys.readouterr().out)
    speakers = {a["speaker"] for p in passages for a in p["attributions"]}
    assert {"Sergei Lavrov", "Manuel Micaller"} <= speakers
    assert main(["ask", "And about ISIS?", "--index-dir", str(sample_index), "--json"]) == 0
    out = capsys.readouterr()
    quote = json.loads(out.out)["quotes"][0]
    assert (quote["speaker"], quote["speaker_kind"], quote["reported"]) == ("Sergei Lavrov", "indirect", True)
    assert "without attributions" not in out.err


def test_an_index_without_attributions_still_answers_and_says_how_to_add_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.api import index_statements

    index_dir = tmp_path / "index"
    index_statements([bundled_sample_path()], index_dir, progress=False, attributions=False)
    with Assistant.open(index_dir) as qa:
        assert not qa.stats().attributions and qa.attributions("lavrov-dushanbe-201st-base") == []
        answer = qa.ask("what did Lavrov say about Micaller?")
        assert answer.quotes and answer.quotes[0].reported_speaker == "Sergei Lavrov"  # the older heuristics
    assert main(["ask", "what did Lavrov say about Micaller?", "--index-dir", str(index_dir)]) == 0
    err = capsys.readouterr().err
    assert "built without attributions" in err and "--rebuild" in err
    index_statements([bundled_sample_path()], index_dir, progress=False)  # an update keeps the choice
    with Assistant.open(index_dir) as qa:
        assert not qa.stats().attributions
    index_statements([bundled_sample_path()], index_dir, progress=False, rebuild=True)
    with Assistant.open(index_dir) as qa:
        assert qa.stats().attributions and qa.attributions("lavrov-dushanbe-201st-base")
