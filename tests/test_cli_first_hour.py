"""The command line in a user's first hour: the terminal chat, indexing part of a file, progress in a log,
the demo's port and help, loud mistakes, and titles in ``search``.

Real parts throughout: the bundled encoder, real indexes, the installed console script in real subprocesses.
All speakers, countries and organisations are fictional.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.citation import document_title
from corpus.load import load_statements
from corpus.statement import Statement
from embeddings.progress import progress_line
from ui.cli import main
from ui.limits import CUT_NOTE, MAX_QUESTION_CHARS
from ui.selection import Condition, Selection, build_selection, compare, field_value, parse_condition

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "statements-qa"
ENV = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")


def run_script(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path = ROOT,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The installed console script in a real subprocess, its stdin, stdout and stderr pipes."""
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env or ENV, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def transcript(out: str) -> list[tuple[str, str]]:
    """The chat's output from piped questions as ``(question, what followed it)`` pairs."""
    pairs: list[tuple[str, str]] = []
    for line in out.splitlines():
        if line.startswith("> "):
            pairs.append((line[2:], ""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line + "\n")
    return [(question, answer.strip()) for question, answer in pairs]


def quotes_and_speakers(answer: str) -> list[tuple[str, str]]:
    """``(quote, attribution line)`` of each numbered quote of an answer printed as text."""
    return re.findall(r"^\d+\. “(.*?)”\n\s+— ([^\n]*)$", answer, flags=re.MULTILINE | re.DOTALL)


# --- 4. the terminal chat -------------------------------------------------------------------------------------


def test_chat_keeps_the_conversation_and_prints_what_ask_prints(fictional_index, capsys):
    first, follow_up = "what did Voss say about fishing quotas?", "and about sea-level rise?"
    result = run_script("chat", "--index-dir", str(fictional_index), stdin=f"{first}\n{follow_up}\n")
    assert result.returncode == 0, result.stderr  # the end of input (Ctrl-D) ends the chat
    assert "Traceback" not in result.stderr
    answers = transcript(result.stdout)
    assert [question for question, _ in answers] == [first, follow_up]

    code, alone, _ = run(capsys, "ask", first, "--index-dir", str(fictional_index))
    assert code == 0 and answers[0][1] == alone.strip()  # the same text as `ask`

    quoted = quotes_and_speakers(answers[1][1])
    assert quoted, answers[1][1]
    assert all(line.startswith("Elara Voss") for _, line in quoted), quoted  # Voss, from the first question
    assert any("sea-level rise" in quote for quote, _ in quoted), quoted


def test_chat_new_starts_afresh_and_quit_ends(fictional_index):
    lines = ["what did Tomas Quill say about fishing quotas?", "and Voss?", "/new", "and Voss?", "/quit",
             "what did Petra Grellin say?"]
    result = run_script("chat", "--index-dir", str(fictional_index), stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = transcript(result.stdout)
    assert [question for question, _ in answers] == ["what did Tomas Quill say about fishing quotas?", "and Voss?",
                                                     "and Voss?"]  # nothing is asked after /quit
    kept, fresh = quotes_and_speakers(answers[1][1]), quotes_and_speakers(answers[2][1])
    assert kept and all(line.startswith("Elara Voss") and "fishing quotas" in quote for quote, line in kept), kept
    assert "New conversation." in answers[1][1]  # said where /new was typed
    assert fresh and any("fishing quotas" not in quote for quote, _ in fresh), fresh  # the topic was not carried


def test_chat_cuts_a_long_question_as_the_web_chat_does(fictional_index):
    long_question = "what did Voss say about fishing quotas? " + "please " * 300
    result = run_script("chat", "--index-dir", str(fictional_index), stdin=long_question + "\n")
    assert result.returncode == 0, result.stderr
    [(_, answer)] = transcript(result.stdout)
    assert answer.startswith(CUT_NOTE)


@pytest.mark.slow  # indexes the bundled sample into a fresh folder (~20 s)
def test_chat_without_an_index_uses_the_bundled_sample_as_serve_does(tmp_path):
    result = run_script("chat", stdin="What did Lavrov say about Micaller?\nAnd about ISIS?\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".statements-qa" / "sample-index" / "manifest.json").is_file()  # where `serve` keeps it
    answers = transcript(result.stdout)
    assert len(answers) == 2 and all(quotes_and_speakers(answer) for _, answer in answers), result.stdout
    assert "Indexing the bundled sample" in result.stderr  # notes go to stderr, answers alone to stdout
    assert "Indexing" not in result.stdout


def test_ask_help_says_it_is_one_shot(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "one question, no conversation: see `chat`" in out


# --- 5. indexing part of a file -------------------------------------------------------------------------------

SPEECHES = [  # (id, country, country_name, session, date, speaker, post, text)
    ("NRV_71_2016", "NRV", "Norvania", 71, "2016-09-21", "Ms. Elara Voss", "Prime Minister",
     "Norvania asks every coastal state to cut its fishing quotas by a fifth before the cod stocks collapse."),
    ("EST_72_2017", "EST", "Estmark", 72, "2017-09-20", "Mr. Tomas Quill", "Minister for Foreign Affairs",
     "Estmark will double its contribution to the fund for the harbours of the low islands."),
    ("VAL_73_2018", "VAL", "Valdoria", 73, "2018-09-26", "Mr. Ilya Brannock", "Minister for Foreign Affairs",
     "Valdoria remains committed to the tariff agreement on grain exports with its neighbours."),
    ("NRV_74_2019", "NRV", "Norvania", 74, "2019-06-30", "Ms. Elara Voss", "Prime Minister",
     "Norvania warned that the harbour of Kessmouth now floods every spring because of sea-level rise."),
    ("EST_74_2019", "EST", "Estmark", 74, "2019-07-01", "Mr. Tomas Quill", "Minister for Foreign Affairs",
     "Estmark believes that fishing quotas should be raised because the cod stocks have recovered."),
    ("VAL_75_2020", "VAL", "Valdoria", 75, "2020-09-22", "Mr. Ilya Brannock", "Minister for Foreign Affairs",
     "Valdoria calls for the border talks with Ostrava to resume before the winter."),
    ("NRV_76_2021", "NRV", "Norvania", 76, "2021-09-21", "Mr. Oskar Lind", "Prime Minister",
     "Norvania now asks for a regional treaty on fishing quotas in the Pelgrin Sea."),
]


@pytest.fixture(scope="module")
def speeches(tmp_path_factory) -> Path:
    """A JSONL file of fictional General Debate speeches of several years (``year`` and ``date`` both)."""
    path = tmp_path_factory.mktemp("speeches") / "speeches.jsonl"
    rows = [{"id": i, "country": c, "country_name": name, "session": s, "year": int(d[:4]), "date": d,
             "speaker": who, "post": post, "text": text} for i, c, name, s, d, who, post, text in SPEECHES]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def indexed_ids(index_dir: Path) -> set[str]:
    with Assistant.open(index_dir) as qa:
        return {header.id for header in qa.statement_headers()}


@pytest.fixture(scope="module")
def recent_index(speeches, tmp_path_factory) -> tuple[Path, str]:
    """``index speeches.jsonl --where year>=2020`` and its stderr."""
    index_dir = tmp_path_factory.mktemp("recent") / "index"
    capture = subprocess.run(
        [sys.executable, "-c", "import sys; from ui.cli import main; sys.exit(main(sys.argv[1:]))", "index",
         str(speeches), "--index-dir", str(index_dir), "--where", "year>=2020"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
    )
    assert capture.returncode == 0, capture.stderr
    return index_dir, capture.stderr


def test_where_indexes_only_the_statements_that_meet_it(recent_index):
    index_dir, err = recent_index
    assert indexed_ids(index_dir) == {"VAL_75_2020", "NRV_76_2021"}
    summary = [line for line in err.splitlines() if line.startswith("loaded ")]
    assert summary == ["loaded 7 statements from 1 file, skipped 0; left out 5 of 7 statements by --where year>=2020"]


def test_since_and_until_take_whole_periods(speeches, tmp_path, capsys):
    index_dir = tmp_path / "index"
    code, out, err = run(capsys, "index", str(speeches), "--index-dir", str(index_dir), "--since", "2017",
                         "--until", "2019-06", "--where", "speaker~quill", "--where", "country!=VAL")
    assert code == 0, err
    assert indexed_ids(index_dir) == {"EST_72_2017"}  # EST_74_2019 is dated 1 July: after June 2019
    code, out, err = run(capsys, "index", str(speeches), "--index-dir", str(index_dir), "--until", "2019-06")
    assert code == 0, err
    assert indexed_ids(index_dir) == {"NRV_71_2016", "EST_72_2017", "VAL_73_2018", "NRV_74_2019"}  # 30 June in
    assert "left out 3 of 7 statements by --until 2019-06" in err


@pytest.mark.parametrize(("argv", "line"), [
    (["--where", "year"], "error: --where 'year': expected FIELD OP VALUE"),
    (["--where", "speaker=~Voss"], "error: --where 'speaker=~Voss': expected FIELD OP VALUE"),
    (["--where", ">=2017"], "error: --where '>=2017': expected FIELD OP VALUE"),
    (["--since", "last-year"], "error: --since last-year: the date “last-year” is not understood"),
    (["--since", "2020", "--until", "2019-06"], "error: --since 2020 --until 2019-06: the dates are the wrong way"),
])
def test_a_malformed_selection_is_one_line_before_anything_is_read(argv, line, speeches, tmp_path, capsys):
    index_dir = tmp_path / "index"
    code, out, err = run(capsys, "index", str(speeches), "--index-dir", str(index_dir), *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(line), err
    assert not index_dir.exists()


def test_a_field_no_statement_has_is_noted_and_nothing_is_indexed(speeches, tmp_path, capsys):
    index_dir = tmp_path / "index"
    code, out, err = run(capsys, "index", str(speeches), "--index-dir", str(index_dir), "--where", "contry=NRV")
    assert code == 1 and out == ""
    assert "note: --where contry=NRV: no statement loaded has a field “contry”" in err
    assert err.splitlines()[-1] == (f"error: nothing to index: --where contry=NRV left out all 7 statements loaded; "
                                    f"no index was created at {index_dir}")
    assert not index_dir.exists()


def _statement(**fields: object) -> Statement:
    metadata = fields.pop("metadata", {})
    return Statement(id=str(fields.pop("id", "s1")), text="Some words.", metadata=metadata,
                     **{k: str(v) for k, v in fields.items()})


@pytest.mark.parametrize(("expression", "fields", "holds"), [
    ("year>=2017", {"date": "2017-01-05"}, True),  # the date's year when the metadata has none
    ("year>=2017", {"date": "2016-12-31"}, False),
    ("year<2017", {"date": "2019", "metadata": {"year": 2016}}, True),  # the metadata's year first
    ("session>=72", {"metadata": {"session": 100}}, True),  # numbers numerically, not as text ("100" < "72")
    ("date<2020-06", {"date": "2020-05-31"}, True),
    ("date<2020-06", {"date": "2020-06-01"}, False),
    ("date<=2020-06", {"date": "2020-06-30"}, True),  # to the precision written: all of June
    ("date>2020", {"date": "2020-12-31"}, False),
    ("date=2020-06", {"date": "2020-06-14"}, True),
    ("country=fra", {"metadata": {"country": "FRA"}}, True),  # equal ignoring case
    ("country!=FRA", {"metadata": {}}, True),  # no such field: only != and !~ hold
    ("country=FRA", {"metadata": {}}, False),
    ("speaker~voss", {"speaker": "Ms. Elara Voss"}, True),
    ("speaker!~voss", {"speaker": "Mr. Tomas Quill"}, True),
    ("title>M", {"title": "Norvania"}, True),  # text ignoring case
    ("id~_2019", {"id": "NRV_74_2019"}, True),
])
def test_where_conditions(expression, fields, holds):
    assert parse_condition(expression).holds(_statement(**fields)) is holds


def test_selection_parts():
    assert parse_condition("year >= 2017") == Condition("year", ">=", "2017")
    assert parse_condition("country==FRA") == Condition("country", "=", "FRA")
    assert field_value(_statement(metadata={"post": "  "}), "post") is None  # blank is absent
    assert compare("2019-06-10", "<", "2019-07") and not compare("10", "<", "9")
    selection = build_selection(["year>=2017"], "2018", "2019-06")
    assert str(selection) == "--where year>=2017 --since 2018 --until 2019-06"
    assert selection.admits(_statement(date="2019-06-30")) and not selection.admits(_statement(date="2019-07-01"))
    assert not selection.admits(_statement(date=""))  # undated statements are outside any date range
    assert not Selection() and selection


# --- 6. long work written to a log -------------------------------------------------------------------------------

PROGRESS_LINE = re.compile(r"^(chunking|embedding): [\d,]+(/[\d,]+)? (statement|chunk)s?, (\d+)s elapsed(, done)?$")


def test_long_work_writes_a_progress_line_now_and_then_to_a_log(tmp_path):
    towns = ["Kessmouth", "Amsel", "Tallow Hill", "Castelmar", "Lusk", "Varnholt", "Corrick", "Brenmoor"]
    rows = []
    for i in range(400):
        town, other = towns[i % len(towns)], towns[(i * 3 + 1) % len(towns)]
        text = (f"Harbour master Ines Calder said that the ferry from {town} to {other} will run every {i % 7 + 1} "
                f"hours from May. She added that the pier at {town} needs {i * 13 % 90 + 10} new piles. "
                f"Critics in {other} replied that the toll of {i % 9 + 2} crowns is too high for fishermen. "
                f"The council of {town} will vote on the plan on day {i % 28 + 1} of the month.")
        rows.append({"id": f"ferry-{i:03d}", "speaker": "Ines Calder", "date": f"2021-04-{i % 28 + 1:02d}",
                     "text": text})
    (tmp_path / "ferries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = dict(ENV, STATEMENTS_QA_LOG_EVERY="1")
    result = run_script("index", str(tmp_path / "ferries.jsonl"), "--index-dir", str(tmp_path / "index"), env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if PROGRESS_LINE.match(line)]
    assert lines, result.stderr  # stderr is a pipe: lines, not a bar
    assert "%|" not in result.stderr and "it/s" not in result.stderr
    others = [line for line in result.stderr.splitlines() if line not in lines]
    assert others == ["loaded 400 statements from 1 file, skipped 0"], others
    for task in ("chunking", "embedding"):
        ticks = [int(PROGRESS_LINE.match(line).group(4)) for line in lines if line.startswith(task)]
        assert ticks == sorted(ticks)
        assert len(ticks) <= max(ticks, default=0) + 2  # at most one line a second, and the last one


def test_progress_lines_read_as_a_person_would_write_them():
    line = progress_line("indexing", 1200, 5000, "statement", 190.4)
    assert line == "indexing: 1,200/5,000 statements, 3m10s elapsed"
    assert progress_line("chunking", 1, None, "statement", 59.9) == "chunking: 1 statement, 59s elapsed"
    assert progress_line("embedding", 12, 30, "chunk", 3725) == "embedding: 12/30 chunks, 1h02m elapsed"


def test_a_mistyped_log_interval_is_one_line(tmp_path):
    result = run_script("index", str(tmp_path), "--index-dir", str(tmp_path / "index"),
                        env=dict(ENV, STATEMENTS_QA_LOG_EVERY="soon"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: STATEMENTS_QA_LOG_EVERY=soon: expected a number of seconds (0 for no progress lines)"]


# --- 7. the demo's port, help for every flag, one form of command in the README -----------------------------------


def test_make_demo_takes_a_port():
    for argv, port in ((["make", "-n", "demo", "PORT=7861"], "7861"), (["make", "-n", "demo"], "7860")):
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        serve = [line for line in result.stdout.splitlines() if "statements-qa serve" in line]
        assert serve == [f".venv/bin/statements-qa serve --port {port}"], result.stdout


def help_entries(text: str) -> dict[str, str]:
    """The options section of an argparse help text: each option's flags, and its help (joined lines)."""
    entries: dict[str, str] = {}
    current = ""
    for line in text.split("options:", 1)[1].splitlines():
        if line.startswith("  -"):
            flags, _, rest = line.strip().partition("  ")
            current = re.findall(r"--[\w-]+", flags)[0]  # "-h, --help", "--field NAME=COLUMN[,COLUMN]"
            entries[current] = rest.strip()
        elif line.startswith("   ") and current:
            entries[current] = (entries[current] + " " + line.strip()).strip()
    return entries


@pytest.mark.parametrize("command", ["serve", "chat", "index", "search", "ask"])
def test_every_option_has_help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    usage = out.split("\n\n", 1)[0]
    options = set(re.findall(r"\[(--[\w-]+)", usage))
    entries = help_entries(out)
    assert options and options <= set(entries), (options, entries)
    assert all(entries[option] for option in options), {o: entries[o] for o in options if not entries[o]}
    if command == "serve":
        assert "(default: 7860)" in entries["--port"]


def test_readme_commands_use_one_form():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines, fenced = [], False
    for line in readme.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(line.strip())
    commands = [line for line in lines if re.search(r"\bstatements-qa [a-z]", line)]
    spans = [span for span in re.findall(r"`([^`\n]+)`", readme) if re.search(r"statements-qa [a-z]+ \S", span)]
    assert commands and spans
    bare = [c for c in commands + spans if re.search(r"(^|[\s=])statements-qa ", c)]
    assert bare == [], bare  # every example runs .venv/bin/statements-qa, as the quick start does


# --- 9. loud mistakes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["search", "ask", "chat"])
@pytest.mark.parametrize("k", ["0", "-1", "three"])
def test_k_must_be_positive(command, k, fictional_index, capsys):
    argv = [command, "--k", k, "--index-dir", str(fictional_index)] + (["fishing quotas"] if command != "chat" else [])
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [f"error: argument --k: expected a whole number of 1 or more, not '{k}'"]


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_bad_port_is_one_line_without_traceback(port):
    result = run_script("serve", "--port", port, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: argument --port: expected a port number from 1 to 65535, not "
                                          f"'{port}'"]


def test_a_long_question_is_cut_as_the_chat_cuts_it(fictional_index, capsys):
    from ui.page import CUT_NOTE as PAGE_CUT_NOTE
    from ui.page import MAX_QUESTION_CHARS as PAGE_MAX_QUESTION_CHARS

    assert (MAX_QUESTION_CHARS, CUT_NOTE) == (PAGE_MAX_QUESTION_CHARS, PAGE_CUT_NOTE)  # one limit, one wording
    question = "What did Tomas Quill say about fishing quotas? " + "x" * 1200
    code, out, err = run(capsys, "ask", question, "--index-dir", str(fictional_index), "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["question"] == question[:MAX_QUESTION_CHARS]
    assert answer["message"].startswith(CUT_NOTE)
    code, out, err = run(capsys, "ask", question[:MAX_QUESTION_CHARS], "--index-dir", str(fictional_index), "--json")
    assert not json.loads(out)["message"].startswith(CUT_NOTE)  # 1,000 characters are asked whole


@pytest.fixture
def unusable(tmp_path) -> Path:
    folder = tmp_path / "unusable"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return folder


def test_indexing_only_unusable_files_fails_and_creates_no_index(unusable, tmp_path, capsys):
    index_dir = tmp_path / "index"
    code, out, err = run(capsys, "index", str(unusable), "--index-dir", str(index_dir))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len([line for line in lines if line.startswith("skipped ")]) == 2
    assert lines[-2] == "loaded 0 statements from 0 files, skipped 2"
    assert lines[-1] == ("error: nothing to index: no input could be used (each skipped line above says why); "
                         f"no index was created at {index_dir}")
    assert not index_dir.exists()


def test_indexing_only_unusable_files_leaves_an_index_as_it_was(unusable, speeches, tmp_path, capsys):
    index_dir = tmp_path / "index"
    assert run(capsys, "index", str(speeches), "--index-dir", str(index_dir))[0] == 0
    manifest = (index_dir / "manifest.json").read_bytes()
    for extra in ([], ["--rebuild"]):
        code, out, err = run(capsys, "index", str(unusable), "--index-dir", str(index_dir), *extra)
        assert code == 1 and out == ""
        assert err.splitlines()[-1].startswith("error: nothing to index: no input could be used"), err
        assert (index_dir / "manifest.json").read_bytes() == manifest
    assert len(indexed_ids(index_dir)) == len(SPEECHES)


def test_an_unknown_index_option_shows_the_index_usage(speeches, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["index", str(speeches), "--frobnicate"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: statements-qa index ")
    assert err.splitlines()[-1] == "statements-qa index: error: unrecognized arguments: --frobnicate"


# --- 15. titles in search ----------------------------------------------------------------------------------------


def test_search_shows_the_title_the_chat_shows(recent_index, speeches, capsys):
    index_dir, _ = recent_index
    code, out, err = run(capsys, "search", "fishing quotas treaty", "--index-dir", str(index_dir), "--k", "1")
    assert code == 0, err
    [ranked] = [line for line in out.splitlines() if line.startswith("1. [")]
    statements = {st.id: st for st in load_statements([speeches])[0]}
    title = document_title(statements["NRV_76_2021"])
    assert title == "Norvania — UN General Debate 2021"  # built from the metadata: the records have no title
    assert "NRV_76_2021" in ranked and ranked.endswith(f"“{title}”")
    code, out, err = run(capsys, "ask", "what did Norvania say about fishing quotas?", "--index-dir", str(index_dir),
                         "--json")
    assert json.loads(out)["quotes"][0]["title"] == title  # what the chat's answer and Sources show
