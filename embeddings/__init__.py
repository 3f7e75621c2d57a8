"""Embeddings and indexes: the encoder, FAISS and BM25 indexes, and the index directory on disk."""
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import StatementIndex
from embeddings.writer import IndexWriter, UpdateReport

__all__ = ["DEFAULT_MODEL", "Encoder", "IndexWriter", "StatementIndex", "UpdateReport"]
