"""Questions encoded without torch: the default model's forward pass in numpy, for a fast cold start.

Importing sentence-transformers (with torch, transformers and scikit-learn) takes seconds; a command
that only asks a question needs one short vector. For a sentence-transformers folder that is a plain
BERT encoder with mean pooling and normalisation (the bundled ``all-MiniLM-L6-v2`` is one), this
module computes the same vectors with numpy, the safetensors weights and the Rust tokenizer.
Anything else (``supports`` says no) is encoded by sentence-transformers. Indexes are always
built by sentence-transformers; ``tests/test_numpy_encoder.py`` checks that both give the same vectors.
"""
from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)
_BATCH = 32  # texts per forward pass (sorted by length, so batches carry little padding)


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supports(folder: str | Path) -> bool:
    """Whether ``folder`` is a sentence-transformers BERT model with mean pooling and normalisation."""
    folder = Path(folder)
    modules = _read_json(folder / "modules.json")
    config = _read_json(folder / "config.json")
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    if not (isinstance(modules, list) and isinstance(config, dict) and isinstance(pooling, dict)):
        return False
    kinds = tuple(m.get("type") for m in modules if isinstance(m, dict))
    only_mean = pooling.get("pooling_mode_mean_tokens") is True and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    return (
        kinds == _MODULES
        and [m.get("path") for m in modules] == ["", "1_Pooling", "2_Normalize"]
        and only_mean
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not st_config.get("do_lower_case", False)
        and (folder / WEIGHTS_FILE).is_file()
        and (folder / TOKENIZER_FILE).is_file()
    )


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    result: np.ndarray = sign * (1.0 - poly * np.exp(-a * a))
    return result


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU as BERT defines it: ``x * Φ(x)`` with the exact normal CDF."""
    result: np.ndarray = 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))
    return result


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: np.ndarray = (x - mean) / np.sqrt(var + eps) * weight + bias
    return result


def _blas_controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded in this process."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@dataclass(frozen=True)
class NumpyBert:
    """A BERT encoder with mean pooling and normalisation, run with numpy (float32)."""

    weights: dict[str, np.ndarray]
    tokenizer: Any  # tokenizers.Tokenizer
    heads: int
    layers: int
    eps: float
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # the BLAS libraries found once (threadpoolctl scans the loaded libraries, ~2 ms, at every threadpool_limits)
    _blas: Any = field(default_factory=_blas_controller, repr=False, compare=False)

    @classmethod
    def load(cls, folder: str | Path) -> NumpyBert:
        """The model in ``folder`` (check ``supports`` first)."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = _read_json(folder / "config.json")
        st_config = _read_json(folder / "sentence_bert_config.json") or {}
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        tokenizer.no_padding()
        max_length = min(int(st_config.get("max_seq_length") or 512), int(config["max_position_embeddings"]))
        tokenizer.enable_truncation(max_length=max_length)
        weights = {k.removeprefix("bert."): v for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
        return cls(
            weights=weights, tokenizer=tokenizer, heads=int(config["num_attention_heads"]),
            layers=int(config["num_hidden_layers"]), eps=float(config.get("layer_norm_eps", 1e-12)),
        )

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, with the special tokens, truncated as sentence-transformers truncates."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised mean-pooled embeddings of ``texts`` (see ``encode_ids``)."""
        return self.encode_ids(self.tokenize(texts))

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Normalised mean-pooled embeddings, shape (len(ids), hidden size), float32, in the given order.

        The matrix products run on one BLAS thread: these are small, and on a busy machine OpenBLAS
        threads waiting for each other made a one-question encode 30x slower. Calls take turns, so
        that the thread limit is set and restored by one call at a time.
        """
        out = np.empty((len(ids), self.weights["embeddings.word_embeddings.weight"].shape[1]), np.float32)
        order = np.argsort([len(x) for x in ids], kind="stable")
        with self._lock, self._blas.limit(limits=1, user_api="blas"):
            for lo in range(0, len(order), _BATCH):
                rows = order[lo : lo + _BATCH]
                out[rows] = self._pooled([ids[i] for i in rows])
        return out

    def _pooled(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One padded batch through the encoder, mean-pooled over real tokens and normalised."""
        length = max(len(x) for x in ids)
        tokens = np.zeros((len(ids), length), np.int64)
        mask = np.zeros((len(ids), length), np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        hidden = self._forward(tokens, mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: np.ndarray = (pooled / norms).astype(np.float32)
        return result

    def _forward(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token embeddings of the last layer, shape (batch, length, hidden)."""
        w = self.weights
        length = tokens.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        x = x.reshape(-1, x.shape[-1])
        blocked = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]  # padding gets no attention
        for layer in range(self.layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
        hidden: np.ndarray = x.reshape(*tokens.shape, -1)
        return hidden

    def _layer(self, x: np.ndarray, blocked: np.ndarray, prefix: str) -> np.ndarray:
        """One transformer layer: self-attention, then the feed-forward block, each with residual and norm.

        ``x`` is (batch * length, hidden): the linear maps run as single 2-D matrix products (numpy's
        stacked products are much slower).
        """
        w = self.weights
        batch = blocked.shape[0]
        length = x.shape[0] // batch
        hidden = x.shape[1]
        size = hidden // self.heads

        def linear(value: np.ndarray, name: str) -> np.ndarray:
            result: np.ndarray = value @ w[f"{prefix}{name}.weight"].T + w[f"{prefix}{name}.bias"]
            return result

        def split(value: np.ndarray) -> np.ndarray:  # (batch, heads, length, size), contiguous
            return np.ascontiguousarray(value.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3))

        q = split(linear(x, "attention.self.query") * np.float32(1.0 / math.sqrt(size)))
        k = split(linear(x, "attention.self.key"))
        v = split(linear(x, "attention.self.value"))
        scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(batch * length, hidden)
        x = _layer_norm(
            linear(context, "attention.output.dense") + x,
            w[f"{prefix}attention.output.LayerNorm.weight"], w[f"{prefix}attention.output.LayerNorm.bias"], self.eps,
        )
        inner = _gelu(linear(x, "intermediate.dense"))
        return _layer_norm(
            linear(inner, "output.dense") + x,
            w[f"{prefix}output.LayerNorm.weight"], w[f"{prefix}output.LayerNorm.bias"], self.eps,
        )
