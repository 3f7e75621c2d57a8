"""Where an index lives: an index directory (the default) or Milvus; opens it and makes its writer."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.problems import StatementsError
from embeddings.backend.interface import IndexUpdater, SearchIndex
from embeddings.backend.manifest import Manifest
from embeddings.encoding.encoder import Encoder
from embeddings.milvus.schema import DEFAULT_PREFIX, MilvusLocation


@dataclass(frozen=True)
class IndexDirectory:
    """An index directory on this machine (FAISS, bm25s and SQLite files; ``embeddings.local.index``)."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)

    def open(self, model: str | None = None) -> SearchIndex:
        """The current generation, opened read-only."""
        from embeddings.local.index import StatementIndex

        return StatementIndex.open(self.path, model=model)

    def updater(
        self, encoder: Encoder, progress: bool = True, attributions: bool = True,
        context_fields: Sequence[str] | None = None,
    ) -> IndexUpdater:
        """The writer of this index."""
        from embeddings.local.writer import IndexWriter

        return IndexWriter(self.path, encoder, progress=progress, attributions=attributions,
                           context_fields=context_fields)

    def manifest(self) -> Manifest | None:
        """What the index holds, or None if there is none yet."""
        from embeddings.local.files import read_manifest

        return read_manifest(self.path)


@dataclass(frozen=True)
class MilvusStorage:
    """An index in Milvus: a Milvus Lite file or a server (``embeddings.milvus.index``)."""

    location: MilvusLocation

    def __str__(self) -> str:
        return self.location.uri

    def open(self, model: str | None = None) -> SearchIndex:
        """The index, opened for reading."""
        from embeddings.milvus.index import MilvusIndex

        return MilvusIndex.open(self.location, model=model)

    def updater(
        self, encoder: Encoder, progress: bool = True, attributions: bool = True,
        context_fields: Sequence[str] | None = None,
    ) -> IndexUpdater:
        """The writer of this index."""
        from embeddings.milvus.writer import MilvusWriter

        return MilvusWriter(self.location, encoder, progress=progress, attributions=attributions,
                            context_fields=context_fields)

    def manifest(self) -> Manifest | None:
        """What the index holds, or None if Milvus holds none there."""
        from embeddings.milvus.index import read_manifest

        client = self.location.connect()
        try:
            return read_manifest(client, self.location)
        finally:
            self.location.disconnect(client)


Storage = IndexDirectory | MilvusStorage


def storage_for(
    index_dir: str | os.PathLike[str] | None = None,
    milvus_uri: str | None = None,
    milvus_token_env: str | None = None,
    milvus_prefix: str = DEFAULT_PREFIX,
) -> Storage:
    """The index at ``index_dir`` or, given ``milvus_uri``, in Milvus (token from ``$milvus_token_env``)."""
    if milvus_uri:
        if index_dir is not None:
            raise StatementsError("give an index directory or a Milvus URI, not both")
        return MilvusStorage(MilvusLocation(str(milvus_uri), milvus_token_env, milvus_prefix))
    if milvus_token_env:
        raise StatementsError("--milvus-token-env needs --milvus-uri")
    if index_dir is None:
        raise StatementsError("no index given: an index directory or a Milvus URI")
    return IndexDirectory(Path(index_dir))
