"""The index a command uses when given none: a fresh copy of the bundled sample's, for this run only.

``serve`` and ``chat`` both use it; it imports neither Gradio nor the chat page.
"""
from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from assistant.api import Assistant
from assistant.settings import ExtractionSettings
from corpus.load import PathArg

DEFAULT_SAMPLE_INDEX = ".statements-qa/sample-index"  # the sample indexed once; each run uses a copy
SERVE_NOTE = (
    "Serving the bundled sample. Files added in the chat last for this run only: restarting starts clean "
    "(to keep them, index into a folder of your own and serve it with --index-dir DIR)."
)


def open_assistant(
    index_dir: PathArg | None,
    milvus_uri: str | None = None,
    milvus_token_env: str | None = None,
    extraction: ExtractionSettings = ExtractionSettings(),
    note: str = SERVE_NOTE,
    out: TextIO | None = None,
) -> Assistant:
    """The index at ``index_dir`` or in Milvus at ``milvus_uri``; with neither, a fresh copy of the bundled
    sample's index for this run only, after printing ``note`` (to ``out``, default stdout)."""
    if index_dir is not None or milvus_uri:
        return Assistant.open(index_dir, milvus_uri=milvus_uri, milvus_token_env=milvus_token_env,
                              extraction=extraction)
    out = out or sys.stdout
    sample = sample_index(Path(DEFAULT_SAMPLE_INDEX), out)
    run = Path(tempfile.mkdtemp(prefix="statements-qa-demo-"))  # the system temp dir: cleaned even after a kill
    atexit.register(shutil.rmtree, run, True)
    shutil.copytree(sample, run / "index")
    print(note, file=out, flush=True)
    return Assistant.open(run / "index", extraction=extraction)


def sample_index(folder: Path, out: TextIO | None = None) -> Path:
    """``folder`` holding an index of exactly the bundled sample, built (or rebuilt) when it does not."""
    from corpus.load import bundled_sample_path, load_statements

    print(f"Indexing the bundled sample into {folder} (only the first time takes long)…", file=out or sys.stdout,
          flush=True)
    expected = {st.id for st in load_statements([bundled_sample_path()])[0]}
    with Assistant.build([bundled_sample_path()], folder, progress=True) as qa:
        ours = qa.stats().attributions and {h.id for h in qa.statement_headers()} == expected
    if not ours:  # made by an earlier version, or holding files uploaded into it then: rebuild
        Assistant.build([bundled_sample_path()], folder, progress=True, rebuild=True).close()
    return folder
