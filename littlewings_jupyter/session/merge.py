"""Several containers' log lines as one log, in Docker's timestamp order.

The unit is a *run*: consecutive lines of one container. A merged log is a list of runs, so that
it goes out as one ``log`` frame per run (each marked with its container) rather than one per
line. Each member's lines come in order (by cursor); merging only decides where one container's
run ends and the next container's begins.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any, Callable, Generic, TypeVar

from ..docker.lines import LogLine
from ..docker.times import DockerTime

# A flush of more lines than this may group one container's lines that lie less than
# MERGE_GRAIN_NS apart into one run (time order then holds at that granularity): a flood of ten
# containers is not cut into one frame per line.
EXACT_LINES = 2000
MERGE_GRAIN_NS = 10_000_000

M = TypeVar("M")
Run = tuple[Any, list[LogLine]]


def _timestamp(line: LogLine) -> str:
    return line.cursor.timestamp


def merge_runs(sources: list[tuple[M, list[LogLine]]], grain_ns: int | None = None) -> list[Run]:
    """Interleave the lines of several members (each in order) into runs, oldest first.

    ``sources``: ``(member, lines)`` pairs. Lines of equal timestamps go in the order of the
    members in ``sources``. ``grain_ns``: a run of one member may take its lines up to this long
    after the next line of another member; by default 0 (exact) unless the lines are many
    (:data:`EXACT_LINES`), then :data:`MERGE_GRAIN_NS`. A split line (``partial`` pieces) is
    never cut between runs.
    """
    active = [(member, lines) for member, lines in sources if lines]
    if len(active) <= 1:
        return [(member, lines) for member, lines in active]
    if grain_ns is None:
        grain_ns = MERGE_GRAIN_NS if sum(len(lines) for _, lines in active) > EXACT_LINES else 0
    heap: list[tuple[str, int]] = [
        (lines[0].cursor.timestamp, i) for i, (_, lines) in enumerate(active)
    ]
    heap.sort()
    positions = [0] * len(active)
    runs: list[Run] = []
    while heap:
        _, i = heappop(heap)
        member, lines = active[i]
        start = positions[i]
        if not heap:
            cut = len(lines)
        else:
            bound, j = heap[0]
            if grain_ns:
                cut = bisect_right(
                    lines, DockerTime.parse(bound).plus(grain_ns).text, start, key=_timestamp
                )
            elif i < j:
                cut = bisect_right(lines, bound, start, key=_timestamp)
            else:
                cut = bisect_left(lines, bound, start, key=_timestamp)
            cut = max(cut, start + 1)
        while cut < len(lines) and lines[cut - 1].partial:
            cut += 1
        runs.append((member, lines[start:cut] if start or cut < len(lines) else lines))
        positions[i] = cut
        if cut < len(lines):
            heappush(heap, (lines[cut].cursor.timestamp, i))
    return runs


def merge_streams(
    sources: Sequence[tuple[M, Iterator[list[LogLine]]]], grain_ns: int | None = None
) -> Generator[list[Run], None, None]:
    """Merge members' histories read batch by batch (blocking iterators, e.g. ``iter_logs``).

    Yields lists of runs; memory stays at about one batch per member. A chunk goes out once
    every member still being read has shown a line at least as new, so no later line can
    belong before it.
    """
    buffers: list[list[LogLine]] = [[] for _ in sources]
    done = [False] * len(sources)

    def fill(i: int) -> None:
        while not buffers[i] and not done[i]:
            batch = next(sources[i][1], None)
            if batch is None:
                done[i] = True
            else:
                buffers[i] = batch

    for i in range(len(sources)):
        fill(i)
    while any(buffers):
        reading = [i for i in range(len(sources)) if not done[i]]
        chunk: list[tuple[M, list[LogLine]]] = []
        if reading:
            bound = min(buffers[i][-1].cursor.timestamp for i in reading)
            for i, lines in enumerate(buffers):
                cut = bisect_right(lines, bound, key=_timestamp)
                while cut < len(lines) and cut and lines[cut - 1].partial:
                    cut += 1
                chunk.append((sources[i][0], lines[:cut]))
                buffers[i] = lines[cut:]
        else:
            chunk = [(sources[i][0], lines) for i, lines in enumerate(buffers)]
            buffers = [[] for _ in sources]
        runs = merge_runs(chunk, grain_ns)
        if runs:
            yield runs
        for i in reading:
            fill(i)


class Reorderer(Generic[M]):
    """Live lines of several members, put in timestamp order within a window, as runs.

    Each member's lines are held up to ``window`` seconds after they arrive; then they go out
    with every line of other members that is not newer, merged. Lines that arrive more than a
    window late (a slow follower) go out with the next flush, out of order by that much.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        window: float,
        emit: Callable[[list[Run]], None],
    ) -> None:
        self.loop = loop
        self.window = window
        self.emit = emit
        self._pending: dict[Any, deque[tuple[float, list[LogLine]]]] = {}
        self._order: dict[Any, int] = {}
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    def add(self, member: M, lines: list[LogLine]) -> None:
        """Lines of one member (in order, newer than the ones it gave before)."""
        if not lines or self.closed:
            return
        if self.window <= 0:
            self.emit([(member, lines)])
            return
        self._order.setdefault(member, len(self._order))
        self._pending.setdefault(member, deque()).append((time.monotonic(), lines))
        if self._timer is None:
            self._timer = self.loop.call_later(self.window / 2, self._tick)

    def forget(self, member: M) -> None:
        """A member left: its held lines go out now, in order with the rest."""
        self._order.pop(member, None)

    def _tick(self) -> None:
        self._timer = None
        if self.closed:
            return
        self.flush(time.monotonic() - self.window)
        if any(self._pending.values()):
            self._timer = self.loop.call_later(self.window / 2, self._tick)

    def flush(self, arrived_before: float | None = None) -> None:
        """Send what arrived before ``arrived_before`` (everything when None), with every line
        of other members that is not newer than the newest line sent."""
        released: dict[Any, list[LogLine]] = {}
        newest = ""
        for member, chunks in self._pending.items():
            while chunks and (arrived_before is None or chunks[0][0] <= arrived_before):
                lines = chunks.popleft()[1]
                released.setdefault(member, []).extend(lines)
                newest = max(newest, lines[-1].cursor.timestamp)
        if not released:
            return
        for member, chunks in self._pending.items():
            while chunks:
                lines = chunks[0][1]
                cut = bisect_right(lines, newest, key=_timestamp)
                while cut < len(lines) and cut and lines[cut - 1].partial:
                    cut += 1
                if cut == 0:
                    break
                released.setdefault(member, []).extend(lines[:cut])
                if cut < len(lines):
                    chunks[0] = (chunks[0][0], lines[cut:])
                    break
                chunks.popleft()
        for member in [m for m, chunks in self._pending.items() if not chunks]:
            del self._pending[member]
        order = self._order
        sources = sorted(released.items(), key=lambda item: order.get(item[0], len(order)))
        self.emit(merge_runs(sources))

    def close(self) -> None:
        """Drop what is held and stop the timer."""
        self.closed = True
        self._pending.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
