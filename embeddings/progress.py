"""Progress of long work: a bar on a terminal, a line now and then in a log, on stderr."""
from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm

from corpus.problems import StatementsError

DELAY_SECONDS = 2.0  # a bar appears only once the work has taken this long
LOG_EVERY_ENV = "STATEMENTS_QA_LOG_EVERY"  # seconds between progress lines when stderr is not a terminal
DEFAULT_LOG_EVERY = 60.0


def log_every() -> float:
    """Seconds between two progress lines in a log (``$STATEMENTS_QA_LOG_EVERY``, default 60; 0 for none)."""
    value = os.environ.get(LOG_EVERY_ENV, "").strip()
    if not value:
        return DEFAULT_LOG_EVERY
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # also refuses nan
        raise StatementsError(f"{LOG_EVERY_ENV}={value}: expected a number of seconds (0 for no progress lines)")
    return seconds


def duration(seconds: float) -> str:
    """``3m10s``, ``1h02m``, ``45s``: a duration as a progress line says it."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def progress_line(desc: str, done: int, total: int | None, unit: str, elapsed: float) -> str:
    """One line of progress for a log: ``indexing: 1,200/5,000 statements, 3m10s elapsed``."""
    units = unit if (total if total is not None else done) == 1 else f"{unit}s"
    count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
    return f"{desc}: {count} {units}, {duration(elapsed)} elapsed"


class LogLines(tqdm):  # type: ignore[type-arg]
    """A tqdm that draws nothing and writes a progress line to stderr at most every ``every`` seconds.

    The first line comes only once the work has taken ``every`` seconds, so short work writes nothing;
    work that wrote a line writes a last one when it ends (``, done``), unless the line before showed the end.
    """

    def __init__(self, total: int | None, desc: str, unit: str, every: float) -> None:
        super().__init__(total=total, desc=desc, unit=unit, disable=True)
        self.every = every
        self.label = desc  # a disabled tqdm keeps neither its desc nor its unit
        self.unit_name = unit
        self.expected = total
        self.count = 0
        self.started = time.monotonic()
        self.last_line = self.started
        self.lines = 0
        self.written = 0  # the count the last line showed

    def update(self, n: float | None = 1) -> bool | None:
        """Count ``n`` more units done; write a line when ``every`` seconds have passed since the last."""
        super().update(n)  # nothing drawn, but whoever tracks tqdm (Gradio) sees the call
        self.count += int(n or 0)
        now = time.monotonic()
        if now - self.last_line >= self.every:
            self._write(now)
        return None

    def close(self) -> None:
        """End the work: a last line if any was written before, and the count has moved since."""
        if self.lines and self.count != self.written:
            self._write(time.monotonic(), done=True)
        super().close()

    def _write(self, now: float, done: bool = False) -> None:
        line = progress_line(self.label, self.count, self.expected, self.unit_name, now - self.started)
        print(line + (", done" if done else ""), file=sys.stderr, flush=True)
        self.last_line = now
        self.lines += 1
        self.written = self.count


@contextlib.contextmanager
def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True) -> Iterator[tqdm[Any]]:
    """A tqdm bar for long work on a terminal, or progress lines when stderr is a log.

    On a terminal the bar appears once the work has taken ``DELAY_SECONDS``. When stderr is not a
    terminal (a pipe, a log file, a test), a line such as ``embedding: 1,200/5,000 chunks, 3m10s
    elapsed`` is written at most every ``$STATEMENTS_QA_LOG_EVERY`` seconds (default 60; 0: none),
    the first once the work has taken that long. Nothing at all when ``enabled`` is false or there is
    nothing to do. Either way the bar counts, so a caller that tracks tqdm (Gradio's
    ``gr.Progress(track_tqdm=True)``) sees the progress.
    """
    bar: tqdm[Any]
    terminal = sys.stderr.isatty()
    every = 0.0 if terminal or not enabled or total == 0 else log_every()
    if every > 0:
        bar = LogLines(total, desc, unit, every)
    else:
        bar = tqdm(
            total=total,
            desc=desc,
            unit=unit,
            disable=not enabled or total == 0 or not terminal,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.1,
            delay=DELAY_SECONDS,
        )
    try:
        yield bar
    finally:
        bar.close()
