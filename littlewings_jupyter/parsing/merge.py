"""Several containers' log lines as one log, in Docker's timestamp order (pure: lists and
iterators of lines in, runs out; the live reordering on a loop is ``session/reorder.py``).

The unit is a *run*: consecutive lines of one container. A merged log is a list of runs, so that
it goes out as one ``log`` frame per run (each marked with its container) rather than one per
line. Each member's lines come in order (by cursor); merging only decides where one container's
run ends and the next container's begins.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Generator, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any, TypeVar

from .lines import LogLine
from .times import DockerTime

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
    belong before it. ``grain_ns`` as for :func:`merge_runs`; by default exact until
    :data:`EXACT_LINES` lines have gone out, then :data:`MERGE_GRAIN_NS` (a flood read batch by
    batch is not cut into one run a line, as it would be merged exactly chunk by chunk).
    """
    buffers: list[list[LogLine]] = [[] for _ in sources]
    done = [False] * len(sources)
    sent = 0

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
        grain = grain_ns
        if grain is None:
            grain = MERGE_GRAIN_NS if sent > EXACT_LINES else None
        runs = merge_runs(chunk, grain)
        if runs:
            sent += sum(len(lines) for _, lines in runs)
            yield runs
        for i in reading:
            fill(i)


__all__ = ["EXACT_LINES", "MERGE_GRAIN_NS", "Run", "merge_runs", "merge_streams"]
