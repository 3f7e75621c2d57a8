"""An idle chat server sleeps: Gradio's queue polls slowly while nothing happens, as fast as ever when it does.

Gradio's queue looks for new events every millisecond and for progress to report every 10 ms, even when
nobody is using the app: over a thousand wake-ups a second, which cost an idle ``statements-qa serve``
4% of a core (measured with ``benchmarks/idle_cpu.py``; py-spy showed nothing else awake). ``pace_queue``
keeps Gradio's own intervals while events come and go, and stretches them to ``IDLE_POLL`` seconds once
``IDLE_AFTER`` seconds have passed with no new event and none running. The first event after a quiet
spell waits at most ``IDLE_POLL`` seconds to start; the rest of its chain runs at Gradio's pace. Nothing
polls to notice the quiet: a timer is set when an event arrives.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

IDLE_POLL = 0.1  # seconds between the queue's looks for new events (and for progress) while idle
IDLE_AFTER = 10.0  # seconds without a new event, and none running, before the queue counts as idle


@dataclass
class _Pace:
    """The queue's busy intervals (Gradio's), and when the last event arrived."""

    queue: Any
    busy: tuple[float, float]
    last_event: float = 0.0
    timer: asyncio.TimerHandle | None = None

    def set(self, intervals: tuple[float, float]) -> None:
        self.queue.sleep_when_free, self.queue.progress_update_sleep_when_free = intervals

    def wake(self) -> None:
        """An event arrived: poll at Gradio's pace, and check for quiet ``IDLE_AFTER`` seconds on."""
        self.last_event = time.monotonic()
        self.set(self.busy)
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(IDLE_AFTER, self.check)

    def check(self) -> None:
        """Go idle if nothing arrived or ran since; else look again when it could be quiet."""
        self.timer = None
        quiet_for = time.monotonic() - self.last_event
        running = len(self.queue) > 0 or any(job is not None for job in self.queue.active_jobs)
        if quiet_for >= IDLE_AFTER and not running:
            self.set((IDLE_POLL, IDLE_POLL))
            return
        wait = IDLE_AFTER - quiet_for if quiet_for < IDLE_AFTER else IDLE_AFTER
        self.timer = asyncio.get_running_loop().call_later(wait, self.check)


def pace_queue(blocks: gr.Blocks) -> None:
    """Make ``blocks``' queue (call after ``blocks.queue(...)``) poll slowly while idle, as the module says."""
    queue: Any = blocks._queue  # gradio.queueing.Queue
    pace = _Pace(queue, (queue.sleep_when_free, queue.progress_update_sleep_when_free))
    push = queue.push

    async def paced_push(*args: Any, **kwargs: Any) -> Any:
        pace.wake()
        return await push(*args, **kwargs)

    queue.push = paced_push
    pace.set((IDLE_POLL, IDLE_POLL))  # idle until the first event
