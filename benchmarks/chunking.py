"""Load and chunk the UNGDC 2015-2024 file with the default Chunker; report speed and sizes.

Usage: python benchmarks/chunking.py /path/to/ungdc_2015-2024.jsonl.gz [--runs 3]

Prints characters/second for loading and for chunking (median of ``--runs`` runs), the chunk
count and tokens per chunk; writes ``benchmarks/results/chunking.json``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's packages, installed or not

from corpus.chunker import Chunker
from corpus.statement import Statement
from corpus.tokens import token_counter

ROOT = Path(__file__).resolve().parent.parent


def load_direct(path: str) -> list[Statement]:
    """UNGDC records (gzip JSON lines) as statements, read with gzip and json."""
    statements = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            statements.append(
                Statement(
                    id=r["id"],
                    text=r["text"],
                    speaker=r.get("speaker") or "",
                    source=r.get("country_name") or r.get("country") or "",
                    date=str(r.get("year") or ""),
                    path=path,
                )
            )
    return statements


def loader() -> tuple[str, Callable[[str], list[Statement]]]:
    """The project's loader (``corpus.load_statements``) where it exists, else gzip+json."""
    try:
        from corpus.load import load_statements
    except ImportError:
        return "gzip+json", load_direct
    return "corpus.load_statements", lambda path: load_statements(path)[0]


def timed(fn, runs: int):
    """Median wall-clock seconds of ``runs`` calls, all wall and CPU times, the last result.

    CPU time (this process, all threads) is the steadier figure on a shared machine.
    """
    times, cpu_times, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    return statistics.median(times), times, cpu_times, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ungdc", help="path to ungdc_2015-2024.jsonl.gz")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "chunking.json"))
    args = parser.parse_args(argv)

    loader_name, load = loader()
    load_s, load_times, load_cpu, statements = timed(lambda: load(args.ungdc), args.runs)
    n_chars = sum(len(s.text) for s in statements)

    t0 = time.perf_counter()
    counter = token_counter()
    tokenizer_s = time.perf_counter() - t0
    chunker = Chunker(token_counter=counter)
    chunker.chunk(Statement(id="warm-up", text="Warm up the splitter. And the tokenizer."))

    chunk_s, chunk_times, chunk_cpu, chunks = timed(
        lambda: chunker.chunk_many(statements), args.runs
    )
    tokens = counter.count_many([c.text for c in chunks])
    sentences = sum(len(c.sentences) for c in chunks)

    report = {
        "file": args.ungdc,
        "loader": loader_name,
        "tokenizers_parallelism": os.environ.get("TOKENIZERS_PARALLELISM", "(unset)"),
        "statements": len(statements),
        "characters": n_chars,
        "runs": args.runs,
        "load_seconds_median": round(load_s, 2),
        "load_seconds": [round(t, 2) for t in load_times],
        "load_chars_per_s": round(n_chars / load_s),
        "load_cpu_seconds": [round(t, 2) for t in load_cpu],
        "tokenizer_load_seconds": round(tokenizer_s, 2),
        "chunk_seconds_median": round(chunk_s, 2),
        "chunk_seconds": [round(t, 2) for t in chunk_times],
        "chunk_chars_per_s": round(n_chars / chunk_s),
        "chunk_cpu_seconds": [round(t, 2) for t in chunk_cpu],
        "chunk_chars_per_cpu_s": round(n_chars / statistics.median(chunk_cpu)),
        "max_tokens": chunker.max_tokens,
        "chunks": len(chunks),
        "sentences_in_chunks": sentences,
        "mean_tokens_per_chunk": round(statistics.fmean(tokens), 1),
        "median_tokens_per_chunk": statistics.median(tokens),
        "max_tokens_in_a_chunk": max(tokens),
        "chunks_over_budget": sum(t > chunker.max_tokens for t in tokens),
        "mean_chars_per_chunk": round(statistics.fmean(len(c.text) for c in chunks), 1),
    }
    print(f"{len(statements):,} statements, {n_chars:,} characters")
    print(
        f"load:  {load_s:6.2f} s  {report['load_chars_per_s']:>12,} chars/s  "
        f"(median of {args.runs}, {loader_name})"
    )
    print(f"tokenizer load: {tokenizer_s:.2f} s")
    print(
        f"chunk: {chunk_s:6.2f} s  {report['chunk_chars_per_s']:>12,} chars/s  "
        f"(median of {args.runs}); CPU {statistics.median(chunk_cpu):.2f} s, "
        f"{report['chunk_chars_per_cpu_s']:,} chars/cpu-s"
    )
    print(
        f"{len(chunks):,} chunks, {sentences:,} sentences; tokens per chunk: mean "
        f"{report['mean_tokens_per_chunk']}, median {report['median_tokens_per_chunk']}, "
        f"max {report['max_tokens_in_a_chunk']} (budget {chunker.max_tokens}, "
        f"{report['chunks_over_budget']} over)"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
