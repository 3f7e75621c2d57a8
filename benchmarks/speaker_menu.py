"""The Speaker menu a UN archive would get: who the attribution step finds speaking in a sample of UN speeches.

    python benchmarks/speaker_menu.py /work/shared/data/ungdc/ungdc_2015-2024.jsonl.gz [--sample 200] [--seed 7]

Reads the speeches (JSON lines, gzipped or not: ``text``, ``speaker``, ``country_name``), takes ``--sample`` of
them at random (fixed seed), attributes them as indexing does (``embeddings.backend.writing``: the metadata speaker,
else the source when the text speaks in the first person) and lists the names the menus would offer: every
speaker found with at least ``SPEAKER_CONFIDENCE``, one entry per name however spelt, as the Speaker menu lists
them (``ui.facets.name_choices``). Prints how many names there are, how many are a single word, how many have no
capital letter at all (never a name), which of the words a trial on UN speeches found listed as speakers
("Assembly", "Council", "Covid", "April", "Almighty", "Agenda", "Russian", "solidarity") are still there, and the
single-word names themselves, to read; writes it all to ``benchmarks/results/speaker_menu.json``. Run it from two
checkouts to compare versions (the speeches stay where they are; nothing of them is written but the names).
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from collections import Counter
from pathlib import Path

import common  # noqa: F401  (first: the project on sys.path, process settings)
from common import RESULTS_DIR, log

FOUND_AS_SPEAKERS = ("Assembly", "Council", "Covid", "April", "Almighty", "Agenda", "Russian", "solidarity")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("speeches", type=Path)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from corpus.attribution import SPEAKER_CONFIDENCE, attribute_many
    from corpus.statement import Statement
    from ui.facets import name_choices

    opener = gzip.open if args.speeches.suffix == ".gz" else open
    with opener(args.speeches, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    sample = random.Random(args.seed).sample(records, min(args.sample, len(records)))
    statements = [Statement(id=r["id"], text=r["text"], speaker=r.get("speaker") or "",
                            source=r.get("country_name") or "") for r in sample]
    try:
        from embeddings.backend.writing import first_person_source
        speakers = [st.speaker or first_person_source(st) for st in statements]
    except ImportError:  # a version before it: the metadata speaker only
        speakers = [st.speaker or None for st in statements]
    started = time.perf_counter()
    found = attribute_many([st.text for st in statements], speakers)
    seconds = time.perf_counter() - started
    rows = [(a.speaker, st.id) for st, attributions in zip(statements, found, strict=True) for a in attributions
            if a.speaker and a.confidence >= SPEAKER_CONFIDENCE and a.speaker != st.speaker]
    rows += [(st.speaker, st.id) for st in statements if st.speaker]
    statements_of: dict[str, set[str]] = {}
    for name, sid in rows:
        statements_of.setdefault(name, set()).add(sid)
    menu = {shown: value for shown, value in name_choices(((n, len(s)) for n, s in statements_of.items()),
                                                           with_counts=False)}  # the names as the menu shows them
    found_only = Counter(name for name, sid in set(rows) if name not in {st.speaker for st in statements})
    single = sorted(n for n in menu if len(n.split()) == 1)
    lower = sorted(n for n in menu if not any(ch.isupper() for ch in n))
    listed = [w for w in FOUND_AS_SPEAKERS if w in menu]
    report = {
        "speeches": len(statements), "seed": args.seed, "seconds": round(seconds, 1), "menu_names": len(menu),
        "found_in_text_only": len(found_only), "single_word_names": len(single), "no_capital": len(lower),
        "listed_still_there": listed, "single_word": single, "no_capital_names": lower,
        "most_found": found_only.most_common(40),
    }
    print(f"{len(statements)} speeches ({seconds:.0f} s): {len(menu)} names in the menu, {len(found_only)} found in "
          f"the texts only; {len(single)} single words, {len(lower)} with no capital letter")
    print(f"listed by the trial and still there: {', '.join(listed) or 'none'}")
    print("single-word names:", ", ".join(single))
    print("no capital letter:", ", ".join(lower))
    out = RESULTS_DIR / "speaker_menu.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
