"""The ``index`` command's work: load the statements, keep the selected ones, and write them only if there are any.

``assistant.api.index_statements`` loads and writes in one call; here the loaded statements pass through the
``--where``/``--since``/``--until`` selection (``ui.selection``) first, and the writer is made only once a
statement is known to be there, so that inputs that are all unusable create no index.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from corpus.load import PathArg, iter_statements
from corpus.options import LoadOptions
from corpus.problems import LoadReport
from corpus.statement import Statement
from embeddings.backend.report import UpdateReport
from embeddings.backend.storage import storage_for
from ui.selection import Selection, SelectionCount, select


@dataclass(frozen=True)
class IndexRun:
    """What an ``index`` run did: the update (None when there was nothing to index and nothing was written),
    what the selection kept and left out, and whether an index was there before."""

    update: UpdateReport | None
    count: SelectionCount
    had_index: bool


def index_selected(
    paths: Sequence[PathArg],
    report: LoadReport,
    selection: Selection | None = None,
    index_dir: PathArg | None = None,
    milvus_uri: str | None = None,
    milvus_token_env: str | None = None,
    model: str | None = None,
    options: LoadOptions = LoadOptions(),
    rebuild: bool = False,
    context_fields: Sequence[str] | None = None,
) -> IndexRun:
    """Index the statements under ``paths`` that ``selection`` admits (all without one), as
    ``index_statements`` does; problems go into ``report``.

    Nothing is written, and no index created, when no statement is left to index and there is no index yet,
    ``rebuild`` is asked (it would empty the index), every input was unusable or the selection left out all.
    """
    from embeddings.encoding.encoder import Encoder

    selection = selection or Selection()
    storage = storage_for(index_dir, milvus_uri, milvus_token_env)
    count = SelectionCount()
    statements = _counted(iter_statements(paths, options, report), selection, count)
    first = next(statements, None)
    current = storage.manifest() if first is None or (model is None and not rebuild) else None
    unusable = bool(report.problems) and not report.statements_loaded
    if first is None and (current is None or rebuild or unusable or count.left_out):
        return IndexRun(None, count, current is not None)
    if model is None and not rebuild and current is not None:
        model = current.model
    writer = storage.updater(Encoder(model), progress=True, context_fields=context_fields)
    update = writer.update(itertools.chain([first] if first is not None else [], statements), rebuild=rebuild)
    return IndexRun(update, count, current is not None)


def _counted(statements: Iterable[Statement], selection: Selection, count: SelectionCount) -> Iterator[Statement]:
    """The statements ``selection`` admits (all of them without one), counted."""
    if selection:
        yield from select(statements, selection, count)
        return
    for statement in statements:
        count.kept += 1
        yield statement


def nothing_to_index(run: IndexRun, report: LoadReport, selection: Selection, place: str, rebuild: bool) -> str:
    """The error line when a run had nothing to index: why, and that the index was left as it was."""
    if run.count.left_out:
        why = f"{selection} left out all {run.count.left_out} statements loaded"
    elif report.problems:
        why = "no input could be used (each skipped line above says why)"
    else:
        why = "no statement was found in the paths given"
    if not run.had_index:
        return f"error: nothing to index: {why}; no index was created at {place}"
    if rebuild:
        return f"error: nothing to index: {why}; --rebuild would empty the index {place}, so it is left as it was"
    return f"error: nothing to index: {why}; the index {place} is unchanged"

