"""Milvus collections of an index, and the connection to them (Milvus Lite file or a Milvus server).

Six collections share a name prefix (default ``statements_qa``):

- ``chunks``: chunk text, offsets, sentence spans, statement id, the dense vector, the BM25 sparse
  vector made by Milvus' BM25 function from the chunk's terms (``embeddings.local.lexical_index.tokenize``,
  so both backends score the same words), and the statement's filter fields (lower-cased);
- ``sentences``: one vector per sentence of every chunk (mean-pooling models);
- ``statements``: each statement's fields, metadata, attributions and content hash (written last, so
  a statement is complete once its row exists);
- ``texts``: statement texts in parts of at most ``TEXT_PART`` characters (Milvus' VARCHAR limit);
- ``terms``: every indexed term with the number of chunks holding it (BM25 idf of question words, and
  spelling correction);
- ``meta``: the model, chunker settings, format and a generation counter.

Milvus needs a vector field in every collection: those without one of their own carry ``KEY_FIELD``, a
two-number placeholder.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from corpus.problems import StatementsError

DEFAULT_PREFIX = "statements_qa"
# Milvus Lite runs one server per file inside the process (milvus_lite's own registry); these count the open
# clients of each file so that the last to close stops it and releases the file.
_LITE_CLIENTS: dict[str, int] = {}
_LITE_LOCK = threading.Lock()
TEXT_PART = 16_000  # characters per statement text part: at most 64,000 bytes of UTF-8, under Milvus' 65,535
KEY_FIELD = "key"
BM25_K1 = 1.5  # bm25s' defaults, so that BM25 scores match the local backend's
BM25_B = 0.75
HNSW = {"M": 32, "efConstruction": 80}  # as embeddings.local.vector_index
HNSW_EF = 256
MAX_ID = 16_000  # characters of a statement id (4 bytes each at most, under Milvus' 65,535)
MAX_CHUNK = 65_535


@dataclass(frozen=True)
class MilvusLocation:
    """Where a Milvus index lives: a Milvus Lite file (``statements.db``) or a server URI, and the name of
    an environment variable holding the token (never the token itself)."""

    uri: str
    token_env: str | None = None
    prefix: str = DEFAULT_PREFIX

    @property
    def is_lite(self) -> bool:
        """Whether the URI is a local Milvus Lite file rather than a server."""
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:"))

    def __str__(self) -> str:
        return self.uri

    def collection(self, name: str) -> str:
        """The full name of one of the index's collections."""
        return f"{self.prefix}_{name}"

    def connect(self) -> Any:
        """A ``MilvusClient`` (``StatementsError`` with one line if Milvus cannot be reached)."""
        from pymilvus import MilvusClient

        # pymilvus sets its loggers' levels when imported; its errors reach users as one line from us
        for name in ("pymilvus", "pymilvus.milvus_client", "milvus_lite"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        token = ""
        if self.token_env:
            token = os.environ.get(self.token_env, "")
            if not token:
                raise StatementsError(f"environment variable {self.token_env} (--milvus-token-env) is not set")
        try:
            # Milvus Lite's in-process server drops clients that ping during a long index build ("too_many_pings")
            options = {"grpc_options": {"grpc.keepalive_time_ms": 600_000}} if self.is_lite else {}
            client = MilvusClient(uri=self.uri, token=token, **options)
        except Exception as exc:  # pymilvus raises many kinds; the user needs one line
            reason = _first_line(exc)
            if self.is_lite and "Open local milvus failed" in reason:
                reason = "the file is in use by another process (Milvus Lite opens a file in one process at a time)"
            raise StatementsError(f"cannot open Milvus at {self.uri}: {reason}") from None
        if self.is_lite:
            with _LITE_LOCK:
                _LITE_CLIENTS[os.path.abspath(self.uri)] = _LITE_CLIENTS.get(os.path.abspath(self.uri), 0) + 1
        return client

    def disconnect(self, client: Any) -> None:
        """Close a client from ``connect``; the last one of a Milvus Lite file stops its in-process server, so
        that another process can open the file."""
        try:
            client.close()
        except Exception:  # closing a connection that is already gone is not an error for the user
            pass
        if not self.is_lite:
            return
        path = os.path.abspath(self.uri)
        with _LITE_LOCK:
            left = _LITE_CLIENTS.get(path, 1) - 1
            _LITE_CLIENTS[path] = max(left, 0)
        if left <= 0:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(path)

    @property
    def dense_index(self) -> dict[str, Any]:
        """The dense vectors' index: exact (FLAT) on Milvus Lite, as the local backend below 200,000 chunks;
        HNSW with the local backend's settings on a server."""
        if self.is_lite:
            return {"index_type": "FLAT", "metric_type": "IP", "params": {}}
        return {"index_type": "HNSW", "metric_type": "IP", "params": dict(HNSW)}

    @property
    def dense_search_params(self) -> dict[str, Any]:
        """Search parameters for the dense index."""
        return {"metric_type": "IP", "params": {} if self.is_lite else {"ef": HNSW_EF}}


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def milvus_error(exc: BaseException, location: MilvusLocation) -> StatementsError:
    """A one-line error for a failed Milvus call."""
    return StatementsError(f"Milvus at {location.uri}: {_first_line(exc)}")


def create_collections(client: Any, location: MilvusLocation, dimension: int) -> None:
    """Create the index's collections (those missing), loaded and ready."""
    from pymilvus import DataType, Function, FunctionType

    def placeholder(schema: Any) -> Any:
        schema.add_field(KEY_FIELD, DataType.FLOAT_VECTOR, dim=2)
        params = client.prepare_index_params()
        params.add_index(KEY_FIELD, index_type="FLAT", metric_type="L2")
        return params

    def make(name: str, schema: Any, params: Any) -> None:
        full = location.collection(name)
        if not client.has_collection(full):
            client.create_collection(full, schema=schema, index_params=params, consistency_level="Strong")

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("statement_id", DataType.VARCHAR, max_length=MAX_ID)
    s.add_field("position", DataType.INT32)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_CHUNK)
    s.add_field("terms", DataType.VARCHAR, max_length=MAX_CHUNK, enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"})
    s.add_field("sentences", DataType.JSON)
    s.add_field("date", DataType.VARCHAR, max_length=64)
    s.add_field("fields", DataType.JSON)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                            output_field_names=["sparse"]))
    p = client.prepare_index_params()
    p.add_index("dense", **location.dense_index)
    p.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    p.add_index("statement_id", index_type="INVERTED")
    make("chunks", s, p)

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)  # "<chunk id>:<position>"
    s.add_field("chunk_id", DataType.INT64)
    s.add_field("statement_id", DataType.VARCHAR, max_length=MAX_ID)
    s.add_field("position", DataType.INT32)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    p = client.prepare_index_params()
    p.add_index("vector", **location.dense_index)
    p.add_index("chunk_id", index_type="INVERTED")
    p.add_index("statement_id", index_type="INVERTED")
    make("sentences", s, p)

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)  # key_of(statement id): any id, no quoting in expressions
    s.add_field("statement_id", DataType.VARCHAR, max_length=MAX_ID)
    for name in ("title", "speaker", "source", "date", "url", "path"):
        s.add_field(name, DataType.VARCHAR, max_length=MAX_CHUNK)
    s.add_field("metadata", DataType.JSON)
    s.add_field("pages", DataType.JSON)
    s.add_field("attributions", DataType.JSON)
    s.add_field("speakers", DataType.JSON)  # speakers found in the text with confidence: name → attributions
    s.add_field("parts", DataType.INT32)
    s.add_field("content_hash", DataType.VARCHAR, max_length=128)
    make("statements", s, placeholder(s))

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)  # key_of(statement id, part)
    s.add_field("statement_id", DataType.VARCHAR, max_length=MAX_ID)
    s.add_field("part", DataType.INT32)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_CHUNK)
    p = placeholder(s)
    p.add_index("statement_id", index_type="INVERTED")
    make("texts", s, p)

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=256)
    s.add_field("df", DataType.INT64)
    make("terms", s, placeholder(s))

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    s.add_field("value", DataType.JSON)
    make("meta", s, placeholder(s))


COLLECTIONS = ("chunks", "sentences", "statements", "texts", "terms", "meta")


def flush_collections(client: Any, location: MilvusLocation) -> None:
    """Seal what was written, so that searches use the indexes (Milvus Lite searches unsealed rows slowly)."""
    for name in COLLECTIONS:
        client.flush(location.collection(name))


def load_collections(client: Any, location: MilvusLocation) -> None:
    """Load the index's collections into memory for search and query (Milvus keeps them released after a
    restart)."""
    for name in COLLECTIONS:
        full = location.collection(name)
        if client.has_collection(full):
            client.load_collection(full)


def drop_collections(client: Any, location: MilvusLocation) -> None:
    """Drop every collection of the index (a rebuild)."""
    for name in COLLECTIONS:
        full = location.collection(name)
        if client.has_collection(full):
            client.drop_collection(full)


def key_of(*parts: object) -> int:
    """A stable 63-bit key for a statement id (and a part number): primary keys that need no quoting."""
    digest = hashlib.blake2b("\0".join(str(p) for p in parts).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") & ((1 << 63) - 1)


def placeholder_key() -> list[float]:
    """The value of ``KEY_FIELD`` in collections without vectors of their own."""
    return [0.0, 0.0]
