"""The exported model run by ONNX Runtime directly, without sentence-transformers or torch.

Importing sentence-transformers (with torch, transformers and optimum) takes seconds and about 550 MB; the encoder
needs none of it once the model is exported (``embeddings.encoding.onnx_export``, which uses sentence-transformers'
own ONNX backend, once). This module runs the exported file in one ONNX Runtime session with the model's Rust
tokenizer and its pooling (mean or first token, then normalised), for questions and for indexing (a chunk's token
vectors too, for its sentence vectors), so the vectors are the ones sentence-transformers' ONNX backend gives
(``tests/test_onnx_encoder.py``). A model whose pooling it does not know (``pooling_of`` says None) is encoded by
sentence-transformers.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoding.onnx_export import SETTINGS_FILE, OnnxModel

# One text per run: int8 weights quantise each run's activations with that run's range, so a text batched with
# others would get a slightly different vector than alone (or in another batch); and a run of one carries no
# padding (measured faster than 8 or 32 for int8 on SciFact abstracts). Each run uses one thread, and many texts are
# spread over one thread per core: on 2 cores, 8.3 CPU s and 4.2 s for 300 abstracts, against 11.6 CPU s and
# 5.8 s for ONNX Runtime's own threads, which spin between the small steps of a one-text run
# (benchmarks/README.md, "Speed and memory").


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def pooling_of(folder: Path) -> str | None:
    """``"mean"`` or ``"cls"``, as the export's settings say (``SETTINGS_FILE``); None for another pooling or a
    folder that is no export."""
    settings = _read_json(folder / SETTINGS_FILE)
    pooling = settings.get("pooling") if isinstance(settings, dict) else None
    return pooling if pooling in ("mean", "cls") else None


class OnnxRuntimeEncoder:
    """An exported model's ONNX file in one ONNX Runtime session (one copy of the model per process)."""

    def __init__(self, model: OnnxModel, pooling: str) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.enable_cpu_mem_arena = False  # the arena keeps the largest batch's buffers (hundreds of MB) for good
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.session = ort.InferenceSession(str(model.path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.pooling = pooling
        config = _read_json(model.folder / SETTINGS_FILE) or {}
        self.max_tokens = int(config.get("max_seq_length") or 512)
        self.tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.lower_case = bool(config.get("do_lower_case", False))
        self.dimension = int(self._hidden([[0]])[0].shape[-1])

    @classmethod
    def load(cls, model: OnnxModel) -> OnnxRuntimeEncoder | None:
        """The encoder for an exported model, or None when its pooling is not one this module knows."""
        pooling = pooling_of(model.folder)
        return cls(model, pooling) if pooling is not None else None

    def encodings(self, texts: Sequence[str]) -> list[Any]:
        """The tokenizer's encodings (token ids and character offsets), truncated as sentence-transformers does."""
        return list(self.tokenizer.encode_batch([t.lower() for t in texts] if self.lower_case else list(texts)))

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, with the special tokens."""
        return [e.ids for e in self.encodings(texts)]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors, shape (len(texts), dimension), float32."""
        return self.encode_ids(self.tokenize(texts))

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Normalised vectors of token id rows (from ``tokenize``), in their order."""
        out = np.zeros((len(ids), self.dimension), np.float32)
        for row, vectors in enumerate(self._runs(ids)):
            out[row] = self._pool(vectors)
        normalised: np.ndarray = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return normalised

    def token_vectors(self, ids: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Each row's token vectors (length × dimension), in order: what a chunk's sentence vectors pool."""
        return list(self._runs(ids))

    def _pool(self, token_vectors: np.ndarray) -> np.ndarray:
        """The model's pooling of one text's token vectors (not normalised)."""
        pooled: np.ndarray = token_vectors[0] if self.pooling == "cls" else token_vectors.mean(axis=0)
        return pooled

    def _runs(self, ids: Sequence[Sequence[int]]) -> Iterator[np.ndarray]:
        """Each row's token vectors, in order: one run per row, the rows spread over one thread per core."""
        if len(ids) < 2 or self.threads < 2:
            yield from (self._hidden([row])[0] for row in ids)
            return
        with ThreadPoolExecutor(self.threads) as pool:  # ONNX Runtime lets go of the GIL while it runs
            yield from pool.map(lambda row: self._hidden([row])[0], ids)

    def _hidden(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One batch padded and run: the last hidden state, (batch, length, dimension) float32."""
        length = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), length), np.int64)
        mask = np.zeros((len(ids), length), np.int64)
        for r, row in enumerate(ids):
            tokens[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feed = {"input_ids": tokens, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(tokens)
        return np.asarray(self.session.run(None, feed)[0], np.float32)
