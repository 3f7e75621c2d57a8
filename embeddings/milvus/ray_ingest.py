"""Ingestion with Ray Data into a Milvus index: files read in parallel, statements chunked and
attributed on CPU tasks, embedded on a pool of actors (one GPU each when the cluster has GPUs), and
written to Milvus in batches by the driver, with progress.

The run goes in windows of ``WINDOW`` new or changed statements, so the driver never holds more
than a window of statements, and each window is written before the next one is read. Restartable:
statements already in the index with the same content hash are skipped, and a statement is complete
once its row is written (``MilvusStatementStore.put_many``), so a killed run is simply run again.
The driver reads files in the order ``discover`` gives, keeping the first of each text and renaming
reused ids, as the single-process path does, so both index the same statements under the same ids.
"""
from __future__ import annotations

import functools
import logging
import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from corpus.load import FirstOfEach, discover, read_file
from corpus.options import LoadOptions
from corpus.problems import LoadProblem, LoadReport, StatementsError, one_line
from corpus.statement import Statement
from embeddings.backend.report import UpdateReport
from embeddings.backend.writing import chunk_and_attribute
from embeddings.encoding.encoder import Encoder
from embeddings.environment import DEFAULTS
from embeddings.milvus.native_stderr import native_log_path, native_stderr_to
from embeddings.milvus.schema import MilvusLocation
from embeddings.milvus.writer import MilvusWriter, WriteSession, embed
from embeddings.progress import progress_bar

WINDOW = 2048  # new or changed statements per Ray Data run
BATCH = 16  # statements per row of the dataset: chunked, attributed and embedded together
FILES_PER_TASK = 8  # files read by one Ray task


def ray_index(
    paths: Sequence[Path],
    location: MilvusLocation,
    encoder: Encoder,
    options: LoadOptions,
    report: LoadReport,
    address: str = "local",
    workers: int | None = None,
    rebuild: bool = False,
    progress: bool = True,
    attributions: bool = True,
    context_fields: Sequence[str] | None = None,
) -> UpdateReport:
    """Index the statements under ``paths`` into Milvus through Ray (``address``: ``"local"`` starts a Ray on
    this machine's cores; otherwise a cluster address such as ``ray://head:10001`` or ``auto``)."""

    writer = MilvusWriter(location, encoder, progress=False, attributions=attributions, context_fields=context_fields)
    session = writer.open(rebuild)
    chunker_settings = writer.chunker.settings
    with native_stderr_to(native_log_path()):  # Ray's C++ notes: not for the user (embeddings.milvus.native_stderr)
        return _ingest(paths, session, encoder, chunker_settings, options, report, address, workers, progress)


def _ingest(
    paths: Sequence[Path], session: WriteSession, encoder: Encoder, chunker_settings: dict[str, Any],
    options: LoadOptions, report: LoadReport, address: str, workers: int | None, progress: bool,
) -> UpdateReport:
    """Start (or join) Ray, run the windows, and finish the write session."""
    import ray

    try:
        started = _start_ray(address)
    except BaseException:
        session.close()
        raise
    try:
        pool = _pool(workers)
        with progress_bar(None, desc="indexing (ray)", unit="statement", enabled=progress) as bar:
            window: list[Statement] = []
            for statement in session.changed(_read_in_parallel(paths, options, report)):
                window.append(statement)
                if len(window) >= WINDOW:
                    _run_window(window, session, encoder.name, chunker_settings, pool, bar)
                    window = []
            if window:
                _run_window(window, session, encoder.name, chunker_settings, pool, bar)
        return session.finish(UpdateReport())
    finally:
        session.close()
        if started:
            ray.shutdown()


def _start_ray(address: str) -> bool:
    """Connect to a Ray cluster, or start a local one; whether this call started it."""
    import ray

    if ray.is_initialized():
        return False
    env = {"env_vars": {k: os.environ[k] for k in DEFAULTS
                        if k in os.environ}}
    for attempt in (1, 2):  # a local Ray sometimes misses its own 30 s start-up deadline: try once more
        try:
            if address in ("", "local"):
                ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                         runtime_env=env, logging_level=logging.ERROR)
            else:
                ray.init(address=address, log_to_driver=False, runtime_env=env, logging_level=logging.ERROR)
            break
        except Exception as exc:  # Ray raises many kinds; the user needs one line
            ray.shutdown()
            if attempt == 2 or address not in ("", "local"):
                raise StatementsError(f"cannot start or reach Ray at {address!r}: {one_line(exc)}") from None
    import ray.data

    for name in ("ray", "ray.data"):  # our own bar shows progress; Ray's logs stay in its session folder
        logging.getLogger(name).setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return True


def _pool(workers: int | None) -> dict[str, Any]:
    """How many embedding actors, and what each asks of the cluster: a GPU each when there are GPUs, else
    an equal share of the CPUs (less what the chunking tasks need)."""
    import ray

    resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
    gpus = int(resources.get("GPU", 0))
    cpus = float(resources.get("CPU", 1))
    if gpus:
        n = workers or gpus
        return {"concurrency": n, "num_gpus": 1, "num_cpus": 1, "device": "cuda", "threads": 1}
    n = workers or max(1, int(cpus))
    share = max(cpus - 0.5, 0.5) / n
    return {"concurrency": n, "num_gpus": 0, "num_cpus": share, "device": "cpu",
            "threads": max(1, int(cpus) // n)}


def _read_in_parallel(paths: Sequence[Path], options: LoadOptions, report: LoadReport) -> Iterator[Statement]:
    """Every statement under ``paths``, files read by Ray tasks, kept and renamed in file order."""
    import ray.data

    files: list[tuple[str, str]] = []
    for root in paths:
        for found in discover(Path(root)):
            if isinstance(found, LoadProblem):
                report.problems.append(found)
            else:
                files.append((str(found[0]), found[1]))
    if not files:
        return
    groups = [files[i : i + FILES_PER_TASK] for i in range(0, len(files), FILES_PER_TASK)]
    items = ray.data.from_items([{"files": pickle.dumps(g), "options": pickle.dumps(options)} for g in groups])
    ds = items.map(_read_files, num_cpus=0.5)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    kept = FirstOfEach(report)
    for row in ds.iter_rows():
        items, files_read = pickle.loads(row["items"])
        report.files_read += files_read
        for item in items:
            statement = kept.admit(item)
            if statement is not None:
                yield statement


def _read_files(row: dict[str, Any]) -> dict[str, Any]:
    """A Ray task: the statements and problems of a few files."""
    options: LoadOptions = pickle.loads(row["options"])
    local = LoadReport()
    items = [item for path, file_id in pickle.loads(row["files"]) for item in read_file(Path(path), file_id, options,
                                                                                        local)]
    return {"items": pickle.dumps((items, local.files_read))}


def _run_window(
    window: list[Statement], session: WriteSession, model: str, chunker_settings: dict[str, Any],
    pool: dict[str, Any], bar: Any,
) -> None:
    """Chunk, attribute and embed one window of statements on Ray; write each batch as it arrives."""
    import ray.data

    rows = [{"statements": pickle.dumps(window[i : i + BATCH])} for i in range(0, len(window), BATCH)]
    task = _ChunkTask(model, chunker_settings, session.attributions, session.manifest.context_fields)
    chunked = ray.data.from_items(rows).map(task, num_cpus=0.5)
    # the actor class carries its settings (no constructor arguments to keep in the object store)
    embedder = type("Embedder", (_Embedder,), {"model": model, "device": pool["device"], "threads": pool["threads"]})
    ds = chunked.map_batches(
        embedder, batch_size=1, compute=ray.data.ActorPoolStrategy(size=min(pool["concurrency"], len(rows))),
        num_cpus=pool["num_cpus"], num_gpus=pool["num_gpus"],
    )
    for row in ds.iter_rows():
        prepared = pickle.loads(row["prepared"])
        session.write(prepared)
        bar.update(len(prepared))


class _ChunkTask:
    """A Ray task function: chunks and attributions of a batch of statements."""

    def __init__(self, model: str, chunker_settings: dict[str, Any], attributions: bool,
                 context_fields: Sequence[str]) -> None:
        self.model = model
        self.chunker_settings = chunker_settings
        self.attributions = attributions
        self.context_fields = list(context_fields)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        statements = pickle.loads(row["statements"])
        chunker = _chunker(self.model)
        if chunker.settings != self.chunker_settings:
            raise StatementsError(f"Ray worker's chunker {chunker.settings} differs from {self.chunker_settings}")
        chunked = chunk_and_attribute(statements, chunker, self.attributions, self.context_fields)
        return {"chunked": pickle.dumps(chunked)}


@functools.lru_cache(maxsize=2)
def _chunker(model: str) -> Any:
    """The default chunker of ``model``, loaded once per Ray worker process (the tokenizer is a model)."""
    from embeddings.backend.writing import default_chunker

    return default_chunker(Encoder(model))


class _Embedder:
    """A Ray actor holding the encoder: vectors for batches of chunked statements (settings: class attributes)."""

    model = ""
    device = "cpu"
    threads = 1

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(self.threads)
        self.encoder = Encoder(self.model, device=self.device)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out = [pickle.dumps(embed(pickle.loads(chunked), self.encoder)) for chunked in batch["chunked"]]
        return {"prepared": out}
