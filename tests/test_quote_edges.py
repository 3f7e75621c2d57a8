"""Quotes hold the speaker's words only: not a paragraph's number, nor the header or footer a printed page
adds (UN verbatim records carry "15-29425 31/34" and "A/70/PV.15 28/09/2015" at every page break).

An invented speech with the layout of a UN verbatim record.
"""
from __future__ import annotations

import json

import pytest

from corpus.markdown import is_heading, is_page_furniture
from corpus.sentences import split_sentences

RECORD = (
    "37. Norvania thanks the President for her work.\n"
    "38. Moreover, there is a need to protect the cod stocks of the Pelgrin Sea for the next generation.\n"
    "The fishing fleets of the region must share that burden, and we ask every coastal state to cut its\n"
    "15-29425 31/34\n\x0c\nA/70/PV.15 28/09/2015\n"
    "quotas by a third before the next session.\n"
    "(b) The seed vault of Estmark will be opened to every nation that asks for it.\n"
    "We will finance the seed vault for ten more years.\n"
    "32/34 15-29425\n\x0c\n28/09/2015 A/70/PV.15\n"
    "Women now hold a third of the seats in our parliament."
)


def test_page_headers_are_sentences_of_their_own_and_nobodys_words() -> None:
    sentences = [RECORD[a:b] for a, b in split_sentences(RECORD)]
    assert "15-29425 31/34" in sentences and "A/70/PV.15 28/09/2015" in sentences
    assert "quotas by a third before the next session." in sentences  # not joined to the header above it
    header = RECORD.index("A/70/PV.15")
    assert is_page_furniture(RECORD, header) and is_heading(RECORD, header)
    assert not is_page_furniture(RECORD, RECORD.index("Women now"))
    assert not is_page_furniture("We pledged 500 million.", 3)


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    from assistant.api import Assistant

    folder = tmp_path_factory.mktemp("record")
    row = {"id": "NRV_70_2015", "country": "NRV", "country_name": "Norvania", "year": 2015,
           "speaker": "Elara Voss", "post": "Prime Minister", "text": RECORD}
    (folder / "record.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    with Assistant.build([folder / "record.jsonl"], folder / "index") as qa:
        yield qa


@pytest.mark.parametrize(("question", "words"), [
    ("What did Norvania say about the cod stocks of the Pelgrin Sea?", "Moreover, there is a need to protect"),
    ("What did Norvania say about opening the seed vault of Estmark?", "The seed vault of Estmark will be opened"),
    ("What did Norvania say about women in parliament?", "Women now hold a third"),
])
def test_quotes_start_with_the_words_not_a_number_or_a_header(record, question: str, words: str) -> None:
    answer = record.ask(question)
    quote = next(q for q in answer.quotes if words in q.text)
    assert quote.text.startswith(words)
    assert "29425" not in quote.text and "PV.15" not in quote.text
    assert RECORD[quote.start : quote.end] == quote.text


def test_an_excerpt_around_a_quote_starts_and_ends_on_whole_words() -> None:
    from assistant.answer import Answer
    from corpus.statement import Statement
    from ui.render import MAX_CONTEXT_CHARS, _passage, quote_choices

    before = " ".join(f"harbourmaster{i}" for i in range(80))  # one long paragraph: the excerpt is cut inside it
    said = "The quay of Kessmouth will reopen in May."
    text = f"{before} {said} {before}"
    st = Statement(id="long", text=text, speaker="Elara Voss")
    start = text.index(said)
    quote = _quote(said, start)
    html = _passage(quote, st)
    shown = html.replace("<mark>", "").replace("</mark>", "")
    assert shown.startswith("…harbourmaster") and shown.endswith("…")
    lead = shown[1:].split()[0]
    assert lead in before.split()  # a whole word, not the tail of one
    assert shown[:-1].split()[-1] in before.split()
    assert len(shown) <= len(said) + 2 * MAX_CONTEXT_CHARS + 4
    label = quote_choices(Answer("q", (_quote(f"{said} {before}", start),), False, ""))[0][0]
    assert label.endswith("…”") and label[:-2].split()[-1] in (said + " " + before).split()


def _quote(text: str, start: int):
    from assistant.answer import Quote

    return Quote(text=text, statement_id="long", start=start, end=start + len(text), context_before="",
                 context_after="", speaker="Elara Voss", source="", date="", title="", url="", page=None, score=1.0)
