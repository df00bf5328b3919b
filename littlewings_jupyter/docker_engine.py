"""The blocking Docker layer: one docker-py client, visibility rules, and streams read in blocks.

Nothing here may run on the IOLoop: the session manager calls it from worker threads.
"""

from __future__ import annotations

import codecs
import contextlib
import fnmatch
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from .errors import (
    Conflict,
    ContainerNotFound,
    DockerError,
    EngineUnavailable,
    LittleWingsError,
    StdinNotOpen,
)
from .protocol import POWER_ACTIONS, Cursor, normalize_timestamp

if TYPE_CHECKING:
    import docker

# docker-py (and requests under it) are imported on first use, not with this module: the
# server extension is imported at every `jupyter server` start, and most starts never need them.

STDOUT, STDERR = 1, 2
STREAM_NAMES = {STDOUT: "stdout", STDERR: "stderr"}

# Docker's own rule for container names (plus ids and id prefixes, which match it too).
_CONTAINER_REF_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_TIMESTAMP_RE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"

# Which states each power action makes sense in; Docker is still the judge, this only gives a
# clear message before asking it.
_ALLOWED_STATES: dict[str, tuple[str, ...]] = {
    "start": ("created", "exited", "dead"),
    "stop": ("running", "restarting", "paused"),
    "restart": ("running", "created", "exited", "restarting", "dead"),
    "kill": ("running", "restarting", "paused"),
    "pause": ("running",),
    "unpause": ("paused",),
}


@dataclass
class Visibility:
    """Which containers LittleWings shows: name patterns and labels (empty means all)."""

    name_patterns: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def allows(self, name: str, labels: dict[str, str] | None) -> bool:
        """Whether a container of this name and labels is visible."""
        name = name.lstrip("/")
        if self.name_patterns and not any(
            fnmatch.fnmatchcase(name, pattern) for pattern in self.name_patterns
        ):
            return False
        labels = labels or {}
        for rule in self.labels:
            key, has_value, value = rule.partition("=")
            if key not in labels or (has_value and labels[key] != value):
                return False
        return True


@dataclass
class ContainerRef:
    """What the session manager needs to know of a container it follows."""

    id: str
    name: str
    tty: bool
    open_stdin: bool
    state: str
    started_at: str = ""


def translate_docker_error(exc: Exception, what: str = "") -> LittleWingsError:
    """A docker-py or requests exception as one of ours."""
    if isinstance(exc, LittleWingsError):
        return exc
    import docker.errors
    import requests.exceptions

    if isinstance(exc, docker.errors.NotFound):
        return ContainerNotFound(what or "?")
    if isinstance(exc, docker.errors.APIError):
        explanation = str(exc.explanation or exc)
        status = exc.status_code or 500
        if status in (304, 409):
            return Conflict(explanation or "The container's state does not allow this.")
        if status >= 500 and "connection" in explanation.lower():
            return EngineUnavailable(f"The Docker engine does not answer: {explanation}")
        return DockerError(f"Docker refused: {explanation}")
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError, socket.error)):
        return EngineUnavailable(f"The Docker engine does not answer ({exc.__class__.__name__}).")
    if isinstance(exc, requests.exceptions.Timeout):
        return EngineUnavailable("The Docker engine did not answer in time.")
    if isinstance(exc, docker.errors.DockerException):
        return EngineUnavailable(f"The Docker engine is not reachable: {exc}")
    return DockerError(f"Docker request failed: {exc}")


def summarize_listed(item: dict[str, Any]) -> dict[str, Any]:
    """A container summary from one entry of ``GET /containers/json``."""
    labels = item.get("Labels") or {}
    status = item.get("Status") or ""
    health = None
    for word in ("healthy", "unhealthy", "health: starting"):
        if f"({word})" in status:
            health = "starting" if word == "health: starting" else word
    exit_code = None
    match = re.match(r"Exited \((-?\d+)\)", status)
    if match:
        exit_code = int(match.group(1))
    names = item.get("Names") or ["/" + item["Id"][:12]]
    return {
        "id": item["Id"],
        "short_id": item["Id"][:12],
        "name": names[0].lstrip("/"),
        "image": item.get("Image", ""),
        "state": item.get("State", ""),
        "status": status,
        "health": health,
        "exit_code": exit_code,
        "created": item.get("Created"),
        "compose_project": labels.get(COMPOSE_PROJECT),
        "compose_service": labels.get(COMPOSE_SERVICE),
        "labels": labels,
    }


def summarize_inspected(info: dict[str, Any]) -> dict[str, Any]:
    """A container summary (with details) from ``GET /containers/{id}/json``."""
    state = info.get("State") or {}
    config = info.get("Config") or {}
    labels = config.get("Labels") or {}
    health = (state.get("Health") or {}).get("Status")
    status = state.get("Status", "")
    return {
        "id": info["Id"],
        "short_id": info["Id"][:12],
        "name": info.get("Name", "").lstrip("/"),
        "image": config.get("Image", ""),
        "state": status,
        "status": _describe_state(state),
        "health": health,
        "exit_code": state.get("ExitCode") if status in ("exited", "dead") else None,
        "created": info.get("Created"),
        "started_at": _docker_time(state.get("StartedAt")),
        "finished_at": _docker_time(state.get("FinishedAt")),
        "restart_count": info.get("RestartCount", 0),
        "compose_project": labels.get(COMPOSE_PROJECT),
        "compose_service": labels.get(COMPOSE_SERVICE),
        "labels": labels,
        "open_stdin": bool(config.get("OpenStdin")),
        "tty": bool(config.get("Tty")),
        "command": [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])],
    }


def _docker_time(value: str | None) -> str | None:
    return None if not value or value.startswith("0001-") else value


def _describe_state(state: dict[str, Any]) -> str:
    status = state.get("Status", "")
    if status == "running":
        return "Up" + (" (paused)" if state.get("Paused") else "")
    if status == "exited":
        return f"Exited ({state.get('ExitCode', 0)})"
    return status.capitalize()


def check_power_action(action: str, state: str) -> None:
    """Raise :class:`Conflict` with a clear message when ``state`` does not allow ``action``."""
    if action not in POWER_ACTIONS:
        raise Conflict(f"Unknown power action {action!r}.")
    if state not in _ALLOWED_STATES[action]:
        hints = {
            "start": "it is already running" if state == "running" else f"it is {state}",
            "unpause": "it is not paused",
            "pause": "it is not running" if state != "paused" else "it is already paused",
        }
        reason = hints.get(action, f"it is {state or 'in an unknown state'}")
        raise Conflict(f"Cannot {action} the container: {reason}.", state=state)


class Dechunker:
    """Undoes HTTP/1.1 chunked transfer encoding over whole blocks at a time.

    Docker sends every log message as a chunk of its own; read through http.client, that is one
    read call per line. Reading the socket's buffer in large blocks and de-chunking here is what
    lets the relay keep up with the engine.
    """

    def __init__(self) -> None:
        self.left = 0  # bytes of the current chunk's data still to come
        self.crlf = 0  # bytes of the CRLF after a chunk's data still to skip
        self.pending = b""  # an unfinished chunk-size line
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """The payload bytes in ``data`` (chunk framing removed)."""
        if self.pending:
            data, self.pending = self.pending + data, b""
        out = []
        pos, end = 0, len(data)
        while pos < end and not self.done:
            if self.left:
                take = min(self.left, end - pos)
                out.append(data[pos : pos + take])
                pos += take
                self.left -= take
                if not self.left:
                    self.crlf = 2
            elif self.crlf:
                skip = min(self.crlf, end - pos)
                pos += skip
                self.crlf -= skip
            else:
                newline = data.find(b"\r\n", pos)
                if newline < 0:
                    self.pending = data[pos:]
                    break
                size = int(data[pos:newline].split(b";", 1)[0] or b"0", 16)
                pos = newline + 2
                if size == 0:
                    self.done = True
                else:
                    self.left = size
        return b"".join(out)


class DockerStream:
    """A streaming Docker HTTP response, read in large blocks and closable from any thread."""

    def __init__(self, response: Any, raw_socket: Any = None) -> None:
        self._response = response
        self._socket = raw_socket
        self._closed = False
        self._lock = threading.Lock()
        self._buffered: Any = None
        self._dechunker: Dechunker | None = None
        if raw_socket is None:
            # A chunked answer that http.client has not started reading: take over its
            # buffered socket file and de-chunk in bulk.
            fp: Any = getattr(getattr(response, "raw", None), "_fp", None)
            if getattr(fp, "chunked", False) and fp.chunk_left is None and hasattr(fp, "fp"):
                self._buffered = fp.fp
                self._dechunker = Dechunker()

    def read(self, size: int = 256 * 1024) -> bytes:
        """Up to ``size`` bytes as soon as any are there; ``b""`` at the end of the stream."""
        if self._closed:
            return b""
        try:
            if self._socket is not None:
                return self._socket.recv(size)
            if self._dechunker is not None:
                while not self._dechunker.done:
                    block = self._buffered.read1(size)
                    if not block:
                        return b""
                    data = self._dechunker.feed(block)
                    if data:
                        return data
                return b""
            return self._response.raw.read1(size)
        except (OSError, ValueError, AttributeError):
            return b""
        except Exception as exc:  # urllib3's ProtocolError when the engine goes away
            if self._closed or exc.__class__.__name__ in ("ProtocolError", "IncompleteRead"):
                return b""
            raise

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.read()
            if not block:
                return
            yield block

    def close(self) -> None:
        """End the stream; a reader blocked in :meth:`read` wakes up with ``b""``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        sock = self._socket or _response_socket(self._response)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        try:
            if self._socket is not None:
                self._socket.close()
            self._response.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed


def _response_socket(response: Any) -> socket.socket | None:
    """The socket under a streaming response (found as docker-py's CancellableStream does)."""
    try:
        raw = response.raw._fp.fp.raw
    except AttributeError:
        return None
    for name in ("sock", "_sock"):
        sock = getattr(raw, name, None)
        if sock is not None:
            return getattr(sock, "_sock", sock) if not isinstance(sock, socket.socket) else sock
    return raw if isinstance(raw, socket.socket) else None


class FrameDemuxer:
    """Splits Docker's multiplexed stream (8-byte headers) into ``(stream, payload)`` frames."""

    def __init__(self, tty: bool = False) -> None:
        self.tty = tty
        self._buffer = b""

    def feed(self, block: bytes) -> list[tuple[int, bytes]]:
        """Frames completed by ``block``, in order."""
        if self.tty:
            return [(STDOUT, block)] if block else []
        data = self._buffer + block if self._buffer else block
        frames = []
        pos, end = 0, len(data)
        unpack = struct.unpack_from
        while end - pos >= 8:
            kind, length = unpack(">BxxxL", data, pos)
            if end - pos - 8 < length:
                break
            frames.append((STDERR if kind == 2 else STDOUT, data[pos + 8 : pos + 8 + length]))
            pos += 8 + length
        self._buffer = data[pos:]
        return frames


class LogLine(NamedTuple):
    """One whole log line (or a piece of an over-long one); a tuple, made once per line."""

    stream: int
    cursor: Cursor
    text: str
    partial: bool = False


class LineAssembler:
    """Turns timestamped Docker log frames into whole lines with cursors.

    Docker writes each log message as ``<RFC 3339 nano timestamp> <text>``; a message without a
    trailing newline is a piece of a longer line. The cursor of a line is the timestamp of its
    first piece plus an ordinal among lines that start at the same nanosecond.
    """

    def __init__(self, max_line_bytes: int = 64 * 1024, tty: bool = False) -> None:
        self.max_line_bytes = max_line_bytes
        self.tty = tty
        self._rest = b""  # the start of a frame whose end has not come yet
        self._pending: dict[int, list[Any]] = {}  # stream -> [timestamp, bytearray]
        self._last_ts = ""
        self._ordinal = 0
        self._tty_rest = b""

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
            stream = STDERR if kind == 2 else STDOUT
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
                    append(new(LogLine, (stream, new(Cursor, (ts, ordinal)), text, False)))
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
            ts = normalize_timestamp(payload[:space].decode("ascii"))
            text = payload[space + 1 :]
        else:
            ts, text = self._last_ts or "0001-01-01T00:00:00.000000000Z", payload
        pending = self._pending.get(stream)
        if pending is None:
            pending = self._pending[stream] = [ts, bytearray()]
        elif not pending[1]:
            pending[0] = ts
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
        ts, buf = pending
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
        lines.append(LogLine(stream, Cursor(ts, self._ordinal), text, partial))
        pending[0], pending[1] = ts, rest


def read_exec_output(
    stream: DockerStream,
    on_output: Callable[[int, str], None],
    timeout: float | None = None,
) -> bool:
    """Read an exec's multiplexed output to its end, in the calling thread.

    ``on_output(stream, text)`` gets each decoded piece (``STDOUT``/``STDERR``; a UTF-8
    character split between frames is never broken). Returns True when ``timeout`` seconds
    passed first (the stream is then closed; the process may still run in the container).
    """
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        stream.close()

    timer = threading.Timer(timeout, expire) if timeout is not None else None
    demuxer = FrameDemuxer(tty=False)
    decoders = {kind: codecs.getincrementaldecoder("utf-8")("replace") for kind in (1, 2)}
    try:
        if timer is not None:
            timer.daemon = True
            timer.start()
        for block in stream:
            for kind, payload in demuxer.feed(block):
                text = decoders[kind].decode(payload)
                if text:
                    on_output(kind, text)
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()  # no timer thread outlives the command
        stream.close()
    for kind, decoder in decoders.items():
        text = decoder.decode(b"", final=True)
        if text:
            on_output(kind, text)
    return timed_out.is_set()


class DockerEngine:
    """A docker-py client made on first use and remade after the engine went away."""

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float = 30,
        visibility: Visibility | None = None,
        max_pool_size: int = 64,
        max_line_bytes: int = 64 * 1024,
        settings_hint: str = "DOCKER_HOST or c.LittleWings.docker_url",
    ) -> None:
        self.base_url = base_url or None
        self.settings_hint = settings_hint
        self.timeout = timeout
        self.visibility = visibility or Visibility()
        self.max_pool_size = max_pool_size
        self.max_line_bytes = max_line_bytes
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    # -- connection --------------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        """The docker-py client; raises :class:`EngineUnavailable` when the engine is away."""
        client = self._client
        if client is not None:
            return client
        import docker
        import docker.errors

        with self._lock:
            if self._client is None:
                try:
                    if self.base_url:
                        self._client = docker.DockerClient(
                            base_url=self.base_url,
                            timeout=int(self.timeout),
                            max_pool_size=self.max_pool_size,
                        )
                    else:
                        self._client = docker.from_env(
                            timeout=int(self.timeout), max_pool_size=self.max_pool_size
                        )
                except docker.errors.DockerException as exc:
                    raise EngineUnavailable(
                        f"The Docker engine is not reachable: {_short(exc)}. Is dockerd running, "
                        f"and may this process use its socket ({self.settings_hint})?"
                    ) from None
            return self._client

    @property
    def api(self) -> docker.APIClient:
        """The low-level docker-py API client."""
        return self.client.api

    def reset(self) -> None:
        """Forget the client, so the next call connects again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def call(self, fn: Callable[[], Any], what: str = "") -> Any:
        """Run ``fn`` and translate its Docker errors; forget the client if the engine went away."""
        try:
            return fn()
        except LittleWingsError as exc:
            if isinstance(exc, EngineUnavailable):
                self.reset()
            raise
        except Exception as exc:
            error = translate_docker_error(exc, what)
            if isinstance(error, EngineUnavailable):
                self.reset()
            raise error from None

    def version(self) -> dict[str, Any]:
        """The engine's version information."""
        return self.call(lambda: self.api.version())

    # -- containers --------------------------------------------------------------------------

    def list_containers(self, all: bool = True) -> list[dict[str, Any]]:
        """Summaries of every visible container."""
        items = self.call(lambda: self.api.containers(all=all))
        summaries = [summarize_listed(item) for item in items]
        return [s for s in summaries if self.visibility.allows(s["name"], s["labels"])]

    def inspect(self, ref: str) -> dict[str, Any]:
        """``docker inspect`` of a visible container by name, id or id prefix."""
        if not isinstance(ref, str) or not _CONTAINER_REF_RE.match(ref):
            raise ContainerNotFound(str(ref)[:80])
        info = self.call(lambda: self.api.inspect_container(ref.lstrip("/")), ref)
        labels = (info.get("Config") or {}).get("Labels") or {}
        if not self.visibility.allows(info.get("Name", ""), labels):
            raise ContainerNotFound(ref)
        return info

    def describe(self, ref: str) -> dict[str, Any]:
        """The detailed summary of a visible container."""
        return summarize_inspected(self.inspect(ref))

    def resolve(self, ref: str) -> ContainerRef:
        """What the session manager needs to follow a visible container."""
        info = self.inspect(ref)
        config = info.get("Config") or {}
        return ContainerRef(
            id=info["Id"],
            name=info.get("Name", "").lstrip("/"),
            tty=bool(config.get("Tty")),
            open_stdin=bool(config.get("OpenStdin")),
            state=(info.get("State") or {}).get("Status", ""),
            started_at=(info.get("State") or {}).get("StartedAt", ""),
        )

    def power(self, ref: str, action: str) -> dict[str, Any]:
        """Run a power action on a visible container; its summary afterwards."""
        info = self.inspect(ref)
        cid = info["Id"]
        check_power_action(action, (info.get("State") or {}).get("Status", ""))
        api = self.api
        calls: dict[str, Callable[[], Any]] = {
            "start": lambda: api.start(cid),
            "stop": lambda: api.stop(cid, timeout=10),
            "restart": lambda: api.restart(cid, timeout=10),
            "kill": lambda: api.kill(cid),
            "pause": lambda: api.pause(cid),
            "unpause": lambda: api.unpause(cid),
        }
        self.call(calls[action], ref)
        return summarize_inspected(self.call(lambda: api.inspect_container(cid), ref))

    # -- streams -----------------------------------------------------------------------------

    def _stream(self, path: str, ref: str, params: dict[str, Any]) -> DockerStream:
        def open_() -> DockerStream:
            api = self.api
            response = api._get(api._url(path, ref), params=params, stream=True)
            try:
                api._raise_for_status(response)
            except Exception:
                response.close()  # an error answer must not keep its connection
                raise
            sock = _response_socket(response)
            if sock is not None:
                sock.settimeout(None)
            return DockerStream(response)

        return self.call(open_, ref)

    def open_logs(
        self,
        container_id: str,
        *,
        follow: bool,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
    ) -> DockerStream:
        """A raw, timestamped log stream of stdout and stderr (multiplexed unless TTY)."""
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": 1 if follow else 0,
            "tail": "all" if tail is None else str(tail),
        }
        if since is not None:
            params["since"] = since
        if until is not None:
            params["until"] = until
        return self._stream("/containers/{0}/logs", container_id, params)

    def read_logs(
        self,
        container_id: str,
        tty: bool,
        *,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
    ) -> list[LogLine]:
        """The history of a container as whole lines."""
        lines: list[LogLine] = []
        for batch in self.iter_logs(container_id, tty, tail=tail, since=since, until=until):
            lines.extend(batch)
        return lines

    def iter_logs(
        self,
        container_id: str,
        tty: bool,
        *,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
        batch_lines: int = 5000,
    ) -> Generator[list[LogLine], None, None]:
        """The history of a container in batches of whole lines (its stream closes with it)."""
        stream = self.open_logs(container_id, follow=False, tail=tail, since=since, until=until)
        assembler = LineAssembler(self.max_line_bytes, tty)
        batch: list[LogLine] = []
        try:
            for block in stream:
                batch.extend(assembler.feed(block))
                if len(batch) >= batch_lines:
                    yield batch
                    batch = []
            batch.extend(assembler.flush())
            if batch:
                yield batch
        finally:
            stream.close()

    def open_stats(self, container_id: str) -> DockerStream:
        """Docker's stats stream: one JSON document a line, about one a second."""
        return self._stream("/containers/{0}/stats", container_id, {"stream": 1})

    def open_events(self, container_id: str | None = None) -> DockerStream:
        """Docker's event stream, container events only (of one container if given), one JSON
        document a line."""
        filters: dict[str, list[str]] = {"type": ["container"]}
        if container_id is not None:
            filters["container"] = [container_id]
        return self._stream("/events", container_id or "", {"filters": json.dumps(filters)})

    # -- commands ----------------------------------------------------------------------------

    def exec_start(
        self, container_id: str, argv: list[str], **options: Any
    ) -> tuple[str, DockerStream]:
        """Start ``argv`` in the container; its exec id and its multiplexed output stream.

        ``options`` go to docker-py's ``exec_create`` (``workdir``, ``environment``, ``user``).
        """

        def start() -> tuple[str, DockerStream]:
            api = self.api
            exec_id = api.exec_create(container_id, argv, stdout=True, stderr=True, **options)["Id"]
            sock = api.exec_start(exec_id, socket=True)
            raw = getattr(sock, "_sock", sock)
            raw.settimeout(None)
            return exec_id, DockerStream(sock, raw_socket=raw)

        return self.call(start, container_id)

    def exec_exit_code(self, exec_id: str) -> int | None:
        """The exit code of a finished exec (waits briefly for Docker to record it)."""
        for _ in range(50):
            info = self.call(lambda: self.api.exec_inspect(exec_id))
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            time.sleep(0.02)
        return None

    def attach_stdin(self, container_id: str) -> Any:
        """A socket writing to the container's stdin."""

        def attach() -> Any:
            sock = self.api.attach_socket(
                container_id, params={"stdin": 1, "stream": 1, "stdout": 0, "stderr": 0}
            )
            return getattr(sock, "_sock", sock)

        return self.call(attach, container_id)

    def ensure_stdin_open(self, ref: ContainerRef) -> None:
        """Raise :class:`StdinNotOpen` for a container created without stdin open."""
        if not ref.open_stdin:
            raise StdinNotOpen(
                f"Container {ref.name!r} was not started with stdin open (docker run -i); "
                'send the command with "via": "exec" instead.'
            )


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"
