"""Answer lines that cite like a journalist, Markdown escaped only where it would act, headings never quoted.

Real indexes (bundled encoder, FAISS, bm25s) of the fictional corpus in ``citation_corpus``.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from citation_corpus import (
    ESTMARK_LINE,
    HEADED_STATEMENT,
    HEADING,
    NORVANIA_LINE,
    SECTION,
    write_corpus,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answer import Answer, Quote, escape_markdown
from assistant.api import Assistant, index_statements
from assistant.citation import described, document_title, sort_name, speaker_role, statement_country
from corpus.countries import with_standard_country
from corpus.load import load_statements
from corpus.markdown import is_structure, leading_heading
from corpus.options import LoadOptions
from corpus.sentences import split_sentences
from corpus.statement import Statement

HEADING_WORDS = HEADING.lstrip("# ")


def _index(folder: Path, index_dir: Path, options: LoadOptions = LoadOptions()) -> Path:
    index_statements([folder], index_dir, options=options, progress=False)
    return index_dir


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("citation_corpus"))


@pytest.fixture(scope="module")
def debates(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The corpus indexed as it comes: ``country_name`` stays metadata, no statement has a source."""
    with Assistant.open(_index(corpus, tmp_path_factory.mktemp("debates") / "index")) as qa:
        yield qa


@pytest.fixture(scope="module")
def debates_by_country(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The corpus indexed as the README shows for UNGDC: ``--field source=country_name``."""
    index_dir = tmp_path_factory.mktemp("debates_by_country") / "index"
    with Assistant.open(_index(corpus, index_dir, LoadOptions(source=("country_name",)))) as qa:
        yield qa


# -- the answer line ---------------------------------------------------------------------------
def test_un_like_metadata_gives_speaker_post_country_date_and_a_title(debates: Assistant) -> None:
    answer = debates.ask("What did Norvania say about fishing quotas?")
    assert answer.quotes, answer.message
    quote = answer.quotes[0]
    assert quote.statement_id == "NRV_74_2019"
    assert (quote.role, quote.country) == ("Prime Minister", "Norvania")
    assert quote.title == "Norvania — UN General Debate 2019"
    assert quote.attribution() == NORVANIA_LINE
    assert "NRV_74_2019" not in answer.to_markdown() and "NRV_74_2019" not in answer.to_text()


def test_a_post_that_repeats_an_honorific_and_a_realm(debates: Assistant) -> None:
    quote = debates.ask("What did the King of Estmark say about the seed vault?").quotes[0]
    assert quote.attribution() == ESTMARK_LINE


def test_source_as_country_is_not_repeated(debates_by_country: Assistant) -> None:
    quote = debates_by_country.ask("What did Norvania say about fishing quotas?").quotes[0]
    assert quote.source == "Norvania"
    assert quote.attribution() == NORVANIA_LINE


def test_reported_speech_keeps_its_form_and_a_readable_file_title(sample_assistant: Assistant) -> None:
    quote = sample_assistant.ask("what did Lavrov say about Micaller?").quotes[0]
    assert quote.attribution() == (
        "Sergei Lavrov (reported by Ministry of Foreign Affairs of the Russian Federation), "
        "“Lavrov Dushanbe 201st base”"
    )


def test_the_api_json_has_role_and_country(debates: Assistant) -> None:
    from ui.render import answer_dict

    data = answer_dict(debates.ask("What did Norvania say about fishing quotas?"))
    assert (data["quotes"][0]["role"], data["quotes"][0]["country"]) == ("Prime Minister", "Norvania")
    assert data["quotes"][0]["attribution"] == NORVANIA_LINE


def _un_statement(**fields: object) -> Statement:
    metadata = {"country": "NRV", "country_name": "Norvania", "session": 74, "post": "Prime Minister"}
    metadata.update({k: v for k, v in fields.items() if k not in ("speaker", "source", "title", "date")})
    metadata = {k: v for k, v in metadata.items() if v is not None}
    return Statement(id="NRV_74_2019", text="We thank the President.", speaker=str(fields.get("speaker", "Elara Voss")),
                     source=str(fields.get("source", "")), title=str(fields.get("title", "")),
                     date=str(fields.get("date", "2019")), metadata=metadata)


def _line(st: Statement) -> str:
    role = speaker_role(st) if st.speaker else ""
    quote = Quote(st.text, st.id, 0, len(st.text), "", "", st.speaker, st.source, st.date, document_title(st), "",
                  None, 1.0, role=role, country=statement_country(st))
    return quote.attribution()


@pytest.mark.parametrize(("fields", "line"), [
    ({}, "Elara Voss, Prime Minister of Norvania — 2019, “Norvania — UN General Debate 2019”"),
    ({"speaker": ""}, "Norvania, 2019, “Norvania — UN General Debate 2019”"),
    ({"post": None}, "Elara Voss (Norvania) — 2019, “Norvania — UN General Debate 2019”"),
    ({"post": "vice-President"}, "Elara Voss, Vice-President of Norvania — 2019, “Norvania — UN General Debate 2019”"),
    ({"session": 3}, "Elara Voss, Prime Minister of Norvania — 2019, “Norvania — session 3, 2019”"),
    ({"session": None, "date": "2019-09-24"},
     "Elara Voss, Prime Minister of Norvania — 2019-09-24, “Norvania — 2019”"),
    ({"title": "Address to the 74th session"},
     "Elara Voss, Prime Minister of Norvania — 2019, “Address to the 74th session”"),
    ({"country_name": "United Kingdom of Norvania"},
     "Elara Voss, Prime Minister of the United Kingdom of Norvania — 2019, "
     "“United Kingdom of Norvania — UN General Debate 2019”"),
    ({"country_name": None, "source": "Norvania"},
     "Elara Voss, Prime Minister of Norvania — 2019, “Norvania — UN General Debate 2019”"),
    ({"country_name": None}, "Elara Voss, Prime Minister — 2019"),  # a code ISO does not know names no country
])
def test_attribution_line_from_un_like_metadata(fields: dict[str, object], line: str) -> None:
    assert _line(_un_statement(**fields)) == line


def test_a_country_code_alone_names_the_country_once_loaded() -> None:
    loaded = with_standard_country(_un_statement(country_name=None, country="FRA"))
    assert _line(loaded) == "Elara Voss, Prime Minister of France — 2019, “France — UN General Debate 2019”"
    nameless = with_standard_country(_un_statement(country_name=None, country="FRA", speaker=""))
    assert _line(nameless) == "France, 2019, “France — UN General Debate 2019”"  # never only a year


def test_names_keep_their_honorifics_except_for_sorting() -> None:
    assert described("Mr. Abdullah Calder", "Chief Executive", "Norvania") == (
        "Mr. Abdullah Calder, Chief Executive of Norvania")
    assert described("His Majesty King Tupou Vell", "King", "Estmark") == "Tupou Vell, King of Estmark"
    assert described("His Majesty King Tupou Vell", "King", "") == "His Majesty King Tupou Vell"
    assert described("His Highness Sheikh Omar Vell", "Emir", "State of Ostrava") == (
        "His Highness Sheikh Omar Vell, Emir of the State of Ostrava")
    assert sort_name("His Excellency Mr. Ilya Brannock") == "ilya brannock"
    assert sort_name("Ms. Elara Voss") == "elara voss" and sort_name("Voss") == "voss"


def test_a_title_is_never_a_bare_id() -> None:
    record = Statement(id="debates:2", text="Peace is our aim.", speaker="Jane Placeholder")
    assert document_title(record) == ""
    assert "debates:2" not in _line(record)
    quote = Quote(record.text, record.id, 0, 5, "", "", "", "", "2019", "", "", None, 1.0, path="/data/debates.jsonl")
    assert quote.heading == "debates.jsonl, record 2"  # where it is, not the id
    assert replace(quote, source="Vell Herald").heading == "Vell Herald — 2019"
    named = Statement(id="speeches/vell-harbour-remarks", text="The Vell harbour opens.", title="Vell harbour remarks")
    assert document_title(named) == "Vell harbour remarks"  # from the file name, as the text writes its words


# -- escaping ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "escaped"), [
    ("What Lavrov said about Micaller (1 statement):", "What Lavrov said about Micaller (1 statement):"),
    ("U.S. policy (see Annex I) costs $5 - or 3.5%!", "U.S. policy (see Annex I) costs $5 - or 3.5%!"),
    ("snake_case, AT&T, a * b, 50 % < 60 % > 40", "snake_case, AT&T, a * b, 50 % < 60 % > 40"),
    ("# Heading", "\\# Heading"),
    ("1984. That year", "1984\\. That year"),
    ("> not a quote\n- not a list", "\\> not a quote\n\\- not a list"),
    ("Title\n=====", "Title\n\\====="),
    ("*bold* and `code`", "\\*bold\\* and \\`code\\`"),
    ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
    ("&amp; stays", "&amp;amp; stays"),
    ("[link](http://x) ![img](y)", "[link\\](http\\://x) ![img\\](y)"),
    ("see www.example.org", "see www\\.example.org"),
])
def test_escape_markdown_only_what_would_render(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_answer_markdown_has_no_needless_backslashes() -> None:
    quote = Quote("It characterized U.S. policy (as stated).", "s", 0, 40, "", "", "Tomas Quill",
                  "Government of Estmark", "2019-06-10", "Remarks (draft)", "", None, 1.0)
    markdown = Answer("q", (quote,), False, "What Quill said about the U.S. (1 statement):").to_markdown()
    assert "\\" not in markdown
    assert markdown.endswith("— Tomas Quill — Government of Estmark, 2019-06-10, “Remarks (draft)”")


_TAG = re.compile(r"<(/?)([a-z0-9]+)[^>]*>")
_PIECES = [*"ab1 #>-+*_~`[]()!<&;:$\\|=./\n", "http://", "www.", "&amp;", "<b>", "1. ", "1) ", "```", "---", "\n\n",
           "    ", "![", "](", "]: ", "<!--", "</", "**", "a_b", "&#169;", "=\n", "\t"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_escaped_text_renders_as_itself(text: str) -> None:
    """A CommonMark renderer (markdown-it, with tables and strikethrough) shows escaped text as the text, no markup."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable(["strikethrough", "table"]).render(escape_markdown(text))
    assert {m.group(2) for m in _TAG.finditer(rendered)} <= {"p", "br"}, rendered
    assert " ".join(html.unescape(_TAG.sub(" ", rendered)).split()) == " ".join(text.split())


# -- Markdown headings are not speech ----------------------------------------------------------
def test_heading_lines_are_sentences_of_their_own() -> None:
    text = "# Health Department announces\nnew rules for schools. It said so.\nTitle\n=====\nBody."
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences[:2] == ["# Health Department announces", "new rules for schools."]
    assert [s for s in sentences if is_structure(text, text.index(s))] == [
        "# Health Department announces", "Title", "====="]
    assert not is_structure("#hashtag is a word", 0)
    assert leading_heading("## Vell harbour ##\nBody.") == "Vell harbour"


def test_a_leading_heading_is_the_title_and_stays_in_the_text(corpus: Path) -> None:
    statements, _ = load_statements([corpus / "kessmouth-flu.md"])
    assert statements[0].title == HEADING_WORDS
    assert statements[0].text == HEADED_STATEMENT.rstrip()  # nothing cut out: offsets stay exact


@pytest.mark.parametrize("question", [
    "What did the Kessmouth Health Department announce about free flu vaccines for all residents?",
    "Who said “announces free flu vaccines for all residents”?",
    "What about vaccination centres in the harbour district?",
    "What did Kessmouth say about the harbour district?",
])
def test_a_markdown_heading_is_never_quoted(debates: Assistant, question: str) -> None:
    answer = debates.ask(question)
    statement = debates.statement("kessmouth-flu")
    assert statement is not None
    for quote in answer.quotes + answer.closest:
        assert statement.text[quote.start : quote.end] == quote.text or quote.statement_id != "kessmouth-flu"
        assert "#" not in quote.text and HEADING_WORDS not in quote.text and SECTION.lstrip("# ") not in quote.text
    if "centres" in question:
        assert answer.quotes and answer.quotes[0].text.startswith("It will open three new vaccination centres")
        assert answer.quotes[0].title == HEADING_WORDS
    assert "\\#" not in answer.to_markdown()
