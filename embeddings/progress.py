"""Progress bars for long work: counts, rate and time left, on stderr."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm


@contextlib.contextmanager
def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True) -> Iterator[tqdm[Any]]:
    """A tqdm bar (disabled when ``enabled`` is false or there is nothing to do)."""
    bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=not enabled or total == 0,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    try:
        yield bar
    finally:
        bar.close()
