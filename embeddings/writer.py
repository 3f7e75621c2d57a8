"""Building and updating an index directory, one new generation per change.

Each update writes a complete new generation folder (a copy of the SQLite store with the
changes applied, the vectors, the FAISS index and the BM25 files), syncs it, and only then
atomically replaces ``manifest.json`` to point at it. A crash at any moment leaves the
previous generation in place and readable; readers never see a half-written generation.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol, Sequence

import numpy as np

from corpus.chunk import Chunk
from corpus.problems import StatementsError
from corpus.statement import Statement
from embeddings.atomic import atomic_path
from embeddings.encoder import Encoder
from embeddings.index import (
    BM25_FOLDER, CHUNK_IDS_FILE, FAISS_FILE, STORE_FILE, VECTORS_FILE, rebuild_hint, verify_generation,
)
from embeddings.lexical_index import LexicalIndex
from embeddings.lock import write_lock
from embeddings.manifest import MANIFEST_NAME, Manifest, folder_checksums, generation_folder
from embeddings.progress import progress_bar
from embeddings.store import StatementStore
from embeddings.vector_index import VectorIndex

KEEP_GENERATIONS = 2  # the current one and the one before, for readers still opening it
CHUNK_BATCH = 64  # statements chunked together (their sentences are counted in one batch)


class StatementChunker(Protocol):
    """What the writer needs of a chunker."""

    def chunk_many(self, statements: Iterable[Statement]) -> list[Chunk]: ...

    @property
    def settings(self) -> dict: ...


@dataclass(frozen=True)
class UpdateReport:
    """What an update changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    statements: int = 0
    chunks: int = 0
    generation: int = 0

    def summary(self) -> str:
        """One line for the terminal or the chat."""
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, removed {self.removed}; "
            f"index holds {self.statements} statements in {self.chunks} chunks"
        )


class IndexWriter:
    """Adds, changes and removes statements in an index directory."""

    def __init__(
        self,
        index_dir: str | Path,
        encoder: Encoder | None = None,
        chunker: StatementChunker | None = None,
        progress: bool = True,
        lock_timeout: float = 600.0,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.encoder = encoder or Encoder()
        self._chunker = chunker
        self.progress = progress
        self.lock_timeout = lock_timeout

    @property
    def chunker(self) -> StatementChunker:
        """The chunker; the default one loads the model's tokenizer, so only when first needed."""
        if self._chunker is None:
            self._chunker = default_chunker(self.encoder)
        return self._chunker

    def update(
        self, statements: Iterable[Statement], rebuild: bool = False, remove_ids: Sequence[str] = ()
    ) -> UpdateReport:
        """Add new and changed statements (by content hash), remove ``remove_ids``; one new generation.

        Unchanged statements are neither re-chunked nor re-embedded. With ``rebuild`` the
        previous contents are dropped and everything given is indexed afresh.
        """
        with write_lock(self.index_dir, self.lock_timeout):
            current = None if rebuild else Manifest.read(self.index_dir)
            if current is not None:
                self._check_compatible(current)
                # Never build on damaged files: that would carry the damage into a new generation
                # with fresh checksums, or report success while the index stays unreadable.
                verify_generation(self.index_dir / current.folder_name, current, self.index_dir)
            _ = self.chunker  # load the tokenizer now, so that a bad model fails before any work
            return self._write_generation(current, statements, remove_ids)

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport:
        """Delete statements (and their chunks) from every part of the index."""
        return self.update((), remove_ids=statement_ids)

    # -------------------------------------------------------------------------------------
    def _check_compatible(self, manifest: Manifest) -> None:
        if manifest.model != self.encoder.name:
            raise StatementsError(
                f"index {self.index_dir} was built with model {manifest.model!r}, not {self.encoder.name!r}: "
                f"use --model {manifest.model}, or {rebuild_hint(self.index_dir)}"
            )
        if manifest.chunker != self.chunker.settings:
            raise StatementsError(
                f"index {self.index_dir} was chunked with {manifest.chunker}, not {self.chunker.settings}: "
                f"{rebuild_hint(self.index_dir)}"
            )

    def _write_generation(
        self, current: Manifest | None, statements: Iterable[Statement], remove_ids: Sequence[str]
    ) -> UpdateReport:
        generation = _next_generation(self.index_dir, current)
        target = self.index_dir / generation_folder(generation)
        try:
            return self._build_generation(current, generation, target, statements, remove_ids)
        except _NothingChanged as unchanged:
            assert current is not None
            return _with_totals(unchanged.report, current, 0)  # no new generation written

    def _build_generation(
        self,
        current: Manifest | None,
        generation: int,
        target: Path,
        statements: Iterable[Statement],
        remove_ids: Sequence[str],
    ) -> UpdateReport:
        with atomic_path(target) as tmp:
            tmp.mkdir()
            old = self.index_dir / current.folder_name if current else None
            if old is not None:
                shutil.copyfile(old / STORE_FILE, tmp / STORE_FILE)
            store = StatementStore(tmp / STORE_FILE)
            try:
                report, new_ids, new_texts, gone = self._apply(store, statements, remove_ids)
                if not (report.added or report.updated or report.removed) and current is not None:
                    raise _NothingChanged(report)
                vectors, chunk_ids = self._vectors(old, new_ids, new_texts, gone)
                store.commit()
                all_ids, all_texts = store.chunk_ids_and_texts()
                if not np.array_equal(np.asarray(all_ids, dtype=np.int64), chunk_ids):
                    raise RuntimeError("internal error: store and vectors disagree")  # never expected
                dense = VectorIndex.build(vectors, chunk_ids)
                dense.save(tmp / FAISS_FILE)
                np.save(tmp / VECTORS_FILE, vectors)
                np.save(tmp / CHUNK_IDS_FILE, chunk_ids)
                LexicalIndex.build(all_texts).save(tmp / BM25_FOLDER)
                n_statements = store.count_statements()
            finally:
                store.close()
            manifest = Manifest(
                generation=generation,
                model=self.encoder.name,
                dimension=self.encoder.dimension,
                chunker=self.chunker.settings,
                statements=n_statements,
                chunks=len(chunk_ids),
                approximate=dense.approximate,
                checksums=folder_checksums(tmp),
            )
        manifest.write(self.index_dir)
        _prune_generations(self.index_dir, generation)
        return _with_totals(report, manifest, len(new_texts))

    def _apply(
        self, store: StatementStore, statements: Iterable[Statement], remove_ids: Sequence[str]
    ) -> tuple[UpdateReport, list[int], list[str], set[int]]:
        known = store.content_hashes()
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        new_ids: list[int] = []
        new_texts: list[str] = []
        gone: set[int] = set(store.delete([i for i in remove_ids if i in known]))
        removed = sum(1 for i in set(remove_ids) if i in known)
        for i in remove_ids:
            known.pop(i, None)
        batch: list[Statement] = []

        def flush() -> None:
            chunks_of: dict[str, list[Chunk]] = {}
            for chunk in self.chunker.chunk_many(batch):
                chunks_of.setdefault(chunk.statement_id, []).append(chunk)
            for statement in batch:
                chunks = chunks_of.get(statement.id, [])
                gone.update(store.delete([statement.id]))
                new_ids.extend(store.put(statement, chunks))
                new_texts.extend(c.text for c in chunks)
            batch.clear()

        with progress_bar(None, desc="chunking", unit="statement", enabled=self.progress) as bar:
            for statement in statements:
                bar.update(1)
                previous = known.get(statement.id)
                if previous == statement.content_hash:
                    counts["unchanged"] += 1
                    continue
                counts["added" if previous is None else "updated"] += 1
                known[statement.id] = statement.content_hash
                batch.append(statement)
                if len(batch) >= CHUNK_BATCH:
                    flush()
            flush()
        report = UpdateReport(counts["added"], counts["updated"], counts["unchanged"], removed)
        return report, new_ids, new_texts, gone

    def _vectors(
        self, old: Path | None, new_ids: list[int], new_texts: list[str], gone: set[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        dim = self.encoder.dimension
        if old is not None:
            vectors = np.load(old / VECTORS_FILE)
            ids = np.load(old / CHUNK_IDS_FILE)
        else:
            vectors, ids = np.empty((0, dim), np.float32), np.empty(0, np.int64)
        if gone:
            keep = ~np.isin(ids, np.fromiter(gone, np.int64))
            vectors, ids = vectors[keep], ids[keep]
        fresh = self.encoder.encode(new_texts, progress=self.progress)
        vectors = np.concatenate([vectors, fresh]) if len(fresh) else vectors
        ids = np.concatenate([ids, np.asarray(new_ids, np.int64)])
        order = np.argsort(ids, kind="stable")
        return np.ascontiguousarray(vectors[order]), ids[order]


def default_chunker(encoder: Encoder) -> StatementChunker:
    """The default sentence-aware chunker, counting tokens with the encoder's tokenizer."""
    from corpus.chunker import Chunker
    from corpus.tokens import TokenCounter

    try:
        counter = TokenCounter(encoder.path)
    except Exception as exc:  # transformers raises many kinds; the user needs one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StatementsError(
            f"cannot load the tokenizer of embedding model {encoder.name!r}: {first}"
            " (give a local sentence-transformers folder or a model already in the cache)"
        ) from None
    return Chunker(token_counter=counter)


def _next_generation(index_dir: Path, current: Manifest | None) -> int:
    existing = [int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()]
    return max([current.generation if current else 0, *existing]) + 1


def _prune_generations(index_dir: Path, current: int) -> None:
    for path in index_dir.iterdir():
        name = path.name
        if name.startswith("gen-") and name[4:].isdigit() and int(name[4:]) <= current - KEEP_GENERATIONS:
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(".gen-") and ".tmp-" in name:
            shutil.rmtree(path, ignore_errors=True)  # left by a crashed writer (we hold the lock)
        elif name.startswith(f".{MANIFEST_NAME}.tmp-") and path.is_file():
            path.unlink(missing_ok=True)  # a manifest write killed before its rename (we hold the lock)


class _NothingChanged(Exception):
    def __init__(self, report: UpdateReport) -> None:
        self.report = report


def _with_totals(report: UpdateReport, manifest: Manifest, embedded: int) -> UpdateReport:
    return UpdateReport(
        report.added, report.updated, report.unchanged, report.removed, embedded, manifest.statements,
        manifest.chunks, manifest.generation,
    )
