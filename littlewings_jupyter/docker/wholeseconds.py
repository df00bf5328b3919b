"""Reading the history of an engine that stamps log lines in whole seconds (Podman).

A cursor is a line's timestamp and its ordinal among lines with the same stamp, counted from
the first of them. With nanosecond stamps (dockerd) every read agrees on ordinals. With whole
seconds, many lines share a stamp, and a read that starts in the middle of a second (a ``tail``,
a ``since`` between two seconds) would number that second's lines from 0 where a read from the
second's start numbers them from, say, 40: the join of history and live lines, a resume from a
cursor and a context lookup would then lose or repeat lines.

So every read here starts at a second's first line: ``since`` is rounded down to the whole
second, and the head of a ``tail`` is renumbered after counting its second's lines (or, when the
whole tail lies in one second, that second is read again from its start and its last lines
kept). The engine's ``since`` and
``until`` themselves are exact (Podman keeps nanoseconds inside; only its output is whole
seconds).

Pure: the reads are given as a function.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Callable, Optional

from .lines import Cursor, LogLine
from .times import DockerTime

# read(tail, since, until) -> batches of lines, as the engine's raw history read.
Read = Callable[[Optional[int], Optional[str], Optional[str]], Iterator[list[LogLine]]]


def whole_second(since: str | float | None) -> str | None:
    """A ``since`` rounded down to its second (``"1796667230.5"`` → ``"1796667230"``)."""
    if since is None:
        return None
    return str(since).partition(".")[0]


def _head(line: LogLine) -> str:
    """The line's second, as the start of its fixed-width stamp (``YYYY-MM-DDTHH:MM:SS``)."""
    return line.cursor.timestamp[:19]


def read_history(
    read: Read, tail: int | None, since: str | float | None, until: str | float | None
) -> Iterator[list[LogLine]]:
    """Batches of history lines with the ordinals a read from the log's start would give."""
    since = whole_second(since)
    until = None if until is None else str(until)
    if not tail:  # everything since a second's start (or the log's): ordinals are right
        yield from read(tail, since, until)
        return
    batches = read(tail, since, until)
    head: list[LogLine] = []  # the tail's lines in its first second, held until it ends
    first: str | None = None
    for batch in batches:
        if first is None and batch:
            first = _head(batch[0])
        split = next((i for i, line in enumerate(batch) if _head(line) != first), None)
        if split is None:
            head.extend(batch)
            continue
        head.extend(batch[:split])
        yield _renumbered(head, read, first)
        rest = batch[split:]
        if rest:
            yield rest
        yield from batches  # past the first second: the read's own ordinals are right
        return
    if first is None:
        return
    # The whole tail is in one second (the current one, often): read that second from its
    # start (every line numbered right) and keep the last ``tail`` lines of that read.
    last: deque[LogLine] = deque(maxlen=tail)
    for batch in read(None, str(_seconds(first)), until):
        last.extend(batch)
    if last:
        yield list(last)


def _seconds(head: str) -> int:
    return DockerTime.parse(head + "Z").ns // 1_000_000_000


def _renumbered(head: list[LogLine], read: Read, first: str | None) -> list[LogLine]:
    """``head`` (the last lines of a past second) with the ordinals they have in that second."""
    if not head or first is None:
        return head
    second = _seconds(first)
    seen = head[-1].cursor.ordinal + 1
    total = 0
    for batch in read(None, str(second), DockerTime.from_seconds(second + 1).docker):
        for line in batch:
            if _head(line) == first:
                total = line.cursor.ordinal + 1
    shift = total - seen
    if shift <= 0:
        return head
    return [
        line._replace(cursor=Cursor(line.cursor.timestamp, line.cursor.ordinal + shift))
        for line in head
    ]


__all__ = ["read_history", "whole_second"]
