"""Token counts read from the model folder's tokenizer.json alone equal those of transformers' tokenizer."""
from __future__ import annotations

import sys

from corpus.tokens import TokenCounter, _from_transformers, default_model_path

TEXTS = ["Foreign Minister Elara Voss opened the session on northern fisheries.",
         "Tomas Quill’s remarks — at the Estmark forum — were “clear”: quotas should be raised!", "", "Ωμέγα 42%"]


def test_counts_from_the_folder_equal_transformers_counts() -> None:
    own = TokenCounter()
    backend, special, _ = _from_transformers(default_model_path())
    assert own.special_tokens == special == 2 and own.max_seq_length == 256
    assert own.count_many(TEXTS) == [len(backend.encode(t, add_special_tokens=False).ids) for t in TEXTS]


def test_counting_does_not_import_torch() -> None:
    import subprocess

    code = ("import sys\nfrom corpus.tokens import TokenCounter\nTokenCounter().count('x')\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
