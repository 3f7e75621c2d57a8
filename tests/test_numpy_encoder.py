"""The numpy question encoder gives the vectors sentence-transformers gives, for the bundled model.

Indexes are built by sentence-transformers (torch); questions are encoded by ``embeddings.encoding.numpy_encoder``
when the model allows it. Both must agree, or retrieval would silently get worse. All texts are fictional.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus.tokens import default_model_path
from embeddings.encoding.encoder import NUMPY_TOKEN_BUDGET, Encoder
from embeddings.encoding.numpy_encoder import NumpyBert, supports

TEXTS = [
    "what did Elara Voss say about the sea walls?",
    "",
    "   Tomas Quill told the forum that fishing quotas should be raised, not cut.   ",
    "Ilya Brannock accused the ambassador of Ostrava, Petra Grellin, of spreading false claims about the border talks.",
    "Ünïcödé, “curly quotes” — dashes, 2019-06-10, 50% and Ωmega; 中文 текст العربية",
    "Norvania will propose a joint monitoring body for the Pelgrin Sea. " * 40,  # over 256 tokens: truncated
    "ok",
]


@pytest.fixture(scope="module")
def numpy_model() -> NumpyBert:
    return NumpyBert.load(default_model_path())


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    """The reference: sentence-transformers' vectors of ``TEXTS``."""
    vectors = Encoder().model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)


def test_the_bundled_model_is_supported():
    assert supports(default_model_path())


def test_vectors_equal_sentence_transformers(numpy_model, torch_vectors):
    vectors = numpy_model.encode(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.abs(vectors - torch_vectors).max() < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_tokens_equal_the_model_tokenizer(numpy_model):
    reference = Encoder().model.tokenizer(TEXTS, truncation=True, max_length=Encoder().max_tokens)["input_ids"]
    assert numpy_model.tokenize(TEXTS) == [list(ids) for ids in reference]


def test_order_and_batching_do_not_change_vectors(numpy_model):
    together = numpy_model.encode(TEXTS)
    alone = np.stack([numpy_model.encode([text])[0] for text in TEXTS])
    assert np.abs(together - alone).max() < 1e-5


def test_encoder_uses_numpy_for_short_work_and_torch_beyond(torch_vectors):
    encoder = Encoder()
    short = encoder.encode_texts(TEXTS[:5])
    assert np.abs(short - torch_vectors[:5]).max() < 1e-5
    assert np.abs(encoder.encode_query(TEXTS[0]) - torch_vectors[0]).max() < 1e-5
    long = [TEXTS[5]] * (NUMPY_TOKEN_BUDGET // 256 + 1)  # over the budget: sentence-transformers
    assert np.abs(encoder.encode_texts(long) - torch_vectors[5]).max() < 1e-5


def _copy_model(tmp_path: Path) -> Path:
    """The bundled model's folder with its own JSON files to edit (the rest linked)."""
    folder = tmp_path / "model"
    shutil.copytree(default_model_path(), folder, copy_function=lambda src, dst: (
        shutil.copyfile(src, dst) if src.endswith(".json") else Path(dst).symlink_to(src)))
    return folder


def test_other_models_are_left_to_sentence_transformers(tmp_path):
    folder = _copy_model(tmp_path)
    pooling = folder / "1_Pooling" / "config.json"
    settings = json.loads(pooling.read_text())
    pooling.write_text(json.dumps(settings | {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert not supports(folder)
    pooling.write_text(json.dumps(settings))
    assert supports(folder)
    config = folder / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"model_type": "roberta"}))
    assert not supports(folder)
    assert not supports(tmp_path / "nowhere")
