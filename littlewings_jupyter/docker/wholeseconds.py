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
kept). The engine's ``since`` and ``until`` themselves are exact (Podman keeps nanoseconds
inside; only its output is whole seconds), and a line's stamp is that of its last piece (see
:class:`~.lines.LineAssembler`), so a line begun in the second before counts in the second
it ended in, whichever second a read starts at.

Pure: the reads are given as a function.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from typing import Callable, Optional

from ..parsing.lines import Cursor, LogLine
from ..parsing.times import DockerTime

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
    # Read on past the second's end, not `until` it: a line begun in it and ended after would
    # come (unfinished, at the end) at the stamp of its first piece, and count once too often.
    batches = read(None, str(second), None)
    try:
        for batch in batches:
            for line in batch:
                if _head(line) != first:
                    return _shifted(head, total - seen)
                total = line.cursor.ordinal + 1
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    return _shifted(head, total - seen)


def _shifted(head: list[LogLine], shift: int) -> list[LogLine]:
    if shift <= 0:
        return head
    return [
        line._replace(cursor=Cursor(line.cursor.timestamp, line.cursor.ordinal + shift))
        for line in head
    ]


class FollowTally:
    """What a follow read, second by second, to check it against the log when it ends.

    Podman (4.3) ends a follow when its container exits before it has sent every line, and in
    its last part skips lines (of 90,000 lines printed at once before the exit, a follow read
    about 45,000, the last ones with gaps): the log itself has every line. The follower counts
    each second's lines as the follow read them (every line, also those it had already
    delivered) and keeps the texts of the last second; when the stream ends, the log read from
    the first counted second is compared: the lines after the last one read are new, the
    difference of the counts before is what the follow skipped.
    """

    def __init__(self, keep: int = 10) -> None:
        self.keep = keep  # seconds counted at most (the oldest are forgotten)
        self.counts: dict[str, int] = {}
        self.last_second = ""
        self.last_texts: list[str] = []

    def add(self, lines: list[LogLine]) -> None:
        """Lines as the follow read them, in order."""
        if not lines:
            return
        counts = self.counts
        if lines[0].cursor.timestamp == lines[-1].cursor.timestamp == self.last_second:
            counts[self.last_second] += len(lines)
            self.last_texts.extend(line.text for line in lines)
            return
        for line in lines:
            second = line.cursor.timestamp
            if second != self.last_second:
                self.last_second, self.last_texts = second, []
                counts[second] = 0
                if len(counts) > self.keep:
                    del counts[next(iter(counts))]
            counts[second] += 1
            self.last_texts.append(line.text)

    @property
    def first_second(self) -> str | None:
        """The stamp of the oldest second counted (None: nothing read)."""
        return next(iter(self.counts), None)

    def reconcile(self, logged: list[LogLine]) -> tuple[list[LogLine], int]:
        """The lines of the log (``logged``: read from :attr:`first_second` on) that come after
        the last line the follow read, and how many lines before it the follow skipped."""
        by_second: dict[str, list[LogLine]] = {}
        for line in logged:
            by_second.setdefault(line.cursor.timestamp, []).append(line)
        skipped = 0
        for second, count in self.counts.items():
            if second != self.last_second:
                skipped += max(0, len(by_second.get(second, ())) - count)
        # The last second: where in the log is the last line read? Its lines are those read,
        # in order, with some left out: each text at the first place it fits after the one
        # before (a text the log does not have, a line the stream cut elsewhere, is passed by).
        last = by_second.get(self.last_second, [])
        places: dict[str, list[int]] = {}
        for index, line in enumerate(last):
            places.setdefault(line.text, []).append(index)
        at = matched = 0
        for text in self.last_texts:
            found = places.get(text)
            if not found:
                continue
            next_place = bisect.bisect_left(found, at)
            if next_place < len(found):
                at, matched = found[next_place] + 1, matched + 1
        skipped += at - matched
        newer = [line for line in logged if line.cursor.timestamp > self.last_second]
        return last[at:] + newer, skipped


__all__ = ["FollowTally", "read_history", "whole_second"]
