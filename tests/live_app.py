"""What the tests of the running app share: the sample's attribution, a fictional upload, a free
loopback port, and the headless Chromium settings (Debian's chromium driven by playwright)."""
from __future__ import annotations

import socket

SAMPLE_SOURCE = "Ministry of Foreign Affairs of the Russian Federation"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
