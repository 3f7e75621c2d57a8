"""The demo: each run starts from the bundled sample, and example questions are built from the index.

Speakers and organisations other than the bundled sample's are invented.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from live_app import UPLOADED_STATEMENT

from ui.examples import SAMPLE_QUESTIONS, example_questions


def test_examples_on_the_sample_are_its_questions(sample_assistant):
    assert example_questions(sample_assistant)[: len(SAMPLE_QUESTIONS)] == list(SAMPLE_QUESTIONS)


def test_examples_are_built_from_what_was_said(fictional_assistant):
    questions = example_questions(fictional_assistant)
    assert "What did Voss say about northern fisheries?" in questions  # a speaker with what their title is on
    assert "Who spoke about fishing quotas?" in questions  # a topic two speakers raised
    assert "How has Voss's position on sea-level rise changed?" in questions  # 2016 and 2018; fits the page
    assert not [q for q in questions if q.endswith(" say?")]  # never a speaker without a topic
    for question in questions:  # and each of them is answered with quotes
        answer = fictional_assistant.ask(question)
        assert not answer.abstained and answer.quotes, question


def test_timeline_examples_follow_a_country_when_the_metadata_names_one(tmp_path):
    from assistant.api import Assistant

    rows = [
        '{"id": "NRV_73_2018", "speaker": "Ms. Elara Voss", "country_name": "Norvania", "year": 2018, '
        '"text": "Norvania warned that ocean acidification is destroying the coral reefs of the north."}',
        '{"id": "NRV_74_2019", "speaker": "Mr. Oskar Lind", "country_name": "Norvania", "year": 2019, '
        '"text": "Norvania now believes that ocean acidification can be slowed by cutting emissions."}',
        '{"id": "EST_74_2019", "speaker": "Mr. Tomas Quill", "country_name": "Estmark", "year": 2019, '
        '"text": "Estmark said that ocean acidification threatens its mussel farms."}',
    ]
    (tmp_path / "speeches.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with Assistant.build([tmp_path / "speeches.jsonl"], tmp_path / "index") as qa:
        questions = example_questions(qa)
    assert "How has Norvania's position on ocean acidification changed?" in questions
    assert "Who spoke about ocean acidification?" in questions


@pytest.mark.slow
def test_each_demo_run_starts_from_the_bundled_sample(tmp_path, monkeypatch):
    from ui.examples import SAMPLE_STATEMENT_ID
    from ui.server import open_assistant

    monkeypatch.chdir(tmp_path)
    upload = tmp_path / "calder-lighthouse.md"
    upload.write_text(UPLOADED_STATEMENT, encoding="utf-8")
    first = open_assistant(None)
    first.add([upload])  # what an upload in the chat does
    assert first.stats().statements == 2
    first.close()
    second = open_assistant(None)  # the next run
    try:
        assert [h.id for h in second.statement_headers()] == [SAMPLE_STATEMENT_ID]
        assert Path(".statements-qa/sample-index").is_dir()  # the sample is indexed once, then copied
    finally:
        second.close()


def test_serve_names_its_own_share_flag():
    from ui.server import address_note

    note = address_note("http://127.0.0.1:7860/", None)
    assert "http://127.0.0.1:7860/" in note and "--share" in note and "share=True" not in note
