"""Example questions are whole questions about whole noun phrases, and short enough to be shown whole.

Over the fictional corpus of ``conftest.py`` (invented speakers) and a corpus built to tempt the old
examples into fragments: a two-word phrase that is no noun phrase ("step back"), a phrase that is only the
start of a longer one ("small island developing states") and a title whose topic is long.
"""
from __future__ import annotations

import re

import pytest

from corpus.sentences import split_sentences
from ui.examples import MAX_EXAMPLE_CHARS, example_questions

TOPIC = re.compile(
    r"^(?:What did \S+ say about (?P<a>.+)|Who spoke about (?P<b>.+)|How has .+?'s position on (?P<c>.+) changed)\?$"
)
TEMPTING = [
    {"id": "arden-1", "speaker": "Lena Arden", "source": "Council of Brask", "date": "2019-03-01",
     "title": "Remarks on the position of small island developing states in the negotiations on ocean finance",
     "text": "Lena Arden said that the council must step back from the tariff dispute. "
             "She said that small island developing states need the ocean fund before the storm season."},
    {"id": "arden-2", "speaker": "Lena Arden", "source": "Council of Brask", "date": "2021-03-01",
     "text": "Lena Arden said that small island developing states still wait for the ocean fund. "
             "She asked every member to step back and think of the ocean fund."},
    {"id": "moss-1", "speaker": "Petr Moss", "source": "Council of Uskel", "date": "2020-05-01",
     "text": "Petr Moss said that small island developing states deserve a seat at the table. "
             "He warned that the ocean fund is empty."},
]


def noun_phrases(statements) -> set[str]:
    """Every noun chunk of every sentence of the statements' texts and titles, without its article or possessor."""
    from corpus.attribution import english_pipeline

    nlp = english_pipeline()
    found = set()
    for statement in statements:
        for text in (statement.text, statement.title):
            for start, end in split_sentences(text):
                for chunk in nlp(text[start:end]).noun_chunks:
                    tokens = list(chunk)
                    while tokens and tokens[0].dep_ in ("det", "poss", "case", "predet"):
                        tokens = tokens[1:]
                    if tokens:
                        found.add(chunk.doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)])
    return found


def check(qa) -> list[str]:
    """The examples of ``qa``, each checked: a question, shown whole, about a noun phrase of its statements."""
    examples = example_questions(qa)
    assert examples
    chunks = noun_phrases(qa.statements([h.id for h in qa.statement_headers()]).values())
    for question in examples:
        assert question.endswith("?"), question
        assert len(question) <= MAX_EXAMPLE_CHARS, question  # Gradio shows no more of an example
        assert "…" not in question and "..." not in question, question
        match = TOPIC.match(question)
        assert match, question
        topic = match.group("a") or match.group("b") or match.group("c")
        assert topic in chunks, (question, topic)
    return examples


def test_fictional_examples_are_whole_questions_about_noun_phrases(fictional_assistant):
    examples = check(fictional_assistant)
    assert any(q.startswith("What did Voss say about ") for q in examples)


@pytest.fixture(scope="module")
def tempting(tmp_path_factory):
    import json

    from assistant.api import Assistant

    folder = tmp_path_factory.mktemp("tempting")
    (folder / "council.jsonl").write_text("\n".join(json.dumps(r) for r in TEMPTING) + "\n", encoding="utf-8")
    with Assistant.build([folder / "council.jsonl"], folder / "index", progress=False) as qa:
        yield qa


def test_no_example_is_a_fragment_or_cut(tempting):
    examples = check(tempting)
    text = " ".join(examples)
    assert "step back" not in text  # a verb and its particle, not a topic
    assert "about small island?" not in text and "on small island " not in text  # never part of a noun phrase
    assert any("ocean fund" in q for q in examples), examples
