"""CPU used by an idle chat server: ``statements-qa serve`` with nobody asking anything.

    python benchmarks/idle_cpu.py [--index-dir DIR] [--seconds 60] [--settle 120] [--page] [--project DIR]
        [--name NAME]

1. The index: ``--index-dir`` if given, else the bundled sample indexed once into
   ``.cache/benchmarks/idle_cpu_sample`` (reused when it is there).
2. The server: ``statements-qa serve --index-dir DIR`` on a free loopback port, started and waited
   for by ``ui.live_server`` (the helper the tests use), which polls the page until it answers HTTP
   200 and then stops polling. Then the server warms up in the background (``serve`` loads the
   indexing model and the attribution pipeline after it starts answering): the script waits, untimed,
   until a ``QUIET_WINDOW``-second window uses under ``QUIET_SHARE`` of a core (at most ``--settle``
   seconds; the wait is in the JSON).
3. The measure: the server process's CPU time (user + system, its threads included, psutil) at the
   start and at the end of ``--seconds`` seconds in which nothing talks to it; the difference over
   the wall time is the share of one core it used. ``--page`` opens the page in headless Chromium
   first and keeps it open during the measure (an idle visitor's tab: Gradio's own heartbeat).

``--project DIR`` serves another checkout of the project (e.g. ``git archive HEAD | tar -x -C DIR``, to
compare before and after a change on the same machine) by putting DIR first on the server's
``PYTHONPATH``.

Prints the figures and writes ``benchmarks/results/idle_cpu[_NAME].json``; exit status 0 when the
share is under the target (1% of a core), 1 otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
import psutil
from common import PROJECT_ROOT, WORK_DIR, check_environment, load_average, log, slug, write_result

from ui.live_server import start_live_server

TARGET_SHARE = 0.01  # of one core
QUIET_WINDOW = 3.0  # seconds: the warm-up is over when such a window uses under QUIET_SHARE of a core
QUIET_SHARE = 0.05
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def sample_index(folder: Path) -> Path:
    """An index of the bundled sample in ``folder``, built the first time."""
    if not (folder / "manifest.json").exists():
        from assistant.api import index_statements
        from corpus.load import bundled_sample_path

        log(f"indexing the bundled sample into {folder}")
        index_statements([bundled_sample_path()], folder, progress=False)
    return folder


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds of ``process`` so far (all its threads)."""
    times = process.cpu_times()
    return float(times.user + times.system)


def measure(pid: int, seconds: float) -> dict[str, float]:
    """CPU seconds used by process ``pid`` over ``seconds`` of wall time, and that as a share of one core."""
    process = psutil.Process(pid)
    start_cpu, start_wall = cpu_seconds(process), time.monotonic()
    time.sleep(seconds)
    used, wall = cpu_seconds(process) - start_cpu, time.monotonic() - start_wall
    return {"cpu_seconds": round(used, 4), "wall_seconds": round(wall, 3), "share_of_a_core": round(used / wall, 5),
            "threads": process.num_threads()}


def settle(pid: int, most: float) -> float:
    """Wait until process ``pid`` is quiet (its background warm-up done), at most ``most`` seconds; the wait."""
    process, began = psutil.Process(pid), time.monotonic()
    while time.monotonic() - began < most:
        before = cpu_seconds(process)
        time.sleep(QUIET_WINDOW)
        if cpu_seconds(process) - before < QUIET_SHARE * QUIET_WINDOW:
            break
    return time.monotonic() - began


def idle_cpu(index_dir: Path, seconds: float, most_settle: float, page: bool = False,
             project: Path | None = None) -> dict[str, Any]:
    """Start a server on ``index_dir``, wait for it to settle, then measure ``seconds`` of idleness."""
    env = {"PYTHONPATH": str(project.resolve())} if project is not None else None
    with start_live_server(index_dir, env=env) as server:
        log(f"server up on {server.url} after {server.started_seconds:.1f}s (pid {server.pid})")
        with _open_page(server.url) if page else contextlib.nullcontext():
            waited = settle(server.pid, most_settle)
            log(f"settled after {waited:.1f}s; measuring {seconds:.0f}s of idleness" + (" (page open)" if page else ""))
            figures = measure(server.pid, seconds)
        return {"started_seconds": round(server.started_seconds, 2), "settled_seconds": round(waited, 1),
                "page_open": page, "project": str(project or PROJECT_ROOT), **figures}


@contextlib.contextmanager
def _open_page(url: str) -> Iterator[None]:
    """The chat open in headless Chromium for the duration of a ``with`` block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.locator("#sqa-question textarea").first.wait_for()
            yield
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="the index to serve (default: the bundled sample)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of idleness measured")
    parser.add_argument("--settle", type=float, default=120.0,
                        help="at most this many seconds waited for the warm-up after start, not measured")
    parser.add_argument("--page", action="store_true", help="keep the page open in headless Chromium")
    parser.add_argument("--project", type=Path, help="serve this checkout of the project instead")
    parser.add_argument("--name", default="", help="suffix of the result file")
    args = parser.parse_args(argv)
    for warning in check_environment():
        log(f"warning: {warning}")
    index_dir = args.index_dir or sample_index(WORK_DIR / "idle_cpu_sample")
    figures = idle_cpu(index_dir, args.seconds, args.settle, args.page, args.project)
    share = figures["share_of_a_core"]
    print(f"idle server: {figures['cpu_seconds']:.3f} CPU s over {figures['wall_seconds']:.1f} s = "
          f"{share * 100:.2f}% of a core (target < {TARGET_SHARE * 100:.0f}%; {figures['threads']} threads)")
    name = "idle_cpu" + (f"_{slug(args.name)}" if args.name else "")
    path = write_result(name, {"index_dir": str(index_dir), "target_share": TARGET_SHARE,
                               "load_average": load_average(), **figures})
    print(f"written {path}")
    return 0 if share < TARGET_SHARE else 1


if __name__ == "__main__":
    sys.exit(main())
