"""Sentence vectors stored at index time: pooled from the chunk's own forward pass, kept in step
with the chunks through updates and removals, and used by ask() instead of encoding at question time.

Everything is real: the bundled encoder, FAISS, bm25s and SQLite. Speakers are fictional.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant, index_statements
from corpus.problems import StatementsError
from embeddings.encoding.encoder import Encoder
from embeddings.encoding.sentence_pooling import pool_sentences
from embeddings.local.files import (
    MANIFEST_NAME,
    SENTENCE_ROWS_FILE,
    SENTENCE_VECTORS_FILE,
    generation_folder,
    read_manifest,
)
from embeddings.local.index import StatementIndex

TEXTS = [
    "Minister Elara Voss said the sea walls of Port Lune will be raised. She added that the fund opens in May.",
    "Tomas Quill announced new cod quotas.",
]
SPANS = [[(0, 66), (67, 103)], [(0, 37)]]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_pool_sentences_averages_each_spans_own_tokens():
    emb = np.array([[9.0, 9.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [9.0, 9.0]], np.float32)
    offsets = np.array([[0, 0], [0, 4], [5, 9], [10, 14], [0, 0]])  # [CLS] w1 w2 w3 [SEP]
    pooled, missing = pool_sentences(emb, offsets, [(0, 9), (10, 14), (20, 30)])
    assert missing == [2]  # no token falls in the third span (as when truncation cut it off)
    assert np.allclose(pooled[0], [1.0, 0.0])  # mean (2, 0), normalised; special tokens left out
    assert np.allclose(pooled[1], [0.0, 1.0])
    assert not pooled[2].any()


def test_encode_chunks_gives_the_same_chunk_vectors_as_encode():
    encoder = Encoder()
    encoded = encoder.encode_chunks(TEXTS, SPANS)
    assert np.allclose(encoded.vectors, encoder.encode(TEXTS), atol=1e-5)
    assert encoded.sentence_counts.tolist() == [2, 1]
    assert encoded.sentence_vectors.dtype == np.float16 and encoded.sentence_vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(encoded.sentence_vectors.astype(np.float32), axis=1), 1.0, atol=1e-3)
    alone = encoder.encode([TEXTS[0][a:b] for a, b in SPANS[0]] + [TEXTS[1]])
    sims = encoded.sentence_vectors.astype(np.float32) @ alone.T
    # Each pooled vector is like its own sentence encoded alone, and unlike the other chunk's
    # sentences; a short sentence ("She added…") also takes meaning from its neighbours.
    assert (np.diag(sims) > 0.45).all(), sims
    assert sims[0, 0] > sims[0, 2] and sims[1, 1] > sims[1, 2] and sims[2, 2] > sims[2, :2].max(), sims


def test_a_sentence_cut_off_by_truncation_is_encoded_on_its_own():
    encoder = Encoder()
    filler = "harbour " * 400  # far more than the model's 256 tokens
    text = filler + "Petra Grellin welcomed the border talks."
    tail = (len(filler), len(text))
    encoded = encoder.encode_chunks([text], [[(0, len(filler) - 1), tail]])
    alone = encoder.encode([text[tail[0] : tail[1]]])[0]
    assert _cosine(encoded.sentence_vectors[1], alone) > 0.999


def test_the_index_stores_one_vector_per_sentence_of_every_chunk(fictional_index):
    index = StatementIndex.open(fictional_index)
    try:
        assert index.sentence_rows is not None and len(index.sentence_rows) == len(index.chunk_ids) + 1
        for chunk_id, chunk in index.store.chunks_of("voss-climate-2016"):
            stored = index.sentence_vectors_of(chunk_id)
            assert stored is not None and len(stored) == len(chunk.sentences)
            spans = [(a - chunk.start, b - chunk.start) for a, b in chunk.sentences]
            again = index.encoder.encode_chunks([chunk.text], [spans]).sentence_vectors
            assert np.allclose(np.asarray(stored, np.float32), again.astype(np.float32), atol=2e-3)
        assert index.sentence_vectors_of(10**9) is None
    finally:
        index.close()


def _rows_by_chunk(index_dir: Path) -> dict[tuple[str, int], np.ndarray]:
    index = StatementIndex.open(index_dir)
    try:
        out = {}
        for statement in index.store.iter_statements():
            for chunk_id, chunk in index.store.chunks_of(statement.id):
                out[(statement.id, chunk.index)] = np.asarray(index.sentence_vectors_of(chunk_id), np.float32)
        return out
    finally:
        index.close()


def test_updates_and_removals_keep_sentence_vectors_with_their_chunks(fictional_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(fictional_corpus, corpus)
    index_dir = tmp_path / "index"
    index_statements([corpus], index_dir, progress=False)
    (corpus / "added.md").write_text(
        "---\nspeaker: Ilya Brannock\nsource: Office of the Envoy\n---\n"
        "Envoy Ilya Brannock said the lighthouse on Skarra Point will get a solar lamp. He thanked the keepers.\n",
        encoding="utf-8",
    )
    index_statements([corpus], index_dir, progress=False)
    Assistant.open(index_dir).remove(["voss-climate-2016"])
    updated = _rows_by_chunk(index_dir)

    fresh_dir = tmp_path / "fresh"
    (corpus / "voss-climate-2016.md").unlink()
    index_statements([corpus], fresh_dir, progress=False)
    fresh = _rows_by_chunk(fresh_dir)

    assert "voss-climate-2016" not in {sid for sid, _ in updated}
    assert set(updated) == set(fresh)
    for key, vectors in updated.items():
        assert vectors.shape == fresh[key].shape, key
        assert np.allclose(vectors, fresh[key], atol=2e-3), key


def test_ask_uses_stored_vectors_and_encodes_no_sentence(fictional_index):
    qa = Assistant.open(fictional_index)
    answer = qa.ask("what did Voss say about sea walls?")
    assert not answer.abstained and "sea wall" in answer.quotes[0].text.lower()
    assert len(qa.pipeline.scorer.encoded) == 0  # nothing was encoded at question time


def _strip_sentence_vectors(index_dir: Path) -> None:
    """Make the index look like one built before sentence vectors were stored."""
    manifest = read_manifest(index_dir)
    folder = index_dir / generation_folder(manifest.generation)
    for name in (SENTENCE_VECTORS_FILE, SENTENCE_ROWS_FILE):
        (folder / name).unlink()
    data = json.loads((index_dir / MANIFEST_NAME).read_text())
    for name in (SENTENCE_VECTORS_FILE, SENTENCE_ROWS_FILE):
        del data["checksums"][name]
    (index_dir / MANIFEST_NAME).write_text(json.dumps(data))


def test_an_index_without_sentence_vectors_still_answers_and_stays_without(fictional_corpus, fictional_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(fictional_index, index_dir)
    _strip_sentence_vectors(index_dir)
    qa = Assistant.open(index_dir)
    answer = qa.ask("what did Voss say about sea walls?")
    assert not answer.abstained and "sea wall" in answer.quotes[0].text.lower()
    assert len(qa.pipeline.scorer.encoded) > 0  # sentences were encoded at question time

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "quill.md").write_text(
        "---\nspeaker: Tomas Quill\n---\nTomas Quill said the herring season opens in June.\n", encoding="utf-8"
    )
    index_statements([extra], index_dir, progress=False)
    index = StatementIndex.open(index_dir)
    try:
        assert index.sentence_rows is None and index.manifest.statements == 6
    finally:
        index.close()


def test_sentence_rows_that_disagree_with_the_chunks_are_a_clear_error(fictional_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(fictional_index, index_dir)
    manifest = read_manifest(index_dir)
    rows_path = index_dir / generation_folder(manifest.generation) / SENTENCE_ROWS_FILE
    np.save(rows_path, np.load(rows_path)[:-1])
    with pytest.raises(StatementsError, match="--rebuild"):
        StatementIndex.open(index_dir, verify=False)
