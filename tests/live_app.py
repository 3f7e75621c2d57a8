"""What the tests of the running app share: the sample's attribution, a fictional upload, a live
server on a loopback port (``live_server``), and the headless Chromium settings (Debian's chromium
driven by playwright)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ui.live_server import LiveServer, LiveServerError, start_live_server

SAMPLE_SOURCE = "Ministry of Foreign Affairs of the Russian Federation"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 30_000  # for any one browser step

UPLOADED_STATEMENT = """---
title: Remarks on the Lindqvist lighthouse
speaker: Ines Calder
source: Harbour Authority of Lindqvist
date: 2021-04-09
---
Harbour master Ines Calder said that the Lindqvist lighthouse will be rebuilt in granite by next autumn.
She added that the old copper lantern will go to the town museum.
"""


@contextmanager
def live_server(index_dir: Path, **kwargs: Any) -> Iterator[LiveServer]:
    """``ui.live_server.start_live_server(index_dir, **kwargs)``, stopped on leaving; a server that does
    not start fails the test with its log's tail."""
    try:
        server = start_live_server(index_dir, **kwargs)
    except LiveServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server


@contextmanager
def opened_page(browser: Any, url: str, **context_options: Any) -> Iterator[Any]:
    """A page of the chat at ``url`` in a fresh 1280×900 browser context, ready for a question; closed after."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.locator("#sqa-question textarea, #sqa-question input").first.wait_for()
        yield page
    finally:
        context.close()
