"""Cold start of the command line: ``statements-qa ask`` in a fresh process, as a user runs it.

    python benchmarks/cold_start.py [--runs 5] [--question "what did Lavrov say about Micaller?"]
        [--command ask|search] [--index-dir DIR] [--name NAME] [--project DIR]

1. An index of the bundled sample statement is built once (``--index-dir``, default
   ``.cache/benchmarks/cold_start_sample``; reused when it is there).
2. ``statements-qa ask QUESTION --index-dir DIR --json`` (the console script next to this Python,
   else ``python -m ui.cli``) runs ``--runs`` times, each in a fresh subprocess with stderr not a
   terminal; wall time of each, from start to exit. Each run must exit 0 and print valid JSON on
   stdout; lines on stderr are counted (there should be none).
3. A breakdown, from two more fresh processes: one under ``python -X importtime`` (the top-level
   imports and their cumulative seconds: torch, sentence_transformers, gradio, faiss, bm25s, …),
   one that runs ``ui.cli.main`` with timers around importing ``ui.cli``, opening the index,
   encoding the question (the first call loads the model) and ``Assistant.ask``/``retrieve``
   (``common.StageTimes``, code unchanged).

``--project DIR`` times another checkout of the project (e.g. ``git archive HEAD | tar -x -C DIR``,
to compare before and after a change on the same machine, under the same load) with this venv's
Python, as ``python -m ui.cli`` run in DIR.

Prints median/min/max and the breakdown; writes ``benchmarks/results/cold_start[_NAME].json``.
The figure depends on the machine's load: ``machine.load_average`` is in the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY etc. before torch/faiss load)
from common import PROJECT_ROOT, WORK_DIR, check_environment, log, median, slug, write_result

DEFAULT_QUESTION = "what did Lavrov say about Micaller?"
TARGET_MEDIAN_S = 3.5
TOP_IMPORTS = 12  # top-level imports listed in the breakdown

# Run in a fresh process by ``stage_breakdown``: ``ui.cli.main`` with timers around its stages.
STAGES_CHILD = """
import json, sys, time
start = time.perf_counter()
import ui.cli
imported = time.perf_counter() - start
import assistant.api, embeddings.encoding.encoder, embeddings.local.index
rest = time.perf_counter() - start - imported
sys.path.insert(0, {benchmarks!r})  # after the project's modules: common puts this checkout on the path
from common import StageTimes
times = StageTimes()
times.add("import ui.cli", imported)
times.add("import assistant.api, embeddings (rest)", rest)
times.patch(embeddings.local.index.StatementIndex, "open", "open index")
times.patch(embeddings.encoding.encoder.Encoder, "encode_texts", "encode question (first call loads the model)")
times.patch(embeddings.encoding.encoder.Encoder, "encode_query", "encode query (first call loads the model)")
times.patch(assistant.api.Assistant, "ask", "Assistant.ask (encoding included)")
times.patch(assistant.api.Assistant, "retrieve", "Assistant.retrieve (encoding included)")
with open({out!r}, "w") as out:
    code = ui.cli.main({argv!r})
    total = time.perf_counter() - start
    json.dump({{"exit": code, "total_s": total, "stages": times.as_dict(total)}}, out)
"""


def command_prefix(project: Path) -> list[str]:
    """How a user starts the command line: the console script beside this Python, else ``python -m ui.cli``."""
    script = Path(sys.executable).parent / "statements-qa"
    if project == PROJECT_ROOT and script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ui.cli"]


def child_env(project: Path) -> dict[str, str]:
    """The environment of a timed process: ``project``'s packages first on the path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(project), os.environ.get("PYTHONPATH")])))


def ensure_sample_index(index_dir: Path, project: Path) -> None:
    """Build an index of the bundled sample into ``index_dir`` unless one is there (in a subprocess)."""
    if (index_dir / "manifest.json").is_file():
        return
    sample = project / "corpus" / "sample"
    log(f"building an index of the bundled sample in {index_dir}")
    subprocess.run(
        [*command_prefix(project), "index", str(sample), "--index-dir", str(index_dir)],
        cwd=project, env=child_env(project), check=True, capture_output=True, text=True,
    )


def timed_run(argv: list[str], project: Path) -> dict[str, Any]:
    """One cold run of the command line: wall seconds, exit code, whether stdout is JSON, stderr lines."""
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=project, env=child_env(project), capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - start
    try:
        json.loads(result.stdout)
        valid_json = True
    except json.JSONDecodeError:
        valid_json = False
    return {
        "seconds": round(seconds, 3), "exit": result.returncode, "json": valid_json,
        "stderr_lines": len(result.stderr.splitlines()), "stderr": result.stderr[-2000:],
    }


def import_breakdown(cli_args: list[str], project: Path) -> list[dict[str, Any]]:
    """Top-level imports of one cold run (``-X importtime``), largest cumulative time first."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ui.cli", *cli_args],
        cwd=project, env=child_env(project), capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.strip() and not name.startswith("  "):  # depth 0: one space before the name
            rows.append({"module": name.strip(), "seconds": round(int(cumulative) / 1e6, 3)})
    rows.sort(key=lambda r: -r["seconds"])
    total = round(sum(r["seconds"] for r in rows), 3)
    return [{"module": "(all imports)", "seconds": total}, *rows[:TOP_IMPORTS]]


def stage_breakdown(cli_args: list[str], project: Path) -> dict[str, Any]:
    """Seconds per stage of one cold run of ``ui.cli.main`` in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stages.json"
        code = STAGES_CHILD.format(benchmarks=str(Path(__file__).resolve().parent), out=str(out), argv=cli_args)
        result = subprocess.run([sys.executable, "-c", code], cwd=project, env=child_env(project),
                                capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"the stage breakdown failed:\n{result.stderr[-3000:]}")
        data: dict[str, Any] = json.loads(out.read_text())
    return data


def print_report(times: list[float], imports: list[dict[str, Any]], stages: dict[str, Any]) -> None:
    """Median/min/max and the breakdown, on stdout."""
    print(f"cold runs: median {median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"(target: median under {TARGET_MEDIAN_S} s)")
    print(f"stages of one run (total {stages['total_s']:.2f} s in process):")
    for name, row in stages["stages"].items():
        print(f"  {row['seconds']:7.3f} s  {name}")
    print("top-level imports (cumulative):")
    for row in imports:
        print(f"  {row['seconds']:7.3f} s  {row['module']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="cold runs to time (default 5)")
    ap.add_argument("--question", default=DEFAULT_QUESTION)
    ap.add_argument("--command", choices=("ask", "search"), default="ask")
    ap.add_argument("--index-dir", type=Path, default=WORK_DIR / "cold_start_sample")
    ap.add_argument("--name", default="", help="suffix of the result file (e.g. before, after)")
    ap.add_argument("--project", type=Path, default=PROJECT_ROOT, help="the checkout to time (default: this one)")
    args = ap.parse_args()
    project = args.project.resolve()
    index_dir = args.index_dir.resolve()
    for warning in check_environment():
        log(f"warning: {warning}")
    ensure_sample_index(index_dir, project)
    cli_args = [args.command, args.question, "--index-dir", str(index_dir), "--json"]
    runs = []
    for i in range(args.runs):
        run = timed_run([*command_prefix(project), *cli_args], project)
        log(f"run {i + 1}/{args.runs}: {run['seconds']:.2f} s (exit {run['exit']})")
        if run["exit"] != 0 or not run["json"]:
            log(f"run failed: {run['stderr']}")
            return 1
        runs.append(run)
    times = [r["seconds"] for r in runs]
    imports = import_breakdown(cli_args, project)
    stages = stage_breakdown(cli_args, project)
    print_report(times, imports, stages)
    result = {
        "cli": " ".join(["statements-qa", *cli_args]), "project": str(project),
        "runs": runs,
        "median_s": round(median(times), 3), "min_s": min(times), "max_s": max(times),
        "target_median_s": TARGET_MEDIAN_S, "met": median(times) < TARGET_MEDIAN_S,
        "stderr_lines_max": max(r["stderr_lines"] for r in runs),
        "imports": imports, "stages": stages,
        "environment_warnings": check_environment(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    path = write_result("cold_start" + (f"_{slug(args.name)}" if args.name else ""), result)
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
