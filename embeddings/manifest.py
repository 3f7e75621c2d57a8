"""The manifest: what an index directory holds, which generation is current, file checksums."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.problems import StatementsError
from embeddings.atomic import write_bytes_atomic

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """Format version, model, chunker settings, counts and checksums of the current generation."""

    generation: int
    model: str
    dimension: int
    chunker: dict[str, Any]
    statements: int
    chunks: int
    approximate: bool
    checksums: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    attributions: bool = False  # who said each sentence (corpus.attribution); indexes before it have none

    @property
    def folder_name(self) -> str:
        """The generation folder inside the index directory."""
        return generation_folder(self.generation)

    def write(self, index_dir: Path) -> None:
        """Atomically replace the directory's manifest with this one."""
        data = json.dumps(asdict(self), indent=2, sort_keys=True).encode()
        write_bytes_atomic(Path(index_dir) / MANIFEST_NAME, data)

    @classmethod
    def read(cls, index_dir: Path) -> Manifest | None:
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
            manifest = cls(**data)
            if not (isinstance(manifest.generation, int) and isinstance(manifest.model, str)
                    and isinstance(manifest.checksums, dict) and isinstance(manifest.chunker, dict)
                    and isinstance(manifest.attributions, bool)):
                raise ValueError("a field has the wrong type")
            return manifest
        except (ValueError, TypeError) as exc:
            raise StatementsError(
                f"index {index_dir}: {MANIFEST_NAME} is damaged ({exc}); rebuild it with "
                f"`statements-qa index PATH... --index-dir {index_dir} --rebuild`"
            ) from None


def generation_folder(generation: int) -> str:
    """Folder name of one generation of index files."""
    return f"gen-{generation:06d}"


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
