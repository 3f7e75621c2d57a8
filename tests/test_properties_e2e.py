"""Property tests, end to end: random text and metadata through load, chunk, index and ask.

Each example writes a real file (a ``.md`` with YAML front matter, or a ``.jsonl`` record) with
random text (unicode, zero-width and right-to-left characters, newlines of every kind,
HTML-ish strings) and metadata, loads it, adds it to one shared index directory (an
incremental update with the real encoder, FAISS, bm25s and SQLite) and asks about it. After
every example:

- every chunk in the store is its statement's text between its offsets;
- every quote, and every closest passage of an abstention, is its statement's text between
  its offsets (a verbatim substring of the stored statement); so is every retrieved passage.

Names and organisations are fictional.
"""
from __future__ import annotations

import itertools
import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import embeddings.environment  # noqa: F401  (first project import: sets OMP_WAIT_POLICY etc. before torch/faiss load)
from assistant.api import Assistant
from corpus import load_statements
from corpus.attribution import attribute
from corpus.loaders.decode import normalise_newlines
from corpus.statement import Statement
from embeddings.local.files import generation_folder
from embeddings.local.writer import IndexWriter

SETTINGS = settings(
    max_examples=int(os.environ.get("E2E_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

ODD = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2069",  # bidi
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",  # Hebrew
    "\u0645\u0639\u0627\u0647\u062f\u0629 \u0627\u0644\u0645\u064a\u0627\u0647",  # Arabic
    "\u4eca\u5929\u5f00\u4f1a\u3002", "e\u0301", "\U0001F30D", "\u00a0", "\u2028", "\u2029", "\x85", "\x0c", "\t",
    "\n", "\n\n", "\r\n", "\r", " ", "  ",
    "<script>alert('x')</script>", "<b>", "</p>", "<a href=\"/x\">link</a>", "&amp;", "&lt;", "<!-- c -->",
    "---", "...", "(attribution: Ostmark Radio)", "key: value", "- item", "# Heading", "*", "_", "`", "|", "\\",
    "Mr.", "U.N.", "3.5", "?", "!", ";", "\u201cquoted\u201d", "'", "\"",
]
WORDS = [
    "harbour", "Velmora", "treaty", "grain", "ferry", "minister", "Quorland", "tariffs", "bridge",
    "said", "that", "the", "will", "be", "rebuilt", "envoy", "Ostmark", "salt", "mines", "river",
]
texts = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD)), min_size=1, max_size=80).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.text(max_size=8)), min_size=1, max_size=60)
    .map("".join),
)
names = st.one_of(
    st.sampled_from(["Ilse Marrow", "Tomas Quell", "Envoy Yara Haddad", "Ostmark Radio", "", " "]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD)), max_size=4).map(" ".join),
)
values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    names, st.lists(names, max_size=3),
)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "speaker": names, "title": names, "source": names, "date": st.sampled_from(["2021-03-04", "2019", "", "soon"]),
        "url": names, "topic": names, "country": values, "notes": values,
    },
)

_counter = itertools.count(1)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One index directory for every example (incremental updates), its writer and a reader."""
    base = tmp_path_factory.mktemp("e2e")
    index_dir = base / "index"
    writer = IndexWriter(index_dir, progress=False)
    writer.update([
        Statement(id="anchor-1", text="Harbour master Ilse Marrow said the Velmora breakwater will be rebuilt.",
                  speaker="Ilse Marrow", source="Port of Velmora"),
        Statement(id="anchor-2", text="Tomas Quell said grain tariffs on the river ferries will be cut.",
                  speaker="Tomas Quell", source="Ministry of Trade of Quorland"),
    ])
    return base, writer, Assistant.open(index_dir)


def write_example(folder: Path, kind: str, text: str, meta: dict) -> Path:
    number = next(_counter)
    if kind == "md":
        path = folder / f"example-{number}.md"
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=True) if meta else ""
        path.write_text(f"---\n{front}---\n{text}", encoding="utf-8", newline="")
    else:
        path = folder / f"example-{number}.jsonl"
        record = {**meta, "id": f"record-{number}", "text": text}
        path.write_text(json.dumps(record, ensure_ascii=bool(number % 2)) + "\n", encoding="utf-8", newline="")
    return path


def check_offsets(qa: Assistant) -> None:
    """Every chunk in the store is its statement's text between its offsets."""
    store = qa.index.store
    for statement in store.iter_statements():
        chunks = store.chunks_of(statement.id)
        assert chunks, statement.id
        for _, chunk in chunks:
            assert statement.text[chunk.start : chunk.end] == chunk.text, (statement.id, chunk)


def check_attributions(qa: Assistant) -> None:
    """Each statement's stored attributions are what attribution finds in its text now; none is orphaned."""
    store = qa.index.store
    statements = list(store.iter_statements())
    stored = store.attributions_of([s.id for s in statements])
    for statement in statements:
        found = stored.get(statement.id, [])
        assert found == attribute(statement.text, statement.speaker or None), statement.id
        for a in found:
            assert 0 <= a.content_start < a.content_end <= len(statement.text)
    store_file = qa.index.folder / generation_folder(qa.index.manifest.generation) / "store.sqlite"
    with sqlite3.connect(f"file:{store_file}?mode=ro",
                         uri=True) as db:
        orphans = db.execute("SELECT COUNT(*) FROM attributions WHERE statement_id NOT IN (SELECT id FROM statements)")
        assert orphans.fetchone()[0] == 0


def check_quotes(qa: Assistant, answer) -> None:
    for quote in answer.quotes + answer.closest:
        statement = qa.index.store.statements([quote.statement_id])[quote.statement_id]
        assert statement.text[quote.start : quote.end] == quote.text, quote
        assert quote.text and quote.text in statement.text


@SETTINGS
@given(kind=st.sampled_from(["md", "jsonl"]), text=texts, meta=metadata, data=st.data())
def test_random_statements_keep_every_offset_verbatim(shared, kind, text, meta, data):
    base, writer, qa = shared
    folder = base / "files"
    folder.mkdir(exist_ok=True)
    path = write_example(folder, kind, text, meta)

    statements, report = load_statements([path])

    if not statements:  # e.g. only blanks, or YAML that is not valid: skipped with one problem
        assert len(report.problems) == 1 and Path(report.problems[0].path) == path, report.problems
        event(f"skipped: {report.problems[0].reason.split(' (')[0][:40]}")
        return
    [statement] = statements
    assert report.problems == []
    assert statement.text and statement.text in normalise_newlines(text)
    if kind == "jsonl":
        assert statement.text == normalise_newlines(text).strip()
        speaker = meta.get("speaker")
        assert statement.speaker == (speaker.strip() if isinstance(speaker, str) else "")
    event(f"indexed {kind}")

    update = writer.update(statements)
    assert update.added == 1
    assert qa.refresh() is True
    check_offsets(qa)
    check_attributions(qa)

    words = statement.text.split()
    start = data.draw(st.integers(0, max(0, len(words) - 1)), label="first word of the topic")
    topic = " ".join(words[start : start + 6]) or statement.text[:40]
    who = statement.speaker if statement.speaker.strip() else ""
    questions = [f"What did {who} say about {topic}?" if who else f"What was said about {topic}?", topic]
    for question in questions:
        answer = qa.ask(question)
        check_quotes(qa, answer)
        if not answer.abstained:
            event("answered with quotes")
    for mode in ("hybrid", "dense", "lexical"):
        for passage in qa.retrieve(topic, k=4, mode=mode):
            stored = qa.index.store.statements([passage.statement_id])[passage.statement_id]
            assert stored.text[passage.start : passage.end] == passage.text, (mode, passage)


REPORTS = [
    "Harbour master Ilse Marrow said the Velmora breakwater will be rebuilt. She added that work starts in May.",
    "“The ferries will run on time,” Tomas Quell told reporters. According to Ostmark Radio, the river is low.",
    "Envoy Yara Haddad criticized remarks by Quell, which described the tariff as fair. The envoy left early.",
]
operations = st.lists(
    st.tuples(st.sampled_from(["put", "remove"]), st.integers(0, 3), st.integers(0, len(REPORTS) - 1),
              st.sampled_from(["", "Ilse Marrow"])),
    min_size=1, max_size=4,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_updates_and_removals_keep_attributions_with_their_statements(shared, ops):
    _, writer, qa = shared
    for op, slot, report, speaker in ops:
        statement_id = f"changing-{slot}"
        if op == "put":
            text = f"{REPORTS[report]} Update {slot}."
            writer.update([Statement(id=statement_id, text=text, speaker=speaker)])
        else:
            writer.remove([statement_id])
        qa.refresh()
        check_attributions(qa)
        if op == "remove":
            assert qa.attributions(statement_id) == []
