"""The ``statements-qa`` command line, run in process through ``main(argv)`` and as the real console script.

Input files are written into tmp_path; all speakers and organisations are fictional.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_app import SAMPLE_SOURCE

from corpus.load import bundled_sample_path
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "statements-qa"
COMMANDS = ("inspect", "index", "remove", "search", "ask", "chat", "serve")


def run_script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed console script in a real subprocess."""
    if not SCRIPT.exists():  # pragma: no cover - set-up problem, not a test result
        pytest.fail(f"{SCRIPT} is missing: run `{Path(sys.executable).parent / 'pip'} install -e {ROOT} --no-deps`")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.run([str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("skipped ")]


# --- help ---------------------------------------------------------------------------------


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: statements-qa")
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: statements-qa {command}")
    if command != "serve":
        assert "--index-dir" in out or command == "inspect"


def test_no_command_prints_help_and_exits_0(capsys):
    code, out, _ = run(capsys)
    assert code == 0 and out.startswith("usage: statements-qa")


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_help():
    result = run_script("--help", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: statements-qa")
    result = run_script("search", "--help", timeout=120)
    assert result.returncode == 0 and "--filter" in result.stdout


# --- inspect ------------------------------------------------------------------------------


def _check_sample_inspection(data: dict) -> None:
    [statement] = data["statements"]
    assert data["problems"] == []
    assert statement["id"] == "lavrov-dushanbe-201st-base"
    assert statement["source"] == SAMPLE_SOURCE
    text, chunks = statement["text"], statement["chunks"]
    assert len(chunks) >= 2  # the sample is longer than one chunk of the default model
    covered = set()
    for i, chunk in enumerate(chunks):
        assert chunk["index"] == i and chunk["statement_id"] == statement["id"]
        assert chunk["id"] == f"{statement['id']}#{i}"
        assert text[chunk["start"] : chunk["end"]] == chunk["text"]
        for start, end in chunk["sentences"]:
            assert chunk["start"] <= start < end <= chunk["end"]
        covered.update(range(chunk["start"], chunk["end"]))
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())  # nothing is left out


def test_console_script_inspects_the_bundled_sample():
    result = run_script("inspect", str(bundled_sample_path()), "--json")
    assert result.returncode == 0, result.stderr
    _check_sample_inspection(json.loads(result.stdout))
    assert "loaded 1 statement from 1 file, skipped 0" in result.stderr


def test_inspect_text_output_on_the_bundled_sample(capsys):
    code, out, err = run(capsys, "inspect", str(bundled_sample_path()))
    assert code == 0
    assert out.startswith("== lavrov-dushanbe-201st-base")
    assert f"source: {SAMPLE_SOURCE}" in out
    chunk_lines = [line for line in out.splitlines() if line.strip().startswith("[")]
    assert chunk_lines and all("(ok)" in line for line in chunk_lines)
    assert "MISMATCH" not in out
    assert "loaded 1 statement from 1 file, skipped 0" in err


GOOD_MD = """---
title: Remarks on the river ferries
speaker: Halvard Jessop
source: Ferry Office of Brenmoor
date: 2020-05-04
---
Ferry commissioner Halvard Jessop said the river ferries to Amsel will run hourly from June.
"""


@pytest.fixture
def messy_folder(tmp_path) -> Path:
    """A valid file, an empty file, a binary file and a JSONL file with one broken line."""
    folder = tmp_path / "messy"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD_MD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)))
    lines = [
        json.dumps({"id": "rec-1", "speaker": "Mona Quist", "source": "Brenmoor Water Board",
                    "text": "Mona Quist said the reservoir at Tallow Hill is full for the first time in a decade."}),
        '{"id": "rec-2", "speaker": "Mona Quist", "text": "this line is cut off',
        json.dumps({"id": "rec-3", "speaker": "Mona Quist", "source": "Brenmoor Water Board",
                    "text": "Quist added that hosepipe restrictions in Brenmoor will end on Monday."}),
    ]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _check_messy_problems(err: str, folder: Path) -> None:
    problems = problem_lines(err)
    assert len(problems) == 3, err
    names = ("empty.txt", "picture.txt", "records.jsonl")
    by_file = {name: [line for line in problems if name in line] for name in names}
    assert all(len(lines) == 1 for lines in by_file.values()), problems
    assert str(folder / "empty.txt") in by_file["empty.txt"][0] and "empty" in by_file["empty.txt"][0]
    assert "binary" in by_file["picture.txt"][0]
    assert f"{folder / 'records.jsonl'}:2:" in by_file["records.jsonl"][0] and "JSON" in by_file["records.jsonl"][0]
    assert "good.md" not in err.replace("skipped 3", "")
    assert "loaded 3 statements from 2 files, skipped 3" in err


def test_inspect_reports_each_bad_input_and_loads_the_rest(messy_folder, capsys):
    code, out, err = run(capsys, "inspect", str(messy_folder))
    assert code == 0, err
    assert [line[3:] for line in out.splitlines() if line.startswith("== ")] == ["good", "rec-1", "rec-3"]
    assert "speaker: Halvard Jessop" in out and "hosepipe restrictions" in out
    assert "Traceback" not in err
    _check_messy_problems(err, messy_folder)

    code, out, err = run(capsys, "inspect", str(messy_folder), "--strict")
    assert code != 0
    _check_messy_problems(err, messy_folder)


def test_inspect_json_reports_problems_too(messy_folder, capsys):
    code, out, err = run(capsys, "inspect", str(messy_folder), "--json")
    assert code == 0
    data = json.loads(out)
    assert [s["id"] for s in data["statements"]] == ["good", "rec-1", "rec-3"]
    assert data["statements"][0]["speaker"] == "Halvard Jessop"
    assert len(data["problems"]) == 3
    assert data["summary"] == "loaded 3 statements from 2 files, skipped 3"
    _check_messy_problems(err, messy_folder)
    assert run(capsys, "inspect", str(messy_folder), "--json", "--strict")[0] != 0


def test_inspect_of_a_missing_path_is_one_error_line(messy_folder, capsys):
    absent = messy_folder.parent / "mesy"  # a typo
    for argv in (["inspect", str(absent)], ["inspect", str(messy_folder), str(absent), "--json"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert err.splitlines() == [f"error: no such file or folder: {absent}"]


# --- index and search ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_index(fictional_corpus, tmp_path_factory) -> Path:
    """An index built by the `index` command."""
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    assert main(["index", str(fictional_corpus), "--index-dir", str(index_dir)]) == 0
    return index_dir


def test_index_reports_what_it_did(fictional_corpus, cli_index, capsys):
    assert (cli_index / "manifest.json").is_file()
    code, out, err = run(capsys, "index", str(fictional_corpus), "--index-dir", str(cli_index))
    assert code == 0
    assert out.strip() == "added 0, updated 0, unchanged 5, removed 0; index holds 5 statements in 5 chunks"
    assert "loaded 5 statements from 5 files, skipped 0" in err


def test_index_strict_fails_on_skipped_input(messy_folder, tmp_path, capsys):
    index_dir = tmp_path / "index"
    code, out, err = run(capsys, "index", str(messy_folder), "--index-dir", str(index_dir), "--strict")
    assert code != 0
    assert len(problem_lines(err)) == 3
    assert "added 3" in out  # the good statements are indexed all the same
    code, out, err = run(capsys, "search", "reservoir at Tallow Hill", "--index-dir", str(index_dir),
                         "--json", "--k", "1")
    assert code == 0 and json.loads(out)[0]["statement_id"] == "rec-1"


def test_search_json(cli_index, capsys):
    code, out, err = run(capsys, "search", "a regional fund to rebuild the sea walls", "--index-dir", str(cli_index),
                         "--json", "--k", "3")
    assert code == 0, err
    passages = json.loads(out)
    assert 1 <= len(passages) <= 3
    top = passages[0]
    assert top["statement_id"] == "voss-climate-2016"
    assert top["speaker"] == "Elara Voss" and top["source"] == "Ministry of Foreign Affairs of Norvania"
    assert top["date"] == "2016-09-21"
    assert "regional fund to rebuild sea walls" in top["text"]
    assert top["end"] - top["start"] == len(top["text"])
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    for mode in ("dense", "lexical"):
        code, out, _ = run(capsys, "search", "sea walls regional fund", "--index-dir", str(cli_index),
                           "--json", "--mode", mode)
        assert code == 0 and json.loads(out)[0]["statement_id"] == "voss-climate-2016", mode


def test_search_text_output_with_filters(cli_index, capsys):
    code, out, err = run(capsys, "search", "fishing quotas", "--index-dir", str(cli_index), "--filter", "speaker=quill")
    assert code == 0, err
    ranked = [line for line in out.splitlines() if line[:1].isdigit()]
    assert ranked and ranked[0].startswith("1. [")
    assert all("quill-fisheries-2019" in line and "Tomas Quill" in line for line in ranked)
    assert "Voss" not in out
    assert "cod stocks have recovered" in out

    code, out, _ = run(capsys, "search", "fishing quotas", "--index-dir", str(cli_index),
                       "--filter", "speaker=VOSS", "--filter", "date_from=2017", "--k", "10")
    ranked = [line for line in out.splitlines() if line[:1].isdigit()]
    assert code == 0 and ranked and all("voss-fisheries-2018" in line for line in ranked)

    code, out, _ = run(capsys, "search", "fishing quotas", "--index-dir", str(cli_index),
                       "--filter", "source=Nowhere Institute")
    assert code == 0 and out.strip() == "no matching passages"


def test_search_with_a_malformed_filter_is_one_error_line(cli_index, capsys):
    code, out, err = run(capsys, "search", "fishing", "--index-dir", str(cli_index), "--filter", "speaker")
    assert code != 0 and out == ""
    assert err.strip().splitlines() == ["error: --filter 'speaker': expected KEY=VALUE"]


@pytest.mark.slow  # two console-script runs, one loading the model (~6 s)
def test_console_script_search_and_errors(cli_index, tmp_path):
    result = run_script("search", "border talks", "--index-dir", str(cli_index),
                        "--filter", "source=valdoria", "--json")
    assert result.returncode == 0, result.stderr
    assert {p["statement_id"] for p in json.loads(result.stdout)} == {"brannock-report"}
    result = run_script("search", "border talks", "--index-dir", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: no index at") and "Traceback" not in result.stderr


# --- failing loudly: missing paths, missing ids, bad filters -------------------------------


def test_index_of_a_missing_path_fails_and_creates_nothing(fictional_corpus, tmp_path, capsys):
    absent = tmp_path / "statemnts"  # a typo
    index_dir = tmp_path / "index"
    for argv in (["index", str(absent)], ["index", str(fictional_corpus), str(absent), "--rebuild"]):
        code, out, err = run(capsys, *argv, "--index-dir", str(index_dir))
        assert code == 2 and out == ""
        assert err.splitlines() == [f"error: no such file or folder: {absent}"]
        assert not index_dir.exists()


def test_index_of_a_missing_path_leaves_an_existing_index_alone(cli_index, tmp_path, capsys):
    manifest = (cli_index / "manifest.json").read_bytes()
    code, _, err = run(capsys, "index", str(tmp_path / "absent"), "--index-dir", str(cli_index), "--rebuild")
    assert code == 2 and err.startswith("error: no such file or folder:")
    assert (cli_index / "manifest.json").read_bytes() == manifest


COUNTRY_MD = """---
title: {title}
speaker: {speaker}
source: Harbour Office of {country}
date: 2021-04-0{day}
country: {country}
---
{speaker} said that the ferry harbour of {country} will reopen after the spring storms.
"""


@pytest.fixture
def country_index(tmp_path) -> Path:
    """A fresh, writable index of two fictional statements with a ``country`` metadata field."""
    folder = tmp_path / "statements"
    folder.mkdir()
    for day, (name, speaker, country) in enumerate(
        [("brenmoor-ferries", "Halvard Jessop", "Brenmoor"), ("ostrava-ferries", "Petra Grellin", "Ostrava")], 1
    ):
        text = COUNTRY_MD.format(title=f"Ferries of {country}", speaker=speaker, country=country, day=day)
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    assert main(["index", str(folder), "--index-dir", str(index_dir)]) == 0
    return index_dir


def test_remove_of_ids_not_in_the_index_names_them_and_fails(country_index, capsys):
    manifest = (country_index / "manifest.json").read_bytes()
    code, out, err = run(capsys, "remove", "no-such-id", "other-id", "--index-dir", str(country_index))
    assert code == 1
    assert out.strip() == "added 0, updated 0, unchanged 0, removed 0; index holds 2 statements in 2 chunks"
    assert err.splitlines() == [
        f"error: not in the index {country_index}: no-such-id, other-id (--missing-ok ignores ids that are not there)"
    ]
    assert (country_index / "manifest.json").read_bytes() == manifest  # nothing changed, nothing written

    code, out, err = run(capsys, "remove", "no-such-id", "--index-dir", str(country_index), "--missing-ok")
    assert code == 0 and "removed 0" in out
    assert err.splitlines() == [f"note: not in the index {country_index}, ignored: no-such-id"]


def test_remove_of_some_missing_ids_removes_the_others_and_fails(country_index, capsys):
    code, out, err = run(capsys, "remove", "ostrava-ferries", "no-such-id", "--index-dir", str(country_index))
    assert code == 1
    assert "removed 1; index holds 1 statement in" in out  # one, not "1 statements"
    assert err.splitlines() == [
        f"error: not in the index {country_index}: no-such-id (--missing-ok ignores ids that are not there)"
    ]
    code, out, _ = run(capsys, "search", "ferry harbour", "--index-dir", str(country_index), "--json")
    assert code == 0 and {p["statement_id"] for p in json.loads(out)} == {"brenmoor-ferries"}


DATE_HINT = "is not understood: write a year (2019) or a date (2019-06-10)"
BAD_FILTERS = [
    (["date_from=last-year"], f"error: --filter date_from=last-year: the date “last-year” {DATE_HINT}"),
    (["date_to=2019-13"], f"error: --filter date_to=2019-13: the date “2019-13” {DATE_HINT}"),
    (["date_to=2019-02-30"], f"error: --filter date_to=2019-02-30: the date “2019-02-30” {DATE_HINT}"),
    (["date_from=2020", "date_to=2019-06"],
     "error: --filter date_from=2020: the dates are the wrong way round: from 2020 is after to 2019-06"),
    (["speker=Voss"],
     "error: --filter speker=Voss: there is no filter “speker”: use one of speaker, source, title, date_from, date_to"),
    (["statement_ids=voss-climate-2016"], "error: --filter statement_ids=voss-climate-2016: there is no filter "
     "“statement_ids”: use one of speaker, source, title, date_from, date_to"),
    (["speaker="], "error: --filter 'speaker=': expected KEY=VALUE"),
    (["speaker=Voss", "speaker=Quill"],
     "error: --filter 'speaker=Quill': speaker is given twice; a filter takes one value"),
]


@pytest.mark.parametrize(("filters", "line"), BAD_FILTERS)
@pytest.mark.parametrize("command", ["search", "ask"])
def test_a_bad_filter_is_one_error_line(command, filters, line, cli_index, capsys):
    argv = [command, "fishing quotas", "--index-dir", str(cli_index), "--json"]
    code, out, err = run(capsys, *argv, *[arg for f in filters for arg in ("--filter", f)])
    assert code == 2 and out == ""
    assert err.splitlines() == [line]


def test_good_date_filters_are_accepted(cli_index, capsys):
    for date_from, date_to in (("2018", "2018"), ("2018-03", "2018-03-02"), ("2016-09-21", "2019")):
        code, out, err = run(capsys, "search", "fishing quotas", "--index-dir", str(cli_index), "--json",
                             "--filter", f"date_from={date_from}", "--filter", f"date_to={date_to}")
        assert code == 0, err
        assert all(date_from <= p["date"][: len(date_from)] for p in json.loads(out))


def test_metadata_keys_of_the_index_are_filters(country_index, capsys):
    code, out, err = run(capsys, "search", "ferry harbour", "--index-dir", str(country_index), "--json",
                         "--filter", "country=ostr")
    assert code == 0, err
    assert {p["statement_id"] for p in json.loads(out)} == {"ostrava-ferries"}
    code, out, err = run(capsys, "ask", "what was said about the ferry harbour?", "--index-dir", str(country_index),
                         "--filter", "contry=Ostrava")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "error: --filter contry=Ostrava: there is no filter “contry”: use one of speaker, source, title, date_from, "
        "date_to, country"
    ]


# --- quiet, fast questions ------------------------------------------------------------------

PROGRESS_MARKS = ("Loading weights", "it/s", "chunking", "embedding", "%|")


def test_console_script_ask_json_prints_no_progress(cli_index):
    result = run_script("ask", "what did Elara Voss say about the sea walls?", "--index-dir", str(cli_index), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["quotes"] and answer["quotes"][0]["statement_id"] == "voss-climate-2016"
    assert result.stderr == "", result.stderr  # stderr is a pipe here, not a terminal: no progress bars


def test_index_and_api_print_no_progress_when_stderr_is_not_a_terminal(fictional_corpus, tmp_path):
    code = (
        "import sys\n"
        "from assistant import Assistant\n"
        f"with Assistant.build([{str(fictional_corpus)!r}], {str(tmp_path / 'index')!r}) as qa:\n"
        "    answer = qa.ask('what did Tomas Quill say about fishing quotas?')\n"
        "print(answer.quotes[0].statement_id)\n"
    )
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "quill-fisheries-2019"
    assert not [mark for mark in PROGRESS_MARKS if mark in result.stderr], result.stderr


def test_ask_loads_neither_torch_nor_gradio(cli_index):
    """A question is encoded by ONNX Runtime (embeddings.encoding.onnx_query_encoder, the index's exported model)
    and parsed by spaCy on numpy alone (corpus.attribution.parsing keeps thinc from importing torch): the cold
    start skips seconds of imports."""
    code = (
        "import contextlib, io, json, sys\n"
        "from ui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['ask', 'what did Voss say about fishing quotas?', '--index-dir', {str(cli_index)!r}]) == 0\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'sklearn', 'gradio')\n"
        "print(json.dumps([name for name in heavy if name in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
