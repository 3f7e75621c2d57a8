"""Shared helpers for the benchmark scripts: environment, timing, statistics, memory, JSON output.

Import this module before anything that loads torch or faiss. It puts this checkout's project on
``sys.path`` (``python benchmarks/x.py`` from anywhere, installed or not) and imports
``embeddings.environment``, which sets the environment the benchmarks need
(``OMP_WAIT_POLICY=PASSIVE``: torch and faiss each bring an OpenMP runtime, and with the default
busy-waiting policy FAISS queries get ~30x slower next to torch). ``check_environment`` warns
when the setting was overridden.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python benchmarks/x.py` from anywhere
import embeddings.environment  # noqa: F401  (sets OMP_WAIT_POLICY etc. before torch/faiss load)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"  # git-ignored
WORK_DIR = PROJECT_ROOT / ".cache" / "benchmarks"  # default place for benchmark indexes (git-ignored)

_ENV_KEYS = ("OMP_WAIT_POLICY", "HF_HUB_OFFLINE", "TOKENIZERS_PARALLELISM", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_PACKAGES = ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "numpy", "ranx", "PyStemmer")


# -- timing ---------------------------------------------------------------------------------
class Stopwatch:
    """Elapsed wall time of a ``with`` block: ``with Stopwatch() as sw: ...; sw.seconds``."""

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``(fn(*args, **kwargs), seconds)``."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def repeat_timed(fn: Callable[[], Any], runs: int) -> list[float]:
    """Wall times of ``runs`` calls of ``fn``."""
    return [timed(fn)[1] for _ in range(runs)]


class StageTimes:
    """Accumulated seconds and call counts per named stage; wrap functions to profile them.

    ``patch(module, "name")`` replaces ``module.name`` by a timing wrapper (undone by
    ``restore()``): a way to see where a pipeline spends its time without editing its code.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._patched: list[tuple[Any, str, Any]] = []

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def patch(self, owner: Any, attribute: str, name: str | None = None) -> None:
        raw = vars(owner)[attribute]  # a module's function, or a class's function/classmethod/staticmethod
        kind = type(raw) if isinstance(raw, (classmethod, staticmethod)) else None
        func = raw.__func__ if kind else raw
        label = name or f"{getattr(owner, '__name__', '?')}.{attribute}"
        times = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                times.add(label, time.perf_counter() - start)

        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        self._patched.append((owner, attribute, raw))
        setattr(owner, attribute, kind(wrapper) if kind else wrapper)

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._patched):
            setattr(owner, attribute, original)
        self._patched.clear()

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def as_dict(self, total: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1]):
            row: dict[str, Any] = {"seconds": round(seconds, 4), "calls": self.calls[name]}
            if total:
                row["share"] = round(seconds / total, 4)
            out[name] = row
        return out


# -- statistics -----------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    if not values:
        return math.nan
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of latencies given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else math.nan,
        "max_ms": round(max(ms), 3) if ms else math.nan,
    }


# -- memory and machine ---------------------------------------------------------------------
class TreePeak:
    """The peak of the summed RSS of this process and all its descendants (our attribution workers count),
    sampled every 20 ms on a thread; ``take()`` returns the peak so far and starts a new one."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self._peak = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            try:
                total = self._me.memory_info().rss + sum(c.memory_info().rss for c in self._me.children(True))
            except Exception:  # a child ended while being read
                total = 0
            with self._lock:
                self._peak = max(self._peak, total)
            time.sleep(0.02)

    def take(self) -> float:
        with self._lock:
            peak, self._peak = self._peak, 0
        return round(peak / 2**20, 1)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    Reads ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` survives ``fork`` + ``exec`` on
    Linux, so a child started by a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024.0 if sys.platform != "darwin" else kib / (1024.0 * 1024.0), 1)


def current_rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / (1024.0 * 1024.0), 1)
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        with open("/proc/self/statm") as fh:
            return round(int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024.0 * 1024.0), 1)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def folder_size(path: Path) -> int:
    """Bytes of every file below ``path`` (or of the file itself)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def package_versions(names: Sequence[str] = _PACKAGES) -> dict[str, str]:
    """The installed version of each named distribution (those not installed are left out)."""
    out = {}
    for name in names:
        try:
            out[name] = _metadata.version(name)
        except _metadata.PackageNotFoundError:
            pass
    return out


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain"], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: CPU, memory, Python, package versions, load, environment."""
    info: dict[str, Any] = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average": load_average(),
        "env": {k: os.environ.get(k) for k in _ENV_KEYS if os.environ.get(k) is not None},
        "packages": package_versions(),
        "git": _git_commit(),
    }
    try:
        import psutil

        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        pass
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def check_environment() -> list[str]:
    """Warnings about settings that distort the figures."""
    warnings = []
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        warnings.append("OMP_WAIT_POLICY is not PASSIVE: FAISS searches will be much slower next to torch")
    load = load_average()
    cpus = os.cpu_count() or 1
    if load and load[0] > 0.5 * cpus:
        warnings.append(f"machine is busy (1-min load average {load[0]} on {cpus} cores): timings are pessimistic")
    return warnings


# -- output ---------------------------------------------------------------------------------
def write_result(name: str, data: dict[str, Any], folder: Path | None = None) -> Path:
    """Write ``data`` (plus machine info and the command line) to ``benchmarks/results/NAME.json``."""
    folder = Path(folder) if folder else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_info(),
        **data,
    }
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n")
    tmp.replace(path)
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    return str(value)


def slug(text: str) -> str:
    """A file-name-safe short name."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in text.strip().lower())
    return out.strip("._") or "data"


def log(message: str) -> None:
    """A progress line on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
