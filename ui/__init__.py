"""The web chat: ``build_app(assistant)`` makes the Gradio app, ``serve(...)`` runs it (see ui/app.py)."""
from __future__ import annotations

from typing import Any

__all__ = ["build_app", "serve"]


def __getattr__(name: str) -> Any:  # import Gradio only when the UI is used
    if name in __all__:
        from ui import app

        return getattr(app, name)
    raise AttributeError(name)
