"""Live lines of several containers put in timestamp order within a short window, on the
session's loop (the order itself is :func:`~..parsing.merge.merge_runs`)."""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_right
from collections import deque
from typing import Any, Callable, Generic, TypeVar

from ..parsing.lines import LogLine
from ..parsing.merge import Run, merge_runs

M = TypeVar("M")


def _timestamp(line: LogLine) -> str:
    return line.cursor.timestamp


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


__all__ = ["Reorderer"]
