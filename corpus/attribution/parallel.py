"""``attribute_many`` on every core: this process takes one share of the texts, worker processes the others.

Parsing is one core's work per process (spaCy's small English pipeline runs on numpy alone), and indexing waits
for it before the encoder starts. A ``ParallelAttributor`` keeps ``workers`` processes for as long as it is open
(each loads the pipeline once, about two seconds), splits every call's texts into shares of about equal length, and
returns what ``attribute_many`` returns, in order. Each worker is a fresh interpreter running
``corpus.attribution.worker`` (requests and results pickled over its pipes): it inherits no torch or ONNX Runtime
thread pools, as a forked child would, and never re-runs the caller's script, as a ``multiprocessing`` spawn would.
A worker that dies leaves its share, and the rest of the work, to this process.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import IO, cast

from corpus.attribution.extraction import attribute_many
from corpus.attribution.model import Attribution

MIN_CHARACTERS = 20_000  # a call with less text than this runs here: a worker's round trip costs more
WORKERS_VARIABLE = "STATEMENTS_QA_ATTRIBUTION_WORKERS"  # worker processes (default: one per core beyond the first)


def default_workers() -> int:
    """``$STATEMENTS_QA_ATTRIBUTION_WORKERS``, else one worker per core beyond this process's."""
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured.isdigit():
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, cores - 1)


def shares(lengths: Sequence[int], parts: int) -> list[range]:
    """Contiguous ranges of the items, ``parts`` of them (fewer if there are fewer items), of about equal total
    length."""
    total = sum(lengths)
    out: list[range] = []
    start, running = 0, 0
    for i, length in enumerate(lengths):
        running += length
        if len(out) < parts - 1 and running >= total * (len(out) + 1) / parts and i + 1 < len(lengths):
            out.append(range(start, i + 1))
            start = i + 1
    out.append(range(start, len(lengths)))
    return [r for r in out if len(r)]


class ParallelAttributor:
    """``attribute_many`` shared with worker processes while open (a context manager)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> ParallelAttributor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (each ends when its input closes)."""
        for process in self._processes:
            if process.stdin is not None:
                try:
                    process.stdin.close()
                except OSError:  # it died: nothing to tell it
                    pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stdout is not None:
                process.stdout.close()
        self._processes = []

    def _start(self) -> None:
        """Start the workers, with this process's import path and environment."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))}
        self._processes = [
            subprocess.Popen([sys.executable, "-m", "corpus.attribution.worker"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env)
            for _ in range(self.workers)
        ]

    def attribute_many(
        self, texts: Sequence[str], speakers: Sequence[str | None], owners: Sequence[str | None] | None = None
    ) -> list[list[Attribution]]:
        """What ``corpus.attribution.attribute_many`` returns for these texts, the work shared with the workers."""
        owner_of = list(owners) if owners is not None else [None] * len(texts)
        if self.workers == 0 or sum(len(t) for t in texts) < MIN_CHARACTERS:
            return attribute_many(texts, speakers, owners=owner_of)
        if not self._processes:
            self._start()
        parts = shares([len(t) for t in texts], self.workers + 1)
        sent: list[tuple[range, subprocess.Popen[bytes] | None]] = []
        for part, process in zip(parts[1:], self._processes):
            request = ([texts[i] for i in part], [speakers[i] for i in part], [owner_of[i] for i in part])
            try:
                pickle.dump(request, cast(IO[bytes], process.stdin), protocol=pickle.HIGHEST_PROTOCOL)
                cast(IO[bytes], process.stdin).flush()
                sent.append((part, process))
            except OSError:  # the worker is gone
                sent.append((part, None))
        first = parts[0]
        out = attribute_many([texts[i] for i in first], [speakers[i] for i in first],
                             owners=[owner_of[i] for i in first])
        for part, worker in sent:
            result = self._result(worker) if worker is not None else None
            if result is None:  # the worker died (killed, out of memory): its share is done here
                self.close()
                self.workers = 0
                result = attribute_many([texts[i] for i in part], [speakers[i] for i in part],
                                        owners=[owner_of[i] for i in part])
            out += result
        return out

    def _result(self, process: subprocess.Popen[bytes]) -> list[list[Attribution]] | None:
        """A worker's result, or None when it died (then no worker is used again)."""
        try:
            result: list[list[Attribution]] = pickle.load(cast(IO[bytes], process.stdout))
            return result
        except (EOFError, OSError, pickle.UnpicklingError):
            return None
