"""Public entry points: find files, load statements from them, report what was skipped.

Policies (per call, nothing is kept between calls):

- Paths may be files or folders. Folders are scanned recursively in sorted order; hidden files
  and folders (names starting with ``.``) and Office lock files (``~$...``) are left out.
- Ids are stable: a document's id is its path relative to the folder given, without the
  suffix (``speeches/lavrov-dushanbe-201st-base``), or its name when the file itself is given;
  a record's id is its id field, else ``<file id>:<line>`` (JSONL, CSV) or ``<file id>:<index>``.
- Exact duplicates (same ``text_hash``) are loaded once; ``report.duplicates`` gets
  ``(dropped id, kept id)``.
- Duplicate ids with different text: both statements are kept, the later one renamed
  ``<id>~2`` (then ``~3``...) with ``metadata["original_id"]`` set, so every quote stays
  findable and ids stay unique. Renames are logged at INFO level (they are not skips).
- Countries are named one way (``corpus.countries``): a record's ``country`` code and ``country_name``
  become ISO 3166's code and common name, the values given kept as ``country_original`` and
  ``country_name_original``.
- Bad input never raises: each skipped file or record becomes one ``LoadProblem`` in the report,
  including unexpected parser errors (reported with the exception's one-line message).
"""
from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from corpus.countries import with_standard_country
from corpus.loaders import FileSkipped, Loader, loader_for, suffix_of
from corpus.options import LoadOptions
from corpus.problems import LoadProblem, LoadReport, StatementsError, one_line
from corpus.statement import Statement

log = logging.getLogger(__name__)

PathArg = str | os.PathLike[str]


def bundled_sample_path() -> Path:
    """The folder of sample statements shipped inside the package (``corpus/sample``)."""
    return Path(__file__).resolve().parent / "sample"


def load_statements(
    paths: Iterable[PathArg] | PathArg, options: LoadOptions = LoadOptions()
) -> tuple[list[Statement], LoadReport]:
    """Load every statement under ``paths``; return them with the report of what was skipped."""
    report = LoadReport()
    statements = list(iter_statements(paths, options, report))
    return statements, report


def iter_statements(
    paths: Iterable[PathArg] | PathArg,
    options: LoadOptions = LoadOptions(),
    report: LoadReport | None = None,
) -> Iterator[Statement]:
    """Yield statements from files and folders, streaming; problems go into ``report``.

    Raises ``StatementsError`` at once for an unknown ``options.encoding`` (a setup mistake,
    not bad input); bad files and records never raise.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if options.encoding is not None:
        try:
            codecs.lookup(options.encoding)
        except LookupError:
            raise StatementsError(f"unknown text encoding '{options.encoding}'") from None
    return _statements([Path(p) for p in paths], options, report if report is not None else LoadReport())


def discover(root: Path) -> Iterator[tuple[Path, str] | LoadProblem]:
    """``(file, file id)`` for a file, or for every visible file under a folder, in sorted order."""
    if root.is_file():
        yield root, _strip_suffix(root.name)
        return
    if not root.is_dir():
        reason = "no such file or folder" if not os.path.lexists(root) else "not a file or folder"
        yield LoadProblem(str(root), reason)
        return
    found: list[tuple[str, ...]] = []
    errors: list[OSError] = []
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        base = Path(folder).relative_to(root).parts
        found.extend(base + (name,) for name in filenames if not _hidden(name))
    for error in errors:
        yield LoadProblem(str(error.filename or root), f"cannot read folder: {error.strerror or error}")
    for parts in sorted(found):
        path = root.joinpath(*parts)
        if path.is_file():
            yield path, "/".join(parts[:-1] + (_strip_suffix(parts[-1]),))


def _statements(paths: list[Path], options: LoadOptions, report: LoadReport) -> Iterator[Statement]:
    kept = FirstOfEach(report)
    for root in paths:
        for found in discover(root):
            if isinstance(found, LoadProblem):
                report.problems.append(found)
                continue
            for item in read_file(found[0], found[1], options, report):
                statement = kept.admit(item)
                if statement is not None:
                    yield statement


def read_file(
    path: Path, file_id: str, options: LoadOptions, report: LoadReport
) -> Iterator[Statement | LoadProblem]:
    """The statements (and problems) of one file found by ``discover``; counts it in ``report`` if read."""
    suffix = suffix_of(path.name)
    loader = loader_for(suffix)
    if loader is None:
        what = f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
        yield LoadProblem(str(path), what)
        return
    yield from _run(loader, path, file_id, options, report)


class FirstOfEach:
    """Keeps the first of statements with the same text and renames reused ids, in the order given."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        self._kept_by_hash: dict[str, str] = {}
        self._used_ids: set[str] = set()

    def admit(self, item: Statement | LoadProblem) -> Statement | None:
        """The statement to index (renamed if its id is taken), or None: a problem or a duplicate, reported."""
        if isinstance(item, LoadProblem):
            self.report.problems.append(item)
            return None
        kept = self._kept_by_hash.get(item.text_hash)
        if kept is not None:
            self.report.duplicates.append((item.id, kept))
            return None
        if item.id in self._used_ids:
            item = _renamed(item, self._used_ids)
        self._used_ids.add(item.id)
        self._kept_by_hash[item.text_hash] = item.id
        self.report.statements_loaded += 1
        return item


def _run(
    loader: Loader, path: Path, file_id: str, options: LoadOptions, report: LoadReport
) -> Iterator[Statement | LoadProblem]:
    """Run one loader; count the file as read unless it is skipped as a whole."""
    counted = False
    try:
        for item in loader(path, file_id, options):
            if not counted:
                report.files_read += 1
                counted = True
            yield with_standard_country(item) if isinstance(item, Statement) else item
    except FileSkipped as skip:
        yield LoadProblem(str(path), skip.reason, skip.line)
    except OSError as error:
        yield LoadProblem(str(path), f"cannot read file: {error.strerror or one_line(error)}")
    except Exception as error:  # a parser bug or an input no parser foresaw: skip this file only
        yield LoadProblem(str(path), f"error reading file: {type(error).__name__}: {one_line(error)}")
    else:
        if not counted:
            report.files_read += 1


def _renamed(statement: Statement, used_ids: set[str]) -> Statement:
    number = 2
    while f"{statement.id}~{number}" in used_ids:
        number += 1
    new_id = f"{statement.id}~{number}"
    log.info("id %r is already used by another statement; %s loaded as %r", statement.id, statement.path, new_id)
    return replace(statement, id=new_id, metadata={**statement.metadata, "original_id": statement.id})


def _strip_suffix(name: str) -> str:
    suffix = suffix_of(name)
    return name[: -len(suffix)] if suffix and len(name) > len(suffix) else name


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")
