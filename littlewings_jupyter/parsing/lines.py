"""Log lines as Docker writes them: cursors, timestamps, and the assembler of whole lines."""

from __future__ import annotations

import re
import struct
from enum import IntEnum
from typing import Any, NamedTuple

from .times import DockerTime, fixed_width

_CURSOR_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)/(\d{1,9})$")


class Cursor(NamedTuple):
    """Where a log line is: Docker's nanosecond timestamp and an ordinal among equal ones.

    A named tuple: cursors compare (timestamp first, then ordinal) and are made once per log
    line, so they must be cheap.
    """

    timestamp: str
    ordinal: int = 0

    def __str__(self) -> str:
        return f"{self.timestamp}/{self.ordinal}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Read a cursor as sent in ``log`` frames."""
        match = _CURSOR_RE.match(text)
        if not match:
            raise ValueError(f"not a cursor: {text!r}")
        return cls(fixed_width(match.group(1)), int(match.group(2)))

    @property
    def time(self) -> DockerTime:
        """The cursor's moment."""
        return DockerTime.parse(self.timestamp)

    def docker_since(self) -> str:
        """The cursor's time as Docker's ``since`` parameter (seconds.nanoseconds)."""
        return self.time.docker


class Stream(IntEnum):
    """Which output of a container a line is of: Docker's stream number (the first byte of a
    multiplexed frame), ``"stdout"`` or ``"stderr"`` on the wire and in the Python API."""

    STDOUT = 1
    STDERR = 2
    # Docker's own words in a log stream (stdcopy's "Systemerr"), not a line of the container:
    # e.g. "Error grabbing logs: … incomplete log stream … node … is not available".
    SYSTEMERR = 3

    @staticmethod
    def label_of(stream: int) -> str:
        """A stream's name on the wire, ``"stdout"`` or ``"stderr"`` (of a member or of a plain
        number: lines read back from the archive carry ints)."""
        return _LABELS.get(stream, "stdout")

    @classmethod
    def parse(cls, name: str | None) -> Stream | None:
        """The stream a client names (None: both); ValueError, saying what is allowed, else."""
        if name is None:
            return None
        stream = _BY_LABEL.get(name) if isinstance(name, str) else None
        if stream is None:
            raise ValueError(f"stream must be 'stdout' or 'stderr' (or left out), not {name!r}.")
        return stream


_LABELS: dict[int, str] = {Stream.STDOUT: "stdout", Stream.STDERR: "stderr"}
_BY_LABEL = {"stdout": Stream.STDOUT, "stderr": Stream.STDERR}
STDOUT, STDERR, SYSTEMERR = Stream.STDOUT, Stream.STDERR, Stream.SYSTEMERR
# RFC 3339 in UTC ("Z") or with an offset (Podman writes both), with or without a fraction.
_TIMESTAMP_RE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")


class LogLine(NamedTuple):
    """One whole log line (or a piece of an over-long one); a tuple, made once per line.

    ``partial``: the line goes on in the next piece. ``continued``: this piece goes on from the
    previous one (so it does not start a line: no timestamp goes before it).
    """

    stream: int  # a Stream (a plain int when read back from the archive)
    cursor: Cursor
    text: str
    partial: bool = False
    continued: bool = False


def line_text(line: LogLine | Any, timestamps: bool = False) -> str:
    """A line (or a piece of one) as ``docker logs`` prints it.

    With ``timestamps``, the line's timestamp goes before its start (not before a piece that
    goes on from the previous one); a newline goes after its end.
    """
    head = f"{line.cursor.timestamp} " if timestamps and not line.continued else ""
    return head + line.text + ("" if line.partial else "\n")


class LineAssembler:
    """Turns timestamped Docker log frames into whole lines with cursors.

    Docker writes each log message as ``<RFC 3339 nano timestamp> <text>``; a message without a
    trailing newline is a piece of a longer line. The cursor of a line is the timestamp of its
    last piece (the one that ends it) plus an ordinal among lines that end at the same stamp.

    The last piece, not the first: the engines' ``since`` and ``until`` take or leave each piece
    by its own time, so a read that starts after a line's first piece still gets its end, and
    with it the line's place. Placed at their first pieces, the lines of one second would be
    numbered one way from the log's start and another from that second's start whenever a line
    began in the second before (Podman's conmon cuts lines wherever its 8 KB buffer ends, and
    stamps in whole seconds; a process that prints "Installing... " and "done" later does it
    too). Such a read then gets the line's end alone, at the line's true cursor.
    """

    def __init__(self, max_line_bytes: int = 64 * 1024, tty: bool = False) -> None:
        self.max_line_bytes = max_line_bytes
        self.tty = tty
        self._rest = b""  # the start of a frame whose end has not come yet
        # stream -> [timestamp, bytearray, whether a piece of this line went out already]
        self._pending: dict[int, list[Any]] = {}
        self._last_ts = ""
        self._ordinal = 0
        self._tty_rest = b""
        self._offset_raw = b""  # the last stamp with an offset read, and it in UTC
        self._offset_ts = ""

    def feed(self, block: bytes) -> list[LogLine]:
        """Lines completed by ``block``."""
        lines: list[LogLine] = []
        if self.tty:
            data = self._tty_rest + block
            parts = data.split(b"\n")
            self._tty_rest = parts.pop()
            for part in parts:
                self._message(STDOUT, part + b"\n", lines)
            if len(self._tty_rest) > self.max_line_bytes:
                self._message(STDOUT, self._tty_rest, lines)
                self._tty_rest = b""
            return lines
        data = self._rest + block if self._rest else block
        pos, end = 0, len(data)
        unpack = struct.unpack_from
        append = lines.append
        new = tuple.__new__  # LogLine(...) and Cursor(...) without a Python frame per line
        longest = self.max_line_bytes
        last_ts, ordinal = self._last_ts, self._ordinal
        unfinished = any(pending[1] for pending in self._pending.values())
        while end - pos >= 8:
            kind, length = unpack(">BxxxL", data, pos)
            start, stop = pos + 8, pos + 8 + length
            if stop > end:
                break
            pos = stop
            stream = STDERR if kind == 2 else SYSTEMERR if kind == 3 else STDOUT
            if (
                not unfinished
                and length > 31
                and data[stop - 1] == 10  # a whole line ...
                and data[start + 30] == 32  # ... after "2026-11-26T03:07:11.123456789Z "
                and data[start + 29] == 90
                and data[start + 19] == 46
                and data[start + 10] == 84
            ):
                cut = stop - 2 if data[stop - 2] == 13 and length > 32 else stop - 1
                if cut - start - 31 <= longest:
                    ts = data[start : start + 30].decode("ascii")
                    if ts == last_ts:
                        ordinal += 1
                    else:
                        last_ts, ordinal = ts, 0
                    text = data[start + 31 : cut].decode("utf-8", "replace")
                    append(new(LogLine, (stream, new(Cursor, (ts, ordinal)), text, False, False)))
                    continue
            elif (
                not unfinished
                and length > 21
                and data[stop - 1] == 10  # a whole line ...
                and data[start + 20] == 32  # ... after whole seconds: "2026-12-03T10:00:00Z "
                and data[start + 19] == 90
                and data[start + 10] == 84
            ):
                # Podman's stamps (whole seconds): as fast, in the same fixed-width form.
                cut = stop - 2 if data[stop - 2] == 13 and length > 22 else stop - 1
                if cut - start - 21 <= longest:
                    ts = data[start : start + 19].decode("ascii") + ".000000000Z"
                    if ts == last_ts:
                        ordinal += 1
                    else:
                        last_ts, ordinal = ts, 0
                    text = data[start + 21 : cut].decode("utf-8", "replace")
                    append(new(LogLine, (stream, new(Cursor, (ts, ordinal)), text, False, False)))
                    continue
            elif (
                not unfinished
                and length > 26
                and data[stop - 1] == 10  # a whole line ...
                and data[start + 25] == 32  # ... after "2026-12-03T10:00:00+05:30 "
                and data[start + 22] == 58
                and data[start + 19] in (43, 45)
                and data[start + 10] == 84
            ):
                # Podman's whole seconds with an offset (conmon in another zone): converted to
                # UTC once per second (the lines of a second share their stamp).
                cut = stop - 2 if data[stop - 2] == 13 and length > 27 else stop - 1
                if cut - start - 26 <= longest:
                    raw = data[start : start + 25]
                    if raw != self._offset_raw:
                        self._offset_raw = raw
                        self._offset_ts = fixed_width(raw.decode("ascii"))
                    ts = self._offset_ts
                    if ts == last_ts:
                        ordinal += 1
                    else:
                        last_ts, ordinal = ts, 0
                    text = data[start + 26 : cut].decode("utf-8", "replace")
                    append(new(LogLine, (stream, new(Cursor, (ts, ordinal)), text, False, False)))
                    continue
            # Anything else (a piece of a long line, no timestamp, a line too long) the slow way.
            self._last_ts, self._ordinal = last_ts, ordinal
            self._message(stream, data[start:stop], lines)
            last_ts, ordinal = self._last_ts, self._ordinal
            unfinished = any(pending[1] for pending in self._pending.values())
        self._last_ts, self._ordinal = last_ts, ordinal
        self._rest = data[pos:]
        return lines

    def flush(self) -> list[LogLine]:
        """The unfinished lines at the end of a stream (a last line without a newline)."""
        lines: list[LogLine] = []
        if self._tty_rest:
            self._message(STDOUT, self._tty_rest, lines)
            self._tty_rest = b""
        # Unfinished lines in the order they began.
        for stream, pending in sorted(
            self._pending.items(), key=lambda item: (item[1][0], item[0])
        ):
            if pending[1]:
                self._emit(stream, pending, lines, partial=False)
        return lines

    def _message(self, stream: int, payload: bytes, lines: list[LogLine]) -> None:
        if payload[29:31] == b"Z " and payload[19:20] == b"." and payload[10:11] == b"T":
            # Docker's usual fixed-width RFC 3339 nano form: no regex, no padding needed.
            ts = payload[:30].decode("ascii")
            text = payload[31:]
        elif (space := payload.find(b" ", 0, 40)) > 0 and _TIMESTAMP_RE.match(payload[:space]):
            ts = fixed_width(payload[:space].decode("ascii"))
            text = payload[space + 1 :]
        else:
            ts, text = self._last_ts or "0001-01-01T00:00:00.000000000Z", payload
        pending = self._pending.get(stream)
        if pending is None:
            pending = self._pending[stream] = [ts, bytearray(), False]
        else:
            pending[0] = ts  # a line is placed at its last piece (see the class)
        buf = pending[1]
        complete = text.endswith(b"\n")
        buf += text[:-1] if complete else text
        # A whole line's CR (of CRLF) is dropped by _emit, so it does not count towards the limit.
        limit = self.max_line_bytes + (1 if complete and buf.endswith(b"\r") else 0)
        while len(buf) > limit:
            self._emit(stream, pending, lines, partial=True)
            buf = pending[1]
        if complete:
            self._emit(stream, pending, lines, partial=False)

    def _emit(self, stream: int, pending: list[Any], lines: list[LogLine], partial: bool) -> None:
        ts, buf, continued = pending
        if partial:
            cut = self.max_line_bytes
            # Never cut inside a UTF-8 character: back off over continuation bytes.
            while cut > 0 and (buf[cut] & 0xC0) == 0x80:
                cut -= 1
            cut = cut or self.max_line_bytes
            piece, rest = bytes(buf[:cut]), bytearray(buf[cut:])
        else:
            piece, rest = bytes(buf), bytearray()
        if ts == self._last_ts:
            self._ordinal += 1
        else:
            self._last_ts, self._ordinal = ts, 0
        if not partial and piece.endswith(b"\r"):
            piece = piece[:-1]  # CRLF line ends (TTY containers) end the line like LF
        text = piece.decode("utf-8", "replace")
        lines.append(LogLine(stream, Cursor(ts, self._ordinal), text, partial, continued))
        pending[0], pending[1], pending[2] = ts, rest, partial
