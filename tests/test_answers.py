"""Extractive answers: who said what, verbatim quotes, abstention and follow-ups (real index)."""
from __future__ import annotations

import pytest


def _check_verbatim(qa, answer) -> None:
    for quote in answer.quotes + answer.closest:
        statement = qa.index.store.statements([quote.statement_id])[quote.statement_id]
        assert statement.text[quote.start : quote.end] == quote.text


# -- the bundled sample: the user's own question -------------------------------------------------
def test_sample_micaller_question(sample_assistant):
    answer = sample_assistant.ask("what did Lavrov say about Micaller?")
    assert not answer.abstained
    first = answer.quotes[0]
    assert "Manuel Micaller" in first.text
    assert first.source == "Ministry of Foreign Affairs of the Russian Federation"
    assert first.start < first.end
    dismissed = "Lavrov dismissed these remarks"
    assert dismissed in first.text or (len(answer.quotes) > 1 and dismissed in answer.quotes[1].text)
    assert "Ministry of Foreign Affairs of the Russian Federation" in answer.to_markdown()
    _check_verbatim(sample_assistant, answer)


def test_sample_drug_trafficking(sample_assistant):
    answer = sample_assistant.ask("what did Lavrov say about drug trafficking?")
    assert not answer.abstained
    assert "narcotics trafficking" in answer.quotes[0].text
    _check_verbatim(sample_assistant, answer)


def test_sample_climate_change_abstains(sample_assistant):
    answer = sample_assistant.ask("what did Lavrov say about climate change?")
    assert answer.abstained
    assert answer.quotes == ()
    assert "No statement" in answer.message
    _check_verbatim(sample_assistant, answer)  # the closest passages are verbatim too


def test_sample_follow_up_isis(sample_assistant):
    first = sample_assistant.ask("what did Lavrov say about Micaller?")
    follow = sample_assistant.ask("and about ISIS?", history=[first])
    assert not follow.abstained
    assert "ISIS and Al-Qaeda" in follow.quotes[0].text
    assert follow.frame.speaker == "Lavrov"


def test_sample_reversed_question_does_not_attribute_lavrov_to_micaller(sample_assistant):
    answer = sample_assistant.ask("what did Micaller say about Lavrov?")
    for quote in answer.quotes:
        assert "Lavrov" not in quote.text.split(",")[0]  # no sentence where Lavrov is the speaker
    assert answer.abstained


def test_what_else_did_he_say_gives_new_quotes(sample_assistant):
    first = sample_assistant.ask("what did Lavrov say about Micaller?")
    more = sample_assistant.ask("what else did he say?", history=[first])
    assert not more.abstained
    shown = {(q.start, q.end) for q in first.quotes}
    for quote in more.quotes:
        assert all(quote.end <= a or quote.start >= b for a, b in shown)


def test_without_history_a_follow_up_stands_alone(sample_assistant):
    answer = sample_assistant.ask("and about ISIS?")
    assert answer.frame.speaker == ""
    assert answer.frame.topic == "ISIS"


# -- fictional corpus: speakers, reported speech, years ------------------------------------------
def test_speaker_preference_two_speakers_same_topic(fictional_assistant):
    voss = fictional_assistant.ask("what did Elara Voss say about fishing quotas?")
    quill = fictional_assistant.ask("what did Tomas Quill say about fishing quotas?")
    assert not voss.abstained and not quill.abstained
    assert {q.speaker for q in voss.quotes} == {"Elara Voss"}
    assert {q.speaker for q in quill.quotes} == {"Tomas Quill"}
    assert "cut by a fifth" in voss.quotes[0].text
    assert "should be raised" in quill.quotes[0].text


def test_surname_only_matches_speaker(fictional_assistant):
    answer = fictional_assistant.ask("What did Quill say about fishing quotas?")
    assert answer.quotes and answer.quotes[0].speaker == "Tomas Quill"


def test_reported_speech_with_pronoun(fictional_assistant):
    answer = fictional_assistant.ask("what did Brannock say about the border talks?")
    assert not answer.abstained
    text = " ".join(q.text for q in answer.quotes)
    assert "He contended that the talks had never been suspended." in text
    assert answer.quotes[0].source == "Valdoria News Agency"
    assert "Brannock" in answer.quotes[0].reported_speaker


def test_reversed_question_is_not_answered_with_the_other_speakers_words(fictional_assistant):
    answer = fictional_assistant.ask("what did Grellin say about Brannock?")
    for quote in answer.quotes:
        assert "Brannock accused" not in quote.text
        assert "He contended" not in quote.text
        assert quote.speaker == "Petra Grellin"


def test_year_narrows_to_that_year(fictional_assistant):
    answer = fictional_assistant.ask("what did Elara Voss say about sea-level rise in 2016?")
    assert not answer.abstained
    assert all(q.date.startswith("2016") for q in answer.quotes)
    later = fictional_assistant.ask("what did Elara Voss say about sea-level rise in 2018?")
    assert later.quotes and all(q.date.startswith("2018") for q in later.quotes)


def test_abstains_when_nothing_relevant(fictional_assistant):
    answer = fictional_assistant.ask("what did Elara Voss say about space exploration?")
    assert answer.abstained
    assert "No statement" in answer.message


def test_did_anyone_else_say_that(fictional_assistant):
    first = fictional_assistant.ask("what did Elara Voss say about fishing quotas?")
    others = fictional_assistant.ask("did anyone else say that?", history=[first])
    assert not others.abstained
    assert all(q.speaker != "Elara Voss" for q in others.quotes)
    assert any(q.speaker == "Tomas Quill" for q in others.quotes)


def test_history_given_as_plain_questions(fictional_assistant):
    answer = fictional_assistant.ask(
        "and what about illegal trawling?", history=["what did Voss say about fishing quotas?"]
    )
    assert answer.frame.speaker == "Voss"
    assert answer.quotes and "illegal trawling" in answer.quotes[0].text


@pytest.mark.parametrize(
    "question",
    [
        "what did Elara Voss say about fishing quotas?",
        "what did Brannock say about grain exports?",
        "fishing quotas",
        "what did Tomas Quill say?",
    ],
)
def test_every_quote_is_verbatim_whole_sentences(fictional_assistant, question):
    from corpus.sentences import split_sentences

    answer = fictional_assistant.ask(question)
    _check_verbatim(fictional_assistant, answer)
    for quote in answer.quotes:
        statement = fictional_assistant.index.store.statements([quote.statement_id])[quote.statement_id]
        spans = split_sentences(statement.text)
        assert any(a == quote.start for a, _ in spans), "a quote starts at a sentence start"
        assert any(b == quote.end for _, b in spans), "a quote ends at a sentence end"


def test_answer_json_has_all_fields(fictional_assistant):
    answer = fictional_assistant.ask("what did Elara Voss say about fishing quotas?")
    data = answer.to_dict()
    assert set(data) >= {"quotes", "abstained", "message"}
    assert set(data["quotes"][0]) >= {
        "text", "statement_id", "start", "end", "context_before", "context_after", "speaker", "source", "date",
        "title", "url", "page", "score",
    }


def test_markdown_escapes_html(fictional_assistant):
    from assistant.answer import Answer, Quote

    quote = Quote("<script>alert(1)</script> *bold*", "x", 0, 10, "", "", "<b>Eve</b>", "", "", "", "", None, 1.0)
    md = Answer("q", (quote,), False, "Found <img src=x onerror=alert(1)>:").to_markdown()
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script>" in md and "\\*bold\\*" in md
