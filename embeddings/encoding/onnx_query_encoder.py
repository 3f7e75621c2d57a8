"""Questions encoded by ONNX Runtime without sentence-transformers or torch, for a fast cold start.

Importing sentence-transformers (with torch and transformers) takes seconds; a command that only asks a question
needs one short vector. This module runs the same exported model file the index was built with
(``embeddings.encoding.onnx_export``) in an ONNX Runtime session, with the model's Rust tokenizer and its pooling
(mean or first token, then normalised), so the vectors are the ones sentence-transformers' ONNX backend gives
(``tests/test_onnx_encoder.py``). A model whose pooling it does not know (``pooling_of`` says None) is encoded by
sentence-transformers.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoding.onnx_export import OnnxModel

_BATCH = 32  # texts per run (sorted by length, so batches carry little padding)


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def pooling_of(folder: Path) -> str | None:
    """``"mean"`` or ``"cls"`` for a transformer, pooling and (optional) normalise model; else None."""
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list):
        return None
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules if isinstance(m, dict)]
    if kinds not in (["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
        return None
    pooling = _read_json(folder / str(modules[1].get("path", "1_Pooling")) / "config.json")
    if not isinstance(pooling, dict):
        return None
    if isinstance(pooling.get("pooling_mode"), str):  # as sentence-transformers 5 writes it
        mode = pooling["pooling_mode"]
        return mode if mode in ("mean", "cls") else None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}  # as older ones wrote it
    return {frozenset({"pooling_mode_mean_tokens"}): "mean", frozenset({"pooling_mode_cls_token"}): "cls"}.get(
        frozenset(modes))


class OnnxQueryEncoder:
    """An exported model's ONNX file run by ONNX Runtime on one thread (a question is a few dozen tokens)."""

    def __init__(self, model: OnnxModel, pooling: str) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # short inputs: a second thread costs more than it gives
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model.path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.pooling = pooling
        config = _read_json(model.folder / "sentence_bert_config.json") or {}
        self.tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=int(config.get("max_seq_length") or 512))
        self.lower_case = bool(config.get("do_lower_case", False))

    @classmethod
    def load(cls, model: OnnxModel) -> OnnxQueryEncoder | None:
        """The encoder for an exported model, or None when its pooling is not one this module knows."""
        pooling = pooling_of(model.folder)
        return cls(model, pooling) if pooling is not None else None

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, with the special tokens, truncated as sentence-transformers truncates."""
        texts = [t.lower() for t in texts] if self.lower_case else list(texts)
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors, shape (len(texts), dimension), float32."""
        return self.encode_ids(self.tokenize(texts))

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Normalised vectors of token id rows (from ``tokenize``), in their order."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        parts: dict[int, np.ndarray] = {}
        for lo in range(0, len(order), _BATCH):
            rows = order[lo : lo + _BATCH]
            for i, vector in zip(rows, self._pooled([ids[i] for i in rows]), strict=True):
                parts[i] = vector
        out = np.stack([parts[i] for i in range(len(ids))]) if ids else np.zeros((0, 0), np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True) if len(out) else out
        return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)

    def _pooled(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One batch: padded, run, pooled."""
        length = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), length), np.int64)
        mask = np.zeros((len(ids), length), np.int64)
        for r, row in enumerate(ids):
            tokens[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feed = {"input_ids": tokens, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(tokens)
        hidden = self.session.run(None, feed)[0]  # (batch, length, dimension): the last hidden state
        if self.pooling == "cls":
            return np.asarray(hidden[:, 0], np.float32)
        weights = mask[:, :, None].astype(np.float32)
        return np.asarray((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9), np.float32)
