"""One writer at a time per index directory (an advisory file lock)."""
from __future__ import annotations

import contextlib
import fcntl
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from corpus.problems import StatementsError
from embeddings.local.files import LOCK_FILE


@contextlib.contextmanager
def write_lock(index_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the directory's write lock; wait up to ``timeout`` seconds for another writer."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as fh:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StatementsError(
                        f"another update of {index_dir} is running; try again when it has finished"
                    ) from None
                if not told:
                    print(f"waiting for another update of {index_dir} to finish…", file=sys.stderr)
                    told = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
