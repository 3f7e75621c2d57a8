"""Shared fixtures: a fictional corpus, and real indexes of it and of the bundled sample.

Indexes are built once per test session with the real bundled encoder, FAISS and bm25s.
Speakers and organisations in the fictional corpus are invented.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import embeddings.environment  # noqa: F401  (first project import: process settings before torch/faiss/gradio)

FICTIONAL_STATEMENTS = {
    "voss-fisheries-2018.md": """---
title: Statement on northern fisheries
speaker: Elara Voss
source: Ministry of Foreign Affairs of Norvania
date: 2018-03-02
---
Foreign Minister Elara Voss opened the session on northern fisheries. \
She said that the fishing quotas agreed last year were too generous and must be cut by a fifth.
Norvania will propose a joint monitoring body for the Pelgrin Sea. \
The minister stressed that illegal trawling threatens the livelihoods of coastal towns.

On sea-level rise, she warned that the harbour of Kessmouth floods every spring.
""",
    "quill-fisheries-2019.md": """---
title: Remarks at the Estmark maritime forum
speaker: Tomas Quill
source: Government of Estmark
date: 2019-06-10
---
Tomas Quill told the forum that fishing quotas should be raised, not cut, because the cod stocks have recovered.
He argued that Estmark's fleet had respected every limit for ten years.
The forum also discussed harbour fees and the new ferry timetable.
""",
    "voss-climate-2016.md": """---
title: Address on coastal protection
speaker: Elara Voss
source: Ministry of Foreign Affairs of Norvania
date: 2016-09-21
---
Elara Voss said that sea-level rise is the gravest threat to the low islands of Norvania.
She called for a regional fund to rebuild sea walls before 2030.
""",
    "brannock-report.txt": """Valdoria Foreign Minister Ilya Brannock spoke to reporters in Castelmar on Tuesday.
Brannock accused the ambassador of Ostrava, Petra Grellin, of spreading false claims about the border talks. \
He contended that the talks had never been suspended.
Grellin had earlier described Valdoria's position as an obstacle to peace.
The minister added that Valdoria remains committed to the tariff agreement on grain exports.
(attribution: Valdoria News Agency)
""",
}


@pytest.fixture(scope="session")
def fictional_corpus(tmp_path_factory) -> Path:
    """A folder of fictional statements in several formats."""
    folder = tmp_path_factory.mktemp("fictional")
    for name, text in FICTIONAL_STATEMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    records = [
        {"id": "ostrava-1", "speaker": "Petra Grellin", "source": "Embassy of Ostrava", "date": "2020-01-15",
         "title": "Embassy note",
         "text": "Petra Grellin said that the embassy welcomes the resumption of the border talks."},
    ]
    (folder / "embassy.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def fictional_index(fictional_corpus, tmp_path_factory) -> Path:
    """A real index (encoder, FAISS, bm25s, SQLite) of the fictional corpus."""
    from assistant.api import index_statements

    index_dir = tmp_path_factory.mktemp("fictional_index") / "index"
    index_statements([fictional_corpus], index_dir, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """A real index of the bundled sample statement."""
    from assistant.api import index_statements
    from corpus.load import bundled_sample_path

    index_dir = tmp_path_factory.mktemp("sample_index") / "index"
    index_statements([bundled_sample_path()], index_dir, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def sample_assistant(sample_index):
    """An Assistant over the bundled sample."""
    from assistant.api import Assistant

    return Assistant.open(sample_index)


@pytest.fixture(scope="session")
def fictional_assistant(fictional_index):
    """An Assistant over the fictional corpus."""
    from assistant.api import Assistant

    return Assistant.open(fictional_index)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by playwright (skipped with a reason if not installed)."""
    from live_app import CHROMIUM, CHROMIUM_FLAGS

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"SKIPPED: Chromium not available at {CHROMIUM} (install Debian's chromium: make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()
