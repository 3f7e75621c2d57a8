"""How well questions are linked to the speakers an index knows: misspelt names found, and false matches.

    python benchmarks/linking.py INDEX_DIR SQUAD_DEV_JSON [--names N] [--questions N] [--seed S]

- **Misspelt names.** For N speakers sampled from the index's metadata (their surname: last word of
  at least 5 letters), one edit is made (a letter dropped, doubled, or two neighbours swapped, chosen
  at random) and "What did <misspelt surname> say about it?" is linked (``AnswerPipeline.frame``).
  Found: the frame's speaker matches (``SpeakerDirectory.match``) statements that include that speaker's;
  wrong: it matches statements, none of them that speaker's; missed: it matches none.
- **False matches.** SQuAD v1.1 dev questions (Wikipedia trivia: they name no speaker of a UN corpus) are
  framed the same way; a false match is a question given a speaker the index knows. Counted overall,
  with up to 15 examples printed.

Nothing is answered: this measures the question reader only. Results in
``benchmarks/results/linking.json``.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import common
from common import log, write_result

from assistant.api import Assistant


def misspelt(word: str, rng: random.Random) -> str:
    """``word`` with one random edit: a letter dropped, doubled, or swapped with the next one."""
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("drop", "double", "swap"))
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("squad", type=Path, help="SQuAD v1.1 dev-v1.1.json")
    ap.add_argument("--names", type=int, default=300)
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with Assistant.open(args.index_dir) as qa:
        pipeline = qa.pipeline
        by_speaker: dict[str, set[str]] = {}
        for st in qa.statement_headers():
            if st.speaker:
                by_speaker.setdefault(st.speaker, set()).add(st.id)
        speakers = [s for s in sorted(by_speaker) if len(s.split()[-1]) >= 5 and s.split()[-1].isalpha()]
        sample = rng.sample(speakers, min(args.names, len(speakers)))
        found = wrong = missed = 0
        missed_examples: list[tuple[str, str]] = []
        for speaker in sample:
            typo = misspelt(speaker.split()[-1], rng)
            frame = pipeline.frame(f"What did {typo} say about it?")
            match = pipeline.speakers.match(frame.speaker) if frame.speaker else None
            if match is None:
                missed += 1
                missed_examples.append((typo, speaker))
            elif match.metadata_ids & by_speaker[speaker]:
                found += 1
            else:
                wrong += 1
        squad = json.loads(args.squad.read_text())["data"]
        questions = [qa_["question"] for art in squad for para in art["paragraphs"] for qa_ in para["qas"]]
        questions = rng.sample(questions, min(args.questions, len(questions)))
        false: list[tuple[str, str]] = []
        for q in questions:
            frame = pipeline.frame(q)
            if frame.speaker and pipeline.speakers.match(frame.speaker) is not None:
                false.append((q, frame.speaker))
    n = len(sample)
    data = {
        "index": str(args.index_dir), "seed": args.seed,
        "misspelt_names": {"n": n, "found": found, "wrong": wrong, "missed": missed,
                           "found_share": round(found / n, 4) if n else None,
                           "wrong_share": round(wrong / n, 4) if n else None},
        "false_matches": {"questions": len(questions), "linked": len(false),
                          "share": round(len(false) / len(questions), 4) if questions else None},
    }
    print(f"misspelt surnames: {found}/{n} found, {wrong} wrong speaker, {missed} missed")
    print("  missed, e.g.: " + "; ".join(f"{t} ({s})" for t, s in missed_examples[:12]))
    print(f"SQuAD questions given a speaker: {len(false)}/{len(questions)}")
    for q, s in false[:15]:
        print(f"  {s!r:30} <- {q}")
    log(f"wrote {write_result('linking', data)}")


if __name__ == "__main__":
    common.check_environment()
    main()
