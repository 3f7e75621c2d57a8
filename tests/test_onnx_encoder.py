"""The encoder on ONNX Runtime: the export made once and cached, the question path without sentence-transformers
giving the vectors sentence-transformers' ONNX backend gives, int8 close to fp32, and torch still there.

Everything runs the real bundled model; the export goes to a temporary cache so each test sees a fresh one where
it needs to.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import embeddings.environment  # noqa: F401  (first project import: process settings before torch/faiss)
from corpus.problems import StatementsError
from embeddings.encoding.encoder import Encoder
from embeddings.encoding.onnx_export import BACKEND_VARIABLE, configured_backend, exported
from embeddings.encoding.onnx_runtime_encoder import OnnxRuntimeEncoder, pooling_of

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "What did Elara Voss say about fishing quotas?",
    "The minister stressed that illegal trawling threatens the livelihoods of coastal towns.",
    "Tomas Quill told the forum that fishing quotas should be raised, not cut, because the cod stocks recovered.",
    "harbour",
]


def test_the_export_is_made_once_and_holds_fp32_and_int8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATEMENTS_QA_CACHE", str(tmp_path))
    model = Encoder(backend="onnx").path
    fp32, int8 = exported(model, quantized=False), exported(model, quantized=True)
    assert fp32.folder == int8.folder and fp32.folder.parent == tmp_path / "onnx"
    assert fp32.path.is_file() and int8.path.is_file() and int8.path.stat().st_size < fp32.path.stat().st_size / 2
    made = fp32.path.stat().st_mtime_ns
    assert exported(model, quantized=False).path.stat().st_mtime_ns == made  # cached: not exported again
    assert [p.name for p in tmp_path.joinpath("onnx").iterdir()] == [fp32.folder.name]  # no temporary left


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_questions_get_the_vectors_sentence_transformers_gives(backend: str) -> None:
    encoder = Encoder(backend=backend)
    fast = OnnxRuntimeEncoder.load(exported(encoder.path, quantized=backend == "onnx-int8"))
    assert fast is not None and fast.pooling == "mean"
    for text in TEXTS:  # one at a time, as questions are asked (int8 scales depend on the batch)
        library = encoder.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)
        assert np.abs(fast.encode([text]) - library).max() < 1e-5
        assert np.abs(encoder.encode_query(text) - library[0]).max() < 1e-5


def test_int8_vectors_stay_close_to_fp32_and_to_torch() -> None:
    torch_vectors = Encoder(backend="torch").encode(TEXTS)
    fp32 = Encoder(backend="onnx").encode(TEXTS)
    int8 = Encoder(backend="onnx-int8").encode(TEXTS)
    assert np.abs(fp32 - torch_vectors).max() < 1e-5
    cosines = (int8 * torch_vectors).sum(axis=1)
    assert cosines.min() > 0.95 and not np.allclose(int8, torch_vectors, atol=1e-4)  # close, and really int8


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_chunk_vectors_from_token_vectors_equal_the_library_s(backend: str) -> None:
    encoder = Encoder(backend=backend)
    chunks = encoder.encode_chunks(TEXTS, [[(0, len(t))] for t in TEXTS])
    library = encoder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(chunks.vectors - library).max() < 1e-5
    assert chunks.sentence_vectors.shape == (len(TEXTS), encoder.dimension)


def test_indexing_never_loads_sentence_transformers() -> None:
    code = (
        "import sys\n"
        "from embeddings.encoding.encoder import Encoder\n"
        "encoder = Encoder(backend='onnx-int8')\n"
        "chunks = encoder.encode_chunks(['The minister spoke. She left.'], [[(0, 19), (20, 29)]])\n"
        "assert chunks.sentence_vectors.shape == (2, encoder.dimension) and encoder.pools_by_mean\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    exported(Encoder().path, quantized=True)  # the export itself is sentence-transformers' work, done once before
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_backend_comes_from_the_environment_and_a_wrong_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_VARIABLE, "torch")
    assert Encoder().backend == "torch" and Encoder(backend="onnx").backend == "onnx"
    monkeypatch.setenv(BACKEND_VARIABLE, "tensorrt")
    with pytest.raises(StatementsError, match=r"unknown encoder backend 'tensorrt'.*onnx-int8, onnx, torch"):
        configured_backend()


def test_pooling_is_read_from_the_model_folder(tmp_path: Path) -> None:
    model = exported(Encoder().path, quantized=False)
    assert pooling_of(model.folder) == "mean"
    assert pooling_of(tmp_path) is None  # not a sentence-transformers folder: the library encodes


def test_an_export_that_cannot_be_written_falls_back_to_torch_with_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    env = {**os.environ, "STATEMENTS_QA_CACHE": str(blocked), BACKEND_VARIABLE: "onnx"}
    code = ("from embeddings.encoding.encoder import Encoder\ne = Encoder()\nv = e.encode_query('fishing quotas')\n"
            "print(e.backend, v.shape)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch", "(384,)"]
    warnings = [line for line in result.stderr.splitlines() if "cannot write the ONNX export into" in line]
    assert len(warnings) == 1 and "running the embedding model on torch instead" in warnings[0]
    assert "Traceback" not in result.stderr
