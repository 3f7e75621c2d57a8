"""Crash safety and consistency under concurrency of an index directory, all real.

What tests/test_index.py already covers (damaged files through the API, SIGKILL of an update at
three points, the lock timeout) is not repeated. Here:

- every file of a generation truncated (to half, and to nothing) is a clear error naming the file
  and the exact repair command, in a real ``statements-qa`` process too, and that command repairs it;
- a manifest write killed before its rename (a ``.manifest.json.tmp-*`` leftover) breaks nothing,
  and the next update removes the leftover;
- questions asked from threads and from a separate reader process while ``statements-qa index``
  writes a new generation see the old or the new index, never a mix;
- two ``statements-qa index`` processes on one directory: one waits for the other, both succeed,
  and the final index verifies and holds the union of both updates.

Speakers, organisations and places are fictional.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.api import Assistant, index_statements
from corpus.problems import StatementsError
from embeddings.local.files import MANIFEST_NAME, generation_folder, read_manifest
from embeddings.local.index import StatementIndex
from embeddings.local.lock import write_lock
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("statements-qa"))

BASE = {
    "arnholt-canal.md": """---
speaker: Signe Arnholt
source: Waterways Board of Tessaly
date: 2021-05-03
---
Signe Arnholt said that the canal locks at Grindmere will be rebuilt in stone before the spring floods.
She added that barges will use the northern channel while the locks are closed.
""",
    "dunmore-schools.md": """---
speaker: Piet Dunmore
source: Education Office of Lowick
date: 2022-01-17
---
Piet Dunmore announced that school meals in Lowick will be free for every pupil from September.
""",
    "vance-ferry.md": """---
speaker: Orla Vance
source: Harbour Trust of Skellig
date: 2020-08-30
---
Orla Vance said that the ferry to Skellig Isle will run twice a day through the winter.
""",
}
CHANGED_CANAL = BASE["arnholt-canal.md"].replace(
    "rebuilt in stone before the spring floods", "rebuilt in steel after the harvest"
)
NEW_FILES = {
    "quill-lighthouse.md": """---
speaker: Bram Quill
source: Coastguard of Corran
date: 2023-11-02
---
Bram Quill said that the lighthouse at Corran Head will be automated and its keepers moved to the harbour office.
""",
}
QUESTIONS = [
    "What did Signe Arnholt say about the canal locks at Grindmere?",  # changed by the update
    "What did Bram Quill say about the lighthouse at Corran Head?",  # added by the update
    "What did Orla Vance say about the ferry to Skellig Isle?",  # unchanged
    "What did Piet Dunmore say about school meals?",  # unchanged
]


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def generated_records(count: int, prefix: str, seed: int) -> str:
    """JSONL of fictional records, enough that embedding them takes the writer a few seconds."""
    rng = random.Random(seed)
    places = ["Harrowgate", "Quenby", "Lusk", "Tessin", "Corrick", "Varnholt", "Ostmark", "Dunmere"]
    things = ["toll bridge", "grain depot", "tram line", "flood barrier", "salt mine", "post road", "wind farm"]
    lines = []
    for i in range(count):
        place, thing = rng.choice(places), rng.choice(things)
        text = (f"Councillor {prefix.title()} {i} said that the {thing} at {place} needs {rng.randint(2, 90)} new "
                f"inspectors. The councillor added that the {rng.choice(things)} at {rng.choice(places)} will be "
                f"reviewed before the winter of {2030 + i % 9}.")
        lines.append(json.dumps({"id": f"{prefix}-{i:04d}", "source": f"Council of {place}", "text": text}) + "\n")
    return "".join(lines)


def child_env() -> dict:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Proc:
    """A real subprocess whose stdout and stderr are drained into buffers as it runs."""

    def __init__(self, argv: list[str]) -> None:
        self.started = time.time()
        self.ended: float | None = None
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out, self._err = bytearray(), bytearray()
        self._threads = [threading.Thread(target=self._drain, args=(s, b), daemon=True)
                         for s, b in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for t in self._threads:
            t.start()

    @staticmethod
    def _drain(stream, buffer: bytearray) -> None:
        while chunk := os.read(stream.fileno(), 65536):
            buffer.extend(chunk)

    @property
    def err(self) -> str:
        return bytes(self._err).decode(errors="replace")

    @property
    def out(self) -> str:
        return bytes(self._out).decode(errors="replace")

    def wait(self, timeout: float = 300) -> int:
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        for t in self._threads:
            t.join(10)
        self.ended = time.time()
        return code

    def wait_for(self, text: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.err:
            assert self.proc.poll() is None, f"exited before printing {text!r}: {self.err[-3000:]}"
            assert time.monotonic() < deadline, self.err[-3000:]
            time.sleep(0.05)


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def repair_command(index_dir: Path) -> str:
    return f"`statements-qa index PATH... --index-dir {index_dir} --rebuild`"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    """The base corpus and a real index of it (generation 1), built once."""
    folder = tmp_path_factory.mktemp("reliability")
    corpus = write_corpus(folder / "corpus", BASE)
    index_dir = folder / "index"
    index_statements([corpus], index_dir, progress=False)
    return corpus, index_dir


@pytest.fixture
def copy(base, tmp_path) -> tuple[Path, Path]:
    """A private copy of the base corpus and index."""
    corpus, index_dir = base
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index_dir, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


# --- damaged and truncated files ----------------------------------------------------------


def test_every_truncated_file_is_a_clear_error_with_the_repair_command(base, tmp_path, capsys):
    _, source = base
    manifest = read_manifest(source)
    names = sorted(manifest.checksums)
    assert {"store.sqlite", "vectors.npy", "chunk_ids.npy", "dense.faiss"} <= set(names)
    assert any(n.startswith("bm25/") for n in names)
    cases = [(name, cut) for name in names for cut in ("half", "empty")]
    cases += [(MANIFEST_NAME, "half"), (MANIFEST_NAME, "empty")]
    (tmp_path / "nothing-new").mkdir()  # an empty folder: a missing one is refused before the index is read
    for number, (name, cut) in enumerate(cases):
        index_dir = tmp_path / f"index-{number}"
        shutil.copytree(source, index_dir)
        folder = index_dir / generation_folder(manifest.generation)
        path = index_dir / name if name == MANIFEST_NAME else folder / name
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2 if cut == "half" else 0)

        with pytest.raises(StatementsError) as caught:
            StatementIndex.open(index_dir)
        message = str(caught.value)
        assert repair_command(index_dir) in message, (name, cut, message)
        assert name in message, (name, cut, message)  # it says which file
        for argv in (["ask", "What did Orla Vance say about the ferry?", "--index-dir", str(index_dir)],
                     ["index", str(tmp_path / "nothing-new"), "--index-dir", str(index_dir)]):
            capsys.readouterr()
            assert main(argv) == 2, (name, cut, argv)
            assert repair_command(index_dir) in one_error_line(capsys.readouterr().err), (name, cut, argv)


@pytest.mark.slow  # two CLI subprocesses that load the model (~6 s)
def test_the_cli_names_the_repair_command_and_the_command_repairs(copy):
    corpus, index_dir = copy
    faiss = index_dir / generation_folder(read_manifest(index_dir).generation) / "dense.faiss"
    with open(faiss, "r+b") as fh:
        fh.truncate(faiss.stat().st_size // 2)

    ask = Proc([CLI, "ask", "What did Orla Vance say about the ferry?", "--index-dir", str(index_dir)])
    assert ask.wait() == 2
    line = one_error_line(ask.err)
    assert ask.out == ""
    assert "dense.faiss does not match its checksum" in line and repair_command(index_dir) in line, line

    # The suggested command, with the corpus for PATH..., repairs the index.
    command = line[line.index("`") + 1 : line.rindex("`")].split()
    assert command[:3] == ["statements-qa", "index", "PATH..."]
    repair = Proc([CLI, "index", str(corpus), *command[3:]])
    assert repair.wait() == 0, repair.err[-3000:]
    assert "added 3" in repair.out and "Traceback" not in repair.err
    qa = Assistant.open(index_dir)
    answer = qa.ask(QUESTIONS[2])
    assert not answer.abstained and answer.quotes[0].statement_id == "vance-ferry"


def test_opening_without_verification_still_reports_an_empty_npy_file_clearly(base, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(base[1], index_dir)
    (index_dir / generation_folder(read_manifest(index_dir).generation) / "chunk_ids.npy").write_bytes(b"")
    with pytest.raises(StatementsError):
        StatementIndex.open(index_dir, verify=False)


# --- a manifest write killed before its rename -------------------------------------------------

KILLED_MANIFEST_WRITE = """
import os, signal, sys
from pathlib import Path
from embeddings.local.atomic import atomic_path
from embeddings.local.files import MANIFEST_NAME

target = Path(sys.argv[1]) / MANIFEST_NAME
data = target.read_bytes().replace(b'"generation": 1', b'"generation": 7')
with atomic_path(target) as tmp:  # what write_manifest does, killed between write and rename
    tmp.write_bytes(data[: len(data) // 2])
    os.kill(os.getpid(), signal.SIGKILL)
"""


def snapshot(qa: Assistant) -> list:
    return [[(p.statement_id, p.chunk_id, p.start, p.end) for p in qa.retrieve(q, k=4)] for q in QUESTIONS]


def test_a_killed_manifest_write_leaves_a_leftover_that_breaks_nothing(copy, capsys):
    corpus, index_dir = copy
    manifest_before = (index_dir / MANIFEST_NAME).read_bytes()
    before = snapshot(Assistant.open(index_dir))
    for _ in range(2):  # two crashed writers, two leftovers
        child = Proc([sys.executable, "-c", KILLED_MANIFEST_WRITE, str(index_dir)])
        assert child.wait(60) == -signal.SIGKILL, child.err
    leftovers = sorted(p.name for p in index_dir.glob(f".{MANIFEST_NAME}.tmp-*"))
    assert len(leftovers) == 2, sorted(p.name for p in index_dir.iterdir())

    assert (index_dir / MANIFEST_NAME).read_bytes() == manifest_before
    reader = Assistant.open(index_dir)
    assert reader.index.manifest.generation == 1 and snapshot(reader) == before
    assert main(["ask", QUESTIONS[2], "--index-dir", str(index_dir)]) == 0
    assert "Skellig" in capsys.readouterr().out

    # The next update works and clears the leftovers (embeddings/local/writer.py _prune_generations).
    write_corpus(corpus, NEW_FILES)
    report, _ = index_statements([corpus], index_dir, progress=False)
    assert (report.added, report.generation) == (1, 2)
    assert list(index_dir.glob(f".{MANIFEST_NAME}.tmp-*")) == []
    assert reader.refresh() is True
    assert reader.ask(QUESTIONS[1]).quotes[0].statement_id == "quill-lighthouse"


# --- readers while an update is written ---------------------------------------------------


def answer_key(answer) -> list:
    """What must not differ between two askings of one index generation (scores left out)."""
    def quotes(qs):
        return [[q.statement_id, q.start, q.end, q.text] for q in qs]

    return [answer.abstained, answer.message, quotes(answer.quotes), quotes(answer.closest)]


def reading_key(qa: Assistant, question: str) -> list:
    passages = qa.retrieve(question, k=5)
    return [[p.statement_id, p.chunk_id, p.start, p.end, p.text] for p in passages]


READER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from test_reliability import QUESTIONS, answer_key, reading_key
from assistant.api import Assistant

index_dir, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
qa = Assistant.open(index_dir)
rounds_after_stop = 0
with open(out, "w") as fh:
    while rounds_after_stop < 1:
        if stop.exists():
            rounds_after_stop += 1
        for number, question in enumerate(QUESTIONS):
            qa.refresh()
            index = qa.index  # this reader is the only user of qa: the generation cannot change under it
            record = {"t": time.time(), "gen": index.manifest.generation, "q": number,
                      "answer": answer_key(qa.ask(question)), "passages": reading_key(qa, question)}
            fh.write(json.dumps(record) + "\\n")
            fh.flush()
            time.sleep(0.01)
"""


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def wait_until(predicate, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_readers_see_the_old_or_the_new_index_never_a_mix(copy, tmp_path):
    corpus, index_dir = copy
    old_qa = Assistant.open(index_dir)
    old = {i: (answer_key(old_qa.ask(q)), reading_key(old_qa, q)) for i, q in enumerate(QUESTIONS)}
    (corpus / "arnholt-canal.md").write_text(CHANGED_CANAL, encoding="utf-8")
    write_corpus(corpus, NEW_FILES)
    (corpus / "generated.jsonl").write_text(generated_records(100, "writer", seed=3), encoding="utf-8")

    # Readers: two threads sharing one Assistant, and a separate process with its own.
    shared = Assistant.open(index_dir)
    seen: list[tuple[float, int, list, list]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_in_thread(offset: int) -> None:
        rounds_after_stop = 0
        try:
            while rounds_after_stop < 1:
                if stop.is_set():
                    rounds_after_stop += 1
                for number in range(len(QUESTIONS)):
                    number = (number + offset) % len(QUESTIONS)
                    shared.refresh()
                    answer = answer_key(shared.ask(QUESTIONS[number]))
                    seen.append((time.time(), number, answer, reading_key(shared, QUESTIONS[number])))
                    time.sleep(0.01)  # leave the writer some CPU
        except BaseException as exc:  # reported below
            errors.append(exc)

    stop_file, reader_out = tmp_path / "stop", tmp_path / "reader.jsonl"
    reader = Proc([sys.executable, "-c", READER, str(index_dir), str(stop_file), str(reader_out), str(ROOT / "tests")])
    threads = [threading.Thread(target=read_in_thread, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    wait_until(lambda: len(read_records(reader_out)) >= len(QUESTIONS), "the reader process to answer the old index")

    writer = Proc([CLI, "index", str(corpus), "--index-dir", str(index_dir)])
    assert writer.wait() == 0, writer.err[-3000:]
    assert "added 101, updated 1" in writer.out

    new_qa = Assistant.open(index_dir)
    assert new_qa.index.manifest.generation == 2
    new = {i: (answer_key(new_qa.ask(q)), reading_key(new_qa, q)) for i, q in enumerate(QUESTIONS)}
    assert old[0] != new[0] and old[1] != new[1]  # the update changes what these questions get
    for i in range(len(QUESTIONS)):  # no passage dropped for a statement missing from its generation
        assert len(old[i][1]) == min(5, old_qa.index.manifest.chunks) and len(new[i][1]) == 5
    wait_until(lambda: any(r["gen"] == 2 for r in read_records(reader_out)), "the reader process to see the update")
    stop.set()
    stop_file.touch()
    for t in threads:
        t.join(120)
    assert reader.wait(120) == 0, reader.err[-3000:]
    assert errors == [] and "Traceback" not in reader.err, (errors, reader.err[-3000:])

    # The threads share one Assistant, refreshed between questions by either thread, so its answer
    # and its passages may come from different generations; each is wholly the old or the new.
    assert seen
    for _, number, answer, passages in seen:
        assert answer in (old[number][0], new[number][0]), QUESTIONS[number]
        assert passages in (old[number][1], new[number][1]), QUESTIONS[number]
    views = {answer == new[0][0] for _, number, answer, _ in seen if number == 0}
    assert views == {False, True}  # both generations were read
    # The reader process: each answer is exactly that of the generation it was asked of.
    records = read_records(reader_out)
    assert {r["gen"] for r in records} == {1, 2}
    expected = {1: old, 2: new}
    for record in records:
        want = expected[record["gen"]][record["q"]]
        assert [record["answer"], record["passages"]] == json.loads(json.dumps(list(want))), record
    during = [r for r in records if writer.started <= r["t"] <= writer.ended]
    during += [s for s in seen if writer.started <= s[0] <= writer.ended]
    assert len(during) >= 4, "the readers kept asking while the update was written"
    print(f"\nreaders: {len(seen)} answers in threads, {len(records)} in the reader process, "
          f"{len(during)} of them while the writer ran ({writer.ended - writer.started:.1f} s)")


# --- two writers --------------------------------------------------------------------------


@pytest.mark.slow
def test_two_update_processes_one_waits_and_the_index_holds_both(copy, tmp_path):
    corpus, index_dir = copy
    first = write_corpus(tmp_path / "first", {
        "pell-bridge.md": "---\nspeaker: Oona Pell\n---\nOona Pell said the rope bridge at Fenwick will be replaced.\n",
        "first.jsonl": generated_records(40, "first", seed=1)})
    second = write_corpus(tmp_path / "second", {
        "kade-orchards.md": (
            "---\nspeaker: Lars Kade\n---\nLars Kade said the orchards of Amberlee need new frost fans.\n"
        ),
        "second.jsonl": generated_records(40, "second", seed=2)})
    waiting = f"waiting for another update of {index_dir} to finish"
    # A reader keeps asking while both writers run: the generation it opened first is pruned
    # under it (two generations are kept), and it goes on answering from whatever it holds.
    done, problems, generations = threading.Event(), [], set()

    def read() -> None:
        qa = Assistant.open(index_dir)
        try:
            while not done.is_set():
                for question in QUESTIONS + ["What did Oona Pell say about the rope bridge?"]:
                    qa.refresh()
                    index = qa.index  # only this thread uses qa
                    generations.add(index.manifest.generation)
                    answer = qa.ask(question)
                    for quote in answer.quotes + answer.closest:
                        statement = index.store.statements([quote.statement_id])[quote.statement_id]
                        assert statement.text[quote.start : quote.end] == quote.text
                    assert len(qa.retrieve(question, k=3)) == 3
                    time.sleep(0.02)
        except BaseException as exc:  # reported below
            problems.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with write_lock(index_dir, timeout=10):  # held here until both writers are queued behind it
            writers = [Proc([CLI, "index", str(folder), "--index-dir", str(index_dir)]) for folder in (first, second)]
            for writer in writers:
                writer.wait_for(waiting)
        codes = [writer.wait() for writer in writers]
        time.sleep(1)
    finally:
        done.set()
        reader.join(60)
    assert problems == [], problems
    assert 1 in generations and 3 in generations, generations

    assert codes == [0, 0], [w.err[-2000:] for w in writers]
    for writer in writers:
        assert "Traceback" not in writer.err and "added 41" in writer.out, writer.out
    outs = sorted(w.out for w in writers)
    assert "index holds 44 statements" in outs[0] and "index holds 85 statements" in outs[1]  # one after the other
    manifest = read_manifest(index_dir)
    assert manifest.generation == 3 and manifest.statements == 3 + 41 + 41
    index = StatementIndex.open(index_dir)  # verifies every checksum
    try:
        ids = {s.id for s in index.store.iter_statements()}
        assert {"arnholt-canal", "dunmore-schools", "vance-ferry", "pell-bridge", "kade-orchards"} <= ids
        assert sum(i.startswith("first-") for i in ids) == 40 and sum(i.startswith("second-") for i in ids) == 40
        stored_ids, _ = index.store.chunk_ids_and_texts()
        assert list(index.chunk_ids) == stored_ids
        assert len(index.dense) == len(index.lexical) == len(stored_ids) == manifest.chunks
    finally:
        index.close()
    store_file = index_dir / generation_folder(manifest.generation) / "store.sqlite"
    db = sqlite3.connect(f"file:{store_file}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    assert sorted(p.name for p in index_dir.iterdir()) == [".write.lock", "gen-000002", "gen-000003", MANIFEST_NAME]
    qa = Assistant.open(index_dir)
    assert qa.ask("What did Oona Pell say about the rope bridge?").quotes[0].statement_id == "pell-bridge"
    assert qa.ask("What did Lars Kade say about frost fans?").quotes[0].statement_id == "kade-orchards"
