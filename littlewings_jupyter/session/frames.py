"""Log lines as ``log`` frames: one per run of one stream, encoded once for every client."""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

from ..parsing.lines import Cursor, LogLine, Stream
from . import protocol

MAX_FRAME_LINES = 5000
MAX_FRAME_BYTES = 512 * 1024


def log_frames(
    lines: list[LogLine], timestamps: bool, history: bool, container: str | None = None
) -> list[tuple[str, int, Cursor]]:
    """Encoded ``log`` frames for ``lines``: one per run of one stream, split when large.

    Returns ``(text, line count, cursor of the last line)`` for each frame. A frame's ``lines``
    counts the lines that end in it: the piece of a long line that a ``partial`` frame ends
    with is counted in the frame that ends the line. With ``timestamps``, each line starts with
    its timestamp; a piece that goes on from the previous one does not.
    """
    frames: list[tuple[str, int, Cursor]] = []
    run: list[str] = []
    run_bytes = 0
    stream = 0
    last: LogLine | None = None

    def close_run(partial: bool) -> None:
        nonlocal run, run_bytes
        if not run or last is None:
            return
        data = "\n".join(run) + ("" if partial else "\n")
        count = len(run) - 1 if partial else len(run)
        frame: dict[str, Any] = {"type": "log"}
        if container is not None:
            frame["container"] = container
        frame.update(
            {
                "stream": Stream.label_of(stream),
                "data": data,
                "lines": count,
                "cursor": str(last.cursor),
                "history": history,
            }
        )
        if partial:
            frame["partial"] = True
        frames.append((protocol.encode(frame), count, last.cursor))
        run, run_bytes = [], 0

    for line in lines:
        if line.stream != stream or len(run) >= MAX_FRAME_LINES or run_bytes > MAX_FRAME_BYTES:
            close_run(False)
            stream = line.stream
        text = (
            f"{line.cursor.timestamp} {line.text}"
            if timestamps and not line.continued
            else line.text
        )
        run.append(text)
        run_bytes += len(text)
        last = line
        if line.partial:
            close_run(True)
    close_run(False)
    return frames


def footprint(text: str) -> int:
    """The memory a queued frame holds: the string, and its tuple and slot in the queue."""
    return sys.getsizeof(text) + 80


class LogBatch:
    """Lines handed over by a follower, encoded once per option set for all its clients."""

    def __init__(self, lines: list[LogLine]) -> None:
        self.lines = lines
        self._frames: dict[bool, list[tuple[str, int, Cursor]]] = {}

    def frames(self, timestamps: bool) -> list[tuple[str, int, Cursor]]:
        """The live ``log`` frames of this batch."""
        cached = self._frames.get(timestamps)
        if cached is None:
            cached = self._frames[timestamps] = log_frames(self.lines, timestamps, False)
        return cached


class MemberCursor(NamedTuple):
    """Where a merged view's frame ends: the member (its name) and its cursor there."""

    name: str
    cursor: Cursor


def run_frames(
    runs: list[tuple[Any, list[LogLine]]], timestamps: bool, history: bool
) -> list[tuple[str, int, MemberCursor]]:
    """``log`` frames of a merged view's runs (``(member, lines)``, a member has a ``name``)."""
    frames: list[tuple[str, int, MemberCursor]] = []
    for member, lines in runs:
        name = member.name
        for text, count, cursor in log_frames(lines, timestamps, history, name):
            frames.append((text, count, MemberCursor(name, cursor)))
    return frames


class MergedBatch:
    """Runs of a merged view, flushed once for every session of the group, encoded once."""

    def __init__(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        self.runs = runs
        self._frames: dict[bool, list[tuple[str, int, MemberCursor]]] = {}

    @property
    def line_count(self) -> int:
        """How many lines (and pieces) the batch holds."""
        return sum(len(lines) for _, lines in self.runs)

    def frames(self, timestamps: bool) -> list[tuple[str, int, MemberCursor]]:
        """The live ``log`` frames of this batch."""
        cached = self._frames.get(timestamps)
        if cached is None:
            cached = self._frames[timestamps] = run_frames(self.runs, timestamps, False)
        return cached
