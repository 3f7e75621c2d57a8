"""Loading statements from real files of every supported format, and reporting bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_loaders import (
    HARBOUR_HTML,
    write_bytes,
    write_docx,
    write_jsonl,
    write_pdf,
    write_pdf_without_text,
    write_text,
)

from corpus import (
    LoadOptions,
    LoadProblem,
    LoadReport,
    PageSpan,
    Statement,
    StatementsError,
    bundled_sample_path,
    iter_statements,
    load_statements,
)
from corpus.load import _run

UNGDC = Path("/work/shared/data/ungdc/ungdc_2015-2024.jsonl.gz")
SCIFACT = Path("/work/shared/data/beir_scifact/corpus.jsonl")


def by_id(statements: list[Statement]) -> dict[str, Statement]:
    return {s.id: s for s in statements}


def problem_lines(report: LoadReport) -> list[str]:
    return [str(p) for p in report.problems]


# --- the bundled sample -------------------------------------------------------------------


def test_bundled_sample_loads_as_one_attributed_statement():
    folder = bundled_sample_path()
    assert folder.is_dir() and folder.name == "sample" and folder.parent.name == "corpus"
    statements, report = load_statements([folder])
    assert report.problems == [] and report.duplicates == []
    assert report.summary() == "loaded 1 statement from 1 file, skipped 0"
    [sample] = statements
    assert sample.id == "lavrov-dushanbe-201st-base"
    assert sample.title == "Lavrov dushanbe 201st base"
    assert sample.source == "Ministry of Foreign Affairs of the Russian Federation"
    assert "attribution" not in sample.text
    assert sample.text.endswith("regional diplomacy.")
    assert sample.path.endswith("lavrov-dushanbe-201st-base.txt")
    raw = (folder / "lavrov-dushanbe-201st-base.txt").read_text(encoding="utf-8")
    assert raw.startswith(sample.text)  # the quotable text is the file's own words


# --- text and Markdown --------------------------------------------------------------------


def test_front_matter_gives_fields_and_metadata_and_wins_over_attribution(tmp_path):
    write_text(
        tmp_path / "harbour.md",
        "---\n"
        "title: Statement on the harbour\n"
        "Speaker: Jane Placeholder\n"
        "source: Ministry of Examples\n"
        "date: 2022-03-14\n"
        "url: https://ministry.example.org/harbour\n"
        "tags: [ports, repairs]\n"
        "---\n"
        "\n"
        "The harbour reopens on Monday.  \n"
        "We thank all crews.\n"
        "(attribution: Fictionville Gazette)\n",
    )
    [s], report = load_statements([tmp_path])
    assert report.problems == []
    assert (s.id, s.title, s.speaker, s.source) == (
        "harbour", "Statement on the harbour", "Jane Placeholder", "Ministry of Examples"
    )
    assert s.date == "2022-03-14" and s.url == "https://ministry.example.org/harbour"
    assert s.text == "The harbour reopens on Monday.  \nWe thank all crews."  # inner spaces kept
    assert dict(s.metadata) == {"tags": ["ports", "repairs"], "attribution": "Fictionville Gazette"}
    json.dumps(dict(s.metadata))


def test_attribution_on_its_own_line_and_crlf(tmp_path):
    write_text(tmp_path / "a.txt", "\r\n\r\nFirst line.\r\nSecond line.\r\n\r\n(attribution: Office of Examples)\r\n")
    [s], _ = load_statements([tmp_path / "a.txt"])
    assert s.text == "First line.\nSecond line."
    assert s.source == "Office of Examples"


def test_attribution_with_parentheses_in_the_name(tmp_path):
    write_text(tmp_path / "b.txt", "Words of the day. (attribution: Office of Examples (Fictionville))")
    [s], _ = load_statements([tmp_path])
    assert s.text == "Words of the day."
    assert s.source == "Office of Examples (Fictionville)"


def test_text_without_attribution_keeps_everything(tmp_path):
    write_text(tmp_path / "c.txt", "We call this an (attribution: problem) in the middle.\nThe end.\n")
    [s], _ = load_statements([tmp_path])
    assert s.text == "We call this an (attribution: problem) in the middle.\nThe end."
    assert s.source == ""


def test_markdown_rule_is_not_front_matter(tmp_path):
    write_text(tmp_path / "rule.md", "---\nA paragraph between rules.\n---\nMore text.\n")
    [s], _ = load_statements([tmp_path])
    assert s.text == "---\nA paragraph between rules.\n---\nMore text."


def test_invalid_front_matter_is_skipped_with_the_yaml_error(tmp_path):
    write_text(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nBody.\n")
    statements, report = load_statements([tmp_path])
    assert statements == []
    [problem] = report.problems
    assert problem.path.endswith("bad.md")
    assert problem.reason.startswith("front matter is not valid YAML")


def test_ids_and_titles_come_from_paths_and_are_stable(tmp_path):
    write_text(tmp_path / "speeches" / "2022" / "opening_remarks-day-1.txt", "Opening remarks.")
    write_text(tmp_path / "speeches" / "closing.md", "Closing remarks.")
    write_text(tmp_path / "alpha.txt", "Alpha remarks.")
    first, _ = load_statements([tmp_path])
    second, _ = load_statements([tmp_path])
    assert [s.id for s in first] == ["alpha", "speeches/2022/opening_remarks-day-1", "speeches/closing"]
    assert [s.id for s in first] == [s.id for s in second]
    assert [s.content_hash for s in first] == [s.content_hash for s in second]
    assert by_id(first)["speeches/2022/opening_remarks-day-1"].title == "Opening remarks day 1"
    [single], _ = load_statements([tmp_path / "speeches" / "closing.md"])
    assert single.id == "closing"


def test_hidden_files_and_folders_are_left_out(tmp_path):
    write_text(tmp_path / "visible.txt", "Visible.")
    write_text(tmp_path / ".hidden.txt", "Hidden file.")
    write_text(tmp_path / ".git" / "notes.txt", "Hidden folder.")
    statements, report = load_statements([tmp_path])
    assert [s.id for s in statements] == ["visible"]
    assert report.problems == []


# --- decoding -----------------------------------------------------------------------------


def test_utf8_bom_and_utf16_bom_decode(tmp_path):
    write_bytes(tmp_path / "bom8.txt", "\ufeffGrüße aus Fictionville.".encode("utf-8"))
    write_text(tmp_path / "bom16.txt", "Grüße aus Fictionville, zweimal.\r\nZweite Zeile.", "utf-16")
    statements, report = load_statements([tmp_path])
    assert report.problems == []
    texts = by_id(statements)
    assert texts["bom8"].text == "Grüße aus Fictionville."
    assert texts["bom16"].text == "Grüße aus Fictionville, zweimal.\nZweite Zeile."


def test_undecodable_text_is_skipped_unless_an_encoding_is_given(tmp_path):
    path = write_bytes(tmp_path / "cafe.txt", "Le café est fermé.".encode("cp1252"))
    statements, report = load_statements([path])
    assert statements == []
    assert problem_lines(report) == [f"skipped {path}: not valid UTF-8 text (byte 0xe9 at offset 6)"]
    [s], report = load_statements([path], LoadOptions(encoding="cp1252"))
    assert s.text == "Le café est fermé." and report.problems == []


def test_unknown_encoding_is_a_setup_error():
    with pytest.raises(StatementsError, match="unknown text encoding"):
        iter_statements(["anything"], LoadOptions(encoding="no-such-codec"))


# --- JSON, JSONL, CSV ---------------------------------------------------------------------


def test_jsonl_maps_fields_by_options(tmp_path):
    records = [
        {"id": "FIC_1_2017", "country": "FIC", "country_name": "Fictionia", "session": 1,
         "year": 2017, "speaker": "Ms. Jane Placeholder", "post": "Minister", "text": "We meet again."},
        {"country_name": "Examplestan", "year": 2018.0, "speaker": None, "post": None,
         "text": "Peace is our aim."},
    ]
    write_jsonl(tmp_path / "debates.jsonl", records)
    statements, report = load_statements([tmp_path], LoadOptions(source=("country_name",)))
    assert report.problems == []
    first, second = statements
    assert (first.id, first.speaker, first.source, first.date) == (
        "FIC_1_2017", "Ms. Jane Placeholder", "Fictionia", "2017"
    )
    assert dict(first.metadata) == {"country": "FIC", "session": 1, "post": "Minister"}
    assert (second.id, second.source, second.date, second.speaker) == ("debates:2", "Examplestan", "2018", "")


def test_jsonl_gz_streams_and_join_text(tmp_path):
    docs = [
        {"_id": "101", "title": "A fictional finding.", "text": "Mice liked cheese.", "metadata": {}},
        {"_id": "102", "title": "", "text": "Only text here.", "metadata": {"journal": "J. Examples"}},
    ]
    write_jsonl(tmp_path / "corpus.jsonl.gz", docs, gz=True)
    options = LoadOptions(text=("title", "text"), join_text=True)
    statements, report = load_statements([tmp_path], options)
    assert report.problems == []
    a, b = statements
    assert (a.id, a.title, a.text) == ("101", "A fictional finding.", "A fictional finding.\n\nMice liked cheese.")
    assert a.metadata == {}
    assert (b.id, b.title, b.text) == ("102", "", "Only text here.")
    assert dict(b.metadata) == {"journal": "J. Examples"}  # blank mapped fields are not metadata
    first_only, _ = load_statements([tmp_path], LoadOptions(text=("title", "text")))
    assert [s.text for s in first_only] == ["A fictional finding.", "Only text here."]  # first present wins


def test_json_shapes(tmp_path):
    write_text(tmp_path / "list.json", json.dumps([{"text": "List one."}, {"id": 7, "text": "List two."}, "oops"]))
    write_text(tmp_path / "one.json", json.dumps({"text": "Single record.", "speaker": "Joe Example"}))
    write_text(tmp_path / "wrapped.json", json.dumps({"statements": [{"text": "Wrapped one."}]}))
    write_text(tmp_path / "data.json", json.dumps({"data": [{"body": "Data one."}]}))
    write_text(tmp_path / "broken.json", '{"text": "no end"')
    statements, report = load_statements([tmp_path])
    ids = {s.id: s.text for s in statements}
    assert ids == {
        "data:0": "Data one.", "list:0": "List one.", "7": "List two.",
        "one": "Single record.", "wrapped:0": "Wrapped one.",
    }
    lines = problem_lines(report)
    assert len(lines) == 2
    assert any("broken.json:1: not valid JSON" in line for line in lines)
    assert any("list.json: record 2: record is not an object (string)" in line for line in lines)


def test_csv_rows_with_multiline_fields_and_numbers(tmp_path):
    write_text(
        tmp_path / "press.csv",
        'id,title,text,year,desk\n'
        'p1,First,"Hello, world.",2019,Foreign\n'
        'p2,Second,"A ""quoted"" word\nacross two lines.",2020,Home\n'
        '\n'
        ',Third,No id here.,2021,\n',
    )
    statements, report = load_statements([tmp_path])
    assert report.problems == []
    p1, p2, third = statements
    assert (p1.id, p1.title, p1.text, p1.date, dict(p1.metadata)) == (
        "p1", "First", "Hello, world.", "2019", {"desk": "Foreign"}
    )
    assert p2.text == 'A "quoted" word\nacross two lines.'
    assert third.id == "press:6"  # the line the row starts on (header is line 1)


def test_csv_without_text_column_is_one_problem(tmp_path):
    write_text(tmp_path / "qrels.csv", "query,doc,score\n1,2,1\n3,4,1\n")
    statements, report = load_statements([tmp_path])
    assert statements == []
    assert [(p.line, p.reason.split(" (")[0]) for p in report.problems] == [(1, "no text column in the CSV header")]


def test_csv_unclosed_quote_costs_one_row(tmp_path):
    write_text(
        tmp_path / "rows.csv",
        'id,text\n'
        'r1,Row one.\n'
        'r2,"Row two never closes\n'
        'r3,Row three.\n'
        'r4,"Row four, quoted."\n',
    )
    statements, report = load_statements([tmp_path])
    assert [s.id for s in statements] == ["r1", "r3", "r4"]
    [problem] = report.problems
    assert problem.line == 3 and "broken CSV quoting" in problem.reason


# --- HTML, PDF, DOCX ----------------------------------------------------------------------


def test_html_main_text_without_scripts_or_navigation(tmp_path):
    write_text(tmp_path / "harbour.html", HARBOUR_HTML)
    [s], report = load_statements([tmp_path])
    assert report.problems == []
    assert "reopen to all shipping on Monday" in s.text
    assert "Minister Jane Placeholder said" in s.text
    for junk in ("SCRIPT-TEXT", "SCRIPT2-TEXT", "NAV-TEXT", "FOOTER-TEXT", "color: black"):
        assert junk not in s.text
    assert s.title == "Statement on the Fictionville harbour"
    assert s.date == "2022-03-14"
    assert s.url == "https://ministry.example.org/statements/harbour"
    assert s.source == "Ministry of Examples"


def test_pdf_pages_become_page_spans(tmp_path):
    write_pdf(
        tmp_path / "report.pdf",
        [["The first page speaks of harbours.", "It has two lines."], ["The second page speaks of ferries."]],
        title="Fictional harbour report",
    )
    [s], report = load_statements([tmp_path])
    assert report.problems == []
    assert s.title == "Fictional harbour report"
    assert s.text == "The first page speaks of harbours.\nIt has two lines.\n\nThe second page speaks of ferries."
    assert len(s.pages) == 2 and all(isinstance(p, PageSpan) for p in s.pages)
    one, two = s.pages
    assert s.text[one.start : one.end] == "The first page speaks of harbours.\nIt has two lines."
    assert s.text[two.start : two.end] == "The second page speaks of ferries."
    assert (one.page, two.page) == (1, 2)
    assert s.page_at(s.text.index("ferries")) == 2
    assert s.page_at(s.text.index("harbours")) == 1


def test_pdf_problems(tmp_path):
    write_pdf_without_text(tmp_path / "scan.pdf")
    write_pdf(tmp_path / "locked.pdf", [["Secret words."]], encrypt="opensesame")
    write_bytes(tmp_path / "broken.pdf", b"%PDF-1.4\nnot really a PDF\n")
    statements, report = load_statements([tmp_path])
    assert statements == []
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert reasons["scan.pdf"] == "PDF has no text layer (scanned?)"
    assert reasons["locked.pdf"] == "PDF is encrypted (password required)"
    assert reasons["broken.pdf"].startswith("not a readable PDF")


def test_docx_paragraphs_joined_by_newlines(tmp_path):
    write_docx(
        tmp_path / "note.docx",
        ["The Office of Examples notes the vote.", "", "It welcomes the result. (attribution: Office of Examples)"],
        title="Note on the vote",
    )
    write_bytes(tmp_path / "fake.docx", b"PK\x03\x04 not really a zip")
    [s], report = load_statements([tmp_path])
    assert s.text == "The Office of Examples notes the vote.\n\nIt welcomes the result."
    assert (s.id, s.title, s.source) == ("note", "Note on the vote", "Office of Examples")
    [problem] = report.problems
    assert problem.path.endswith("fake.docx") and problem.reason.startswith("not a readable .docx file")


# --- duplicates ---------------------------------------------------------------------------


def test_exact_duplicates_load_once_and_are_reported(tmp_path):
    write_text(tmp_path / "a.txt", "The same words twice.")
    write_text(tmp_path / "b" / "copy.md", "The same words twice.\n\n")
    write_text(tmp_path / "c.txt", "Different words.")
    statements, report = load_statements([tmp_path])
    assert [s.id for s in statements] == ["a", "c"]
    assert report.duplicates == [("b/copy", "a")]
    assert report.summary() == "loaded 2 statements from 3 files, skipped 0, 1 exact duplicate indexed once"


def test_duplicate_ids_with_different_text_are_renamed(tmp_path):
    write_jsonl(tmp_path / "one.jsonl", [{"id": "x", "text": "First x."}])
    write_jsonl(tmp_path / "two.jsonl", [{"id": "x", "text": "Second x."}, {"id": "x", "text": "Third x."}])
    statements, report = load_statements([tmp_path])
    assert [s.id for s in statements] == ["x", "x~2", "x~3"]
    assert statements[1].metadata["original_id"] == "x"
    assert report.problems == [] and report.duplicates == []


# --- bad input ----------------------------------------------------------------------------


def test_bad_input_folder_loads_the_good_and_reports_each_problem_once(tmp_path):
    write_text(tmp_path / "good.txt", "A perfectly good statement.")
    write_text(tmp_path / "empty.txt", "   \n\n")
    write_bytes(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write_jsonl(tmp_path / "records.jsonl", [{"id": "j1", "text": "Good line one."}])
    with open(tmp_path / "records.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"id": "j2", "text": "broken line\n')
        handle.write(json.dumps({"id": "j3", "text": "Good line three."}) + "\n")
    write_text(tmp_path / "table.csv", 'id,text\nc1,Good row.\nc2,"bad"quoting\nc3,Another good row.\n')
    write_bytes(tmp_path / "latin.txt", "D\xe9claration.".encode("cp1252"))
    write_text(tmp_path / "slides.pptx", "not supported")
    statements, report = load_statements([tmp_path, tmp_path / "missing-folder"])

    assert sorted(s.id for s in statements) == ["c1", "c3", "good", "j1", "j3"]
    problems = {(Path(p.path).name, p.line): p.reason for p in report.problems}
    assert problems == {
        ("empty.txt", None): "empty file",
        ("image.txt", None): (
            "binary file, not text (if it is UTF-16 text without a byte-order mark, give --encoding utf-16)"
        ),
        ("latin.txt", None): "not valid UTF-8 text (byte 0xe9 at offset 1)",
        ("records.jsonl", 2): problems[("records.jsonl", 2)],
        ("table.csv", 3): "broken CSV quoting: ',' expected after '\"'",
        ("slides.pptx", None): "unsupported file type .pptx",
        ("missing-folder", None): "no such file or folder",
    }
    assert problems[("records.jsonl", 2)].startswith("not valid JSON")
    assert len(report.problems) == 7
    assert f"skipped {tmp_path / 'records.jsonl'}:2: not valid JSON" in "\n".join(problem_lines(report))
    assert report.summary() == "loaded 5 statements from 3 files, skipped 7"


def test_record_problems_name_the_line(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [{"text": "ok"}, [1, 2], {"text": ""}, {"text": 5}, {"body": None, "speaker": "Joe"}],
    )
    statements, report = load_statements([path])
    assert [s.id for s in statements] == ["mixed:1"]
    assert problem_lines(report) == [
        f"skipped {path}:2: record is not an object (array)",
        f"skipped {path}:3: empty text field 'text'",
        f"skipped {path}:4: text field 'text' is not a string (number)",
        f"skipped {path}:5: no text field (expected 'text', 'body', 'content')",
    ]


def test_unexpected_parser_errors_become_one_problem(tmp_path):
    path = write_text(tmp_path / "odd.txt", "text")

    def exploding_loader(path, file_id, options):
        yield Statement(id=file_id, text="Loaded before the error.")
        raise RuntimeError("parser fell over\nsecond line of the message")

    report = LoadReport()
    items = list(_run(exploding_loader, path, "odd", LoadOptions(), report))
    assert isinstance(items[0], Statement)
    assert items[1] == LoadProblem(str(path), "error reading file: RuntimeError: parser fell over")
    assert report.files_read == 1


def test_iter_statements_streams_into_a_given_report(tmp_path):
    write_text(tmp_path / "a.txt", "Streamed words.")
    report = LoadReport()
    iterator = iter_statements(str(tmp_path / "a.txt"), report=report)  # a single path is accepted
    assert report.statements_loaded == 0
    [s] = list(iterator)
    assert s.text == "Streamed words."
    assert (report.files_read, report.statements_loaded) == (1, 1)


def test_all_metadata_is_json_serialisable(tmp_path):
    write_text(tmp_path / "fm.md", "---\nwhen: 2021-01-02 10:00:00\nnested: {a: [1, 2.5, null]}\n---\nBody.\n")
    write_jsonl(tmp_path / "r.jsonl", [{"text": "Rec.", "extra": {"deep": [1, {"x": None}]}}])
    statements, _ = load_statements([tmp_path])
    for s in statements:
        json.dumps(dict(s.metadata))
    assert by_id(statements)["fm"].metadata["when"] == "2021-01-02T10:00:00"


# --- shared real data (skipped where the files are not present) ---------------------------


@pytest.mark.skipif(not UNGDC.exists(), reason="shared UNGDC data not present")
def test_ungdc_2015_2024_loads():
    statements, report = load_statements([UNGDC], LoadOptions(source=("country_name",)))
    assert report.problems == [] and len(statements) == 1938
    s = by_id(statements)["AFG_70_2015"]
    assert s.source == "Afghanistan" and s.date == "2015" and s.speaker
    assert {"country", "post", "session"} <= set(s.metadata)


@pytest.mark.skipif(not SCIFACT.exists(), reason="shared BEIR SciFact data not present")
def test_beir_scifact_corpus_loads():
    options = LoadOptions(text=("title", "text"), join_text=True)
    statements, report = load_statements([SCIFACT], options)
    assert report.problems == [] and len(statements) == 5183
    s = by_id(statements)["4983"]
    assert s.text.startswith(s.title + "\n\n")
