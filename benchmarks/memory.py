"""Where the memory goes: resident set size at each stage of building an index and of serving questions from it.

    python benchmarks/memory.py /work/shared/data/beir_scifact/corpus.jsonl [--limit N] [--questions FILE]

Build (in this process): RSS after the imports, after the encoder loads (the ONNX Runtime session, or torch and
sentence-transformers with ``STATEMENTS_QA_ENCODER=torch``), after chunking and attribution, the peak while
embedding, and the peak of this process and its attribution workers together (sampled every 20 ms). Serving (in a
fresh process, as ``statements-qa serve`` or a script would): RSS after the imports, after opening the index (FAISS,
BM25, SQLite, the memory-mapped sentence vectors), after the first ``retrieve`` (the encoder), after the first
``ask`` (spaCy, for reading questions) and after 50 asks; and the size of each index file for comparison. A
BEIR corpus (title and text) or any statements file the loader reads. Writes ``benchmarks/results/memory_<name>.json``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import TreePeak, log, slug, write_result

QUESTIONS = ["what was found about vitamin D?", "effects of smoking on the lungs", "who reported on malaria?",
             "what did the study say about statins?", "gene expression in tumours"]


def rss_mb() -> float:
    """This process's resident set size now, MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def build(corpus: Path, index_dir: Path, limit: int) -> dict[str, Any]:
    """Build the index, with RSS at each stage."""
    import embeddings.encoding.encoder as encoding
    import embeddings.local.writer as writer
    from assistant.api import index_statements
    from corpus.options import LoadOptions

    stages: dict[str, float] = {"after_imports": rss_mb()}
    tree = TreePeak()
    _ = encoding.Encoder().dimension  # the encoder loads (and the model is exported, the first time)
    stages["after_encoder_loads"] = rss_mb()
    apply, vectors = writer.IndexWriter._apply, writer.IndexWriter._vectors

    def timed_apply(self: Any, *a: Any, **k: Any) -> Any:
        out = apply(self, *a, **k)
        stages["after_chunking_and_attribution"] = rss_mb()
        return out

    def timed_vectors(self: Any, *a: Any, **k: Any) -> Any:
        out = vectors(self, *a, **k)
        stages["after_embedding"] = rss_mb()
        return out

    writer.IndexWriter._apply, writer.IndexWriter._vectors = timed_apply, timed_vectors  # type: ignore[method-assign]
    source = corpus
    if limit:
        source = index_dir.parent / ("first" + corpus.suffix)
        with open(corpus, encoding="utf-8") as f:
            source.write_text("".join(line for line, _ in zip(f, range(limit))), encoding="utf-8")
    options = LoadOptions(text=("title", "text"), join_text=True) if corpus.suffix == ".jsonl" else LoadOptions()
    index_statements([source], index_dir, options=options, rebuild=True, progress=False)
    stages["after_build"] = rss_mb()
    peak = Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]
    return {"rss_mb": stages, "peak_rss_mb": round(int(peak) / 1024, 1),
            "peak_rss_with_workers_mb": tree.take()}


SERVE = """
import json, sys
sys.path.insert(0, {bench!r})
import common
from memory import rss_mb, QUESTIONS
out = {{"after_imports": rss_mb()}}
from assistant.api import Assistant
qa = Assistant.open({index!r})
out["after_open"] = rss_mb()
qa.retrieve(QUESTIONS[0], k=10)
out["after_first_retrieve"] = rss_mb()
qa.ask(QUESTIONS[0])
out["after_first_ask"] = rss_mb()
for i in range(50):
    qa.ask(QUESTIONS[i % len(QUESTIONS)])
out["after_50_asks"] = rss_mb()
peak = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
out["peak"] = round(int(peak) / 1024, 1)
print(json.dumps(out))
"""


def serve(index_dir: Path) -> dict[str, Any]:
    """RSS at each stage of serving, in a fresh process."""
    code = SERVE.format(bench=str(Path(__file__).resolve().parent), index=str(index_dir))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def file_sizes(index_dir: Path) -> dict[str, float]:
    """MiB on disk of each file of the index's current generation."""
    from embeddings.local.files import generation_folder

    manifest = json.loads((index_dir / "manifest.json").read_text())
    folder = index_dir / generation_folder(manifest["generation"])
    return {str(p.relative_to(folder)): round(p.stat().st_size / 2**20, 2) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a statements file (a BEIR corpus.jsonl: title and text joined)")
    parser.add_argument("--limit", type=int, default=0, help="first N records (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memory-") as tmp:
        index_dir = Path(tmp) / "index"
        built = build(args.path, index_dir, args.limit)
        log(f"build: {built}")
        served = serve(index_dir)
        log(f"serving: {served}")
        out = {"build": built, "serving_rss_mb": served, "index_files_mb": file_sizes(index_dir)}
    write_result(f"memory_{slug(args.path.parent.name)}" + (f"_limit{args.limit}" if args.limit else ""), out)


if __name__ == "__main__":
    main()
