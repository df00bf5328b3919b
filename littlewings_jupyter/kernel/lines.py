"""Log lines in notebooks: :class:`Line`, and the times and streams the API's calls accept.

A leaf of the notebook API: containers, groups, searches and widgets all hand out lines and read
``since``/``until`` the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import InvalidMessage
from ..parsing.lines import (
    Cursor,
    LogLine,
    Stream,
    line_text,
)
from ..parsing.times import DockerTime
from ..session.times import parse_time

_DOCKER_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h|d)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


@dataclass(frozen=True)
class Line:
    """One log line: its text, the stream it came from and its position in the log.

    ``str(line)`` is its text. ``cursor`` (Docker's nanosecond timestamp plus an ordinal among
    lines of the same nanosecond) orders lines and can be passed as ``since=`` to resume after it.
    ``container``: whose line it is, in merged logs (:func:`project`); None otherwise.
    """

    text: str
    stream: str
    cursor: Cursor
    partial: bool = False
    continued: bool = False
    container: str | None = None

    @classmethod
    def from_log_line(cls, line: LogLine, container: str | None = None) -> Line:
        """The public form of a line made by the session core's ``LineAssembler``."""
        return cls(
            line.text,
            Stream.label_of(line.stream),
            line.cursor,
            line.partial,
            line.continued,
            container,
        )

    @property
    def timestamp(self) -> str:
        """When Docker received the line, RFC 3339 UTC with nanoseconds."""
        return self.cursor.timestamp

    @property
    def time(self) -> datetime:
        """:attr:`timestamp` as an aware ``datetime`` (microsecond precision)."""
        return self.cursor.time.datetime

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        more = ", partial" if self.partial else ""
        who = f"{self.container} " if self.container else ""
        return f"Line({who}{self.stream} {self.cursor}{more}: {self.text!r})"


def docker_time(value: Any, name: str) -> str | None:
    """A ``since``/``until`` value as Docker wants it (Unix seconds with nanoseconds)."""
    if value is None:
        return None
    if isinstance(value, Line):
        value = value.cursor
    if isinstance(value, Cursor):
        return value.docker_since()
    if isinstance(value, datetime):
        return f"{value.timestamp():.9f}"  # a naive datetime is local time, as in Python
    if isinstance(value, timedelta):
        return f"{time.time() - value.total_seconds():.9f}"
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a time, not a boolean.")
    if isinstance(value, (int, float)):
        return f"{float(value):.9f}"
    if isinstance(value, str):
        text = value.strip()
        if _DOCKER_TIME_RE.match(text):
            return DockerTime.parse(text).docker
        parts = _DURATION_PART_RE.findall(text)
        if parts and "".join(number + unit for number, unit in parts) == text:
            ago = sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
            return f"{time.time() - ago:.9f}"
        try:
            return f"{parse_time(text, name):.9f}"
        except InvalidMessage:
            pass
    raise ValueError(
        f"{name} must be a datetime, a timedelta, Unix seconds, an RFC 3339 time, a duration "
        f"such as '10m' or '1h30m' (that long ago), or a Line; got {value!r}."
    )


def cursor_after(since: Any) -> Cursor | None:
    """The cursor to resume after, when ``since`` is a line or a cursor."""
    if isinstance(since, Line):
        return since.cursor
    return since if isinstance(since, Cursor) else None


def join_lines(lines: Iterable[Line], timestamps: bool = False) -> str:
    """Lines as one text, as ``docker logs`` prints them (pieces of a long line rejoined)."""
    return "".join(line_text(line, timestamps) for line in lines)


__all__ = ["Line", "cursor_after", "docker_time", "join_lines"]
