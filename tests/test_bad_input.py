"""Bad input, end to end: a folder of broken, odd and oversized files, indexed for real.

The corpus is generated here (never committed). Indexing it through ``statements-qa index`` (a
real subprocess) and through the Python API gives no traceback, one line per problem naming the
file, every good statement indexed and answerable with a verbatim quote, and bounded memory
(the peak RSS of the subprocess is measured with ``os.wait4``). Speakers, organisations and
places are fictional.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.api import Assistant, index_statements
from corpus import LoadOptions, load_statements
from corpus.options import MB
from embeddings.local.index import StatementIndex
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("statements-qa")
RSS_LIMIT_MB = 1536  # the whole `statements-qa index` run, model included
HUGE_MB = 100

ZW = "\u200b"  # zero-width space
ZWNJ, ZWJ, LRM, RLM = "\u200c", "\u200d", "\u200e", "\u200f"
RLO, PDF_ = "\u202e", "\u202c"  # right-to-left override ... pop directional formatting


@dataclass(frozen=True)
class Good:
    """A statement that must be indexed and answerable: its id, a question, words its quote has."""

    id: str
    question: str
    phrase: str  # a phrase the answer's quote (or the statement) must hold


GOOD = [
    Good("harbour", "What did Maren Tolliver say about the breakwater at Brevik?", "breakwater at Brevik"),
    Good("utf16-bom", "What did Agnar Selvik say about the night ferry to Korsholm?", "night ferry to Korsholm"),
    Good("rtl-zero-width", "What did Yara Haddad say about the water treaty?", "between Qadira and Lunmark"),
    Good("long-sentence", "What was said about the copper mine at Vellmar?", "copper mine at Vellmar"),
    Good("duplicate-a", "What did Ottilie Brask say about the orchard frost fund?", "orchard frost fund"),
    Good("page", "What did Halvard Stroem say about the cable car to Mount Eskel?", "cable car to Mount Eskel"),
    Good("jl-good-1", "What did Ines Vantorp say about the glass recycling depots?", "glass recycling depots"),
    Good("jl-good-2", "What did Ines Vantorp say about the pensions of lighthouse keepers?", "lighthouse keepers"),
    Good("csv-1", "What did Doran Kell say about the salt road toll?", "salt road toll"),
    Good("csv-2", "What did Doran Kell say about the snow ploughs?", "snow ploughs"),
]


def _long_sentence() -> str:
    rng = random.Random(11)
    words = ("the council of the northern valleys and the guild of miners met again in the old hall "
             "where delegates from every district argued about roads rivers taxes grain and timber").split()
    filler = [rng.choice(words) for _ in range(2600)]
    filler[1300:1300] = "and the copper mine at Vellmar will close for good next winter said Ruben Asklund".split()
    return "Delegate Ruben Asklund spoke " + " ".join(filler) + "\n"


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Cable car to Mount Eskel | Ministry of Mountain Transport of Vestria</title>
<meta property="og:site_name" content="Ministry of Mountain Transport of Vestria">
<script>var tracker = "SCRIPT-NOISE-1"; function f(){ return "SCRIPT-NOISE-2"; }</script>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "SCRIPT-NOISE-3"}</script>
<style>.nav { color: red } /* STYLE-NOISE */</style>
</head><body>
<header><nav><ul>
<li><a href="/">Home NAV-NOISE</a></li><li><a href="/news">News NAV-NOISE</a></li>
<li><a href="/ministers">Ministers NAV-NOISE</a></li><li><a href="/contact">Contact NAV-NOISE</a></li>
</ul></nav></header>
<aside class="sidebar"><h3>Related</h3><ul><li><a href="/a">Older news SIDEBAR-NOISE</a></li></ul></aside>
<main><article>
<h1>Cable car to Mount Eskel</h1>
<p>Minister Halvard Stroem announced on Friday that the cable car to Mount Eskel will reopen in December, \
after the new cables have been tested through the autumn storms.</p>
<p>Stroem said that the fares for residents of the valley would stay at their current level for three more years, \
and that the old gondolas will be given to the mountain museum.</p>
<p>The ministry will publish the winter timetable next month.</p>
</article></main>
<script>document.write("SCRIPT-NOISE-4");</script>
<footer><nav><a href="/privacy">Privacy FOOTER-NOISE</a> | <a href="/cookies">Cookies FOOTER-NOISE</a></nav></footer>
<script>for (var i = 0; i < 10; i++) { console.log("SCRIPT-NOISE-5"); }</script>
</body></html>
"""

NAV_ONLY_HTML = """<!DOCTYPE html><html><head><title>Menu</title>
<script>var a = "ONLY-SCRIPT";</script><style>p { margin: 0 }</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About</a></li></ul></nav>
<script>console.log("ONLY-SCRIPT-2");</script></body></html>
"""

RTL_TEXT = (
    f"Envoy Yara Haddad{ZW} said that the water{ZWNJ} treaty between Qadira and Lunmark must be signed before the "
    f"dry season{ZWJ}.{RLM} She read the title aloud in Arabic, {RLO}معاهدة المياه{PDF_}, "
    f"and in Hebrew, אמנת המים,{LRM} "
    f"and added that the{ZW}reservoir at Tel Sahra is already half empty.\n"
    f"The envoy{ZW}{ZW} thanked the engineers of Lunmark for their work on the pumping stations.\n"
)

JSONL_LINES = [
    json.dumps({
        "id": "jl-good-1", "speaker": "Ines Vantorp", "source": "Recycling Office of Dalmora", "date": "2021-05-04",
        "text": "Ines Vantorp said that the glass recycling depots of Dalmora will open on Sundays from June.",
    }),
    '{"id": "jl-broken", "text": "this line was cut off in the mid',  # 2: broken JSON
    json.dumps({"id": "jl-number", "text": 12345}),  # 3: text of the wrong type
    json.dumps(["jl-array", "a record that is a list"]),  # 4: not an object
    json.dumps({"id": "jl-no-text", "speaker": "Ines Vantorp", "title": "No text here"}),  # 5: no text field
    None,  # 6: invalid UTF-8 (written as bytes below)
    json.dumps({"id": "jl-good-2", "speaker": "Ines Vantorp", "source": "Recycling Office of Dalmora",
                "text": "Vantorp added that the pensions of retired lighthouse keepers will rise by four percent.",
                "tags": ["pensions", {"nested": True}], "speaker_age": 61}),
    json.dumps({"id": "jl-empty-text", "text": "   "}),  # 8: blank text
    json.dumps({"id": "jl-null-text", "text": None, "body": None}),  # 9: text is null
    "",  # 10: a blank line is not a problem
    json.dumps({"id": "jl-object-text", "text": {"en": "Text in an object."}}),  # 11: text is an object
]
JSONL_BAD_UTF8 = b'{"id": "jl-bad-bytes", "text": "Caf\xe9 \xff\xfe in the middle"}\n'
INVALID_UTF8_HEAD = b"Governor Liesl Marrow said the dam on the Tarn river is safe. " * 20


def jsonl_lines() -> list[bytes]:
    return [(line + "\n").encode() if line is not None else JSONL_BAD_UTF8 for line in JSONL_LINES]

CSV_TEXT = (
    "id,speaker,source,date,text\n"
    'csv-1,Doran Kell,Roads Board of Harnmoor,2020-02-11,"Doran Kell said the salt road toll will be abolished, '
    'as the bridge at Wenlow has been paid for."\n'
    'csv-broken,Doran Kell,Roads Board of Harnmoor,2020-02-12,"an unclosed "quote" in the middle\n'
    'csv-2,Doran Kell,Roads Board of Harnmoor,2020-02-13,'
    '"Kell said that four new snow ploughs will be based at Harnmoor."\n'
    "csv-short,Doran Kell\n"
)


def write_bad_corpus(folder: Path) -> Path:
    """Every kind of bad input the issue lists, with good statements among them."""
    folder.mkdir(parents=True, exist_ok=True)

    def w(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)

    w("harbour.md", (
        b"---\ntitle: Statement on the Brevik breakwater\nspeaker: Maren Tolliver\n"
        b"source: Port Office of Brevik\ndate: 2019-10-02\n---\n"
        b"Harbour master Maren Tolliver said that the breakwater at Brevik will be rebuilt with basalt blocks.\n"
        b"She added that the fishing boats will use the western quay while the works go on.\n"))
    w("empty.txt", b"")
    w("blank.md", b"  \n\t\n  \n")
    w("binary.txt", bytes(random.Random(3).randrange(256) for _ in range(4096)) + b"\x00\x00")
    w("fake.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    w("fake.docx", b"PK\x03\x04 this is not really a zip archive" + bytes(200))
    w("latin1.txt", "Le ministre Éloi Brévent a déclaré que le pont de Sainte-Aurèle sera réparé.\n".encode("latin-1"))
    w("utf16-bom.txt", (
        "Mayor Agnar Selvik said that the night ferry to Korsholm will run twice a week from March.\n"
        "Selvik added that the old ferry terminal will become a market hall.\n").encode("utf-16"))
    w("utf16-no-bom.txt", "Mayor Agnar Selvik spoke about the bridge tolls of Korsholm.\n".encode("utf-16-le"))
    w("invalid-utf8-middle.txt",
      INVALID_UTF8_HEAD + b"\xff\xfe\xfa" + b"She added that the spillway will be widened." * 20)
    w("rtl-zero-width.md", (
        "---\ntitle: Water treaty\nspeaker: Yara Haddad\nsource: Embassy of Qadira\ndate: 2022-07-08\n---\n"
        + RTL_TEXT).encode())
    w("long-sentence.txt", _long_sentence().encode())
    duplicate = ("Farm secretary Ottilie Brask said that the orchard frost fund will pay growers in the hill "
                 "country of Amberlee before the end of May.\n")
    w("duplicate-a.txt", duplicate.encode())
    w("duplicate-b.txt", duplicate.encode())
    w("page.html", HTML_PAGE.encode())
    w("nav-only.html", NAV_ONLY_HTML.encode())
    w("records.jsonl", b"".join(jsonl_lines()))
    w("table.csv", CSV_TEXT.encode())
    _write_scanned_pdf(folder / "scanned.pdf")
    _write_huge_text(folder / "huge.txt", HUGE_MB * MB)
    w("slides.pptx", b"not a supported type")
    return folder


def _write_scanned_pdf(path: Path) -> None:
    """A PDF whose page is only a drawn picture: no text layer, like a scan."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for i in range(12):
        pdf.rect(60 + 10 * i, 80 + 20 * i, 300, 12, fill=1)
    pdf.showPage()
    pdf.save()


def _write_huge_text(path: Path, size: int) -> None:
    """``size`` bytes of real (fictional) prose."""
    block = ("Speaker Tamsin Oakhollow said that the canal locks of Grindmere will be rebuilt stone by stone. "
             "She added that the towpath will stay open to walkers and cyclists during the works.\n")
    block = (block * (MB // len(block) + 1)).encode()[:MB]
    with open(path, "wb") as fh:
        for _ in range(size // MB):
            fh.write(block)


STARTS = "__startswith__"
NOT_TEXT = "binary file, not text (if it is UTF-16 text without a byte-order mark, give --encoding utf-16)"


def expected_problems() -> dict[tuple[str, int | None], str]:
    """(file name, line) -> the exact reason each problem line must give."""
    bad_utf8_offset = sum(len(line) for line in jsonl_lines()[:5]) + JSONL_BAD_UTF8.index(b"\xe9")
    return {
        ("empty.txt", None): "empty file",
        ("blank.md", None): "empty file",
        ("binary.txt", None): NOT_TEXT,
        ("fake.pdf", None): STARTS + "not a readable PDF (",
        ("fake.docx", None): STARTS + "not a readable .docx file (",
        ("latin1.txt", None): "not valid UTF-8 text (byte 0xc9 at offset 12)",
        ("utf16-no-bom.txt", None): NOT_TEXT,
        ("invalid-utf8-middle.txt", None): f"not valid UTF-8 text (byte 0xff at offset {len(INVALID_UTF8_HEAD)})",
        ("records.jsonl", 2): STARTS + "not valid JSON: ",
        ("records.jsonl", 3): "text field 'text' is not a string (number)",
        ("records.jsonl", 4): "record is not an object (array)",
        ("records.jsonl", 5): "no text field (expected 'text', 'body', 'content')",
        ("records.jsonl", 6): f"not valid UTF-8 text (byte 0xe9 at offset {bad_utf8_offset})",
        ("records.jsonl", 8): "empty text field 'text'",
        ("records.jsonl", 9): "no text field (expected 'text', 'body', 'content')",
        ("records.jsonl", 11): "text field 'text' is not a string (object)",
        ("table.csv", 3): "broken CSV quoting: ',' expected after '\"'",
        ("table.csv", 5): "wrong column count (expected 5, got 2)",
        ("scanned.pdf", None): "PDF has no text layer (scanned?)",
        ("huge.txt", None): f"file too large ({HUGE_MB:.1f} MB, limit 20 MB; raise it with --max-file-size)",
        ("slides.pptx", None): "unsupported file type .pptx",
        ("nav-only.html", None): "no main text found in the HTML page",
    }




def check_problems(problems: list[tuple[str, int | None, str]]) -> None:
    """Exactly one problem per bad file or record, each with its expected reason."""
    expected = expected_problems()
    found: dict[tuple[str, int | None], str] = {}
    for path, line, reason in problems:
        key = (Path(path).name, line)
        assert key not in found, f"two problems for {key}: {found[key]!r} and {reason!r}"
        found[key] = reason
    assert set(found) == set(expected), (sorted(set(found) - set(expected)), sorted(set(expected) - set(found)))
    for key, want in expected.items():
        if want.startswith(STARTS):
            assert found[key].startswith(want[len(STARTS):]), (key, found[key])
        else:
            assert found[key] == want, (key, found[key])


# Runs argv[2:] and writes its peak RSS (KB) to the file argv[1]. A child's peak counts the memory
# of the process it was forked or spawned from (Linux records the old address space's high-water
# mark at exec), so the measured command must start from this small process, not from pytest.
MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: list[str]) -> tuple[int, str, str, float]:
    """Run a real subprocess; ``(exit code, stdout, stderr, peak RSS in MB)``."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        proc = subprocess.run([sys.executable, "-c", MEASURE, str(peak_file), *argv], cwd=ROOT, env=env,
                              capture_output=True, timeout=900)
        out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
        assert peak_file.exists(), err[-3000:]
        return proc.returncode, out, err, int(peak_file.read_text()) / 1024


PROBLEM_LINE = re.compile(r"^skipped (?P<path>.+?)(?::(?P<line>\d+))?: (?P<reason>.+)$")
PROGRESS = ("chunking:", "embedding:", "Loading weights:")


def parse_stderr(err: str) -> tuple[list[tuple[str, int | None, str]], list[str], list[str]]:
    """``(problems, summary lines, other lines)`` of the CLI's stderr; progress bars are left out."""
    problems, summaries, others = [], [], []
    for raw in re.split(r"[\r\n]+", err):
        line = raw.strip()
        if not line or any(line.startswith(p) or f" {p}" in line for p in PROGRESS):
            continue
        match = PROBLEM_LINE.match(line)
        if match:
            number = match.group("line")
            problems.append((match.group("path"), int(number) if number else None, match.group("reason")))
        elif line.startswith("loaded "):
            summaries.append(line)
        elif line.startswith("duplicate "):
            continue  # names the file dropped as an exact duplicate (checked on its own)
        else:
            others.append(line)
    return problems, summaries, others


SUMMARY = "loaded 10 statements from 9 files, skipped 22, 1 exact duplicate indexed once"


def check_index(index_dir: Path) -> None:
    """Every good statement is indexed, verbatim, and answerable with a quote from it."""
    qa = Assistant.open(index_dir)
    try:
        store = qa.index.store
        ids = {st.id for st in store.iter_statements()}
        assert ids == {g.id for g in GOOD}, ids
        texts = {st.id: st.text for st in store.iter_statements()}
        assert texts["rtl-zero-width"] == RTL_TEXT.rstrip()  # zero-width and bidi marks kept verbatim
        assert texts["long-sentence"] == _long_sentence().rstrip()
        assert texts["utf16-bom"].startswith("Mayor Agnar Selvik said that the night ferry")
        assert "NOISE" not in texts["page"] and "cable car to Mount Eskel will reopen" in texts["page"]
        assert len(store.chunks_of("long-sentence")) >= 10  # cut into pieces that fit the model
        for chunk_id, chunk in (c for sid in ids for c in store.chunks_of(sid)):
            assert texts[chunk.statement_id][chunk.start : chunk.end] == chunk.text, chunk_id
        for good in GOOD:
            answer = qa.ask(good.question)
            assert not answer.abstained, (good, answer.message)
            mine = [q for q in answer.quotes if q.statement_id == good.id]
            assert mine and any(good.phrase in q.text for q in mine), (good, [q.text for q in answer.quotes])
            for quote in answer.quotes + answer.closest:
                assert texts[quote.statement_id][quote.start : quote.end] == quote.text, (good, quote)
    finally:
        qa.index.close()


# --- the tests ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory) -> Path:
    return write_bad_corpus(tmp_path_factory.mktemp("bad") / "corpus")


@pytest.fixture(scope="module")
def cli_run(bad_corpus, tmp_path_factory):
    """``statements-qa index`` of the bad corpus, as a real subprocess, with its peak RSS (~7 s: the tests
    that use it are marked slow)."""
    index_dir = tmp_path_factory.mktemp("bad-cli") / "index"
    code, out, err, peak_mb = run_measured([str(CLI), "index", str(bad_corpus), "--index-dir", str(index_dir)])
    print(f"\n`statements-qa index` of the bad corpus: peak RSS {peak_mb:.0f} MB")
    return code, out, err, peak_mb, index_dir


@pytest.mark.slow  # uses cli_run
def test_cli_indexes_the_good_and_names_each_problem_once(cli_run, bad_corpus):
    code, out, err, peak_mb, index_dir = cli_run
    assert code == 0, err[-3000:]
    assert "Traceback" not in err + out
    problems, summaries, _ = parse_stderr(err)
    check_problems(problems)
    for path, _, _ in problems:
        assert Path(path).parent == bad_corpus  # every line names its file
    assert summaries == [SUMMARY], summaries
    assert out.strip().startswith("added 1") and "removed 0" in out
    # The 100 MB file was refused before it was read: memory stays at what the model needs.
    assert peak_mb < RSS_LIMIT_MB, peak_mb
    check_index(index_dir)


@pytest.mark.slow  # uses cli_run
def test_api_indexes_the_good_and_reports_each_problem_once(bad_corpus, cli_run, tmp_path):
    index_dir = tmp_path / "index"
    update, report = index_statements([bad_corpus], index_dir, progress=False)

    check_problems([(p.path, p.line, p.reason) for p in report.problems])
    assert report.duplicates == [("duplicate-b", "duplicate-a")]
    assert report.summary() == SUMMARY
    assert update.added == report.statements_loaded == update.statements
    check_index(index_dir)
    # The CLI built the same index.
    cli_index, api_index = StatementIndex.open(cli_run[4]), StatementIndex.open(index_dir)
    try:
        assert {s.id: s.text for s in cli_index.store.iter_statements()} == {
            s.id: s.text for s in api_index.store.iter_statements()}
        assert cli_index.manifest.chunks == api_index.manifest.chunks
    finally:
        cli_index.close()
        api_index.close()


def test_latin1_loads_when_its_encoding_is_given(bad_corpus):
    statements, report = load_statements([bad_corpus / "latin1.txt"], LoadOptions(encoding="latin-1"))
    assert report.problems == []
    assert statements[0].text == "Le ministre Éloi Brévent a déclaré que le pont de Sainte-Aurèle sera réparé."


# --- the size limit -----------------------------------------------------------------------


def test_size_limit_for_documents_through_the_cli(tmp_path, capsys):
    big = tmp_path / "big.md"
    big.write_text("---\nspeaker: Tamsin Oakhollow\n---\n" + "The canal locks will be rebuilt. " * 48_000,
                   encoding="utf-8")  # about 1.5 MB
    size = big.stat().st_size
    assert 1.4 * MB < size < 1.6 * MB

    assert main(["inspect", str(big), "--max-file-size", "1"]) == 0
    err = capsys.readouterr().err
    line = f"skipped {big}: file too large ({size / MB:.1f} MB, limit 1 MB; raise it with --max-file-size)"
    assert line in err.splitlines() and "loaded 0 statements from 0 files, skipped 1" in err
    assert main(["inspect", str(big), "--max-file-size", "1", "--strict"]) == 1
    capsys.readouterr()
    for bad in ("-1", "nan", "inf"):
        assert main(["inspect", str(big), "--max-file-size", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --max-file-size {bad}") and "Traceback" not in err and len(err.splitlines()) == 1
    # Raised, or switched off, the limit lets the file in (loading only: no need to chunk 1.5 MB).
    for options in (LoadOptions(max_file_bytes=2 * MB), LoadOptions(max_file_bytes=None)):
        statements, report = load_statements([big], options)
        assert report.problems == [] and statements[0].speaker == "Tamsin Oakhollow"
    # Every document format is checked before it is read: a large enough file of any of them is refused.
    for name in ("a.txt", "b.html", "c.pdf", "d.docx", "e.json"):
        (tmp_path / "formats" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "formats" / name).write_bytes(b"x" * 5000)  # not even valid: never opened
    statements, report = load_statements([tmp_path / "formats"], LoadOptions(max_file_bytes=4000))
    assert statements == []
    assert sorted(Path(p.path).name for p in report.problems) == ["a.txt", "b.html", "c.pdf", "d.docx", "e.json"]
    assert {p.reason for p in report.problems} == {
        "file too large (5,000 bytes, limit 4,000 bytes; raise it with --max-file-size)"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_over_long_record_line_is_skipped_with_its_line_number(tmp_path, encoding):
    good = [{"id": "first", "text": "Warden Cass Morrow said the dunes will be fenced."},
            {"id": "last", "text": "Morrow added that the beach huts will be repainted."}]
    huge = {"id": "huge", "text": "sand " * 300_000}  # 1.5 MB of text on one line
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_bytes("".join(json.dumps(r) + "\n" for r in [good[0], huge, good[1]]).encode(encoding))
    csv_path = tmp_path / "rows.csv"
    csv_text = ("id,text\nfirst,Warden Cass Morrow said the dunes will be fenced.\n"
                f"huge,{'sand ' * 300_000}\nlast,Morrow added that the beach huts will be repainted.\n")
    csv_path.write_bytes(csv_text.encode(encoding))

    for path, line in ((jsonl, 2), (csv_path, 3)):
        statements, report = load_statements([path], LoadOptions(max_file_bytes=MB))
        assert [s.text for s in statements] == [r["text"] for r in good], path
        [problem] = report.problems
        assert (Path(problem.path).name, problem.line) == (path.name, line)
        reason = r"line too large \(\d\.\d MB, limit 1 MB; raise it with --max-file-size\)"
        assert re.fullmatch(reason, problem.reason), problem
    # Without the limit the JSONL record loads (the CSV field is then over the csv module's own limit).
    statements, report = load_statements([jsonl], LoadOptions(max_file_bytes=None))
    assert [s.id for s in statements] == ["first", "huge", "last"] and report.problems == []


CHILD_LOAD = """
import sys
from corpus import LoadOptions, iter_statements
from corpus.problems import LoadReport
report = LoadReport()
count = sum(1 for _ in iter_statements([sys.argv[1]], LoadOptions(), report))
print(count)
for problem in report.problems:
    print(problem)
"""


def _write_big_jsonl(path: Path, size: int, long_line_at: int | None = None) -> int:
    """About ``size`` bytes of fictional records (one of them over 20 MB when ``long_line_at``)."""
    rng = random.Random(5)
    words = "harbour council minister grain ferry bridge tariff canal river quota treaty envoy valley".split()
    count = written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            count += 1
            if count == long_line_at:
                record = {"id": "too-long", "text": "word " * (21 * MB // 5)}
            else:
                text = f"Delegate {count} of the Guild of Tessin said that " + " ".join(rng.choices(words, k=300)) + "."
                speaker = f"Orla Vennick {count % 50}"
                record = {"id": f"r{count}", "speaker": speaker, "date": "2024-01-02", "text": text}
            line = json.dumps(record) + "\n"
            fh.write(line)
            written += len(line)
    return count


def test_loading_a_100_mb_jsonl_streams_in_bounded_memory(tmp_path):
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    n_small = _write_big_jsonl(small, MB)
    n_big = _write_big_jsonl(big, 100 * MB, long_line_at=20_000)
    assert big.stat().st_size >= 100 * MB

    results = {}
    for name, path in (("small", small), ("big", big)):
        code, out, err, peak_mb = run_measured([sys.executable, "-c", CHILD_LOAD, str(path)])
        assert code == 0 and "Traceback" not in err, err[-3000:]
        results[name] = (out.splitlines(), peak_mb)
    print(f"\nloading 1 MB of JSONL: peak RSS {results['small'][1]:.0f} MB; "
          f"100 MB of JSONL: peak RSS {results['big'][1]:.0f} MB")

    assert results["small"][0] == [str(n_small)]
    count, *problems = results["big"][0]
    assert int(count) == n_big - 1
    assert problems == [f"skipped {big}:20000: line too large (21.0 MB, limit 20 MB; raise it with --max-file-size)"]
    # Reading the file whole would take over 200 MB (its bytes and its text). Streaming holds one
    # line at a time, at most the 20 MB limit (the over-long line is read past in such pieces),
    # and the tables of ids and text hashes used to find duplicates.
    big_peak, small_peak = results["big"][1], results["small"][1]
    assert big_peak - small_peak < 80, (small_peak, big_peak)


# --- once known defects, now fixed ---------------------------------------------------------


def test_a_navigation_only_html_page_is_skipped(bad_corpus):
    statements, report = load_statements([bad_corpus / "nav-only.html"])
    assert statements == []
    assert [p.reason for p in report.problems] == ["no main text found in the HTML page"]


@pytest.mark.slow  # uses cli_run
def test_cli_stderr_holds_only_problem_lines_summary_and_progress(cli_run):
    _, _, err, _, _ = cli_run
    assert parse_stderr(err)[2] == []


@pytest.mark.slow  # uses cli_run
def test_cli_names_the_file_dropped_as_a_duplicate(cli_run):
    _, _, err, _, _ = cli_run
    assert any("duplicate-b" in line for line in err.splitlines())
