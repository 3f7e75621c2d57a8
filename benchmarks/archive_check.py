"""What a new user meets on a large archive: every speaker findable by surname, true counts, full citations.

    python benchmarks/archive_check.py INDEX_DIR [--questions benchmarks/questions/ungdc.jsonl] [--limit 60]

Reads an index built from an archive (e.g. UNGDC 2015-2024:
``statements-qa index ungdc_2015-2024.jsonl.gz --field source=country_name --index-dir DIR``) and checks:

1. **Speakers by surname.** For every speaker named in the metadata, the list the Speaker filter shows for
   their surname (``ui.facets.speaker_choices``: the names holding the typed text, searched in the store,
   the most frequent first) holds them; and typing the whole name does.
2. **Counts.** The header line (``ui.facets.header_counts``) against the distinct speakers (metadata and
   found in the text, as the store counts them) and the distinct country codes of the metadata.
3. **Citations.** Asks the questions of ``--questions`` (their texts only; nothing is scored) and counts
   quotes whose Sources heading or citation is only a year, or a bare statement id.

Prints the figures and writes ``benchmarks/results/archive_check.json``.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY before torch/faiss load)
from common import log, write_result

from assistant.api import Assistant
from assistant.citation import split_honorifics
from corpus.folding import without_accents
from ui.facets import facets, header_counts, speaker_choices

YEAR_ONLY = re.compile(r"^\W*\d{4}\W*$")


SUFFIX = re.compile(r"^(?:[IVX]+|Jr\.?|Sr\.?|MP|KC|QC|GCMG)$")  # "King Tupou VI", "James Marape, MP"


def surname(name: str) -> str:
    """The last word of a name without its honorifics and suffixes ("Mr. Abdullah Abdullah" → "Abdullah",
    "King Tupou VI" → "Tupou")."""
    words = [w.strip(",") for w in split_honorifics(name)[1].split()]
    words = [w for w in words if w and not SUFFIX.match(w)]
    return words[-1] if words else name


def plain(name: str) -> str:
    """A name compared without case, accents or spacing ("Alexander De Croo" is "Alexander de Croo")."""
    return without_accents(" ".join(name.split())).casefold()


def holds(values: set[str], name: str) -> bool:
    """Whether one of the listed values is the name (one holds the other, compared ``plain``)."""
    return any(plain(value) in plain(name) or plain(name) in plain(value) for value in values)


def speaker_checks(qa: Assistant) -> dict[str, object]:
    """Whether each metadata speaker is listed for their surname, and for their whole name."""
    names = sorted({st.speaker for st in qa.statement_headers() if st.speaker})
    by_surname, by_name, missed = 0, 0, []
    for name in names:
        listed = {value for _, value in speaker_choices(qa, surname(name))[0]}
        whole = {value for _, value in speaker_choices(qa, split_honorifics(name)[1] or name)[0]}
        found = holds(listed, name)
        by_surname += found
        by_name += holds(whole, name)
        if not found:
            missed.append(name)
    return {"metadata_speakers": len(names), "found_by_surname": by_surname, "found_by_whole_name": by_name,
            "missed_by_surname": missed[:20]}


def citation_checks(qa: Assistant, questions: list[str]) -> dict[str, object]:
    """Quotes of the answers whose heading or citation is only a year or a bare id."""
    quotes, year_only, bare_id = 0, [], []
    for question in questions:
        answer = qa.ask(question)
        for quote in (*answer.quotes, *answer.closest):
            quotes += 1
            for text in (quote.heading, quote.attribution()):
                if YEAR_ONLY.match(text):
                    year_only.append(text)
                if text.strip() == quote.statement_id:
                    bare_id.append(text)
    return {"questions": len(questions), "quotes": quotes, "year_only": len(year_only), "bare_id": len(bare_id),
            "examples": (year_only + bare_id)[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--questions", type=Path, default=Path(__file__).parent / "questions" / "ungdc.jsonl")
    ap.add_argument("--limit", type=int, default=60, help="questions asked (0: all)")
    args = ap.parse_args()
    with Assistant.open(args.index_dir) as qa:
        found = facets(qa)
        codes = {str(st.metadata.get("country")) for st in qa.statement_headers() if st.metadata.get("country")}
        counts = {"header": header_counts(found), "speakers_in_store": qa.index.store.count_speakers(),
                  "speakers_in_header": len(found.speakers), "country_codes": len(codes),
                  "sources_in_header": len(found.sources)}
        log(f"counts: {counts}")
        speakers = speaker_checks(qa)
        log(f"speakers: {speakers['found_by_surname']}/{speakers['metadata_speakers']} found by surname")
        rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [r["question"] for r in rows if "{" not in r["question"]][: args.limit or None]
        citations = citation_checks(qa, texts)
    result = {"index": str(args.index_dir), "counts": counts, "speakers": speakers, "citations": citations}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    write_result("archive_check", result)


if __name__ == "__main__":
    main()
