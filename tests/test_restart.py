"""A Ray ingestion into Milvus Lite killed half-way, then run again, indexes every statement exactly once.

The run is a real ``statements-qa index --milvus-uri --ray`` process on a terminal (so that it draws its
progress bar); it is killed with SIGKILL, with its whole process group, once the bar shows that some
statements, but not all, are written.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

STATEMENTS = 240  # 15 batches of 16
WRITTEN = re.compile(rb"indexing \(ray\): (\d+)")
TOWNS = ["Kessmouth", "Pelgrin", "Castelmar", "Orvane", "Tullby", "Marrowgate"]
TOPICS = ["harbour fees", "ferry timetables", "grain tariffs", "sea walls", "fishing quotas", "rail links"]


def _corpus(folder: Path) -> Path:
    """Fictional statements, one file each, long enough that each makes one or two chunks."""
    folder.mkdir()
    for i in range(STATEMENTS):
        town, topic = TOWNS[i % len(TOWNS)], TOPICS[(i // len(TOWNS)) % len(TOPICS)]
        body = " ".join(
            f"Mayor Ansel Rook of {town} said on day {i} that {topic} must be reviewed by clause {i * 7 + k}."
            for k in range(6)
        )
        (folder / f"rook-{i:03d}.md").write_text(
            f"---\ntitle: Note {i}\nspeaker: Ansel Rook\nsource: Council of {town}\ndate: 2021-01-{i % 28 + 1:02d}\n"
            f"---\n{body}\n",
            encoding="utf-8",
        )
    return folder


def _index_command(corpus: Path, db: Path) -> list[str]:
    return [
        sys.executable, "-m", "ui.cli", "index", str(corpus), "--milvus-uri", str(db), "--ray", "--ray-workers", "1",
    ]


def _run_until_some_written(command: list[str], cwd: Path, timeout: float = 600.0) -> int:
    """Start ``command`` on a pseudo-terminal; SIGKILL its process group once it reports some statements
    written but not all. Returns how many it had reported."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # a terminal with columns
    proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    written = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
                counts = [int(n) for n in WRITTEN.findall(seen)]
                if counts and 0 < counts[-1] < STATEMENTS:
                    written = counts[-1]
                    break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        os.close(master)
    assert written, f"the run ended or stalled before reporting progress: {seen[-2000:]!r}"
    return written


def test_killed_ray_ingestion_resumes_without_duplicates(tmp_path: Path) -> None:
    """After a kill mid-way and a second run, every statement is indexed once, with all its chunks once."""
    from assistant.api import Assistant, index_statements

    corpus = _corpus(tmp_path / "corpus")
    db = tmp_path / "statements.db"
    project = Path(__file__).resolve().parents[1]
    written = _run_until_some_written(_index_command(corpus, db), project)
    time.sleep(2)  # the killed Ray processes release the file lock

    second = subprocess.run(_index_command(corpus, db), cwd=project, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "core_worker" not in second.stderr and "object store" not in second.stderr  # Ray's notes: in its log
    added = int(re.search(r"added (\d+)", second.stdout).group(1))  # type: ignore[union-attr]
    unchanged = int(re.search(r"unchanged (\d+)", second.stdout).group(1))  # type: ignore[union-attr]
    assert added + unchanged == STATEMENTS
    assert added > 0, "the first run was killed after it had written everything: nothing was resumed"
    assert unchanged >= written  # what the first run reported written was kept, not redone

    index_statements([corpus], tmp_path / "reference", progress=False)  # the single-process local index
    with Assistant.open(tmp_path / "reference") as reference, Assistant.open(milvus_uri=str(db)) as qa:
        stats = qa.stats()
        assert stats.statements == STATEMENTS
        assert stats.chunks == reference.stats().chunks
        ids = [h.id for h in qa.statement_headers()]
        assert sorted(ids) == sorted(h.id for h in reference.statement_headers())
        store = qa.index.store
        for statement_id in ids:
            positions = Counter(chunk.index for _, chunk in store.chunks_of(statement_id))
            expected = [chunk.index for _, chunk in reference.index.store.chunks_of(statement_id)]
            assert sorted(positions.elements()) == expected, statement_id  # each chunk once
        answer = qa.ask("What did Ansel Rook say about grain tariffs?")
        assert answer.quotes and "grain tariffs" in answer.quotes[0].text
