"""The Python API: build or open an index, retrieve passages, ask questions."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from corpus.load import iter_statements
from corpus.options import LoadOptions
from corpus.problems import LoadReport
from embeddings.encoder import Encoder
from embeddings.index import StatementIndex
from embeddings.manifest import Manifest
from embeddings.writer import IndexWriter, UpdateReport
from assistant.answer import Answer
from assistant.answering import Answerer, HistoryItem
from assistant.extract import ExtractionSettings
from assistant.retrieval import FusionSettings, HybridRetriever, Passage

PathLike = str | os.PathLike


class Assistant:
    """Answers questions about a folder of statements from an index directory.

    >>> qa = Assistant.build(["statements/"], "index_dir")   # or Assistant.open("index_dir")
    >>> qa.retrieve("what did Lavrov say about Micaller?", k=5)
    """

    def __init__(
        self,
        index_dir: PathLike,
        model: str | None = None,
        fusion: FusionSettings = FusionSettings(),
        extraction: ExtractionSettings = ExtractionSettings(),
    ) -> None:
        self.index_dir = Path(index_dir)
        self.fusion = fusion
        self.extraction = extraction
        self._model = model
        self._lock = threading.Lock()
        self._answerer = self._open()

    def _open(self) -> Answerer:
        index = StatementIndex.open(self.index_dir, model=self._model)
        return Answerer(HybridRetriever(index, self.fusion), self.extraction)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        paths: Iterable[PathLike],
        index_dir: PathLike,
        model: str | None = None,
        options: LoadOptions = LoadOptions(),
        rebuild: bool = False,
        progress: bool = True,
        fusion: FusionSettings = FusionSettings(),
    ) -> "Assistant":
        """Index the statements under ``paths`` into ``index_dir`` (incrementally) and open it."""
        index_statements(paths, index_dir, model=model, options=options, rebuild=rebuild, progress=progress)
        return cls(index_dir, model=model, fusion=fusion)

    @classmethod
    def open(
        cls,
        index_dir: PathLike,
        model: str | None = None,
        fusion: FusionSettings = FusionSettings(),
        extraction: ExtractionSettings = ExtractionSettings(),
    ) -> "Assistant":
        """Open an existing index directory."""
        return cls(index_dir, model=model, fusion=fusion, extraction=extraction)

    def add(
        self, paths: Iterable[PathLike], options: LoadOptions = LoadOptions(), progress: bool = False
    ) -> tuple[UpdateReport, LoadReport]:
        """Index more statements into this assistant's index and start using them."""
        result = index_statements(paths, self.index_dir, model=self._model, options=options, progress=progress)
        self.refresh()
        return result

    def remove(self, statement_ids: Sequence[str]) -> UpdateReport:
        """Delete statements from the index."""
        model = self._model or self.index.manifest.model  # the index's own model, as the CLI does
        report = IndexWriter(self.index_dir, Encoder(model), progress=False).remove(statement_ids)
        self.refresh()
        return report

    def refresh(self) -> bool:
        """Switch to the newest generation of the index if another writer made one."""
        manifest = Manifest.read(self.index_dir)
        if manifest is None or manifest.generation == self.index.manifest.generation:
            return False
        with self._lock:
            self._answerer = self._open()
        return True

    # -- reading -------------------------------------------------------------------------
    @property
    def index(self) -> StatementIndex:
        """The opened index generation in use."""
        return self._answerer.retriever.index

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever over the current generation."""
        return self._answerer.retriever

    def retrieve(
        self, query: str, k: int = 5, filters: Mapping[str, object] | None = None, mode: str = "hybrid"
    ) -> list[Passage]:
        """The ``k`` passages that best match ``query``, best first.

        ``filters``: ``speaker``, ``source``, ``title``, ``date_from``, ``date_to`` or any metadata
        key; values match case-insensitively as substrings. ``mode``: hybrid, dense or lexical.
        """
        return self._answerer.retriever.retrieve(query, k=k, filters=filters, mode=mode)

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
        return self._answerer.answer(question, history or (), filters)


def index_statements(
    paths: Iterable[PathLike],
    index_dir: PathLike,
    model: str | None = None,
    options: LoadOptions = LoadOptions(),
    rebuild: bool = False,
    progress: bool = True,
) -> tuple[UpdateReport, LoadReport]:
    """Load statements from ``paths`` and add new or changed ones to ``index_dir``.

    ``model=None`` means the model the index was built with (the default model for a new index
    or with ``rebuild``): an index remembers its model.
    """
    if model is None and not rebuild:
        current = Manifest.read(Path(index_dir))
        model = current.model if current is not None else None
    report = LoadReport()
    writer = IndexWriter(index_dir, Encoder(model), progress=progress)
    update = writer.update(iter_statements(paths, options, report), rebuild=rebuild)
    return update, report
