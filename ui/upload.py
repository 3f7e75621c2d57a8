"""Uploaded statement files: limits, safe copies in a fresh folder, indexing and a summary.

Limits (enforced here, and the size also by Gradio's ``max_file_size``):
``MAX_FILES`` files per upload, ``MAX_FILE_MB`` MB per file. Each upload is copied into a new
temporary folder under a sanitised base name, so no file name can write outside that folder;
the folder is removed once the statements are indexed. Files sit in an ``uploads/`` sub-folder,
so their statement ids are ``uploads/<name>``: an upload can replace an earlier upload of the
same name, never a statement of the original corpus. A copied ``.txt``, ``.md`` or ``.csv`` in another
encoding than UTF-8 is re-saved as UTF-8 when its encoding can be told for sure, and refused otherwise
(``ui.text_encoding``).
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer import escape_markdown
from assistant.api import Assistant
from corpus.loaders import SUPPORTED_SUFFIXES, suffix_of
from corpus.problems import StatementsError
from ui.render import bullet_list
from ui.text_encoding import DETECTED_SUFFIXES, EncodingUnknown, to_utf8

MAX_FILES = 20
MAX_FILE_MB = 20  # the loader's own default limit for files read whole (LoadOptions.max_file_bytes)
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
ID_PREFIX = "uploads"  # statement ids of uploaded files start with "uploads/"
# What the upload box offers; ".gz" lets the browser pick .jsonl.gz / .csv.gz files.
ACCEPTED_TYPES = sorted(set(SUPPORTED_SUFFIXES) | {".gz"})
_UNSAFE = re.compile(r"[^\w.\- ()+,@]+", re.UNICODE)
_MAX_NAME = 120


def safe_name(name: str) -> str:
    """A harmless base name for an uploaded file: no folders, no hidden or control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = _UNSAFE.sub("_", "".join(ch for ch in base if ch.isprintable())).strip(" .")
    base = base.lstrip("~$")
    if not base or base in (".", ".."):
        base = "upload"
    if len(base) > _MAX_NAME:
        suffix = suffix_of(base)[:20]
        base = base[: _MAX_NAME - len(suffix)] + suffix
    return base


@dataclass
class StagedUpload:
    """Uploaded files copied into ``folder/uploads``, and those refused with the reason."""

    folder: Path  # index this folder: ids become "uploads/<name>"
    names: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "name: reason" lines
    converted: list[str] = field(default_factory=list)  # "name (was Windows-1252)": re-saved as UTF-8

    def cleanup(self) -> None:
        """Delete the copies."""
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def files_folder(self) -> Path:
        """Where the copies are."""
        return self.folder / ID_PREFIX

    def display_path(self, text: str) -> str:
        """``text`` with the temporary folders removed from any path in it."""
        for folder in (self.files_folder, self.folder):
            text = text.replace(str(folder) + os.sep, "").replace(str(folder), "")
        return text


class UploadRefused(Exception):
    """The upload as a whole breaks a limit; the message says which, in plain words."""


def stage(paths: Sequence[str], tick: Callable[[str], None] = lambda name: None) -> StagedUpload:
    """Check the limits and copy ``paths`` into a fresh folder under sanitised, unique names."""
    if len(paths) > MAX_FILES:
        raise UploadRefused(
            f"Too many files: {len(paths)} were given, at most {MAX_FILES} can be added at a time. Nothing was added."
        )
    staged = StagedUpload(Path(tempfile.mkdtemp(prefix="statements-qa-upload-")))
    used: set[str] = set()
    try:
        staged.files_folder.mkdir()
        for path in paths:
            name = safe_name(os.path.basename(str(path)))
            tick(name)
            try:
                size = os.path.getsize(path)
            except OSError as exc:
                staged.refused.append(f"{name}: cannot read the upload ({exc.strerror or exc})")
                continue
            if size > MAX_FILE_BYTES:
                mb = size / 1024 / 1024
                staged.refused.append(f"{name}: {mb:.1f} MB is over the {MAX_FILE_MB} MB limit per file")
                continue
            if suffix_of(name) not in SUPPORTED_SUFFIXES:
                kinds = " ".join(SUPPORTED_SUFFIXES)
                staged.refused.append(f"{name}: not a statement file type (use {kinds})")
                continue
            name = _unique(name, used)
            copy = staged.files_folder / name
            shutil.copyfile(path, copy)
            if suffix_of(name) in DETECTED_SUFFIXES:  # another encoding than UTF-8: re-saved as UTF-8, if sure
                try:
                    encoding = to_utf8(copy, name)
                except EncodingUnknown as exc:
                    staged.refused.append(str(exc))
                    copy.unlink()
                    continue
                if encoding:
                    staged.converted.append(f"{name} (was {encoding})")
            staged.names.append(name)
    except BaseException:
        staged.cleanup()
        raise
    return staged


def _unique(name: str, used: set[str]) -> str:
    suffix = suffix_of(name)
    stem = name[: -len(suffix)] if suffix else name
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{stem}-{n}{suffix}"
        n += 1
    used.add(candidate.lower())
    return candidate


def add_uploaded_files(qa: Assistant, paths: list[str], progress: Callable[..., Any]) -> str:
    """Check, stage and index uploaded files into ``qa``'s index; a summary in Markdown.

    ``progress(fraction, desc=...)`` is told what is happening (Gradio's ``gr.Progress``).
    """
    if not paths:
        return "No files were given."
    try:
        staged = stage(paths, tick=lambda name: progress(0.0, desc=f"Checking {name}"))
    except UploadRefused as exc:
        return f"**Nothing was added.** {escape_markdown(str(exc))}"
    try:
        lines = list(staged.refused)
        if not staged.names:
            return "**Nothing was added.**\n\n" + bullet_list(lines)
        progress(0.05, desc=f"Indexing {len(staged.names)} file{'s' if len(staged.names) != 1 else ''}…")
        try:
            update, report = qa.add([staged.folder], progress=True)
        except StatementsError as exc:
            return f"**Nothing was added.** {escape_markdown(staged.display_path(str(exc)))}"
        lines += [staged.display_path(str(p)).removeprefix("skipped ") for p in report.problems]
        head = (
            f"**Added {update.added}, updated {update.updated}, unchanged {update.unchanged}** "
            f"(from {len(staged.names)} file{'s' if len(staged.names) != 1 else ''}). "
            f"The index now holds {update.statements:,} statements."
        )
        if update.added or update.updated:
            head += " You can ask about them now."
        if report.duplicates:
            n = len(report.duplicates)
            head += f" {n} exact duplicate{'s' if n != 1 else ''} indexed once."
        if staged.converted:
            head += "\n\nNot UTF-8, read in the encoding found:\n\n" + bullet_list(staged.converted)
        if lines:
            head += f"\n\nSkipped {len(lines)}:\n\n" + bullet_list(lines)
        return head
    finally:
        staged.cleanup()
