"""The web chat running on a loopback port, for tests and benchmarks: start it, wait for it, stop it.

``start_live_server(index_dir)`` runs the real ``statements-qa serve`` command in a subprocess (or,
with ``in_process=True``, ``build_app`` + ``launch_app`` in this process), waits until the page
answers HTTP 200, and returns a ``LiveServer``; ``close()`` (or leaving its ``with`` block) stops it::

    with start_live_server(".statements-qa/index") as server:
        httpx.get(server.url)

Only IPv4 loopback addresses (127.0.0.0/8) are used, and every wait is bounded.
"""
from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the subprocess's working folder (an editable install)
DEFAULT_HOST = "127.0.0.1"  # also the default of ``statements-qa serve --host``
START_TIMEOUT = 180.0  # seconds for a server to open the index, load the model and answer
STOP_TIMEOUT = 20.0  # seconds to wait after SIGINT, and again after SIGKILL
POLL_SECONDS = 0.3
PROBE_TIMEOUT = 2.0  # seconds for one HTTP request while waiting
LOG_TAIL_LINES = 30
# Options the helper sets itself: never passed through ``extra_args`` (they could leave loopback).
MANAGED_OPTIONS = ("--host", "--port", "--index-dir", "--milvus-uri", "--share")
# The subprocess's environment on top of this process's: no analytics, unbuffered output in the log.
FORCED_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
# Used unless already set: no busy-waiting OpenMP threads next to torch, no tokenizer fork warnings.
DEFAULT_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}


class LiveServerError(RuntimeError):
    """The server did not start: it exited, or did not answer in time (the message holds its log's tail)."""


def is_loopback(host: str) -> bool:
    """True for an IPv4 loopback address (127.0.0.0/8); names such as ``localhost`` are not resolved."""
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port on the loopback address ``host`` that nothing listens on right now."""
    _require_loopback(host)
    with socket.socket(socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One running web chat on a loopback address. Use ``start_live_server`` to make one.

    Read-only attributes: ``url`` (``http://host:port/``), ``host``, ``port``, ``in_process``,
    ``log_path`` (the subprocess's stdout and stderr; None in-process), ``popen`` (the subprocess;
    None in-process), ``pid`` (the process serving: the subprocess's, or this one's) and
    ``started_seconds`` (from the start to the first HTTP 200; 0.0 until then).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        popen: subprocess.Popen[bytes] | None = None,
        log_path: Path | None = None,
        demo: Any = None,
        assistant: Any = None,
        start_timeout: float = START_TIMEOUT,
        began: float | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._popen, self._log_path = popen, log_path
        self._demo, self._assistant = demo, assistant
        self._in_process = popen is None
        self._start_timeout = start_timeout
        self._began = time.perf_counter() if began is None else began  # perf_counter() at the start
        self._started_seconds = 0.0
        self._closed = False

    # -- what it is ------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}/"

    @property
    def in_process(self) -> bool:
        return self._in_process

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    @property
    def popen(self) -> subprocess.Popen[bytes] | None:
        return self._popen

    @property
    def pid(self) -> int:
        return self._popen.pid if self._popen is not None else os.getpid()

    @property
    def started_seconds(self) -> float:
        return self._started_seconds

    @property
    def running(self) -> bool:
        """Not closed, and (subprocess) the process has not exited."""
        if self._closed:
            return False
        return self._popen is None or self._popen.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the subprocess's log ("" in-process or when unreadable)."""
        if self._log_path is None:
            return ""
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- waiting and stopping --------------------------------------------------------------------
    def wait_ready(self, timeout: float | None = None) -> LiveServer:
        """Wait until the page answers HTTP 200 (at most ``timeout`` seconds, by default the start timeout).

        Stops the server and raises ``LiveServerError`` (with the log's tail) if the process exits or
        the time runs out.
        """
        limit = self._start_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        try:
            while True:
                if self._popen is not None and self._popen.poll() is not None:
                    raise LiveServerError(self._failure(f"the server exited with status {self._popen.returncode}"))
                try:
                    if httpx.get(self.url, timeout=PROBE_TIMEOUT, trust_env=False).status_code == 200:
                        self._started_seconds = time.perf_counter() - self._began
                        return self
                except httpx.HTTPError:
                    pass
                if time.monotonic() >= deadline:
                    raise LiveServerError(self._failure(f"the server did not answer on {self.url} within {limit:.0f}s"))
                time.sleep(POLL_SECONDS)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the server (subprocess: SIGINT, then SIGKILL after ``STOP_TIMEOUT`` s). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._demo is not None:
            try:
                self._demo.close()
            finally:
                self._demo = None
                if self._assistant is not None:
                    self._assistant.close()
                    self._assistant = None
        if self._popen is not None and self._popen.poll() is None:
            self._popen.send_signal(signal.SIGINT)
            try:
                self._popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait(timeout=STOP_TIMEOUT)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "in-process" if self._in_process else f"pid {self.pid}"
        state = "running" if self.running else "stopped"
        return f"<LiveServer {self.url} ({mode}, {state})>"

    def _failure(self, what: str) -> str:
        tail = self.log_tail()
        where = f" (log: {self._log_path})" if self._log_path is not None else ""
        return f"{what}{where}" + (f":\n{tail}" if tail else "")


def start_live_server(
    index_dir: str | os.PathLike[str] | None,
    *,
    milvus_uri: str | None = None,
    host: str | None = None,
    port: int | None = None,
    in_process: bool = False,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    log_path: str | os.PathLike[str] | None = None,
    start_timeout: float = START_TIMEOUT,
    wait: bool = True,
) -> LiveServer:
    """Start the web chat over the index at ``index_dir`` (or in Milvus at ``milvus_uri``) on a loopback address.

    Subprocess (default): runs ``statements-qa serve --index-dir INDEX --port PORT [--host HOST]
    [EXTRA_ARGS]`` (the venv's console script, else ``python -m ui.cli``) from the project folder,
    with ``env`` added to this process's environment and its output written to ``log_path`` (by
    default a new file in the temporary folder). ``host=None`` leaves ``--host`` out: the command's
    own default, which must be loopback (127.0.0.1), is used and connected to.

    In-process (``in_process=True``): opens the index, answers one retrieval to load the model,
    builds the app and launches it in a background thread; ``auth`` (user, password) requires a
    login. ``extra_args``, ``env`` and ``log_path`` are for the subprocess only.

    ``port=None`` picks a free port. ``wait=False`` returns at once (subprocess: before the server
    answers; call ``wait_ready()``), so that several servers can start side by side. Raises
    ``ValueError`` for a non-loopback host or an option the helper manages, and ``LiveServerError``
    when the server does not answer within ``start_timeout`` seconds (the server is then stopped).
    """
    _require_loopback(host or DEFAULT_HOST)
    managed = [a for a in extra_args if _is_managed(a)]
    if managed:
        raise ValueError(f"extra_args may not set {', '.join(managed)}: use the arguments of start_live_server")
    if port is None:
        port = free_port(host or DEFAULT_HOST)
    if in_process:
        if extra_args or env or log_path is not None:
            raise ValueError("extra_args, env and log_path apply to a subprocess server only")
        server = _start_in_process(index_dir, milvus_uri, host or DEFAULT_HOST, port, auth, start_timeout)
    else:
        if auth is not None:
            raise ValueError("auth is for in_process servers; a subprocess takes --auth-env VAR in extra_args and env")
        where = ["--milvus-uri", milvus_uri] if milvus_uri else ["--index-dir", str(index_dir)]
        server = _start_subprocess(where, host, port, extra_args, env, log_path, start_timeout)
    return server.wait_ready() if wait else server


def _start_subprocess(
    where: list[str],
    host: str | None,
    port: int,
    extra_args: Sequence[str],
    env: Mapping[str, str] | None,
    log_path: str | os.PathLike[str] | None,
    start_timeout: float,
) -> LiveServer:
    began = time.perf_counter()
    cmd = [*_command(), "serve", *where, "--port", str(port)]
    if host is not None:
        cmd += ["--host", host]
    cmd += list(extra_args)
    full_env = {**DEFAULT_ENV, **os.environ, **FORCED_ENV, **(env or {})}
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="statements-qa-server-", suffix=".log")
        os.close(fd)
        log = Path(name)
    else:
        log = Path(log_path)
    with open(log, "wb") as out:
        popen = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    return LiveServer(host or DEFAULT_HOST, port, popen=popen, log_path=log, start_timeout=start_timeout, began=began)


def _start_in_process(
    index_dir: str | os.PathLike[str] | None, milvus_uri: str | None, host: str, port: int,
    auth: tuple[str, str] | None, start_timeout: float,
) -> LiveServer:
    from assistant.api import Assistant
    from ui.page import build_app
    from ui.server import launch_app

    began = time.perf_counter()
    qa = Assistant.open(index_dir, milvus_uri=milvus_uri)
    demo = None
    try:
        qa.retrieve("warm up", k=1)  # load the model before the first client waits on it
        demo = build_app(qa)
        server = LiveServer(host, port, demo=demo, assistant=qa, start_timeout=start_timeout, began=began)
        launch_app(demo, host=host, port=port, auth=auth, prevent_thread_lock=True, quiet=True)
    except BaseException:
        if demo is not None:
            demo.close()
        qa.close()
        raise
    return server


def _command() -> list[str]:
    """The ``statements-qa`` console script next to this Python, else ``python -m ui.cli``."""
    exe = Path(sys.executable).with_name("statements-qa")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]


def _is_managed(arg: str) -> bool:
    """``--host``, ``--port=1``, or an abbreviation argparse would expand to one (``--ho``)."""
    name = arg.split("=", 1)[0]
    return name.startswith("--") and len(name) > 2 and any(option.startswith(name) for option in MANAGED_OPTIONS)


def _require_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ValueError(f"{host!r} is not an IPv4 loopback address: a live server only listens on this machine")
