"""Many chat sessions at once against a real server: throughput, latency, errors and consistency.

    python benchmarks/load.py INDEX_DIR [--sessions 50] [--questions 6] [--port 0] [--timeout 600]
        [--seed 7] [--topics "climate change,terrorism,..."] [--in-process] [--name NAME]

1. The server: ``statements-qa serve --index-dir INDEX_DIR --host 127.0.0.1 --port P`` started as a
   subprocess (``--port 0``: a free port), so the clients and the server do not share a Python
   interpreter (``--in-process``: ``build_app`` + ``launch_app`` in this process instead).
   Both are started, waited for and stopped by ``ui.live_server`` (the one helper the tests use too).
   The benchmark waits for it to answer on 127.0.0.1 (at most ``--start-timeout`` seconds).
   The baseline and the load each get their own server, both started together before any question
   (and each asked one warm-up question), so that they run the same code: the app caches sentence
   vectors, so a load phase run on the baseline's server would replay warm caches and flatter
   throughput (``--warm`` adds that warm repeat as a third phase, for comparison). A hash of the
   source files is checked around the start; a change is reported (the comparison would be unsound).
   With ``--port P``, the servers use P and P+1.
2. A script of ``--questions`` distinct questions per session, made from the index's own sources:
   "What did <source> say about <topic>?" followed by follow-ups that only make sense with the
   session's own history ("And about <topic>?", "Did anyone else say that?", "What about ...?",
   "What else did <source> say about ...?", a second source with a year, ...). Each session has
   its own source (countries, for UNGDC) and its own order of topics.
3. Baseline: every session's script asked alone, one session after another, each with a fresh
   ``gradio_client.Client``: the answers every later answer must equal.
4. Load: all ``--sessions`` sessions at once, each its own ``Client`` in its own thread, released
   together by a barrier; each asks its script in order, waiting for each answer.
5. Consistency: each load answer must equal its baseline answer (same abstained flag, same quote
   texts and statement ids, in the same order).

Bounded: every session asks exactly ``--questions`` questions; each phase (baseline, load) stops
at ``--timeout`` seconds (questions not answered by then count as errors); the server is stopped
at the end. Prints a table and writes ``benchmarks/results/load_<name>.json``. Exit status 0 when
the target is met (no error, every answer the same as alone), 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401  (sets OMP_WAIT_POLICY etc. before torch/faiss load)
from common import PROJECT_ROOT, check_environment, load_average, log, slug, summary_ms, write_result

from ui.live_server import LiveServer, LiveServerError, free_port, start_live_server

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

HOST = "127.0.0.1"
START_TIMEOUT = 300.0  # seconds for the server to load the index and the model
MAX_MISMATCHES_KEPT = 20  # differences written to the JSON in full

# Topics of the UN General Debate; ``--topics`` replaces them for other corpora.
UNGDC_TOPICS = [
    "climate change", "terrorism", "nuclear weapons", "refugees", "the COVID-19 pandemic",
    "Security Council reform", "poverty", "human rights", "peacekeeping", "gender equality",
    "the Paris Agreement", "the oceans", "debt relief", "the Sustainable Development Goals", "migration",
    "food security", "cybersecurity", "multilateralism", "education", "water", "small island developing States",
    "the Middle East", "sanctions", "development finance",
]


# -- the question scripts ------------------------------------------------------------------------
def make_scripts(sources: list[str], topics: list[str], years: list[str], sessions: int, questions: int,
                 seed: int) -> list[list[str]]:
    """One script of ``questions`` distinct questions per session; follow-ups depend on the history."""
    if not sources:
        raise SystemExit("the index has no sources to ask about (store.distinct_values('source') is empty)")
    if len(topics) < 3:
        raise SystemExit("give at least 3 topics")
    rng = random.Random(seed)
    firsts = rng.sample(sources, len(sources))  # each session its own source while they last
    scripts = []
    for i in range(sessions):
        a = firsts[i % len(firsts)]
        others = [s for s in sources if s != a] or [a]
        order = rng.sample(topics, len(topics))
        script: list[str] = []
        used: set[str] = set()
        t = 0  # next topic in this session's order

        def topic(order: list[str] = order) -> str:  # this session's order
            nonlocal t
            value = order[t % len(order)]
            t += 1
            return value

        # the first eight questions mix the follow-up forms; later ones alternate new sources and "and about"
        patterns = ["ask_a", "and_about", "others", "what_about", "else_a", "ask_b_year", "and_about", "position_a"]
        n = 0
        while len(script) < questions and n < 10 * questions + 20:
            kind = patterns[n] if n < len(patterns) else ("ask_new" if n % 2 == 0 else "and_about")
            n += 1
            if kind == "ask_a":
                q = f"What did {a} say about {topic()}?"
            elif kind == "and_about":
                q = f"And about {topic()}?"
            elif kind == "others":
                q = "Did anyone else say that?"
            elif kind == "what_about":
                q = f"What about {topic()}?"
            elif kind == "else_a":
                q = f"What else did {a} say about {topic()}?"
            elif kind == "ask_b_year":
                year = f" in {rng.choice(years)}" if years else ""
                q = f"What did {rng.choice(others)} say about {topic()}{year}?"
            elif kind == "position_a":
                q = f"What is {a}'s position on {topic()}?"
            else:
                q = f"What did {rng.choice(others)} say about {topic()}?"
            if q not in used:
                used.add(q)
                script.append(q)
        scripts.append(script)
    return scripts


def years_of(store: Any) -> list[str]:
    lo, hi = store.date_range()
    try:
        first, last = int(str(lo)[:4]), int(str(hi)[:4])
    except (TypeError, ValueError):
        return []
    return [str(y) for y in range(first, last + 1)] if 0 <= last - first <= 200 else []


# -- the server ----------------------------------------------------------------------------------
WARM_UP_QUESTION = "What was said about the weather?"


def code_fingerprint() -> str:
    """A hash of the project's Python sources (the servers must run the same code)."""
    import hashlib

    digest = hashlib.sha256()
    for package in ("assistant", "embeddings", "corpus", "ui"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Sampler:
    """While a phase runs: the server's peak RSS and CPU seconds, this process's CPU seconds (the
    clients), and other benchmark or test processes seen on the machine (they distort the figures)."""

    def __init__(self, proc: Any, ours: set[int] = frozenset()) -> None:
        import psutil

        self.proc, self.me, self.ours, self.peak_rss_mb = proc, psutil.Process(), set(ours), 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.cpu_seconds = self.client_cpu_seconds = 0.0
        self.others: set[str] = set()

    def __enter__(self) -> Sampler:
        self._cpu0, self._me0 = _cpu(self.proc), _cpu(self.me)
        self._thread.start()
        return self

    def _run(self) -> None:
        import psutil

        ignore = {self.proc.pid, self.me.pid} | self.ours | {p.pid for p in self.me.parents()}  # not us, nor `timeout`
        n = 0
        while not self._stop.is_set():
            try:
                self.peak_rss_mb = max(self.peak_rss_mb, self.proc.memory_info().rss / 2**20)
            except psutil.Error:  # the process ended
                return
            if n % 10 == 0:  # every 5 s
                for p in psutil.process_iter(["pid", "cmdline"]):
                    cmd = " ".join(p.info["cmdline"] or [])
                    if p.info["pid"] not in ignore and ("benchmarks/" in cmd or "pytest" in cmd) and "python" in cmd:
                        self.others.add(cmd[:160])
            n += 1
            self._stop.wait(0.5)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.cpu_seconds = _cpu(self.proc) - self._cpu0
            self.client_cpu_seconds = _cpu(self.me) - self._me0
        except Exception:
            pass


def _cpu(proc: Any) -> float:
    times = proc.cpu_times()
    return times.user + times.system


# -- sessions ------------------------------------------------------------------------------------
def answer_key(answer: Any) -> dict[str, Any]:
    """What must not change under load: the abstained flag, the quote texts and their statement ids."""
    if not isinstance(answer, dict):
        return {"invalid": repr(answer)[:200]}
    return {
        "abstained": bool(answer.get("abstained")),
        "quotes": [[q.get("text"), q.get("statement_id")] for q in answer.get("quotes") or []],
    }


def new_client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False,
                  httpx_kwargs={"timeout": 60.0})


def run_session(url: str, script: list[str], deadline: float, barrier: threading.Barrier | None,
                record: dict[str, Any]) -> None:
    """Ask ``script`` in order in one new session; fills ``record`` (answers, latencies, errors)."""
    record.update(answers=[], latencies=[], errors=[], connect_seconds=None, ask_seconds=0.0)
    client = None
    try:
        began = time.perf_counter()
        client = new_client(url)
        record["connect_seconds"] = time.perf_counter() - began
    except Exception as exc:  # counted, and the barrier must not wait for this session
        record["errors"].append(f"connect: {type(exc).__name__}: {exc}"[:300])
        if barrier is not None:
            barrier.abort()
        return
    try:
        if barrier is not None:
            barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
        asking = time.perf_counter()
        for question in script:
            left = deadline - time.monotonic()
            if left <= 0:
                record["errors"].append(f"timeout: not asked before the deadline: {question}")
                break
            began = time.perf_counter()
            try:
                job = client.submit(question, "", "", "", "", api_name="/ask")
                answer = job.result(timeout=left)
            except Exception as exc:  # a failed answer: the rest of this conversation would differ, stop it
                record["errors"].append(f"{type(exc).__name__}: {exc} (question: {question})"[:300])
                break
            record["latencies"].append(time.perf_counter() - began)
            record["answers"].append(answer)
            record["ask_seconds"] = time.perf_counter() - asking
    except threading.BrokenBarrierError:
        record["errors"].append("another session failed to connect; not started")
    finally:
        try:
            client.close()
        except Exception:
            pass


def baseline_phase(url: str, scripts: list[list[str]], timeout: float) -> tuple[list[dict[str, Any]], float]:
    """Each script alone, one session at a time; the seconds spent asking (not connecting)."""
    deadline = time.monotonic() + timeout
    records: list[dict[str, Any]] = []
    for i, script in enumerate(scripts):
        record: dict[str, Any] = {}
        run_session(url, script, deadline, None, record)
        records.append(record)
        if (i + 1) % 10 == 0 or i + 1 == len(scripts):
            log(f"baseline: {i + 1}/{len(scripts)} sessions")
    return records, sum(r.get("ask_seconds", 0.0) for r in records)


def load_phase(url: str, scripts: list[list[str]], timeout: float) -> tuple[list[dict[str, Any]], float]:
    """All scripts at once, each its own client in its own thread, released together; seconds from the release."""
    deadline = time.monotonic() + timeout
    records: list[dict[str, Any]] = [{} for _ in scripts]
    barrier = threading.Barrier(len(scripts) + 1)
    threads = [
        threading.Thread(target=run_session, args=(url, s, deadline, barrier, records[i]), daemon=True,
                         name=f"session-{i}")
        for i, s in enumerate(scripts)
    ]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=max(1.0, deadline - time.monotonic()))  # every client connected
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    log(f"load: {len(scripts)} sessions connected, asking")
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 5.0)
    alive = sum(t.is_alive() for t in threads)
    if alive:
        log(f"load: {alive} sessions still running at the deadline (counted as errors)")
    return records, time.perf_counter() - began


def phase_summary(records: list[dict[str, Any]], scripts: list[list[str]], seconds: float) -> dict[str, Any]:
    latencies = [x for r in records for x in r.get("latencies", [])]
    answered = sum(len(r.get("answers", [])) for r in records)
    planned = sum(len(s) for s in scripts)
    errors = [e for r in records for e in r.get("errors", [])]
    connect = [r["connect_seconds"] for r in records if r.get("connect_seconds") is not None]
    return {
        "questions_planned": planned,
        "questions_answered": answered,
        "errors": len(errors),  # failed questions (a session stops at its first failure)
        "unanswered": planned - answered,  # failed, or never asked because of a failure or the deadline
        "error_samples": errors[:10],
        "wall_seconds": round(seconds, 3),
        "throughput_qps": round(answered / seconds, 3) if seconds > 0 else None,
        "latency": summary_ms(latencies),
        "connect": summary_ms(connect),
        "abstained": sum(1 for r in records for a in r.get("answers", [])
                         if isinstance(a, dict) and a.get("abstained")),
    }


def compare(baseline: list[dict[str, Any]], load: list[dict[str, Any]], scripts: list[list[str]]) -> dict[str, Any]:
    same = different = missing = 0
    mismatches = []
    for i, script in enumerate(scripts):
        for j, question in enumerate(script):
            b = baseline[i].get("answers", [])
            u = load[i].get("answers", [])
            if j >= len(b) or j >= len(u):
                missing += 1
                continue
            kb, kl = answer_key(b[j]), answer_key(u[j])
            if kb == kl:
                same += 1
            else:
                different += 1
                if len(mismatches) < MAX_MISMATCHES_KEPT:
                    mismatches.append({"session": i, "position": j, "question": question,
                                       "history": script[:j], "alone": kb, "under_load": kl})
    total = sum(len(s) for s in scripts)
    return {"answers": total, "same": same, "different": different, "missing": missing,
            "consistent": same == total, "mismatches": mismatches}


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--questions", type=int, default=6, help="questions per session")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for each phase")
    parser.add_argument("--start-timeout", type=float, default=START_TIMEOUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--topics", help="comma-separated topics (default: UN General Debate topics)")
    parser.add_argument("--in-process", action="store_true", help="serve from this process, not a subprocess")
    parser.add_argument("--name", help="result name (default: the index folder's name)")
    parser.add_argument("--warm", action="store_true",
                        help="after the load, ask everything again under load on the same (now warm) server")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 500 or not 1 <= args.questions <= 100:
        parser.error("--sessions must be 1..500 and --questions 1..100")
    if not (args.index_dir / "manifest.json").exists():
        parser.error(f"{args.index_dir} is not an index directory (no manifest.json)")
    for warning in check_environment():
        log(f"warning: {warning}")

    import psutil

    from embeddings.local.index import StatementIndex
    from ui.page import ASK_CONCURRENCY

    index = StatementIndex.open(args.index_dir)  # only to read the sources; the server opens its own
    store = index.store
    sources, statements, years = store.distinct_values("source"), store.count_statements(), years_of(store)
    topics = [t.strip() for t in args.topics.split(",") if t.strip()] if args.topics else UNGDC_TOPICS
    scripts = make_scripts(sources, topics, years, args.sessions, args.questions, args.seed)
    del index, store

    # Both servers start together, before any question, and each answers one warm-up question (not in
    # the scripts; it imports every module of the answering path): the two phases then run the same code
    # even if the source tree is edited meanwhile. The load's server has not answered the scripts:
    # its caches are cold when the load starts.
    fingerprint = code_fingerprint()
    ports = {name: (args.port + i) if args.port else free_port(HOST) for i, name in enumerate(("alone", "load"))}
    mode = "in-process" if args.in_process else "subprocess"
    log(f"starting two fresh {mode} servers: {', '.join(f'http://{HOST}:{p}/' for p in ports.values())}")
    logs = None if args.in_process else Path(tempfile.mkdtemp(prefix="sqa-load-"))
    servers: dict[str, LiveServer] = {}
    try:
        for name, port in ports.items():  # subprocesses: both start loading before either is waited for
            servers[name] = start_live_server(
                args.index_dir.resolve(), host=HOST, port=port, in_process=args.in_process,
                log_path=None if logs is None else logs / f"server-{name}.log", start_timeout=args.start_timeout,
                wait=False)
        for server in servers.values():
            server.wait_ready()
            warm: dict[str, Any] = {}
            run_session(server.url, [WARM_UP_QUESTION], time.monotonic() + args.timeout, None, warm)
            if warm["errors"]:
                raise SystemExit(f"the server on {server.url} failed the warm-up question: {warm['errors']}")
        log("servers ready after " + ", ".join(f"{s.started_seconds:.1f}s" for s in servers.values()))
        code_changed = code_fingerprint() != fingerprint
        if code_changed:
            log("warning: the source code changed while the servers started: they may run different code")
        phases: dict[str, dict[str, Any]] = {}
        records: dict[str, list[dict[str, Any]]] = {}
        plan = [("alone", baseline_phase), ("load", load_phase)] + ([("load_warm", load_phase)] if args.warm else [])
        for phase, run in plan:
            server = servers["alone" if phase == "alone" else "load"]
            before = load_average()
            ours = {s.pid for s in servers.values() if s.running}
            with Sampler(psutil.Process(server.pid), ours) as sampler:
                records[phase], seconds = run(server.url, scripts, args.timeout)
            if phase == "alone":
                server.close()  # not needed any more
            summary = phase_summary(records[phase], scripts, seconds)
            summary["server_cpu_seconds"] = round(sampler.cpu_seconds, 2)
            summary["server_peak_rss_mb"] = round(sampler.peak_rss_mb, 1)
            summary["client_cpu_seconds"] = round(sampler.client_cpu_seconds, 2)
            summary["other_processes_seen"] = sorted(sampler.others)
            if sampler.others:
                log(f"warning: other benchmarks/tests ran during the {phase} phase: {sorted(sampler.others)}")
            summary["load_average_before"], summary["load_average_after"] = before, load_average()
            phases[phase] = summary
    except LiveServerError as exc:  # it exited or did not answer in time (with its log's tail)
        raise SystemExit(str(exc)) from None
    finally:
        for server in servers.values():
            server.close()
    code_changed_later = code_fingerprint() != fingerprint and not code_changed

    consistency = {phase: compare(records["alone"], records[phase], scripts) for phase in phases if phase != "alone"}
    target_met = all(s["errors"] == 0 and s["unanswered"] == 0 for s in phases.values()) and all(
        c["consistent"] for c in consistency.values())

    name = args.name or slug(args.index_dir.resolve().name)
    if not args.name and (args.sessions, args.questions) != (50, 6):
        name += f"_s{args.sessions}_q{args.questions}"
    result = {
        "index": {"path": str(args.index_dir), "statements": statements, "sources": len(sources)},
        "server": {"mode": mode, "ask_concurrency": ASK_CONCURRENCY,
                   "servers": {k: {"url": v.url, "start_seconds": round(v.started_seconds, 2)}
                               for k, v in servers.items()},
                   "note": "the baseline and the load each run on their own server, both started together before "
                           "the baseline (the load's server with cold caches)",
                   "code_changed_while_starting": code_changed, "code_changed_after_start": code_changed_later},
        "settings": {"sessions": args.sessions, "questions_per_session": args.questions, "timeout": args.timeout,
                     "seed": args.seed, "warm_repeat": args.warm, "topics": topics},
        "phases": phases,
        "consistency": consistency,
        "target": {"sessions": 50, "errors": 0, "consistent": True, "met": target_met},
        "scripts_sample": scripts[:3],
    }
    path = write_result(f"load_{name}", result)

    print()
    print(f"Load: {args.sessions} sessions x {args.questions} questions, {statements:,} statements "
          f"from {len(sources):,} sources; a fresh {mode} server for each of alone and load, on 127.0.0.1 "
          f"(ASK_CONCURRENCY={ASK_CONCURRENCY})")
    head = (f"{'phase':<11}{'asked':>6}{'errors':>7}{'wall s':>8}{'q/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
            f"{'max ms':>8}{'same':>9}{'srv CPU s':>10}{'RSS MB':>8}")
    print(head)
    print("-" * len(head))
    for phase, s in phases.items():
        lat = s["latency"]
        same = f"{consistency[phase]['same']}/{consistency[phase]['answers']}" if phase in consistency else "(ref)"
        print(f"{phase:<11}{s['questions_answered']:>6}{s['errors']:>7}{s['wall_seconds']:>8.1f}"
              f"{(s['throughput_qps'] or 0):>7.2f}{lat['p50_ms']:>8.0f}{lat['p95_ms']:>8.0f}{lat['p99_ms']:>8.0f}"
              f"{lat['max_ms']:>8.0f}{same:>9}{s['server_cpu_seconds']:>10.1f}{s['server_peak_rss_mb']:>8.0f}")
    print("alone: each session by itself, one after another (wall s: time spent asking); "
          "same: answers equal to the answer alone")
    for phase, c in consistency.items():
        print(f"consistency ({phase}): {c['same']}/{c['answers']} answers equal to the answer alone "
              f"({c['different']} different, {c['missing']} missing)")
    print("abstained: " + ", ".join(f"{s['abstained']}/{s['questions_answered']} {p}" for p, s in phases.items()))
    for phase, s in phases.items():
        print(f"{phase}: load average {s['load_average_before']} before, {s['load_average_after']} after; "
              f"clients used {s['client_cpu_seconds']} CPU s")
        for other in s["other_processes_seen"]:
            print(f"  WARNING: also running during {phase}: {other}")
    for phase, s in phases.items():
        for e in s["error_samples"][:3]:
            print(f"error ({phase}): {e}")
    for phase, c in consistency.items():
        for m in c["mismatches"][:3]:
            print(f"different ({phase}): session {m['session']} question {m['position']}: {m['question']!r}")
    if code_changed:
        print("WARNING: the source code changed while the servers started; the consistency check may compare "
              "two versions of the code: run again")
    print(f"target (0 errors, every answer as alone): {'MET' if target_met else 'MISSED'}")
    print(f"wrote {path}")
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
