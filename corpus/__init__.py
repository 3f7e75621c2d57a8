"""Statements corpus: load official statements from files, and the types they are made of."""
from corpus.chunk import Chunk
from corpus.load import bundled_sample_path, iter_statements, load_statements
from corpus.options import LoadOptions
from corpus.problems import LoadProblem, LoadReport, StatementsError
from corpus.statement import PageSpan, Statement

__all__ = [
    "Chunk",
    "LoadOptions",
    "LoadProblem",
    "LoadReport",
    "PageSpan",
    "Statement",
    "StatementsError",
    "bundled_sample_path",
    "iter_statements",
    "load_statements",
]
