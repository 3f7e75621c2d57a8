"""bm25s, imported without numba: with numba installed (ranx, in the dev extra, brings it) bm25s loads it for its
numba backend, about 0.15 s and 60 MB at every start, though this project only calls ``get_scores`` (numpy and
scipy)."""
from corpus.unseen import unseen

with unseen("numba"):
    import bm25s

__all__ = ["bm25s"]
