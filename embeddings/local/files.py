"""The index directory's files: their names, the manifest file, generation folders and checksums.

An index directory holds ``manifest.json`` and one folder per generation (``gen-000042/``) with the
files below; the reader (``embeddings.local.index``) and the writer (``embeddings.local.writer``) both
take the names from here.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from corpus.problems import StatementsError
from embeddings.backend.manifest import FORMAT_VERSION, Manifest
from embeddings.local.atomic import write_bytes_atomic

MANIFEST_NAME = "manifest.json"
STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.npy"
CHUNK_IDS_FILE = "chunk_ids.npy"
FAISS_FILE = "dense.faiss"
BM25_FOLDER = "bm25"
# Optional (mean-pooling models): one float16 row per sentence of every chunk, and for chunk row i
# the range sentence_rows[i]:sentence_rows[i + 1] of its sentences' rows (in Chunk.sentences order).
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"
SENTENCE_ROWS_FILE = "sentence_rows.npy"
LOCK_FILE = ".write.lock"


def rebuild_hint(index_dir: Path) -> str:
    """The command that repairs an index directory."""
    return f"rebuild it with `statements-qa index PATH... --index-dir {index_dir} --rebuild`"


def generation_folder(generation: int) -> str:
    """Folder name of one generation of index files."""
    return f"gen-{generation:06d}"


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Atomically replace the directory's manifest with this one."""
    data = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
    write_bytes_atomic(Path(index_dir) / MANIFEST_NAME, data)


def read_manifest(index_dir: Path) -> Manifest | None:
    """The directory's manifest, or None if there is no index there yet."""
    path = Path(index_dir) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            raise StatementsError(
                f"index {index_dir} has format version {data.get('format_version')}, this version reads "
                f"{FORMAT_VERSION}: rebuild it with `statements-qa index PATH... --index-dir {index_dir} --rebuild`"
            )
        manifest = Manifest(**data)
        if not (isinstance(manifest.generation, int) and isinstance(manifest.model, str)
                and isinstance(manifest.checksums, dict) and isinstance(manifest.chunker, dict)
                and isinstance(manifest.attributions, bool) and isinstance(manifest.context_fields, list)):
            raise ValueError("a field has the wrong type")
        return manifest
    except (ValueError, TypeError) as exc:
        raise StatementsError(
            f"index {index_dir}: {MANIFEST_NAME} is damaged ({exc}); rebuild it with "
            f"`statements-qa index PATH... --index-dir {index_dir} --rebuild`"
        ) from None


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def folder_checksums(folder: Path) -> dict[str, str]:
    """Checksums of every file below ``folder``, keyed by relative path."""
    return {
        str(p.relative_to(folder)): file_checksum(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def verify_generation(folder: Path, manifest: Manifest, index_dir: Path) -> None:
    """Raise ``StatementsError`` (with the repair command) unless every file matches the manifest."""
    if not folder.is_dir():
        raise StatementsError(f"index {index_dir} is missing {folder.name}/; {rebuild_hint(index_dir)}")
    actual = folder_checksums(folder)
    for name, expected in manifest.checksums.items():
        if name not in actual:
            raise StatementsError(f"index {index_dir} is missing {folder.name}/{name}; {rebuild_hint(index_dir)}")
        if actual[name] != expected:
            raise StatementsError(
                f"index {index_dir} is damaged: {folder.name}/{name} does not match its checksum; "
                f"{rebuild_hint(index_dir)}"
            )
