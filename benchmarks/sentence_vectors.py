"""What storing sentence vectors costs at index time, against encoding the chunks alone.

    python benchmarks/sentence_vectors.py /path/to/ungdc_2015-2024.jsonl.gz [--chunks 1024] [--runs 3]

Chunks the first statements of the file with the default chunker until ``--chunks`` chunks,
then times, alternating in one process, ``Encoder.encode(texts)`` (the baseline: chunk vectors
only) and ``Encoder.encode_chunks(texts, spans)`` (chunk vectors plus one pooled vector per
sentence, from the same forward pass), ``--runs`` times each. Reports the medians, their ratio
(throughput with sentence vectors over the baseline; the indexing target is >= 0.90), and checks
that both give the same chunk vectors. Writes ``benchmarks/results/sentence_vectors_<name>.json``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import numpy as np
from common import Stopwatch, load_average, log, machine_info, median, slug, write_result


def chunk_sample(path: Path, count: int) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Texts and relative sentence spans of the first ``count`` chunks of the file."""
    from corpus.load import iter_statements
    from corpus.problems import LoadReport
    from embeddings.backend.writing import default_chunker
    from embeddings.encoding.encoder import Encoder

    chunker = default_chunker(Encoder())
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for statement in iter_statements([path], report=LoadReport()):
        for chunk in chunker.chunk_many([statement]):
            texts.append(chunk.text)
            spans.append([(a - chunk.start, b - chunk.start) for a, b in chunk.sentences])
        if len(texts) >= count:
            break
    return texts[:count], spans[:count]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path, help="a statements file, e.g. ungdc_2015-2024.jsonl.gz")
    ap.add_argument("--chunks", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from embeddings.encoding.encoder import Encoder

    encoder = Encoder()
    texts, spans = chunk_sample(args.path, args.chunks)
    sentences = sum(len(s) for s in spans)
    log(f"{len(texts)} chunks, {sentences} sentences")
    encoder.encode(texts[:64])  # warm-up
    seconds: dict[str, list[float]] = {"encode": [], "encode_chunks": []}
    for run in range(args.runs):
        order = ["encode", "encode_chunks"] if run % 2 == 0 else ["encode_chunks", "encode"]
        for name in order:
            with Stopwatch() as sw:
                if name == "encode":
                    plain = encoder.encode(texts)
                else:
                    pooled = encoder.encode_chunks(texts, spans)
            seconds[name].append(sw.seconds)
            log(f"run {run + 1} {name}: {sw.seconds:.1f}s")
    base, with_sentences = median(seconds["encode"]), median(seconds["encode_chunks"])
    result = {
        "machine": machine_info(),
        "data": str(args.path),
        "chunks": len(texts),
        "sentences": sentences,
        "runs": args.runs,
        "encode_s": seconds["encode"],
        "encode_chunks_s": seconds["encode_chunks"],
        "encode_chunks_per_s_median": round(len(texts) / base, 2),
        "encode_chunks_with_sentences_per_s_median": round(len(texts) / with_sentences, 2),
        "throughput_ratio": round(base / with_sentences, 4),
        "max_chunk_vector_difference": float(np.abs(plain - pooled.vectors).max()),
        "sentence_vector_bytes": int(pooled.sentence_vectors.nbytes),
        "load_average": load_average(),
    }
    path = write_result(f"sentence_vectors_{slug(args.path.name)}", result)
    log(
        f"throughput with sentence vectors / without: {result['throughput_ratio']} "
        f"({result['encode_chunks_with_sentences_per_s_median']} vs {result['encode_chunks_per_s_median']} chunks/s);"
        f" wrote {path}"
    )


if __name__ == "__main__":
    main()
