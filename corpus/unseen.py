"""Importing a library while telling it an optional dependency it would load is not there."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def unseen(module: str) -> Iterator[None]:
    """While the block runs, ``import module`` raises ImportError, unless this process has already loaded it; a
    later import works as usual. For libraries that load a heavy optional dependency they do not need here."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]  # "import module" raises ImportError meanwhile
    try:
        yield
    finally:
        if sys.modules.get(module, 0) is None:
            del sys.modules[module]
