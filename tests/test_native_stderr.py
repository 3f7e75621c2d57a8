"""What native code writes to file descriptor 2 while Ray runs goes to a log; Python's stderr stays on screen."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = """
import os, sys
from pathlib import Path
from embeddings.milvus.native_stderr import native_stderr_to
print("before", file=sys.stderr, flush=True)
with native_stderr_to(Path(sys.argv[1])):
    os.write(2, b"[E core_worker.cc] a note from native code\\n")
    print("progress: 1/2 statements", file=sys.stderr, flush=True)
os.write(2, b"after\\n")
"""


def test_native_notes_go_to_the_log_and_python_lines_to_stderr(tmp_path: Path) -> None:
    log = tmp_path / "native.log"
    project = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(log)], cwd=project, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["before", "progress: 1/2 statements", "after"]
    assert log.read_text() == "[E core_worker.cc] a note from native code\n"
