"""Context fields (a journalist's question, a title: searched, shown, never quoted), speakers the statements name by
post or title only, acronyms of sources, and headings or sign-off lines that are never quoted.

Speakers, countries and organisations are fictional; the index is real (encoder, FAISS, bm25s, SQLite).
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.answer import Answer
from corpus.problems import StatementsError
from embeddings.local.files import read_manifest
from ui.render import sources_html

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "statements-qa"

FERRY_QUESTION = "Will Valdoria reopen the Kessmouth ferry?"
FERRY_TEXT = "We will resume the service in May, once the pier is repaired."
MONITORING_TITLE = "Statement on the Pelgrin Sea monitoring body"
SIGN_OFF = ("MINISTRY OF FOREIGN AFFAIRS", "CASTELMAR", "3 MAY 2024")

RECORDS = [
    # a press conference: each answer never names its topic, the journalist's question does
    {"id": "press-ferry", "speaker": "Mira Talven", "source": "Ministry of Transport of Valdoria",
     "date": "2024-05-02", "title": "Press briefing of 2 May 2024", "question": FERRY_QUESTION,
     "text": FERRY_TEXT},
    {"id": "press-tolls", "speaker": "Mira Talven", "source": "Ministry of Transport of Valdoria",
     "date": "2024-05-02", "title": "Press briefing of 2 May 2024",
     "question": "Are the road tolls on the coastal motorway going up?",
     "text": "No. The tolls were frozen in January and they stay frozen until the end of next year."},
    # news without a speaker: the text names the harbour chief, then calls her by her surname
    {"id": "news-quay", "source": "Castelmar Daily", "date": "2024-04-18", "title": "Quay to close for repairs",
     "text": "Harbour Chief Lena Marsh said the quay would close for repairs. "
             "Marsh added that ferries would use the north pier."},
    # a speech whose metadata names no speaker, but whose title does
    {"id": "forum-remarks", "source": "Valdoria Government Press Office", "date": "2024-03-11",
     "title": "Remarks by Foreign Minister Ilya Brannock at the Harbour Forum",
     "text": "Friends, thank you for coming to Castelmar.\nI believe the harbour must stay open to every flag. "
             "Closing it to foreign ships would only make us poorer."},
    # a ministry, asked about by its acronym
    {"id": "mfa-fishermen", "source": "Ministry of Foreign Affairs of Valdoria", "date": "2024-02-20",
     "title": "On the detained fishermen",
     "text": "Valdoria demands the immediate release of the twelve fishermen detained in Ostrava last week. "
             "Their boats must be returned to their owners without delay."},
    # a statement that opens with its own title and ends with a sign-off in capitals
    {"id": "mfa-monitoring", "source": "Ministry of Foreign Affairs of Valdoria", "date": "2024-05-03",
     "title": MONITORING_TITLE,
     "text": f"{MONITORING_TITLE}\n"
             "Valdoria welcomes the creation of a joint monitoring body for the Pelgrin Sea. "
             "The body will count the cod stocks every spring and publish its findings.\n"
             "Illegal trawling will be reported to every coastal state within a day.\n"
             + "\n".join(SIGN_OFF)},
    {"id": "ostrava-grain", "speaker": "Petra Grellin", "source": "Government of Ostrava", "date": "2024-01-09",
     "title": "Grain exports", "text": "Petra Grellin said that Ostrava will double its grain exports to Valdoria."},
]

FERRY_QUESTIONS = ["What did Valdoria say about the Kessmouth ferry?", "Will the Kessmouth ferry reopen?"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("press")
    (folder / "press.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def qa(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    assistant = Assistant.build([folder], tmp_path_factory.mktemp("press_index") / "index", progress=False)
    yield assistant
    assistant.close()


@pytest.fixture(scope="module")
def no_context(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    index_dir = tmp_path_factory.mktemp("press_index_no_context") / "index"
    assistant = Assistant.build([folder], index_dir, progress=False, context_fields=[])
    yield assistant
    assistant.close()


def _ids(answer: Answer) -> set[str]:
    return {q.statement_id for q in answer.quotes}


def _assert_verbatim(qa: Assistant, answer: Answer) -> None:
    quotes = [*answer.quotes, *answer.closest]
    statements = qa.statements([q.statement_id for q in quotes])
    for quote in quotes:
        assert statements[quote.statement_id].text[quote.start:quote.end] == quote.text


# -- context fields --------------------------------------------------------------------------------------------------
def test_the_default_context_fields(qa: Assistant) -> None:
    assert qa.index.manifest.context_fields == ["question", "headline", "title"]


@pytest.mark.parametrize("question", FERRY_QUESTIONS)
def test_a_question_field_finds_an_answer_that_never_names_its_topic(qa: Assistant, question: str) -> None:
    answer = qa.ask(question)
    assert not answer.abstained, answer.message
    assert answer.quotes[0].statement_id == "press-ferry"
    _assert_verbatim(qa, answer)
    for quote in answer.quotes:
        assert FERRY_QUESTION not in quote.text and "Kessmouth" not in quote.text  # never from the question field
    first = answer.quotes[0]
    assert first.text == FERRY_TEXT
    assert FERRY_QUESTION in first.context


def test_an_index_without_context_fields(no_context: Assistant) -> None:
    assert no_context.index.manifest.context_fields == []
    for question in FERRY_QUESTIONS:
        answer = no_context.ask(question)
        assert not answer.quotes or answer.quotes[0].statement_id != "press-ferry", (question, answer.message)
        for quote in [*answer.quotes, *answer.closest]:
            assert quote.context == ""


def test_other_context_fields_for_an_existing_index_are_refused(qa: Assistant, no_context: Assistant,
                                                                 folder: Path) -> None:
    with pytest.raises(StatementsError, match="context fields"):
        Assistant.build([folder], qa.index_dir, progress=False, context_fields=["question"])
    with pytest.raises(StatementsError, match="context fields"):
        Assistant.build([folder], no_context.index_dir, progress=False, context_fields=["question", "headline"])
    # both indexes are unchanged and keep their own fields
    assert read_manifest(qa.index_dir).context_fields == ["question", "headline", "title"]
    assert read_manifest(no_context.index_dir).context_fields == []
    with Assistant.build([folder], no_context.index_dir, progress=False) as again:  # None: the index's own
        assert again.index.manifest.context_fields == []


@pytest.mark.parametrize(("options", "fields"), [
    (["--context-field", "question"], ["question"]),
    (["--context-field", "question", "--context-field", "headline"], ["question", "headline"]),
    (["--no-context"], []),
])
def test_the_command_line_sets_the_context_fields(folder: Path, tmp_path: Path, options: list[str],
                                                  fields: list[str]) -> None:
    if not SCRIPT.exists():  # pragma: no cover - set-up problem, not a test result
        pytest.fail(f"{SCRIPT} is missing: run `{Path(sys.executable).parent / 'pip'} install -e {ROOT} --no-deps`")
    index_dir = tmp_path / "index"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    result = subprocess.run([str(SCRIPT), "index", str(folder), "--index-dir", str(index_dir), *options],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(index_dir)
    assert manifest is not None and manifest.context_fields == fields


def test_the_sources_panel_shows_the_context_outside_the_quote(qa: Assistant) -> None:
    answer = qa.ask(FERRY_QUESTIONS[0])
    assert answer.quotes and answer.quotes[0].statement_id == "press-ferry"
    page = sources_html(answer, qa.statements(sorted(_ids(answer))))
    assert "Context" in page and html.escape(FERRY_QUESTION) in page
    marked = re.findall(r"<mark\b[^>]*>(.*?)</mark>", page, re.S)
    assert marked and any(html.escape(FERRY_TEXT) in m for m in marked)
    assert not any("Kessmouth" in m or html.escape(FERRY_QUESTION) in m for m in marked)


# -- speakers the statements name by post or in the title --------------------------------------------------------------
def test_a_speaker_named_by_the_post_the_text_gives_them(qa: Assistant) -> None:
    answer = qa.ask("What did the harbour chief say about the quay?")
    assert not answer.abstained, answer.message
    assert _ids(answer) == {"news-quay"}
    assert "quay" in answer.quotes[0].text and "Marsh" in answer.quotes[0].speaker
    _assert_verbatim(qa, answer)


def test_a_speaker_named_in_the_title_of_a_first_person_speech(qa: Assistant) -> None:
    answer = qa.ask("What did Brannock say about the harbour?")
    assert not answer.abstained, answer.message
    quote = answer.quotes[0]
    assert quote.statement_id == "forum-remarks" and quote.speaker == "Ilya Brannock"
    assert "I believe the harbour must stay open to every flag." in quote.text
    _assert_verbatim(qa, answer)


def test_a_source_asked_about_by_its_acronym(qa: Assistant) -> None:
    answer = qa.ask("What did the MFA say about the detained fishermen?")
    assert not answer.abstained, answer.message
    assert _ids(answer) == {"mfa-fishermen"}
    assert "fishermen detained" in answer.quotes[0].text
    _assert_verbatim(qa, answer)


def test_a_source_asked_about_by_its_name_without_the_country(qa: Assistant) -> None:
    answer = qa.ask("What did the Ministry of Foreign Affairs say about the detained fishermen?")
    assert not answer.abstained, answer.message
    assert _ids(answer) == {"mfa-fishermen"}


# -- headings and sign-offs are never quoted ---------------------------------------------------------------------------
@pytest.mark.parametrize("question", [
    "What did the MFA say about the Pelgrin Sea monitoring body?",
    "What did the MFA say about the cod stocks?",
    "What did Valdoria say about illegal trawling?",
    "What did the MFA say on 3 May 2024?",
])
def test_a_title_line_and_a_sign_off_are_never_quoted(qa: Assistant, question: str) -> None:
    answer = qa.ask(question)
    assert not answer.abstained and "mfa-monitoring" in _ids(answer), answer.message
    _assert_verbatim(qa, answer)
    for quote in [*answer.quotes, *answer.closest]:
        for line in (MONITORING_TITLE, *SIGN_OFF):
            assert line not in quote.text, (question, quote.text)
