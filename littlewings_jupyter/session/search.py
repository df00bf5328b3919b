"""Search through a container's (or a merged view's) whole log history, on the server.

A :class:`SearchQuery` says what to look for (plain text or a regular expression, case, time
range, stream, levels); :func:`scan` reads runs of lines (as the merged history gives them: one
container, or several merged by timestamp) and yields matches with their context lines and
progress, stopping when asked. It is blocking: the session runs it in a worker thread.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidMessage
from ..parsing.lines import LogLine, Stream
from ..parsing.structured import LEVELS, parse_line
from ..patterns import Pattern, compile_pattern
from .times import parse_time

MAX_CONTEXT = 20
MAX_LIMIT = 10_000
PROGRESS_EVERY = 0.5  # seconds between progress reports


@dataclass
class SearchQuery:
    """What to find: ``pattern`` (plain text unless ``regex``), case-insensitive by default."""

    pattern: str
    regex: bool = False
    case_sensitive: bool = False
    stream: int | None = None  # 1 stdout, 2 stderr, None both
    levels: frozenset[str] | None = None
    context: int = 0
    limit: int = 1000
    since: float | None = None
    until: float | None = None
    compiled: Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # RE2 (linear time, the GIL let go): no pattern can stall the server. Multiline: lines
        # are searched joined by newlines, and ^ and $ must mean a line's start and end there.
        self.compiled = compile_pattern(
            self.pattern,
            what="'query'",
            regex=self.regex,
            case_sensitive=self.case_sensitive,
            multiline=True,
        )
        if self.levels is not None and not self.levels <= set(LEVELS):
            raise InvalidMessage(f"'level' must be among {', '.join(LEVELS)}.")
        if not 0 <= self.context <= MAX_CONTEXT:
            raise InvalidMessage(f"'context' must be 0 to {MAX_CONTEXT} lines.")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidMessage(f"'limit' must be 1 to {MAX_LIMIT} matches.")

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> SearchQuery:
        """The query of a ``search`` frame (or of REST query arguments made into a dict)."""
        try:
            stream = Stream.parse(data.get("stream"))
        except ValueError as e:
            raise InvalidMessage(f"'{e}") from None
        levels = data.get("level")
        if isinstance(levels, str):
            levels = [levels]
        if levels is not None and (
            not isinstance(levels, list) or not all(isinstance(v, str) for v in levels)
        ):
            raise InvalidMessage("'level' must be a level or a list of levels.")

        def flag(name: str) -> bool:
            value = data.get(name, False)
            if not isinstance(value, bool):
                raise InvalidMessage(f"'{name}' must be true or false.")
            return value

        def number(name: str, default: int) -> int:
            value = data.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidMessage(f"'{name}' must be a whole number.")
            return value

        since, until = data.get("since"), data.get("until")
        return cls(
            pattern=data.get("query"),  # type: ignore[arg-type]
            regex=flag("regex"),
            case_sensitive=flag("case_sensitive"),
            stream=stream,
            levels=None if levels is None else frozenset(v.lower() for v in levels),
            context=number("context", 0),
            limit=number("limit", 1000),
            since=None if since is None else parse_time(since, "since"),
            until=None if until is None else parse_time(until, "until"),
        )

    def wanted(self, line: LogLine) -> bool:
        """Whether a line passes the stream and level filters (the pattern aside)."""
        if self.stream is not None and line.stream != self.stream:
            return False
        if self.levels is not None:
            return parse_line(line.text).level in self.levels
        return True


@dataclass
class Match:
    """A line that matched, where it is, and the lines around it (of the same container)."""

    member: Any
    line: LogLine
    before: list[LogLine]
    after: list[LogLine] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As a ``search_results`` frame lists it."""
        out: dict[str, Any] = {
            "cursor": str(self.line.cursor),
            "stream": Stream.label_of(self.line.stream),
            "line": self.line.text,
        }
        if self.member is not None:
            out["container"] = self.member.name
        level = parse_line(self.line.text).level
        if level:
            out["level"] = level
        if self.before or self.after:
            out["before"] = [line.text for line in self.before]
            out["after"] = [line.text for line in self.after]
        return out


@dataclass
class Progress:
    """How far a search got."""

    scanned: int = 0
    matches: int = 0
    first: str | None = None  # the timestamp of the first line looked at
    reached: str | None = None  # the timestamp of the last line looked at

    def to_json(self) -> dict[str, Any]:
        """As ``search_progress`` and ``search_end`` give it."""
        return {
            "scanned": self.scanned,
            "matches": self.matches,
            "first": self.first,
            "reached": self.reached,
        }


def _find(query: SearchQuery, lines: list[LogLine]) -> list[int]:
    """Indexes of the lines whose text matches (one RE2 pass over the joined block)."""
    pattern = query.compiled
    texts = [line.text for line in lines]
    joined = "\n".join(texts)
    block = joined.encode("utf-8", "surrogatepass")
    hits: list[int] = []
    starts: list[int] = []
    sizes: list[int] = []
    pos = 0
    while True:
        found = pattern.search_block(block, pos)
        if found is None:
            return hits
        if not starts:  # where each line starts in the block (bytes), once a match needs it
            if len(block) == len(joined):  # ASCII: a character is a byte
                sizes = [len(text) for text in texts]
            else:
                sizes = [len(text.encode("utf-8", "surrogatepass")) for text in texts]
            offset = 0
            for size in sizes:
                starts.append(offset)
                offset += size + 1
        index = bisect_right(starts, found[0]) - 1
        start, size = starts[index], sizes[index]
        # A match may run over a line's end (the block joins lines): the line must match alone.
        if found[1] <= start + size or pattern.search_block(block[start : start + size]):
            hits.append(index)
        if index + 1 >= len(texts):
            return hits
        pos = starts[index + 1]


def scan(
    query: SearchQuery,
    chunks: Iterable[list[tuple[Any, list[LogLine]]]],
    stop: threading.Event | None = None,
    time_limit: float | None = None,
) -> Generator[tuple[str, Any], None, None]:
    """Search runs of lines, oldest first. Yields ``("matches", [Match…])`` as matches are
    complete (their ``after`` context read), ``("progress", Progress)`` about every
    half-second, and last ``("end", (Progress, reason))``: ``done``, ``limit``,
    ``cancelled`` or ``time_limit`` (``time_limit`` seconds passed: ``reached`` says where to
    go on from)."""
    deadline = None if not time_limit else time.monotonic() + time_limit
    progress = Progress()
    context = query.context
    recent: dict[Any, list[LogLine]] = {}  # each member's last `context` lines
    waiting: list[Match] = []  # matches still taking their `after` lines
    last_report = time.monotonic()
    filters = query.stream is not None or query.levels is not None
    reason = "done"
    for runs in chunks:
        if stop is not None and stop.is_set():
            reason = "cancelled"
            break
        found: list[Match] = []
        for member, run in runs:
            lines = [line for line in run if not line.partial] if run[-1].partial else run
            if not lines:
                continue
            if progress.first is None:
                progress.first = lines[0].cursor.timestamp
            progress.reached = lines[-1].cursor.timestamp
            progress.scanned += len(lines)
            if waiting:  # earlier matches of this member take their `after` lines from here
                still: list[Match] = []
                for match in waiting:
                    if match.member is member:
                        match.after.extend(lines[: context - len(match.after)])
                    (found if len(match.after) >= context else still).append(match)
                waiting = still
            if progress.matches < query.limit:
                if filters:
                    where = [i for i, line in enumerate(lines) if query.wanted(line)]
                    hits = [where[i] for i in _find(query, [lines[i] for i in where])]
                else:
                    hits = _find(query, lines)
                hits = hits[: query.limit - progress.matches]
                progress.matches += len(hits)
                before_run = recent.get(member, []) if context else []
                for i in hits:
                    before = lines[max(0, i - context) : i]
                    if len(before) < context:
                        before = before_run[len(before_run) - (context - len(before)) :] + before
                    match = Match(member, lines[i], before, lines[i + 1 : i + 1 + context])
                    (found if len(match.after) >= context else waiting).append(match)
            if context:
                recent[member] = (recent.get(member, []) + lines[-context:])[-context:]
        if found:
            yield "matches", found
        if progress.matches >= query.limit and not waiting:
            reason = "limit"
            break
        now = time.monotonic()
        if deadline is not None and now > deadline:
            reason = "time_limit"
            break
        if now - last_report >= PROGRESS_EVERY:
            last_report = now
            yield "progress", progress
    if waiting:  # the log ended before their context did
        yield "matches", waiting
    yield "end", (progress, reason)


__all__ = ["Match", "Progress", "SearchQuery", "scan"]
