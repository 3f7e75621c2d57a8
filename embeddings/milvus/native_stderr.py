"""Notes that native code (Ray's C++ core) writes straight to the process's stderr, kept out of the terminal.

Ray's core worker writes lines such as "Actor … has constructor arguments in the object store" to file
descriptor 2, below Python, where no logging setting reaches them; they concern Ray's own actor pool and
ask nothing of the user. ``native_stderr_to`` points descriptor 2 at a log file while Ray runs, and keeps
Python's ``sys.stderr`` (progress lines, our one-line errors) on the terminal or log it was on.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def native_log_path() -> Path:
    """Where Ray's native notes go: ``statements-qa-ray.log`` in the system's temporary folder."""
    return Path(tempfile.gettempdir()) / "statements-qa-ray.log"


@contextlib.contextmanager
def native_stderr_to(path: Path) -> Iterator[None]:
    """While the block runs, what is written to file descriptor 2 by native code goes to ``path`` (appended);
    Python's ``sys.stderr`` writes where it wrote before. Processes started meanwhile keep writing to ``path``."""
    sys.stderr.flush()
    try:
        python_on_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # replaced by a capture (tests): fd 2 is not Python's
        python_on_fd2 = False
    saved = os.dup(2)
    before = sys.stderr
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)
        if python_on_fd2:
            sys.stderr = open(os.dup(saved), "w", encoding=before.encoding, errors=before.errors,  # noqa: SIM115
                              buffering=1)
        yield
    finally:
        if sys.stderr is not before:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = before
        os.dup2(saved, 2)
        os.close(saved)
