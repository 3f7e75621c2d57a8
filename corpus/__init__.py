"""Statements corpus: load official statements from files, the types they are made of, and who said what in them."""
from corpus.attribution import Attribution, attribute
from corpus.chunk import Chunk
from corpus.load import bundled_sample_path, iter_statements, load_statements
from corpus.options import LoadOptions
from corpus.problems import LoadProblem, LoadReport, StatementsError
from corpus.statement import PageSpan, Statement

__all__ = [
    "Attribution",
    "Chunk",
    "LoadOptions",
    "LoadProblem",
    "LoadReport",
    "PageSpan",
    "Statement",
    "StatementsError",
    "attribute",
    "bundled_sample_path",
    "iter_statements",
    "load_statements",
]
