"""Property tests for ``corpus.chunker.Chunker`` on arbitrary texts (names are fictional)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import embeddings.environment  # noqa: F401  (first project import: sets OMP_WAIT_POLICY, HF_HUB_OFFLINE etc.)
from corpus.chunk import Chunk
from corpus.chunker import DEFAULT_MAX_TOKENS, Chunker
from corpus.statement import Statement
from corpus.tokens import token_counter

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PIECES = [
    "The Minister of Velora spoke.", "Mr.", "Dr.", "U.S.", "U.N.", "3.5", "per cent.",
    "\u201cWhy?\u201d", "he asked.", "(see Annex I.)", "...", "\u2026", "!", "?", ";", ":",
    "\n", "\n\n", "\r\n", " ", "  ", "\t", "\u00a0", "\u200b", "\u200d", "\u2028", "\u2029",
    "\x85", "\x1c", "\ufeff", "- item", "\u2022 item", "1.", "IV.",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd.", "\u0645\u0631\u062d\u0628\u0627.",
    "\u4eca\u5929\u5f00\u4f1a\u3002", "caf\u00e9", "e\u0301", "\U0001F30D", "!!!!!!!!",
    "x" * 300, "supercalifragilistic" * 8, "unaffable", "Freedonia", "A.B.C.",
]

texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=40).map(" ".join),
    st.sampled_from(["", " ", "\n\n\t ", "\u200b", "x" * 3000, "!" * 700, "\u4eca" * 600]),
)
budgets = st.sampled_from([1, 3, 8, 20, 64, 100, DEFAULT_MAX_TOKENS])


def count(text: str) -> int:
    return token_counter().count(text)


def check_chunks(statement: Statement, chunks: list[Chunk], budget: int, overlap: int) -> None:
    text = statement.text
    covered = bytearray(len(text))
    for index, chunk in enumerate(chunks):
        assert chunk.statement_id == statement.id and chunk.index == index
        assert chunk.id == f"{statement.id}#{index}"
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text and chunk.text == chunk.text.strip()
        assert chunk.sentences and chunk.sentences[0][0] == chunk.start
        assert chunk.sentences[-1][1] == chunk.end
        previous_end = chunk.start
        for start, end in chunk.sentences:
            assert previous_end <= start < end <= chunk.end
            assert text[start:end] == text[start:end].strip()
            assert text[previous_end:start].strip() == ""
            covered[start:end] = b"\x01" * (end - start)
            previous_end = end
        tokens = count(chunk.text)
        if tokens > budget:  # documented: a single tokenizer word over a small budget
            (start, end), = chunk.sentences
            assert len(set(token_counter().encode(chunk.text).word_ids)) == 1
            assert budget < 100
    for i, ch in enumerate(text):
        assert covered[i] or ch.isspace(), f"non-space {ch!r} at {i} not in any chunk"
    for before, after in zip(chunks, chunks[1:]):
        shared = [s for s in after.sentences if s in set(before.sentences)]
        assert len(shared) <= overlap
        assert after.sentences[: len(shared)] == tuple(shared)
        assert before.sentences[len(before.sentences) - len(shared) :] == tuple(shared)
        assert len(after.sentences) > len(shared), "a chunk must bring a new sentence"
        assert after.start >= before.start and after.end > before.end
        if not shared:
            assert after.start >= before.end


@SETTINGS
@given(text=texts, budget=budgets)
def test_chunks_cover_text_exactly_within_budget(text: str, budget: int) -> None:
    statement = Statement(id="velora-1", text=text)
    chunks = Chunker(max_tokens=budget).chunk(statement)
    check_chunks(statement, chunks, budget, overlap=0)
    if not text.strip():
        assert chunks == []


@SETTINGS
@given(text=texts, budget=budgets, overlap=st.integers(min_value=1, max_value=3))
def test_overlap(text: str, budget: int, overlap: int) -> None:
    statement = Statement(id="velora-2", text=text)
    chunks = Chunker(max_tokens=budget, overlap_sentences=overlap).chunk(statement)
    check_chunks(statement, chunks, budget, overlap)


def test_overlap_repeats_whole_sentences_when_they_fit() -> None:
    text = " ".join(f"Delegate number {i} of Velora spoke briefly." for i in range(30))
    chunks = Chunker(max_tokens=40, overlap_sentences=2).chunk(Statement(id="s", text=text))
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:]):
        assert after.sentences[:2] == before.sentences[-2:]


def test_chunks_are_greedy_and_whole_sentences() -> None:
    text = "The Coalition of Small Islands met today. It adopted two texts.\n\nThe session closed."
    chunks = Chunker().chunk(Statement(id="s", text=text))
    assert [c.text for c in chunks] == [text]
    assert [text[a:b] for a, b in chunks[0].sentences] == [
        "The Coalition of Small Islands met today.", "It adopted two texts.", "The session closed."
    ]


def test_long_sentence_is_cut_at_whitespace() -> None:
    text = " ".join(["Freedonia"] * 1000) + "."
    chunks = Chunker().chunk(Statement(id="s", text=text))
    assert len(chunks) > 1
    for chunk in chunks:
        assert count(chunk.text) <= DEFAULT_MAX_TOKENS
        assert chunk.start == 0 or text[chunk.start - 1] == " "


def test_chunk_many_matches_chunk() -> None:
    statements = [
        Statement(id=f"s{i}", text=f"Speech {i} of the Minister. " * (i * 40) + "Thank you.")
        for i in range(5)
    ]
    chunker = Chunker(max_tokens=50)
    assert chunker.chunk_many(statements) == [c for s in statements for c in chunker.chunk(s)]


def test_default_budget_fits_the_model() -> None:
    counter = token_counter()
    assert DEFAULT_MAX_TOKENS + counter.special_tokens == counter.max_seq_length == 256
    assert Chunker().max_tokens == DEFAULT_MAX_TOKENS
    assert Chunker(max_tokens=100).max_tokens == 100
