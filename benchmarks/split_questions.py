"""Split a blind-written question file 60/40 into a tuning part and a locked part, before any result is seen.

    python benchmarks/split_questions.py benchmarks/questions/polnear.jsonl [--seed 20261204] [--locked 0.4]

A conversation (a question and the follow-ups that point back to it) stays in one part. Each line gets
``"part": "tune"`` or ``"part": "locked"``; a file already split is left alone. Tune on the tune part
only; score the locked part once, at the end (``benchmarks/questions.py --part locked``).
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def conversations(questions: list[dict[str, object]]) -> dict[str, str]:
    """Question id → the id of the first question of its conversation."""
    root: dict[str, str] = {}
    for q in questions:
        follows = q.get("follows")
        root[str(q["id"])] = root[str(follows)] if follows else str(q["id"])
    return root


def split(questions: list[dict[str, object]], seed: int, locked_share: float) -> list[dict[str, object]]:
    """The questions with a ``part`` each: whole conversations drawn at random into the locked part."""
    root = conversations(questions)
    groups = sorted(set(root.values()))
    random.Random(seed).shuffle(groups)
    size = {g: sum(1 for r in root.values() if r == g) for g in groups}
    locked: set[str] = set()
    target = round(locked_share * len(questions))
    for g in groups:
        if sum(size[x] for x in locked) + size[g] <= target:
            locked.add(g)
    return [{**q, "part": "locked" if root[str(q["id"])] in locked else "tune"} for q in questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--locked", type=float, default=0.4, help="share of questions locked (default 0.4)")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if all("part" in q for q in questions):
        print(f"{args.path}: already split; left alone")
        return
    out = split(questions, args.seed, args.locked)
    args.path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in out), encoding="utf-8")
    parts = [q["part"] for q in out]
    print(f"{args.path}: {parts.count('tune')} tune, {parts.count('locked')} locked (seed {args.seed})")


if __name__ == "__main__":
    main()
