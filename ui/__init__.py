"""User interfaces over ``assistant.Assistant``: the command line (``ui.cli``) and the web chat.

``build_app(assistant)`` makes the Gradio app (``ui.page``), ``serve(...)`` runs it (``ui.server``).
Gradio is imported only when the web chat is used, so the command line starts fast.
"""
from __future__ import annotations

import importlib
from typing import Any

import embeddings.environment  # noqa: F401  (first: process settings before torch, faiss or gradio load)

__all__ = ["build_app", "serve"]
_HOMES = {"build_app": "ui.page", "serve": "ui.server"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
