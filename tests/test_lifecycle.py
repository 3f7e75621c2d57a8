"""An Assistant's life: settings at build time, switching generations, closing; and the CLI flags that set them.

Real indexes (bundled encoder, FAISS, bm25s, SQLite) of the fictional corpus; speakers are invented.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant import Assistant, ExtractionSettings
from embeddings.local.index import StatementIndex
from ui.cli import main

NEW_STATEMENT = """---
title: Remarks on the Pelgrin Sea ferry
speaker: Tomas Quill
source: Government of Estmark
date: 2020-05-04
---
Tomas Quill said that the Pelgrin Sea ferry will run twice a day from June.
"""


@pytest.fixture
def index_copy(fictional_index: Path, tmp_path: Path) -> Path:
    """A private copy of the fictional index that a test may change."""
    target = tmp_path / "index"
    shutil.copytree(fictional_index, target)
    return target


def _closed(index: StatementIndex) -> bool:
    """Whether the index's SQLite handle has been closed."""
    try:
        index.store.count_statements()
    except sqlite3.ProgrammingError:
        return True
    return False


def test_refresh_closes_the_previous_generation(index_copy: Path, tmp_path: Path) -> None:
    qa = Assistant.open(index_copy)
    old = qa.index
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "ferry.md").write_text(NEW_STATEMENT, encoding="utf-8")
    qa.add([tmp_path / "new"])
    assert qa.index is not old and qa.index.manifest.generation == old.manifest.generation + 1
    assert _closed(old)  # its SQLite handle is released, not leaked
    assert not _closed(qa.index)
    answer = qa.ask("what did Quill say about the ferry?")
    assert any("twice a day" in q.text for q in answer.quotes)
    qa.close()


def test_a_call_in_flight_keeps_its_generation_open_until_it_ends(index_copy: Path, tmp_path: Path) -> None:
    qa = Assistant.open(index_copy)
    writer = Assistant.open(index_copy)  # another user of the same index directory
    with qa._pipeline() as pipeline:  # what ask() and retrieve() hold while they run
        (tmp_path / "new").mkdir()
        (tmp_path / "new" / "ferry.md").write_text(NEW_STATEMENT, encoding="utf-8")
        writer.add([tmp_path / "new"])
        assert qa.refresh()
        in_flight = pipeline.retriever.index
        assert not _closed(in_flight)  # still answering its question
        assert pipeline.answer("fishing quotas").quotes
    assert _closed(in_flight)  # closed as soon as the call ended
    assert qa.ask("fishing quotas").quotes
    qa.close()
    writer.close()


def test_close_and_context_manager(index_copy: Path) -> None:
    with Assistant.open(index_copy) as qa:
        index = qa.index
        assert qa.ask("what did Voss say about fishing quotas?").quotes
    assert _closed(index)
    qa = Assistant.open(index_copy)
    index = qa.index
    qa.close()
    assert _closed(index)


def test_build_takes_extraction_settings(fictional_corpus: Path, tmp_path: Path) -> None:
    question = "fishing quotas"
    with Assistant.build([fictional_corpus], tmp_path / "index", progress=False) as qa:
        assert len(qa.ask(question).quotes) > 1
    one = ExtractionSettings(max_quotes=1)
    with Assistant.build([fictional_corpus], tmp_path / "index", progress=False, extraction=one) as qa:
        assert len(qa.ask(question).quotes) == 1


def test_read_api_for_interfaces(fictional_index: Path) -> None:
    with Assistant.open(fictional_index) as qa:
        stats = qa.stats()
        assert (stats.statements, stats.sources) == (5, 4)
        assert (stats.first_date, stats.last_date) == ("2016-09-21", "2020-01-15")
        assert stats.model == "all-MiniLM-L6-v2"
        # speakers named in the metadata, and those found in the text (Brannock is only reported)
        assert qa.facet_values("speaker") == ["Elara Voss", "Ilya Brannock", "Petra Grellin", "Tomas Quill"]
        assert dict(qa.speaker_counts())["Petra Grellin"] == 2  # her own note, and the news report quoting her
        statement = qa.statement("voss-climate-2016")
        assert statement is not None and statement.speaker == "Elara Voss"
        assert qa.statement("no-such-id") is None
        headers = qa.statement_headers()
        assert len(headers) == 5 and all(h.text == "" for h in headers)
        assert len(qa.statement_headers(limit=2)) == 2


def test_ask_k_limits_the_quotes(fictional_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question = "fishing quotas"
    assert main(["ask", question, "--index-dir", str(fictional_index), "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert len(default["quotes"]) > 1
    assert main(["ask", question, "--index-dir", str(fictional_index), "--json", "--k", "1"]) == 0
    limited = json.loads(capsys.readouterr().out)
    assert [q["text"] for q in limited["quotes"]] == [default["quotes"][0]["text"]]


def test_inspect_json_lists_problems_as_the_text_output_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "a-empty.txt").write_bytes(b"")
    (folder / "b-good.md").write_text("Ines Calder said the lighthouse will be rebuilt.\n", encoding="utf-8")
    (folder / "c-copy.md").write_text("Ines Calder said the lighthouse will be rebuilt.\n", encoding="utf-8")
    (folder / "d-broken.jsonl").write_text('{"id": "x", "text": "cut off\n', encoding="utf-8")
    assert main(["inspect", str(folder)]) == 0
    text_err = capsys.readouterr().err.splitlines()
    assert main(["inspect", str(folder), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert captured.err.splitlines() == text_err  # the same lines, in the same order
    assert data["problems"] == text_err[:-1] and data["summary"] == text_err[-1]
    assert [line.split(":")[0] for line in data["problems"]] == [
        f"skipped {folder / 'a-empty.txt'}", f"skipped {folder / 'd-broken.jsonl'}", "duplicate c-copy",
    ]
