"""The Python API: build or open an index, retrieve passages, ask questions, read what is indexed."""
from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from assistant.aliases import ALIASES_ENV, read_aliases
from assistant.answer import Answer
from assistant.pipeline import ANSWER_PASSAGES, AnswerPipeline, HistoryItem
from assistant.retrieval import FusionSettings, HybridRetriever, Passage
from assistant.settings import ExtractionSettings
from corpus.attribution import Attribution
from corpus.load import PathArg, iter_statements
from corpus.options import LoadOptions
from corpus.problems import LoadReport, StatementsError
from corpus.statement import Statement
from embeddings.backend.interface import SearchIndex
from embeddings.backend.report import UpdateReport
from embeddings.backend.storage import Storage, storage_for
from embeddings.encoding.encoder import Encoder


@dataclass(frozen=True)
class IndexStats:
    """What an index holds: counts, the date range and the model."""

    statements: int
    chunks: int
    sources: int  # distinct non-empty ``source`` values
    first_date: str  # "" when no statement has a date
    last_date: str
    model: str
    generation: int
    attributions: bool = False  # who said each sentence is known (built with attribution)


@dataclass
class _Generation:
    """One opened index generation and the calls using it; closed once retired and unused."""

    pipeline: AnswerPipeline
    users: int = 0
    retired: bool = False


class Assistant:
    """Answers questions about a folder of statements from an index directory or a Milvus index.

    >>> qa = Assistant.build(["statements/"], "index_dir")   # or Assistant.open("index_dir")
    >>> qa.retrieve("what did Lavrov say about Micaller?", k=5)
    >>> qa = Assistant.open(milvus_uri="statements.db")        # Milvus Lite, or http://host:19530

    Use it as a context manager, or call ``close()``, to release the index.
    """

    def __init__(
        self,
        index_dir: PathArg | None = None,
        model: str | None = None,
        fusion: FusionSettings = FusionSettings(),
        extraction: ExtractionSettings = ExtractionSettings(),
        passages: int = ANSWER_PASSAGES,
        aliases: PathArg | None = None,
        milvus_uri: str | None = None,
        milvus_token_env: str | None = None,
    ) -> None:
        self.storage: Storage = storage_for(index_dir, milvus_uri, milvus_token_env)
        self.index_dir = Path(index_dir) if index_dir is not None else None
        alias_path = aliases or os.environ.get(ALIASES_ENV)
        self.aliases = read_aliases(Path(alias_path)) if alias_path else None
        self.fusion = fusion
        self.extraction = extraction
        self.passages = passages
        self._model = model
        self._lock = threading.Lock()
        self._current = _Generation(self._open_pipeline())

    def _open_pipeline(self) -> AnswerPipeline:
        index = self.storage.open(model=self._model)
        return AnswerPipeline(HybridRetriever(index, self.fusion), self.extraction, self.passages, self.aliases)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        paths: Iterable[PathArg],
        index_dir: PathArg | None = None,
        model: str | None = None,
        options: LoadOptions = LoadOptions(),
        rebuild: bool = False,
        progress: bool = True,
        fusion: FusionSettings = FusionSettings(),
        extraction: ExtractionSettings = ExtractionSettings(),
        passages: int = ANSWER_PASSAGES,
        aliases: PathArg | None = None,
        milvus_uri: str | None = None,
        milvus_token_env: str | None = None,
        ray_address: str | None = None,
        ray_workers: int | None = None,
        context_fields: Sequence[str] | None = None,
    ) -> Assistant:
        """Index the statements under ``paths`` into ``index_dir`` or Milvus (incrementally) and open it.

        ``ray_address``: ingest with Ray Data (``"local"``: a Ray on this machine's cores) into Milvus;
        ``ray_workers``: embedding actors (default: one per CPU, or per GPU when the cluster has GPUs).
        """
        index_statements(
            paths, index_dir, model=model, options=options, rebuild=rebuild, progress=progress,
            milvus_uri=milvus_uri, milvus_token_env=milvus_token_env, ray_address=ray_address,
            ray_workers=ray_workers, context_fields=context_fields,
        )
        return cls(index_dir, model=model, fusion=fusion, extraction=extraction, passages=passages, aliases=aliases,
                   milvus_uri=milvus_uri, milvus_token_env=milvus_token_env)

    @classmethod
    def open(
        cls,
        index_dir: PathArg | None = None,
        model: str | None = None,
        fusion: FusionSettings = FusionSettings(),
        extraction: ExtractionSettings = ExtractionSettings(),
        passages: int = ANSWER_PASSAGES,
        aliases: PathArg | None = None,
        milvus_uri: str | None = None,
        milvus_token_env: str | None = None,
    ) -> Assistant:
        """Open an existing index directory, or the index in Milvus at ``milvus_uri`` (a Milvus Lite file or
        ``http://host:19530``; its token in the environment variable named ``milvus_token_env``).
        ``passages``: retrieved passages whose sentences an answer weighs; ``aliases``: a file of other names
        for speakers (``assistant.aliases``; default: ``$STATEMENTS_QA_ALIASES``)."""
        return cls(index_dir, model=model, fusion=fusion, extraction=extraction, passages=passages, aliases=aliases,
                   milvus_uri=milvus_uri, milvus_token_env=milvus_token_env)

    def add(
        self, paths: Iterable[PathArg], options: LoadOptions = LoadOptions(), progress: bool = False
    ) -> tuple[UpdateReport, LoadReport]:
        """Index more statements into this assistant's index and start using them."""
        result = update_index(self.storage, paths, model=self._model, options=options, progress=progress)
        self.refresh()
        return result

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport:
        """Delete statements from the index."""
        report = _remove(self.storage, statement_ids, model=self._model)
        self.refresh()
        return report

    def refresh(self) -> bool:
        """Switch to the newest generation of the index if another writer made one.

        The previous generation is closed as soon as no call is using it any more.
        """
        latest = self.index.latest_generation()
        if latest is None or latest == self.index.manifest.generation:
            return False
        fresh = _Generation(self._open_pipeline())
        with self._lock:
            old, self._current = self._current, fresh
        self._retire(old)
        return True

    def close(self) -> None:
        """Release the index files (once calls in flight have finished)."""
        self._retire(self._current)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _retire(self, generation: _Generation) -> None:
        with self._lock:
            generation.retired = True
            idle = generation.users == 0
        if idle:
            generation.pipeline.retriever.index.close()

    @contextmanager
    def _pipeline(self) -> Iterator[AnswerPipeline]:
        """The current generation's pipeline, kept open until the block ends."""
        with self._lock:
            generation = self._current
            generation.users += 1
        try:
            yield generation.pipeline
        finally:
            with self._lock:
                generation.users -= 1
                idle = generation.retired and generation.users == 0
            if idle:
                generation.pipeline.retriever.index.close()

    # -- reading -------------------------------------------------------------------------
    @property
    def index(self) -> SearchIndex:
        """The opened index generation in use."""
        return self._current.pipeline.retriever.index

    @property
    def pipeline(self) -> AnswerPipeline:
        """The answer pipeline over the current generation (its parts are tuned by ``benchmarks/qa.py``)."""
        return self._current.pipeline

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever over the current generation."""
        return self._current.pipeline.retriever

    def retrieve(
        self, query: str, k: int = 5, filters: Mapping[str, object] | None = None, mode: str = "hybrid"
    ) -> list[Passage]:
        """The ``k`` passages that best match ``query``, best first.

        ``filters``: ``speaker``, ``source``, ``title``, ``date_from``, ``date_to`` or any metadata
        key; values match case-insensitively as substrings. ``mode``: hybrid, dense or lexical.
        """
        with self._pipeline() as pipeline:
            return pipeline.retriever.retrieve(query, k=k, filters=filters, mode=mode)

    def ask(
        self,
        question: str,
        history: Sequence[HistoryItem] | None = None,
        filters: Mapping[str, object] | None = None,
    ) -> Answer:
        """Answer with verbatim quotes and their sources, or abstain.

        ``history``: earlier Answers (or questions) of this conversation, oldest first, so that
        follow-ups such as "and about ISIS?" or "what else did he say?" are understood.
        """
        with self._pipeline() as pipeline:
            return pipeline.answer(question, history or (), filters)

    def statements(self, ids: Sequence[str]) -> dict[str, Statement]:
        """The statements with these ids that the index holds, by id."""
        with self._pipeline() as pipeline:
            return pipeline.retriever.index.store.statements(ids)

    def statement(self, statement_id: str) -> Statement | None:
        """One statement by id, or None."""
        return self.statements([statement_id]).get(statement_id)

    def statement_headers(self, limit: int | None = None) -> list[Statement]:
        """Statements without their text (id, title, speaker, source, date, metadata), in id order."""
        with self._pipeline() as pipeline:
            headers = pipeline.retriever.index.store.headers()
            return list(itertools.islice(headers, limit))

    def facet_values(self, key: str, limit: int = 500) -> list[str]:
        """Distinct values of a statement field (``speaker``, ``source``, ``title``…), sorted, for filter menus.

        Speakers include those found in the statements' text (see ``speaker_counts``).
        """
        if key == "speaker":
            return [name for name, _ in self.speaker_counts(limit)]
        with self._pipeline() as pipeline:
            return pipeline.retriever.index.store.distinct_values(key, limit)

    def speaker_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Every speaker, named in metadata or found in the text, with the number of statements they speak in."""
        with self._pipeline() as pipeline:
            return pipeline.retriever.index.store.speaker_counts(limit)

    def attributions(self, statement_id: str) -> list[Attribution]:
        """Who said what in a statement, in text order (empty for an index built without attributions)."""
        with self._pipeline() as pipeline:
            return pipeline.retriever.index.store.attributions_of([statement_id]).get(statement_id, [])

    def stats(self) -> IndexStats:
        """Counts, date range and model of the index in use."""
        with self._pipeline() as pipeline:
            index = pipeline.retriever.index
            first, last = index.store.date_range()
            return IndexStats(
                statements=index.store.count_statements(), chunks=index.store.count_chunks(),
                sources=len(index.store.distinct_values("source")), first_date=first, last_date=last,
                model=index.manifest.model, generation=index.manifest.generation,
                attributions=index.has_attributions,
            )


def index_statements(
    paths: Iterable[PathArg],
    index_dir: PathArg | None = None,
    model: str | None = None,
    options: LoadOptions = LoadOptions(),
    rebuild: bool = False,
    progress: bool = True,
    attributions: bool = True,
    milvus_uri: str | None = None,
    milvus_token_env: str | None = None,
    ray_address: str | None = None,
    ray_workers: int | None = None,
    context_fields: Sequence[str] | None = None,
) -> tuple[UpdateReport, LoadReport]:
    """Load statements from ``paths`` and add new or changed ones to ``index_dir`` or to Milvus at ``milvus_uri``.

    ``model=None`` means the model the index was built with (the default model for a new index
    or with ``rebuild``): an index remembers its model. ``attributions``: whether a new index (or a
    rebuild) finds who said each sentence (``corpus.attribution``); an existing index keeps its choice.
    ``ray_address`` (Milvus only): ingest with Ray Data, ``"local"`` for a Ray on this machine.
    ``context_fields``: fields searched with every chunk and never quoted (``corpus.context``; default for a
    new index: ``question``, ``headline``, ``title``); an existing index keeps its own.
    """
    storage = storage_for(index_dir, milvus_uri, milvus_token_env)
    return update_index(storage, paths, model, options, rebuild, progress, attributions, ray_address, ray_workers,
                        context_fields)


def update_index(
    storage: Storage,
    paths: Iterable[PathArg],
    model: str | None = None,
    options: LoadOptions = LoadOptions(),
    rebuild: bool = False,
    progress: bool = True,
    attributions: bool = True,
    ray_address: str | None = None,
    ray_workers: int | None = None,
    context_fields: Sequence[str] | None = None,
) -> tuple[UpdateReport, LoadReport]:
    """``index_statements`` into an already chosen storage."""
    if model is None and not rebuild:
        current = storage.manifest()
        model = current.model if current is not None else None
    report = LoadReport()
    if ray_address is not None:
        from embeddings.milvus.ray_ingest import ray_index
        from embeddings.milvus.schema import MilvusLocation

        location = getattr(storage, "location", None)
        if not isinstance(location, MilvusLocation):
            raise StatementsError("--ray writes to Milvus: give --milvus-uri too")
        update = ray_index(
            [Path(p) for p in paths], location, Encoder(model), options, report, address=ray_address,
            workers=ray_workers, rebuild=rebuild, progress=progress, attributions=attributions,
            context_fields=context_fields,
        )
        return update, report
    writer = storage.updater(Encoder(model), progress=progress, attributions=attributions,
                             context_fields=context_fields)
    update = writer.update(iter_statements(paths, options, report), rebuild=rebuild)
    return update, report


def remove_statements(
    index_dir: PathArg | None, statement_ids: Sequence[str], model: str | None = None,
    milvus_uri: str | None = None, milvus_token_env: str | None = None,
) -> UpdateReport:
    """Delete statements from ``index_dir`` or Milvus (with the model the index was built with, unless given)."""
    return _remove(storage_for(index_dir, milvus_uri, milvus_token_env), statement_ids, model)


def _remove(storage: Storage, statement_ids: Sequence[str], model: str | None = None) -> UpdateReport:
    manifest = storage.manifest()
    if manifest is None:
        raise StatementsError(f"no index at {storage}")
    return storage.updater(Encoder(model or manifest.model), progress=False).remove(statement_ids)
