"""Embeddings and indexes: the encoder, FAISS and BM25 indexes, and the index directory on disk."""
import embeddings.environment  # noqa: F401  (first: sets OMP_WAIT_POLICY etc. before torch and faiss load)
from corpus.tokens import DEFAULT_MODEL
from embeddings.backend.report import UpdateReport
from embeddings.encoding.encoder import Encoder
from embeddings.local.index import StatementIndex
from embeddings.local.writer import IndexWriter

__all__ = ["DEFAULT_MODEL", "Encoder", "IndexWriter", "StatementIndex", "UpdateReport"]
