"""Building and updating an index in Milvus, statement by content hash, restartable.

Statements are prepared in two steps that ``embeddings.milvus.ray_ingest`` also runs on a Ray cluster:
``chunk_and_attribute`` (CPU: chunks and who said each sentence) and ``embed`` (the encoder: chunk
and sentence vectors). ``MilvusWriter`` writes prepared statements in batches (see
``MilvusStatementStore.put_many`` for why a killed run can simply be run again) and bumps the
index's generation when it is done, so that open assistants switch to the new contents.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.attribution.parallel import ParallelAttributor
from corpus.chunk import Chunk
from corpus.context import context_of
from corpus.problems import StatementsError
from corpus.statement import Statement
from embeddings.backend.interface import SearchIndex
from embeddings.backend.manifest import Manifest
from embeddings.backend.report import UpdateReport
from embeddings.backend.writing import (
    ChunkedStatement,
    StatementChunker,
    StatementWriter,
    chunk_and_attribute,
    with_context,
)
from embeddings.encoding.encoder import Encoder
from embeddings.milvus.index import META_ID, read_manifest
from embeddings.milvus.schema import (
    MilvusLocation,
    create_collections,
    drop_collections,
    flush_collections,
    load_collections,
    milvus_error,
    placeholder_key,
)
from embeddings.milvus.store import MilvusStatementStore, PreparedStatement
from embeddings.progress import progress_bar

WRITE_BATCH = 32  # statements prepared and written together


def embed(items: Sequence[ChunkedStatement], encoder: Encoder) -> list[PreparedStatement]:
    """Chunk vectors (and sentence vectors, for mean-pooling models) of chunked statements, in one batch."""
    texts = [c.text for item in items for c in item.chunks]
    counts = [len(item.chunks) for item in items]
    sentence_vectors: list[Any] | None = None
    if encoder.pools_by_mean:
        spans = [[(a - c.start, b - c.start) for a, b in c.sentences] for item in items for c in item.chunks]
        fresh = encoder.encode_chunks(texts, spans, progress=False)
        vectors = fresh.vectors
        bounds = [0, *fresh.sentence_counts.cumsum().tolist()]
        sentence_vectors = [fresh.sentence_vectors[bounds[i] : bounds[i + 1]] for i in range(len(texts))]
    else:
        vectors = encoder.encode(texts, progress=False)
    vectors = with_context(vectors, [item.context for item in items for _ in item.chunks], encoder)
    out, row = [], 0
    for item, n in zip(items, counts, strict=True):
        per_sentence = tuple(sentence_vectors[row : row + n]) if sentence_vectors is not None else None
        out.append(PreparedStatement(item.statement, item.chunks, vectors[row : row + n], per_sentence,
                                     item.attributions, item.context))
        row += n
    return out


class MilvusWriter(StatementWriter):
    """Adds, changes and removes statements in a Milvus index (the ``IndexWriter`` of that backend)."""

    def __init__(
        self,
        location: MilvusLocation,
        encoder: Encoder | None = None,
        chunker: StatementChunker | None = None,
        progress: bool = True,
        attributions: bool = True,
        context_fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__(encoder, chunker, progress, attributions, context_fields)
        self.location = location

    def update(
        self, statements: Iterable[Statement], rebuild: bool = False, remove_ids: Sequence[str] = ()
    ) -> UpdateReport:
        """Add new and changed statements (by content hash), remove ``remove_ids``; then bump the generation."""
        session = self.open(rebuild)
        try:
            report = session.remove(remove_ids)
            batch: list[Statement] = []
            with progress_bar(None, desc="indexing", unit="statement", enabled=self.progress) as bar:
                for statement in session.changed(statements):
                    batch.append(statement)
                    if len(batch) >= WRITE_BATCH:
                        session.write(embed(session.chunked(batch, self.chunker), self.encoder))
                        bar.update(len(batch))
                        batch.clear()
                if batch:
                    session.write(embed(session.chunked(batch, self.chunker), self.encoder))
                    bar.update(len(batch))
            return session.finish(report)
        finally:
            session.close()

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport:
        """Delete statements (and their chunks and vectors) from the index."""
        return self.update((), remove_ids=statement_ids)

    def open(self, rebuild: bool = False) -> WriteSession:
        """Connect, create the collections of a new index (or drop them all: ``rebuild``) and check the
        existing index was built with this model and chunker."""
        client = self.location.connect()
        try:
            return self._session(client, rebuild)
        except BaseException:
            self.location.disconnect(client)
            raise

    def _session(self, client: Any, rebuild: bool) -> WriteSession:
        try:
            previous = 0
            if rebuild:
                old = read_manifest(client, self.location)
                previous = old.generation if old is not None else 0  # generations only go up: readers refresh
                drop_collections(client, self.location)
            current = read_manifest(client, self.location)
            load_collections(client, self.location)
            if current is None:
                create_collections(client, self.location, self.encoder.dimension)
                current = Manifest(
                    generation=previous, model=self.encoder.name, dimension=self.encoder.dimension,
                    chunker=self.chunker.settings, statements=0, chunks=0, approximate=not self.location.is_lite,
                    attributions=self.attributions, context_fields=self.context_for(None, "", ""),
                )
                _write_manifest(client, self.location, current)
        except StatementsError:
            raise
        except Exception as exc:
            raise milvus_error(exc, self.location) from None
        hint = f"rebuild it with `statements-qa index PATH... --milvus-uri {self.location.uri} --rebuild`"
        if current.model != self.encoder.name:
            raise StatementsError(
                f"Milvus index at {self.location.uri} was built with model {current.model!r}, not "
                f"{self.encoder.name!r}: use --model {current.model}, or {hint}"
            )
        if current.chunker != self.chunker.settings:
            raise StatementsError(
                f"Milvus index at {self.location.uri} was chunked with {current.chunker}, not "
                f"{self.chunker.settings}: {hint}"
            )
        self.context_for(current.context_fields, f"Milvus index at {self.location.uri}", hint)
        return WriteSession(client, self.location, current)


class WriteSession:
    """One update of a Milvus index: what it holds, what changed, and the writes."""

    def __init__(self, client: Any, location: MilvusLocation, manifest: Manifest) -> None:
        self.client = client
        self.location = location
        self.manifest = manifest
        self.store = MilvusStatementStore(client, location)
        self.known = self.store.content_hashes()
        self.present = set(self.known) | self.store.partial_statements()  # their old parts go before a write
        self.counts = {"added": 0, "updated": 0, "unchanged": 0}
        self.embedded = 0
        self.closed = False
        self.attributor = ParallelAttributor()  # its worker processes start with the first large batch

    def close(self) -> None:
        """Disconnect (once), and stop the attribution workers."""
        if not self.closed:
            self.closed = True
            self.attributor.close()
            self.location.disconnect(self.client)

    @property
    def attributions(self) -> bool:
        """Whether this index finds who said each sentence (fixed when it is created)."""
        return self.manifest.attributions

    def chunked(self, statements: Sequence[Statement], chunker: StatementChunker) -> list[ChunkedStatement]:
        """Statements chunked, attributed and with their context, as this index makes them."""
        return chunk_and_attribute(statements, chunker, self.attributions, self.manifest.context_fields,
                                   self.attributor)

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport:
        """Delete statements; parts of ids it does not hold are deleted too (left by a killed removal)."""
        ids = list(dict.fromkeys(statement_ids))
        self.store.delete(ids)
        removed = [i for i in ids if i in self.known]
        for i in removed:
            self.known.pop(i)
        return UpdateReport(removed=len(removed), missing=tuple(i for i in ids if i not in removed))

    def changed(self, statements: Iterable[Statement]) -> Iterator[Statement]:
        """The statements that are new or whose content changed, counting the rest as unchanged."""
        for statement in statements:
            previous = self.known.get(statement.id)
            if previous == statement.content_hash:
                self.counts["unchanged"] += 1
                continue
            self.counts["added" if previous is None else "updated"] += 1
            self.known[statement.id] = statement.content_hash
            yield statement

    def write(self, prepared: Sequence[PreparedStatement]) -> None:
        """Write a batch of prepared statements."""
        try:
            self.store.put_many(prepared, self.present)
        except Exception as exc:
            raise milvus_error(exc, self.location) from None
        self.embedded += sum(len(p.chunks) for p in prepared)

    def finish(self, removal: UpdateReport) -> UpdateReport:
        """Record the new counts and generation (when anything changed) and report."""
        c = self.counts
        changed = bool(c["added"] or c["updated"] or removal.removed)
        manifest = self.manifest
        if changed:
            manifest = dataclasses.replace(
                manifest, generation=manifest.generation + 1, statements=self.store.count_statements(),
                chunks=self.store.count_chunks(),
            )
            _write_manifest(self.client, self.location, manifest)
        flush_collections(self.client, self.location)
        self.close()
        return UpdateReport(
            c["added"], c["updated"], c["unchanged"], removal.removed, self.embedded, manifest.statements,
            manifest.chunks, manifest.generation, removal.missing,
        )


def _write_manifest(client: Any, location: MilvusLocation, manifest: Manifest) -> None:
    value = dataclasses.asdict(manifest)
    client.upsert(location.collection("meta"), [{"id": META_ID, "value": value, "key": placeholder_key()}])


def copy_to_milvus(source: SearchIndex, location: MilvusLocation, progress: bool = True) -> UpdateReport:
    """Copy an opened index (its statements, chunks, vectors, sentence vectors and attributions) into a new
    Milvus index at ``location`` without embedding anything again: moving an index directory to Milvus."""
    manifest = source.manifest
    writer = MilvusWriter(location, source.encoder, _FixedSettings(manifest.chunker), progress=False,
                          attributions=manifest.attributions, context_fields=manifest.context_fields)
    session = writer.open(rebuild=True)
    try:
        store = source.store
        statements = list(session.changed(store.iter_statements()))
        with progress_bar(len(statements), desc="copying", unit="statement", enabled=progress) as bar:
            for lo in range(0, len(statements), WRITE_BATCH):
                batch = statements[lo : lo + WRITE_BATCH]
                found = store.attributions_of([st.id for st in batch])
                prepared = []
                for st in batch:
                    pairs = store.chunks_of(st.id)
                    vectors = source.chunk_vectors([cid for cid, _ in pairs])
                    found_vectors = [source.sentence_vectors_of(cid) for cid, _ in pairs]
                    sentences = [v for v in found_vectors if v is not None]
                    per_sentence = tuple(sentences) if len(sentences) == len(pairs) else None
                    prepared.append(PreparedStatement(st, tuple(c for _, c in pairs), vectors, per_sentence,
                                                      tuple(found.get(st.id, ())),
                                                      context_of(st, manifest.context_fields)))
                session.write(prepared)
                bar.update(len(batch))
        return session.finish(UpdateReport())
    finally:
        session.close()


@dataclass(frozen=True)
class _FixedSettings:
    """The chunker settings an index was built with (copying chunks, not making them)."""

    settings: dict[str, Any]

    def chunk_many(self, statements: Iterable[Statement]) -> list[Chunk]:
        raise StatementsError("internal error: a copied index is never chunked again")
