"""Attribution on every core: worker processes give what one process gives, in order. Fictional texts."""
from __future__ import annotations

import pytest

from corpus.attribution import attribute_many
from corpus.attribution.parallel import MIN_CHARACTERS, WORKERS_VARIABLE, ParallelAttributor, default_workers, shares

TEXTS = [
    "Minister Elara Voss said the fishing quotas must be cut by a fifth. She added that the body would meet in May.",
    "“We have respected every limit for ten years,” Tomas Quill told reporters. The cod season opens in June.",
    "According to the Pelgrin Sea Council, catches fell by a third. Traders blamed the storms for the shortage.",
    "We will propose a joint monitoring body. Our fleet respects every limit, and we ask others to do the same.",
]
SPEAKERS = [None, None, None, "Elara Voss"]


def test_shares_are_contiguous_and_about_equal() -> None:
    parts = shares([10, 10, 10, 10, 40], 2)
    assert parts == [range(0, 4), range(4, 5)]
    assert shares([5], 3) == [range(0, 1)]
    assert [i for part in shares([3, 1, 4, 1, 5, 9, 2, 6], 3) for i in part] == list(range(8))


def test_workers_give_what_one_process_gives_in_order() -> None:
    texts = TEXTS * (MIN_CHARACTERS // sum(len(t) for t in TEXTS) + 2)  # enough text to share
    speakers = SPEAKERS * (len(texts) // len(SPEAKERS))
    with ParallelAttributor(workers=1) as attributor:
        shared = attributor.attribute_many(texts, speakers)
        assert len(attributor._processes) == 1  # the work really went to a worker
        worker = attributor._processes[0]
    assert shared == attribute_many(texts, speakers)
    assert attributor._processes == [] and worker.poll() == 0  # stopped with the block


def test_little_text_stays_in_this_process() -> None:
    with ParallelAttributor(workers=1) as attributor:
        assert attributor.attribute_many(TEXTS, SPEAKERS) == attribute_many(TEXTS, SPEAKERS)
        assert attributor._processes == []


def test_the_number_of_workers_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_VARIABLE, "0")
    assert default_workers() == 0 and ParallelAttributor().workers == 0
    monkeypatch.delenv(WORKERS_VARIABLE)
    assert default_workers() >= 0


def test_a_worker_that_dies_leaves_its_share_to_this_process() -> None:
    import os
    import signal

    texts = TEXTS * (MIN_CHARACTERS // sum(len(t) for t in TEXTS) + 2)
    speakers = SPEAKERS * (len(texts) // len(SPEAKERS))
    with ParallelAttributor(workers=1) as attributor:
        attributor.attribute_many(texts, speakers)  # the worker starts
        os.kill(attributor._processes[0].pid, signal.SIGKILL)
        attributor._processes[0].wait()
        assert attributor.attribute_many(texts, speakers) == attribute_many(texts, speakers)
        assert attributor.workers == 0
