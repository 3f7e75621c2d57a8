"""Progress bars for long work: counts, rate and time left, on stderr when it is a terminal."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm

DELAY_SECONDS = 2.0  # a bar appears only once the work has taken this long


@contextlib.contextmanager
def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True) -> Iterator[tqdm[Any]]:
    """A tqdm bar, shown only for long work on a terminal.

    Nothing is drawn when ``enabled`` is false, there is nothing to do, stderr is not a terminal (a
    pipe, a log file, a test) or the work ends within ``DELAY_SECONDS``. The bar still counts, so a
    caller that tracks tqdm (Gradio's ``gr.Progress(track_tqdm=True)``) sees the progress.
    """
    bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=not enabled or total == 0 or not sys.stderr.isatty(),
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
        delay=DELAY_SECONDS,
    )
    try:
        yield bar
    finally:
        bar.close()
