"""The ``statements-qa`` command line: inspect, index, remove, search, ask, chat, serve."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.filters import FILTER_KEYS, FilterError, check_filters
from corpus.chunk import Chunk
from corpus.options import DEFAULT_MAX_FILE_MB, MB, LoadOptions
from corpus.problems import LoadReport, StatementsError
from corpus.statement import Statement
from embeddings.progress import LOG_EVERY_ENV, log_every
from ui.arguments import CommandParser, parse_arguments, port_number, positive_int
from ui.limits import MAX_QUESTION_CHARS

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.settings import ExtractionSettings

DEFAULT_INDEX_DIR = ".statements-qa/index"
LOAD_FIELDS = ("id", "text", "title", "speaker", "source", "date", "url")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parse_arguments(parser, argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        log_every()  # a mistyped $STATEMENTS_QA_LOG_EVERY stops the command before any work
        with _no_progress_lines(getattr(args, "json", False)):  # JSON on stdout: stderr only for problems
            return int(args.run(args) or 0)
    except StatementsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _no_progress_lines(quiet: bool) -> Iterator[None]:
    """No progress lines on stderr (``embeddings.progress``) while the block runs, when ``quiet``."""
    before = os.environ.get(LOG_EVERY_ENV)
    if quiet:
        os.environ[LOG_EVERY_ENV] = "0"
    try:
        yield
    finally:
        if quiet:  # as it was: main() also runs inside other programs (and tests)
            os.environ.pop(LOG_EVERY_ENV, None)
            if before is not None:
                os.environ[LOG_EVERY_ENV] = before


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = CommandParser(
        prog="statements-qa",
        description="Answer questions about what officials said, with verbatim quotes and their sources.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("inspect", help="load statements and show their metadata, chunks and problems")
    _add_load_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--strict", action="store_true", help="exit non-zero if any input was skipped")
    p.set_defaults(run=_run_inspect, command_parser=p)

    p = sub.add_parser("index", help="add new and changed statements to an index directory or Milvus")
    _add_load_options(p)
    _add_index_dir(p)
    p.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="ingest with Ray Data into Milvus (needs --milvus-uri): a Ray cluster ADDRESS (ray://head:10001, "
        "auto), or none for a Ray on this machine's cores",
    )
    p.add_argument("--ray-workers", type=positive_int, metavar="N",
                   help="embedding actors (default: one per GPU of the cluster, else one per CPU)")
    p.add_argument("--model", help="sentence-transformers model name or folder (default: the one the index was "
                   "built with; all-MiniLM-L6-v2, bundled, for a new index)")
    p.add_argument("--rebuild", action="store_true", help="drop the existing index and build it afresh")
    p.add_argument("--context-field", action="append", metavar="NAME", dest="context_fields",
                   help="a record field searched with the text and never quoted (a journalist's question, a "
                   "headline), shown as context; repeat for several (default for a new index: question, headline, "
                   "title; an existing index keeps its own)")
    p.add_argument("--no-context", action="store_true", help="a new index searches no context field")
    p.add_argument("--where", action="append", default=[], metavar="EXPR",
                   help="index only the statements that meet EXPR: FIELD OP VALUE with OP one of = != ~ (contains) "
                   "!~ < <= > >= and FIELD id, title, speaker, source, date, url, year or a metadata key, e.g. "
                   "year>=2017, date<2020-06, country=FRA, speaker~Voss; repeatable (all must hold)")
    p.add_argument("--since", metavar="DATE", help="index only statements dated from DATE on (YYYY, YYYY-MM or "
                   "YYYY-MM-DD)")
    p.add_argument("--until", metavar="DATE", help="index only statements dated up to DATE, its whole year or "
                   "month included (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--strict", action="store_true", help="exit non-zero if any input was skipped")
    p.set_defaults(run=_run_index, command_parser=p)

    p = sub.add_parser("remove", help="delete statements from an index directory or Milvus")
    p.add_argument("ids", nargs="+", metavar="ID", help="statement ids (see `inspect` or `search --json`)")
    _add_index_dir(p)
    p.add_argument("--missing-ok", action="store_true", help="exit 0 even if some ids are not in the index")
    p.set_defaults(run=_run_remove, command_parser=p)

    p = sub.add_parser("search", help="retrieve the passages that best match a query")
    p.add_argument("query", help="words or a question to search for")
    _add_query_options(p)
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid",
                   help="hybrid (default): by meaning and by words; dense: by meaning; lexical: by words (BM25)")
    p.set_defaults(run=_run_search, command_parser=p)

    one_shot = "answer one question with verbatim quotes and their sources (one question, no conversation: see `chat`)"
    p = sub.add_parser("ask", help=one_shot, description=f"{one_shot[0].upper()}{one_shot[1:]}.")
    p.add_argument("question", help=f"the question (only its first {MAX_QUESTION_CHARS:,} characters are used)")
    _add_query_options(p, k_help="at most this many quotes (default 3)", k_default=None)
    p.set_defaults(run=_run_ask, command_parser=p)

    chat = "ask questions in a conversation on the terminal: follow-ups such as “and in 2019?” continue it"
    p = sub.add_parser("chat", help=chat, description=f"{chat[0].upper()}{chat[1:]}. /new starts a new "
                       "conversation, /quit or Ctrl-D ends it. Questions can also come from a pipe or a file, one "
                       "per line.")
    p.add_argument("--index-dir", help="index directory (default: the bundled sample, as `serve` uses it)")
    _add_milvus(p)
    p.add_argument("--k", type=positive_int, help="at most this many quotes per answer (default 3)")
    _add_filter(p)
    p.set_defaults(run=_run_chat, command_parser=p)

    p = sub.add_parser("serve", help="start the web chat (the bundled sample when no index is given)")
    p.add_argument("--index-dir", help="index directory (default: the bundled sample, indexed on first start)")
    _add_milvus(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only; "
                   "0.0.0.0 for every network interface)")
    p.add_argument("--port", type=port_number, default=7860, help="port to listen on (default: 7860)")
    p.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    p.add_argument(
        "--auth-env", metavar="VAR", help="require the login user:password stored in this environment variable"
    )
    p.set_defaults(run=_run_serve, command_parser=p)
    return parser


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of statements")
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=COLUMN[,COLUMN]",
        help="for JSON/JSONL/CSV: read statement field NAME (id, text, title, speaker, source, date, url) "
        "from these record columns, e.g. --field source=country_name",
    )
    p.add_argument("--join-text", action="store_true", help="join all --field text columns (e.g. title,text)")
    p.add_argument("--encoding", help="text encoding of the input files (default: UTF-8)")
    p.add_argument(
        "--max-file-size", type=float, default=DEFAULT_MAX_FILE_MB, metavar="MB",
        help=f"skip .txt/.md/.html/.pdf/.docx/.json files, and lines of JSONL/CSV files, larger than this "
        f"(default: {DEFAULT_MAX_FILE_MB} MB; 0 for no limit)",
    )


def _add_index_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index-dir", help=f"index directory (default: {DEFAULT_INDEX_DIR}, unless --milvus-uri)")
    _add_milvus(p)


def _add_milvus(p: argparse.ArgumentParser) -> None:
    p.add_argument("--milvus-uri", metavar="URI",
                   help="use the index in Milvus: a Milvus Lite file (statements.db) or a server (http://host:19530)")
    p.add_argument("--milvus-token-env", metavar="NAME",
                   help="environment variable holding the Milvus token (user:password or an API key)")


def where(args: argparse.Namespace) -> dict[str, Any]:
    """``index_dir``, ``milvus_uri`` and ``milvus_token_env`` from the arguments (the default index directory
    unless a Milvus URI is given)."""
    index_dir = args.index_dir if args.index_dir or args.milvus_uri else DEFAULT_INDEX_DIR
    return {"index_dir": index_dir, "milvus_uri": args.milvus_uri, "milvus_token_env": args.milvus_token_env}


def _place(args: argparse.Namespace) -> str:
    """The index's name in messages."""
    return str(args.milvus_uri or args.index_dir or DEFAULT_INDEX_DIR)


def _add_query_options(
    p: argparse.ArgumentParser, k_help: str = "how many passages (default 5)", k_default: int | None = 5
) -> None:
    _add_index_dir(p)
    p.add_argument("--k", type=positive_int, default=k_default, help=k_help)
    _add_filter(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_filter(p: argparse.ArgumentParser) -> None:
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                   help="speaker=, source=, title=, date_from=YYYY[-MM[-DD]], date_to=YYYY[-MM[-DD]] or a metadata "
                   "key of the index (e.g. country=); repeatable")


def load_options(args: argparse.Namespace) -> LoadOptions:
    """LoadOptions from --field, --join-text, --encoding and --max-file-size."""
    fields: dict[str, tuple[str, ...]] = {}
    for item in args.field:
        name, sep, columns = item.partition("=")
        if not sep or name not in LOAD_FIELDS or not columns:
            names = ", ".join(LOAD_FIELDS)
            raise StatementsError(f"--field {item!r}: expected NAME=COLUMN[,COLUMN] with NAME one of {names}")
        fields[name] = tuple(c.strip() for c in columns.split(",") if c.strip())
    size = args.max_file_size
    if not (size >= 0 and size != float("inf")):  # also refuses nan
        raise StatementsError(f"--max-file-size {size:g}: expected a number of MB, or 0 for no limit")
    max_file_bytes = int(size * MB) if size > 0 else None
    default = LoadOptions()
    return LoadOptions(
        id=fields.get("id", default.id), text=fields.get("text", default.text),
        title=fields.get("title", default.title), speaker=fields.get("speaker", default.speaker),
        source=fields.get("source", default.source), date=fields.get("date", default.date),
        url=fields.get("url", default.url), join_text=args.join_text, encoding=args.encoding,
        max_file_bytes=max_file_bytes,
    )


def parse_filters(items: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings into a filters dict (unchecked: see ``checked_filters``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise StatementsError(f"--filter {item!r}: expected KEY=VALUE")
        if key in out:
            raise StatementsError(f"--filter {item!r}: {key} is given twice; a filter takes one value")
        out[key] = value
    return out


def checked_filters(qa: Assistant, items: Sequence[str]) -> dict[str, str]:
    """The --filter options as ``qa`` takes them, checked as the chat checks its filters (``assistant.filters``)."""
    filters = parse_filters(items)
    others = [key for key in filters if key not in FILTER_KEYS]
    metadata_keys = {key for st in qa.statement_headers() for key in st.metadata} if others else set()
    try:
        return check_filters(filters, metadata_keys)
    except FilterError as exc:
        raise StatementsError(f"--filter {exc.key}={exc.value}: {exc.reason}") from None


def check_paths_exist(paths: Sequence[str]) -> None:
    """One error line naming the paths that do not exist (a typo), before anything is read or created."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise StatementsError(f"no such file or folder: {', '.join(missing)}")


def problem_lines(report: LoadReport) -> list[str]:
    """One line per skipped input, then per duplicate, in the order met (for stderr and for --json)."""
    return [str(p) for p in report.problems] + [
        f"duplicate {dropped}: same text as {kept}, indexed once" for dropped, kept in report.duplicates
    ]


def _print_problems(report: LoadReport, more: str = "") -> None:
    for line in problem_lines(report):
        print(line, file=sys.stderr)
    print(report.summary() + (f"; {more}" if more else ""), file=sys.stderr)


def _run_inspect(args: argparse.Namespace) -> int:
    from corpus.chunker import Chunker
    from corpus.load import iter_statements

    check_paths_exist(args.paths)
    report = LoadReport()
    chunker = Chunker()
    items = []
    for st in iter_statements(args.paths, load_options(args), report):
        chunks = chunker.chunk(st)
        if args.json:
            d = dataclasses.asdict(st)
            d["metadata"] = dict(st.metadata)
            d["chunks"] = [dataclasses.asdict(c) | {"id": c.id} for c in chunks]
            items.append(d)
        else:
            _print_statement(st, chunks)
    if args.json:
        out = {"statements": items, "problems": problem_lines(report), "summary": report.summary()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    _print_problems(report)
    return 1 if args.strict and report.problems else 0


def _print_statement(st: Statement, chunks: Sequence[Chunk]) -> None:
    print(f"== {st.id}")
    for name in ("title", "speaker", "source", "date", "url", "path"):
        value = getattr(st, name)
        if value:
            print(f"   {name}: {value}")
    for key, value in st.metadata.items():
        print(f"   {key}: {value}")
    print(f"   {len(st.text)} characters, {len(chunks)} chunks")
    for c in chunks:
        ok = "ok" if st.text[c.start:c.end] == c.text else "MISMATCH"
        preview = c.text[:100].replace("\n", " ")
        more = "…" if len(c.text) > 100 else ""
        print(f"   [{c.index}] {c.start}-{c.end} {len(c.sentences)} sentences ({ok}): {preview}{more}")


def _run_index(args: argparse.Namespace) -> int:
    from ui.indexing import index_selected, nothing_to_index
    from ui.selection import build_selection

    check_paths_exist(args.paths)
    selection = build_selection(args.where, args.since, args.until)
    options = load_options(args)
    context_fields = [] if args.no_context else args.context_fields
    if args.ray is not None:
        return _run_ray_index(args, options, context_fields, selected=bool(selection))
    report = LoadReport()
    run = index_selected(args.paths, report, selection, model=args.model, options=options, rebuild=args.rebuild,
                         context_fields=context_fields, **where(args))
    _print_problems(report, run.count.summary(selection) if selection else "")
    for condition in selection.conditions:
        if condition.field not in run.count.fields_seen and run.count.kept + run.count.left_out:
            print(f"note: --where {condition}: no statement loaded has a field “{condition.field}”", file=sys.stderr)
    if run.update is None:
        print(nothing_to_index(run, report, selection, _place(args), args.rebuild), file=sys.stderr)
        return 1
    print(run.update.summary())
    return 1 if args.strict and report.problems else 0


def _run_ray_index(args: argparse.Namespace, options: LoadOptions, context_fields: list[str] | None,
                   selected: bool) -> int:
    """``index --ray``: Ray reads the files itself, so the statements cannot pass a selection on the way."""
    from assistant.api import index_statements

    if selected:
        raise StatementsError("--where, --since and --until do not work with --ray: index without --ray, or "
                              "select the records before indexing")
    update, report = index_statements(
        args.paths, model=args.model, options=options, rebuild=args.rebuild, ray_address=args.ray,
        ray_workers=args.ray_workers, context_fields=context_fields, **where(args),
    )
    _print_problems(report)
    print(update.summary())
    return 1 if args.strict and report.problems else 0


def _run_remove(args: argparse.Namespace) -> int:
    from assistant.api import remove_statements

    update = remove_statements(statement_ids=args.ids, **where(args))
    print(update.summary())
    if not update.missing:
        return 0
    names = ", ".join(update.missing)
    if args.missing_ok:
        print(f"note: not in the index {_place(args)}, ignored: {names}", file=sys.stderr)
        return 0
    print(f"error: not in the index {_place(args)}: {names} (--missing-ok ignores ids that are not there)",
          file=sys.stderr)
    return 1


def _run_search(args: argparse.Namespace) -> int:
    from assistant.api import Assistant
    from assistant.citation import document_title

    with Assistant.open(**where(args)) as qa:
        passages = qa.retrieve(args.query, k=args.k, filters=checked_filters(qa, args.filter), mode=args.mode)
        _note_missing_attributions(qa, _place(args))
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2))
        return 0
    if not passages:
        print("no matching passages")
    for rank, p in enumerate(passages, 1):
        title = document_title(p.statement)  # the readable title the chat and the answers show
        who = ", ".join(x for x in (p.speaker, p.source, p.date, f"“{title}”" if title else "") if x)
        print(f"{rank}. [{p.score:.3f}] {p.statement_id} ({p.start}-{p.end}) {who}")
        print("   " + p.text.replace("\n", "\n   "))
    return 0


def _run_ask(args: argparse.Namespace) -> int:
    from assistant.api import Assistant
    from ui.limits import ask_within_limits

    with Assistant.open(extraction=_extraction(args), **where(args)) as qa:
        answer = ask_within_limits(qa, args.question, filters=checked_filters(qa, args.filter))
        _note_missing_attributions(qa, _place(args))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return 0


def _run_chat(args: argparse.Namespace) -> int:
    from ui.chat import CHAT_NOTE, run_chat
    from ui.sample import open_assistant

    qa = open_assistant(args.index_dir, args.milvus_uri, args.milvus_token_env, extraction=_extraction(args),
                        note=CHAT_NOTE, out=sys.stderr)  # the bundled sample without an index, as `serve` does
    with qa:
        filters = checked_filters(qa, args.filter)
        _note_missing_attributions(qa, _place(args))
        return run_chat(qa, sys.stdin, sys.stdout, sys.stderr, filters)


def _extraction(args: argparse.Namespace) -> ExtractionSettings:
    """The answer settings, with ``--k`` quotes at most."""
    from assistant.settings import ExtractionSettings

    return ExtractionSettings() if args.k is None else ExtractionSettings(max_quotes=args.k)


def _note_missing_attributions(qa: Assistant, index_dir: str) -> None:
    """One line on stderr when the index was built before attribution (who said each sentence)."""
    if not qa.stats().attributions:
        print(
            f"note: {index_dir} was built without attributions, so speakers are known from metadata and "
            "guessed near speech verbs only; "
            f"`statements-qa index PATH... --index-dir {index_dir} --rebuild` adds them",
            file=sys.stderr,
        )


def _run_serve(args: argparse.Namespace) -> int:
    from ui.server import serve

    serve(index_dir=args.index_dir, host=args.host, port=args.port, share=args.share, auth_env=args.auth_env,
          milvus_uri=args.milvus_uri, milvus_token_env=args.milvus_token_env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
