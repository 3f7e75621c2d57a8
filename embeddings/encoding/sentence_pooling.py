"""Sentence vectors pooled from the token embeddings of their chunk's own forward pass.

A chunk is encoded once. For a model that mean-pools its token embeddings (as
all-MiniLM-L6-v2 does), the vector of each sentence in the chunk is the mean of the chunk's
token embeddings over that sentence's tokens, normalised. The answer step compares these
stored vectors with the question instead of encoding candidate sentences at question time,
and indexing costs little more than encoding the chunks alone.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]


@dataclass(frozen=True)
class EncodedChunks:
    """Chunk vectors and the vectors of every chunk's sentences, in chunk order."""

    vectors: np.ndarray  # (chunks, dim) float32, normalised: the model's own embedding of each chunk
    sentence_vectors: np.ndarray  # (sentences, dim) float16, normalised
    sentence_counts: np.ndarray  # (chunks,) int64: how many rows of sentence_vectors each chunk owns


def pools_by_mean(model: Iterable[object]) -> bool:
    """Whether a SentenceTransformer (its modules) embeds a text as the mean of its token embeddings."""
    modes: list[object] = []
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode is None and hasattr(module, "pooling_mode_mean_tokens"):  # older sentence-transformers
            mean = module.pooling_mode_mean_tokens and not getattr(module, "pooling_mode_cls_token", False)
            mode = "mean" if mean else "other"
        if mode is not None:
            modes.append(mode)
    return modes == ["mean"]


def pool_sentences(
    token_embeddings: np.ndarray, offsets: np.ndarray, spans: Sequence[Span]
) -> tuple[np.ndarray, list[int]]:
    """Mean token embedding of each span, normalised; and the spans that own no token.

    ``offsets``: (tokens, 2) character ranges of the tokens in the chunk text, (0, 0) for
    special tokens; ``spans``: sorted, non-overlapping sentence ranges in the same text.
    Rows of spans without tokens (cut off by truncation) are left zero.
    """
    n, dim = len(spans), token_embeddings.shape[1]
    out = np.zeros((n, dim), np.float32)
    if n == 0:
        return out, []
    starts = np.fromiter((a for a, _ in spans), np.int64, n)
    ends = np.fromiter((b for _, b in spans), np.int64, n)
    tok_start, tok_end = offsets[:, 0], offsets[:, 1]
    owner = np.searchsorted(starts, tok_start, side="right") - 1
    real = (tok_end > tok_start) & (owner >= 0)
    real &= tok_start < ends[np.clip(owner, 0, n - 1)]
    positions = np.flatnonzero(real)
    if len(positions):
        # Tokens come in text order, so each sentence's tokens are one run of ``positions``:
        # sum the runs with reduceat (no BLAS call, whose spinning threads would slow the encoder).
        owners = owner[positions]
        firsts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        sums = np.add.reduceat(token_embeddings[positions], firsts, axis=0)
        counts = np.diff(np.r_[firsts, len(positions)])
        out[owners[firsts]] = sums / counts[:, None]
    has_tokens = np.zeros(n, bool)
    has_tokens[owner[positions]] = True
    norms = np.linalg.norm(out, axis=1)
    out[norms > 0] /= norms[norms > 0, None]
    return out, [int(i) for i in np.flatnonzero(~has_tokens)]
