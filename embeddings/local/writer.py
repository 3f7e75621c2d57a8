"""Building and updating an index directory, one new generation per change.

Each update writes a complete new generation folder (a copy of the SQLite store with the
changes applied, the vectors, the FAISS index and the BM25 files), syncs it, and only then
atomically replaces ``manifest.json`` to point at it. A crash at any moment leaves the
previous generation in place and readable; readers never see a half-written generation.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.attribution.parallel import ParallelAttributor
from corpus.chunk import Chunk
from corpus.problems import StatementsError
from corpus.statement import Statement
from embeddings.backend.manifest import Manifest
from embeddings.backend.report import UpdateReport
from embeddings.backend.writing import StatementChunker, StatementWriter, chunk_and_attribute, with_context
from embeddings.encoding.encoder import Encoder
from embeddings.local.atomic import atomic_path
from embeddings.local.files import (
    BM25_FOLDER,
    CHUNK_IDS_FILE,
    FAISS_FILE,
    MANIFEST_NAME,
    SENTENCE_ROWS_FILE,
    SENTENCE_VECTORS_FILE,
    STORE_FILE,
    VECTORS_FILE,
    folder_checksums,
    generation_folder,
    read_manifest,
    rebuild_hint,
    verify_generation,
    write_manifest,
)
from embeddings.local.lexical_index import LexicalIndex
from embeddings.local.lock import write_lock
from embeddings.local.store import StatementStore
from embeddings.local.vector_index import VectorIndex
from embeddings.progress import progress_bar

KEEP_GENERATIONS = 2  # the current one and the one before, for readers still opening it
CHUNK_BATCH = 64  # statements chunked together (their sentences are counted in one batch)


class IndexWriter(StatementWriter):
    """Adds, changes and removes statements in an index directory."""

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        encoder: Encoder | None = None,
        chunker: StatementChunker | None = None,
        progress: bool = True,
        lock_timeout: float = 600.0,
        attributions: bool = True,
        context_fields: Sequence[str] | None = None,
    ) -> None:
        """``attributions=False``: a new index (or a rebuild) skips finding who said each sentence.
        ``context_fields``: fields searched with every chunk and never quoted (default for a new index:
        ``corpus.context.DEFAULT_CONTEXT_FIELDS``; an existing index keeps its own)."""
        super().__init__(encoder, chunker, progress, attributions, context_fields)
        self.index_dir = Path(index_dir)
        self.lock_timeout = lock_timeout

    def update(
        self, statements: Iterable[Statement], rebuild: bool = False, remove_ids: Sequence[str] = ()
    ) -> UpdateReport:
        """Add new and changed statements (by content hash), remove ``remove_ids``; one new generation.

        Unchanged statements are neither re-chunked nor re-embedded. With ``rebuild`` the
        previous contents are dropped and everything given is indexed afresh.
        """
        with write_lock(self.index_dir, self.lock_timeout):
            current = None if rebuild else read_manifest(self.index_dir)
            if current is not None:
                self._check_compatible(current)
                # Never build on damaged files: that would carry the damage into a new generation
                # with fresh checksums, or report success while the index stays unreadable.
                verify_generation(self.index_dir / generation_folder(current.generation), current, self.index_dir)
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
        self.context_for(manifest.context_fields, f"index {self.index_dir}", rebuild_hint(self.index_dir))

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
            old = self.index_dir / generation_folder(current.generation) if current else None
            if old is not None:
                shutil.copyfile(old / STORE_FILE, tmp / STORE_FILE)
            store = StatementStore(tmp / STORE_FILE)
            # A new index finds who said each sentence; one built without attributions stays without
            # them (its older statements have none), until --rebuild.
            attributions = current.attributions if current is not None else self.attributions
            context = self.context_for(current.context_fields if current is not None else None, "", "")
            try:
                report, new_chunks, gone = self._apply(store, statements, remove_ids, attributions, context)
                if not (report.added or report.updated or report.removed) and current is not None:
                    raise _NothingChanged(report)
                parts = self._vectors(old, new_chunks, gone)
                vectors, chunk_ids = parts.vectors, parts.ids
                store.commit()
                all_ids, all_texts = store.chunk_ids_and_searched_texts(context)
                if not np.array_equal(np.asarray(all_ids, dtype=np.int64), chunk_ids):
                    raise RuntimeError("internal error: store and vectors disagree")  # never expected
                dense = VectorIndex.build(vectors, chunk_ids)
                dense.save(tmp / FAISS_FILE)
                np.save(tmp / VECTORS_FILE, vectors)
                np.save(tmp / CHUNK_IDS_FILE, chunk_ids)
                if parts.sentence_vectors is not None and parts.sentence_rows is not None:  # both or neither
                    np.save(tmp / SENTENCE_VECTORS_FILE, parts.sentence_vectors)
                    np.save(tmp / SENTENCE_ROWS_FILE, parts.sentence_rows)
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
                attributions=attributions,
                context_fields=context,
            )
        write_manifest(self.index_dir, manifest)
        _prune_generations(self.index_dir, generation)
        return _with_totals(report, manifest, len(new_chunks))

    def _apply(
        self, store: StatementStore, statements: Iterable[Statement], remove_ids: Sequence[str], attributions: bool,
        context_fields: Sequence[str],
    ) -> tuple[UpdateReport, list[_NewChunk], set[int]]:
        known = store.content_hashes()
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        new_chunks: list[_NewChunk] = []  # to embed
        gone: set[int] = set(store.delete([i for i in remove_ids if i in known]))
        removed = sum(1 for i in set(remove_ids) if i in known)
        missing = tuple(dict.fromkeys(i for i in remove_ids if i not in known))
        for i in remove_ids:
            known.pop(i, None)
        batch: list[Statement] = []

        def flush() -> None:
            for item in chunk_and_attribute(batch, self.chunker, attributions, context_fields, attributor):
                gone.update(store.delete([item.statement.id]))
                ids = store.put(item.statement, item.chunks, item.attributions)
                new_chunks.extend(_NewChunk(i, c, item.context) for i, c in zip(ids, item.chunks, strict=True))
            batch.clear()

        with ParallelAttributor() as attributor, progress_bar(
                None, desc="chunking", unit="statement", enabled=self.progress) as bar:
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
        report = UpdateReport(counts["added"], counts["updated"], counts["unchanged"], removed, missing=missing)
        return report, new_chunks, gone

    def _vectors(self, old: Path | None, new_chunks: list[_NewChunk], gone: set[int]) -> _Vectors:
        """The previous generation's vectors without ``gone``, plus the new chunks', sorted by chunk id.

        Sentence vectors are kept when the index is new and the model mean-pools, or when the
        previous generation has them (an index never mixes chunks with and without).
        """
        dim = self.encoder.dimension
        if old is None:
            with_sentences = self.encoder.pools_by_mean
            vectors, ids = np.empty((0, dim), np.float32), np.empty(0, np.int64)
            sentences, counts = np.empty((0, dim), np.float16), np.empty(0, np.int64)
        else:
            with_sentences = (old / SENTENCE_ROWS_FILE).exists()
            vectors, ids = np.load(old / VECTORS_FILE), np.load(old / CHUNK_IDS_FILE)
            if with_sentences:
                sentences = np.load(old / SENTENCE_VECTORS_FILE)
                counts = np.diff(np.load(old / SENTENCE_ROWS_FILE))
        if gone:
            keep = ~np.isin(ids, np.fromiter(gone, np.int64))
            vectors, ids = vectors[keep], ids[keep]
            if with_sentences:
                sentences, counts = sentences[np.repeat(keep, counts)], counts[keep]
        texts = [new.chunk.text for new in new_chunks]
        if with_sentences:
            spans = [[(a - new.chunk.start, b - new.chunk.start) for a, b in new.chunk.sentences]
                     for new in new_chunks]
            fresh = self.encoder.encode_chunks(texts, spans, progress=self.progress)
            fresh_vectors = fresh.vectors
            sentences = np.concatenate([sentences, fresh.sentence_vectors])
            counts = np.concatenate([counts, fresh.sentence_counts])
        else:
            fresh_vectors = self.encoder.encode(texts, progress=self.progress)
        fresh_vectors = with_context(fresh_vectors, [new.context for new in new_chunks], self.encoder)
        vectors = np.concatenate([vectors, fresh_vectors]) if len(fresh_vectors) else vectors
        ids = np.concatenate([ids, np.asarray([new.id for new in new_chunks], np.int64)])
        order = np.argsort(ids, kind="stable")
        if not with_sentences:
            return _Vectors(ids[order], np.ascontiguousarray(vectors[order]), None, None)
        if not np.array_equal(order, np.arange(len(order))):  # new chunk ids are normally the largest
            blocks = np.split(sentences, np.cumsum(counts)[:-1])  # one block of rows per chunk
            sentences, counts = np.concatenate([blocks[i] for i in order]), counts[order]
        rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return _Vectors(ids[order], np.ascontiguousarray(vectors[order]), np.ascontiguousarray(sentences), rows)


@dataclass(frozen=True)
class _NewChunk:
    """A chunk written to the store, to embed: its id, itself and its statement's context."""

    id: int
    chunk: Chunk
    context: str


@dataclass(frozen=True)
class _Vectors:
    """What a generation stores of its chunks' embeddings, rows in chunk id order."""

    ids: np.ndarray
    vectors: np.ndarray
    sentence_vectors: np.ndarray | None  # float16, see embeddings.local.index.SENTENCE_ROWS_FILE
    sentence_rows: np.ndarray | None


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
        manifest.chunks, manifest.generation, report.missing,
    )
