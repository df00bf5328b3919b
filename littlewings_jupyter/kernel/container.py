"""A container from notebook cells, and what it hands out: live logs (:class:`LogFollow`),
command results (:class:`ExecResult`), shells (:class:`Shell`), files (:class:`Files`).

Get one with :func:`littlewings_jupyter.container` or :func:`littlewings_jupyter.containers`
(:mod:`.client`); a :class:`Container` holds its client as the small protocol
:class:`~.interfaces.ClientLike`, so this module does not import the client back.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import html
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from ..docker.engine import DockerEngine, Exec, ShellProcess, translate_docker_error
from ..docker.files import ContainerFiles
from ..docker.framing import DockerStream
from ..docker.lines import STDERR, STDOUT, Cursor, LineAssembler, LogLine
from ..errors import (
    CommandFailed,
    Conflict,
    ContainerNotFound,
    DockerError,
    Forbidden,
    LittleWingsError,
    StdinNotOpen,
)
from ..streams.base import StreamThread, iter_json_documents
from ..streams.stats import compute_stats
from .alerts import AlertSubscription, rule
from .dataframes import logs_frame, stats_frame
from .interfaces import ClientLike
from .lines import Line, check_stream, cursor_after, docker_time, join_lines
from .search import SearchMatch, search_history

T = TypeVar("T")

_RUNNING_STATES = ("running", "paused", "restarting")


def _keep(lines: Iterable[LogLine], after: Cursor | None, stream: str | None) -> list[Line]:
    """The lines after ``after`` of ``stream`` (both when None), in the public form."""
    kept = []
    for raw in lines:
        if after is not None and raw.cursor <= after:
            continue
        line = Line.from_log_line(raw)
        if stream is None or line.stream == stream:
            kept.append(line)
    return kept


# -- following ----------------------------------------------------------------------------------


class LineBuffer:
    """Lines handed from a reader thread to one consumer (sync or async), bounded in size."""

    def __init__(self, max_lines: int) -> None:
        self.cond = threading.Condition()
        self.lines: deque[Line] = deque()
        self.max_lines = max_lines
        self.ended = False  # the reader is done; what is buffered may still be read
        self.closed = False  # the consumer is done; nothing more is read
        self.reason: str | None = None
        self.error: LittleWingsError | None = None
        self.dropped = 0  # lines let go by push_nowait because the consumer was far behind
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def push(self, lines: list[Line]) -> bool:
        """Add lines (reader thread); waits while the consumer is far behind. False once closed."""
        with self.cond:
            while len(self.lines) >= self.max_lines and not self.closed:
                self.cond.wait(0.5)
            if self.closed:
                return False
            self.lines.extend(lines)
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)
        return True

    def push_nowait(self, lines: list[Line]) -> None:
        """Add lines from an event loop, which must not wait: past ``max_lines`` the oldest go
        (counted in :attr:`dropped`)."""
        with self.cond:
            if self.closed:
                return
            self.lines.extend(lines)
            over = len(self.lines) - self.max_lines
            for _ in range(max(over, 0)):
                self.lines.popleft()
            self.dropped += max(over, 0)
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)

    def end(self, reason: str, error: LittleWingsError | None = None) -> None:
        """No more lines will come (reader thread)."""
        with self.cond:
            if not self.ended:
                self.ended = True
                self.reason = self.reason or reason
                self.error = error
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)

    def close(self, reason: str) -> None:
        """Stop reading: drop what is buffered and release a waiting reader (consumer)."""
        with self.cond:
            self.closed = True
            self.reason = self.reason or reason
            self.lines.clear()
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)

    async def wait_async(self, timeout: float | None) -> None:
        """Wait on the event loop until something changes or ``timeout`` passes."""
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self.cond:
            if self.lines or self.ended or self.closed:
                return
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            with self.cond, contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    @staticmethod
    def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(event.set)


class _LogReader(StreamThread):
    """Reads one followed log stream into a :class:`LineBuffer` (one thread per follow)."""

    name = "littlewings-api-logs"

    def __init__(
        self,
        engine: DockerEngine,
        container_id: str,
        stream: DockerStream,
        tty: bool,
        buffer: LineBuffer,
        after: Cursor | None,
        only: str | None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.container_id = container_id
        self.stream = stream
        self.tty = tty
        self.buffer = buffer
        self.after = after
        self.only = only

    def run(self) -> None:
        stream = self.stream
        if not self._set_stream(stream):
            return
        try:
            assembler = LineAssembler(self.engine.max_line_bytes, self.tty)
            for block in stream:
                lines = _keep(assembler.feed(block), self.after, self.only)
                if lines and not self.buffer.push(lines):
                    return
            if stream.closed:
                return
            # The stream ended by itself: its unfinished last line is final.
            lines = _keep(assembler.flush(), self.after, self.only)
            if lines and not self.buffer.push(lines):
                return
            self.buffer.end(self._why_ended())
        except Exception as exc:
            self.buffer.end("error", translate_docker_error(exc, self.container_id))
        finally:
            self._set_stream(None)
            stream.close()

    def _why_ended(self) -> str:
        """Docker ends a followed log when the container stops or goes away."""
        state = ""
        for _ in range(20):
            try:
                state = self.engine.resolve(self.container_id).state
            except ContainerNotFound:
                return "removed"
            except LittleWingsError:
                return "ended"
            if state not in ("running", "restarting", "removing", "dead"):
                return "exited"
            # Docker may close the stream a moment before it records the new state, and a
            # container being force-removed passes through "removing" (and "dead").
            time.sleep(0.05)
        return "exited" if state == "dead" else "ended"


# Lines read back before "now" when a follow starts with no history (see Container.follow).
FOLLOW_OVERLAP = 1000


class LogFollow:
    """Live log lines of a container: an iterator and an async iterator of :class:`Line`.

    Made by :meth:`Container.follow`. Iterating ends cleanly (no exception) when:

    - the consumer leaves the loop (``break``) or calls :meth:`close` — reason ``"closed"``,
    - ``timeout`` seconds passed since the follow began — ``"timeout"``,
    - no line came for ``idle_timeout`` seconds — ``"idle"``,
    - the container stopped (``"exited"``), was removed (``"removed"``), or Docker ended the
      stream for another reason (``"ended"``).

    :attr:`reason` tells which. In every case the Docker stream is closed and the reader thread
    ends. A follow is read once; use it as a context manager (``with c.follow() as lines:``) to
    be sure it is closed when you keep it in a variable. If the stream fails, iterating raises
    the error (a :class:`~littlewings_jupyter.errors.LittleWingsError`) after the lines before it.
    """

    def __init__(
        self,
        container: Container,
        stream: DockerStream,
        *,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        after: Cursor | None = None,
        only: str | None = None,
        max_buffered_lines: int = 10_000,
    ) -> None:
        self.container = container
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        now = time.monotonic()
        self._deadline = None if timeout is None else now + timeout
        self._last_activity = now
        self._buffer = LineBuffer(max_buffered_lines)
        self._reader = _LogReader(
            container.engine,
            container.id,
            stream,
            container.tty,
            self._buffer,
            after,
            only,
        )
        self._reader.start()

    # -- state -------------------------------------------------------------------------------

    @property
    def reason(self) -> str | None:
        """Why the follow ended (see the class docstring), or None while it runs."""
        buffer = self._buffer
        return buffer.reason if (buffer.closed or buffer.ended) else None

    @property
    def active(self) -> bool:
        """Whether the Docker stream is still being read (the reader thread runs)."""
        return self._reader.alive

    @property
    def closed(self) -> bool:
        """Whether the follow was closed (by the consumer, a timeout or the end of the stream)."""
        return self._buffer.closed

    def close(self) -> None:
        """Stop following: close the Docker stream and wait (briefly) for the reader to end."""
        self._finish("closed")

    def _finish(self, reason: str, wait: bool = True) -> None:
        self._buffer.close(reason)
        self._reader.stop()
        if wait:
            with contextlib.suppress(RuntimeError):  # closed from the reader thread itself
                self._reader.join(5)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._finish("closed", wait=False)

    # -- taking lines ------------------------------------------------------------------------

    def _step(self) -> tuple[Line | None, float | None]:
        """The next line, or (None, seconds to wait); ends the follow when it is over."""
        buffer = self._buffer
        reason = None
        with buffer.cond:
            now = time.monotonic()
            if buffer.closed:
                return None, -1.0
            if self._deadline is not None and now >= self._deadline:
                reason = "timeout"
            elif buffer.lines:
                line = buffer.lines.popleft()
                buffer.cond.notify_all()
                self._last_activity = now
                return line, None
            elif buffer.ended:
                reason = buffer.reason or "ended"
            else:
                waits = []
                if self._deadline is not None:
                    waits.append(self._deadline - now)
                if self.idle_timeout is not None:
                    idle_left = self._last_activity + self.idle_timeout - now
                    if idle_left <= 0:
                        reason = "idle"
                    waits.append(idle_left)
                if reason is None:
                    return None, max(min(waits), 0.0) if waits else None
        error = buffer.error if reason == "error" else None
        self._finish(reason)
        if error is not None:
            raise error
        return None, -1.0

    def _next_blocking(self) -> Line | None:
        buffer = self._buffer
        while True:
            line, wait = self._step()
            if line is not None:
                return line
            if wait is not None and wait < 0:
                return None
            with buffer.cond:
                if not (buffer.lines or buffer.ended or buffer.closed):
                    # Short slices keep Ctrl-C (KeyboardInterrupt) responsive.
                    buffer.cond.wait(0.25 if wait is None else min(wait, 0.25))

    async def _next_async(self) -> Line | None:
        while True:
            line, wait = self._step()
            if line is not None:
                return line
            if wait is not None and wait < 0:
                return None
            await self._buffer.wait_async(wait)

    def next_batch(self, max_lines: int = 1000, wait: float | None = None) -> list[Line] | None:
        """Up to ``max_lines`` lines that are ready, waiting up to ``wait`` seconds for the first.

        For consumers that take lines in batches (the notebook widget) rather than one by one.
        An empty list when no line came in time; None once the follow is over (:attr:`reason`
        says why). A stream error is raised after the lines before it, as when iterating.
        """
        buffer = self._buffer
        deadline = None if wait is None else time.monotonic() + wait
        batch: list[Line] = []
        while len(batch) < max_lines:
            line, pause = self._step()
            if line is not None:
                batch.append(line)
                continue
            if pause is not None and pause < 0:
                return batch or None
            if batch:
                return batch
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return batch
            slices = [x for x in (pause, left) if x is not None]
            with buffer.cond:
                if not (buffer.lines or buffer.ended or buffer.closed):
                    # Short slices keep Ctrl-C (KeyboardInterrupt) responsive.
                    buffer.cond.wait(min([0.25, *slices]))
        return batch

    def __iter__(self) -> Iterator[Line]:
        # A generator, so that leaving a for loop (break, an exception) closes the follow.
        try:
            while True:
                line = self._next_blocking()
                if line is None:
                    return
                yield line
        finally:
            self.close()

    def __next__(self) -> Line:
        line = self._next_blocking()
        if line is None:
            raise StopIteration
        return line

    async def __aiter__(self) -> AsyncIterator[Line]:
        try:
            while True:
                line = await self._next_async()
                if line is None:
                    return
                yield line
        finally:
            self.close()

    async def __anext__(self) -> Line:
        line = await self._next_async()
        if line is None:
            raise StopAsyncIteration
        return line

    def __enter__(self) -> LogFollow:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    async def __aenter__(self) -> LogFollow:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"ended: {self.reason}" if self.reason else "following"
        return f"<LogFollow of {self.container.name!r} ({state})>"


# -- commands ------------------------------------------------------------------------------------


@dataclass
class ExecResult:
    """What a command run with :meth:`Container.exec` gave: exit code, stdout and stderr apart."""

    command: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    duration: float = 0.0
    timed_out: bool = False
    container: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """Whether the command exited with code 0."""
        return self.exit_code == 0 and not self.timed_out

    def check(self) -> ExecResult:
        """Raise :class:`~littlewings_jupyter.errors.CommandFailed` unless :attr:`ok`; else self."""
        if self.ok:
            return self
        shell = self.command[:2] == ["/bin/sh", "-c"] and len(self.command) == 3
        shown = self.command[2] if shell else " ".join(self.command)
        if self.timed_out:
            what = f"did not finish in {self.duration:.1f} s"
        elif self.exit_code is None:
            what = "ended without an exit code"
        else:
            what = f"exited with code {self.exit_code}"
        detail = self.stderr.strip()[-500:]
        message = f"Command {shown!r} in {self.container!r} {what}"
        raise CommandFailed(
            message + (f": {detail}" if detail else "."),
            exit_code=self.exit_code,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def __repr__(self) -> str:
        def short(text: str) -> str:
            return repr(text if len(text) <= 200 else text[:200] + "…")

        timed_out = ", timed_out=True" if self.timed_out else ""
        return (
            f"ExecResult(exit_code={self.exit_code}, stdout={short(self.stdout)}, "
            f"stderr={short(self.stderr)}{timed_out})"
        )


# -- interactive shells --------------------------------------------------------------------------


class Shell:
    """An interactive shell in a container (``docker exec -it``), pexpect-style.

    Made by :meth:`Container.shell`. :meth:`send` types, :meth:`read` returns what the terminal
    showed, :meth:`expect` waits for a pattern; :meth:`resize`, :meth:`close`. Output is text
    (UTF-8, never a character cut in two) with the terminal's own escape sequences and CRLF.
    A context manager: ``with c.shell() as sh: ...`` closes it.
    """

    def __init__(self, container: Container, process: ShellProcess) -> None:
        self.container = container
        self.process = process
        self.buffer = ""  # what was read but not yet matched by expect()
        self.exit_code: int | None = None
        self.ended = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def send(self, text: str) -> None:
        """Type ``text`` (add ``"\\n"`` for Enter, ``"\\x03"`` is Ctrl-C, ``"\\x04"`` Ctrl-D)."""
        self.process.write(text.encode("utf-8"))

    def sendline(self, text: str = "") -> None:
        """Type ``text`` and Enter."""
        self.send(text + "\n")

    def _fill(self, timeout: float | None) -> bool:
        """Read once more into the buffer; False when nothing came in time or the shell ended."""
        if self.ended:
            return False
        data = self.process.read(timeout=timeout)
        if data is None:
            return False
        if not data:
            self.ended = True
            self.buffer += self._decoder.decode(b"", final=True)
            self.exit_code = self.process.exit_code()
            self.process.close()
            return False
        self.buffer += self._decoder.decode(data)
        return True

    def read(self, timeout: float = 1.0) -> str:
        """What the terminal showed until ``timeout`` seconds pass with nothing new."""
        while self._fill(timeout):
            pass
        text, self.buffer = self.buffer, ""
        return text

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 30) -> re.Match[str]:
        """Wait until the output matches ``pattern`` (a regex); the match. What came before and
        the match itself are consumed; raises TimeoutError (with what came) when it does not."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer)
            if match:
                self.buffer = self.buffer[match.end() :]
                return match
            left = deadline - time.monotonic()
            if left <= 0 or (not self._fill(left) and self.ended):
                raise TimeoutError(
                    f"{regex.pattern!r} did not appear in the shell of {self.container.name!r}"
                    f" (ended: {self.ended}); it showed: {self.buffer[-500:]!r}"
                )

    def resize(self, rows: int, cols: int) -> None:
        """Give the terminal a new size."""
        self.process.resize(rows, cols)

    def close(self) -> int | None:
        """Hang up (the shell gets SIGHUP); its exit code if it had already ended."""
        self.process.close()
        return self.exit_code

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"ended ({self.exit_code})" if self.ended else "open"
        return f"<Shell {' '.join(self.process.argv)!r} in {self.container.name!r}, {state}>"


# -- containers ----------------------------------------------------------------------------------


class Files:
    """The files inside one container (``c.files``), through Docker's archive API.

    Works on stopped containers too, except :meth:`delete` and :meth:`rename` (a program in
    the container does those). Paths are the container's: ``..`` cannot leave its root and
    links are followed inside it. Reads and writes stop at the client's
    ``limits.max_file_size``.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self._files = ContainerFiles(container.engine)

    @property
    def _max(self) -> int:
        return int(self.container.client.limits.max_file_size)

    def list(self, path: str = "/") -> list[dict[str, Any]]:
        """A directory's entries: ``name``, ``path``, ``type`` (file, directory, symlink),
        ``size``, ``mtime``, ``mode``."""
        return list(self._files.listdir(self.container.id, path)["entries"])

    def stat(self, path: str) -> dict[str, Any]:
        """One entry (a link as such, with its ``target``)."""
        return self._files.stat(self.container.id, path)

    def read(self, path: str) -> bytes:
        """A file's bytes."""
        return self._files.read(self.container.id, path, self._max)[0]

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        """A file's text."""
        return self.read(path).decode(encoding)

    def write(
        self, path: str, data: str | bytes, last_modified: str | None = None
    ) -> dict[str, Any]:
        """Write a file (text as UTF-8); its new entry. With ``last_modified`` (an ``mtime``
        read earlier) a file changed since is not overwritten
        (:class:`~littlewings_jupyter.errors.Conflict`)."""
        self.container.client._check_write("writing a file")
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return self._files.write(self.container.id, path, raw, self._max, last_modified)

    def mkdir(self, path: str) -> dict[str, Any]:
        """A new directory."""
        self.container.client._check_write("making a directory")
        return self._files.mkdir(self.container.id, path)

    def rename(self, path: str, new_path: str) -> dict[str, Any]:
        """Move or rename (the container must run)."""
        self.container.client._check_write("renaming a file")
        return self._files.rename(self.container.id, path, new_path)

    def delete(self, path: str) -> None:
        """Delete a file or a directory with its contents (the container must run)."""
        self.container.client._check_write("deleting a file")
        self._files.delete(self.container.id, path)


class Container:
    """A handle on one container, by id; get one with :func:`container` or :func:`containers`.

    Every method asks Docker afresh; :attr:`info` is the snapshot of the last answer.
    Methods that change the container (:meth:`start`, :meth:`stop` …) return the handle, so
    ``c.restart().status`` reads naturally.
    """

    def __init__(self, client: ClientLike, summary: dict[str, Any]) -> None:
        self.client = client
        self.id: str = summary["id"]
        self._summary = dict(summary)

    # -- identity and state ------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The container's name (without Docker's leading slash)."""
        return str(self._summary.get("name", self.id[:12]))

    @property
    def engine(self) -> DockerEngine:
        """The Docker engine the container is on (see :meth:`Client.engines`)."""
        return self.client.engine_named(self._summary.get("engine"))

    @property
    def engine_name(self) -> str:
        """The name of the engine the container is on."""
        return self.engine.name

    @property
    def short_id(self) -> str:
        """The first 12 characters of the id, as Docker shows it."""
        return self.id[:12]

    @property
    def image(self) -> str:
        """The image the container was made from."""
        return str(self._summary.get("image", ""))

    @property
    def labels(self) -> dict[str, str]:
        """The container's labels."""
        return dict(self._summary.get("labels") or {})

    @property
    def info(self) -> dict[str, Any]:
        """The summary of the last answer from Docker (state, status, health, exit code …)."""
        return dict(self._summary)

    @property
    def tty(self) -> bool:
        """Whether the container has a TTY (its output is then one stream)."""
        if "tty" not in self._summary:
            self.refresh()
        return bool(self._summary.get("tty"))

    def refresh(self) -> Container:
        """Ask Docker for the container's current details (:attr:`info`); returns the handle."""
        self._summary = self._call(self.engine.describe, self.id)
        return self

    @property
    def status(self) -> str:
        """The current state: ``created``, ``running``, ``paused``, ``restarting``, ``exited`` …

        Asks Docker each time (one inspect); :attr:`info` has the details of that answer.
        """
        return str(self.refresh()._summary.get("state", ""))

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a session-core call, naming this container if Docker no longer knows it."""
        try:
            return fn(*args, **kwargs)
        except ContainerNotFound:
            raise ContainerNotFound(self.name) from None

    # -- logs --------------------------------------------------------------------------------

    def log_lines(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
    ) -> list[Line]:
        """The container's log as :class:`Line` objects (stdout and stderr in order).

        ``tail``: only the last lines (all when None). ``since``/``until``: a ``datetime``,
        ``timedelta`` or duration string such as ``"10m"`` (that long ago), Unix seconds, an
        RFC 3339 time, or a :class:`Line` (then only lines after it). ``stream``: ``"stdout"``
        or ``"stderr"`` to keep one of them (``tail`` counts both).
        """
        check_stream(stream)
        docker_since = docker_time(since, "since")
        docker_until = docker_time(until, "until")
        raw = self._call(
            self.engine.read_logs,
            self.id,
            self.tty,
            tail=tail,
            since=docker_since,
            until=docker_until,
        )
        return _keep(raw, cursor_after(since), stream)

    def logs(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        timestamps: bool = False,
        stream: str | None = None,
    ) -> str:
        """The container's log as text, like ``docker logs`` (arguments as in :meth:`log_lines`).

        ``timestamps=True`` starts each line with Docker's RFC 3339 nanosecond timestamp.
        """
        return join_lines(self.log_lines(tail, since, until, stream), timestamps)

    def follow(
        self,
        tail: int | None = 0,
        since: Any = None,
        *,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        stream: str | None = None,
    ) -> LogFollow:
        """Follow the log live: an iterator (and async iterator) of :class:`Line`.

        ``tail``: lines of history first (0: only new lines, None: all of it). ``since`` as in
        :meth:`log_lines` (a :class:`Line` resumes right after it). Iteration stops cleanly
        after ``timeout`` seconds, after ``idle_timeout`` seconds without a line, when the
        container stops or is removed, or when you ``break``; the Docker stream is then closed.

        >>> for line in c.follow(timeout=10):      # doctest: +SKIP
        ...     print(line.stream, line.text)
        """
        check_stream(stream)
        if since is not None and tail == 0:
            tail = None  # a start time asks for everything after it
        docker_since = docker_time(since, "since")
        self.tty  # noqa: B018 - know it before the stream opens (a listed handle asks Docker)
        after = cursor_after(since)
        if tail == 0 and since is None:
            # "Only new lines": Docker starts a `tail=0` stream where its log ends when it gets
            # to it, which on a busy machine is after lines printed once follow() returned
            # (a `send` right after lost its answer). So: the log's last line now, and the
            # stream from a little before it, every line after that one kept.
            last = self._call(self.engine.read_logs, self.id, self.tty, tail=1)
            after = last[-1].cursor if last else None
            tail = FOLLOW_OVERLAP if last else None
        docker_stream = self._call(
            self.engine.open_logs, self.id, follow=True, tail=tail, since=docker_since
        )
        follow = LogFollow(
            self,
            docker_stream,
            timeout=timeout,
            idle_timeout=idle_timeout,
            after=after,
            only=stream,
        )
        self.client._follows.add(follow)
        return follow

    def on(
        self,
        event: str,
        callback: Callable[[dict[str, Any]], Any],
        *,
        pattern: str | None = None,
        cooldown: float = 60,
        any_exit: bool = False,
    ) -> AlertSubscription:
        """Call ``callback(alert)`` when the container dies (``"died"``/``"die"``: with a
        non-zero exit code, or any with ``any_exit``), is OOM-killed (``"oom"``), turns
        unhealthy (``"unhealthy"``), or logs a line matching ``pattern`` (``"log"``); at most
        once a ``cooldown`` per kind. ``.cancel()`` the subscription to stop.

        >>> c.on("died", lambda a: print(a["message"], a["last_lines"]))   # doctest: +SKIP
        >>> c.on("log", print, pattern=r"panic:")                          # doctest: +SKIP
        """
        if event == "log":
            if not pattern:
                raise ValueError('on("log", …) needs pattern=: a regular expression.')
            spec = rule([], container=self, patterns=[pattern])
        else:
            spec = rule([event], container=self, patterns=[pattern] if pattern else None)
        spec["any_exit"] = any_exit
        return AlertSubscription(self.client, [spec], callback, cooldown)

    def search(
        self,
        query: str,
        *,
        regex: bool = False,
        case_sensitive: bool = False,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
        level: str | Iterable[str] | None = None,
        context: int = 0,
        limit: int = 1000,
    ) -> list[SearchMatch]:
        """Search the container's whole log on the Docker host (not only what a console
        holds): ``query`` is plain text unless ``regex``, case-insensitive unless
        ``case_sensitive``; ``since``/``until`` as in :meth:`log_lines`; ``stream``; ``level``
        (``"error"``, or several: levels as :mod:`~littlewings_jupyter.parsing.structured`
        reads them from JSON, logfmt or text lines); ``context`` lines before and after each
        match; at most ``limit`` matches, oldest first."""
        ref = self._call(self.engine.resolve, self.id)
        return search_history(
            self.engine,
            [(None, ref)],
            query,
            {
                "regex": regex,
                "case_sensitive": case_sensitive,
                "since": since,
                "until": until,
                "stream": stream,
                "level": level,
                "context": context,
                "limit": limit,
            },
        )

    # -- commands ----------------------------------------------------------------------------

    def exec(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        workdir: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        check: bool = False,
    ) -> ExecResult:
        """Run a command in the running container and wait for it; its :class:`ExecResult`.

        A string runs with ``/bin/sh -c``; a list runs as it is (no shell). After ``timeout``
        seconds the command is ended in the container (SIGINT, then SIGTERM, then SIGKILL) and
        the result comes back with ``timed_out=True`` and what was read so far. ``check=True``
        raises :class:`~littlewings_jupyter.errors.CommandFailed` unless it exited with 0.
        """
        self.client._check_write("running commands")
        if isinstance(command, str):
            if not command.strip():
                raise ValueError("The command is empty.")
            argv = ["/bin/sh", "-c", command]
        else:
            argv = [str(arg) for arg in command]
            if not argv:
                raise ValueError("The command is empty.")
        ref = self._call(self.engine.resolve, self.id)
        if ref.state != "running":
            raise Conflict(
                f"Cannot run a command in {self.name!r}: it is {ref.state}.", state=ref.state
            )
        options: dict[str, Any] = {}
        if workdir is not None:
            options["workdir"] = workdir
        if env is not None:
            options["environment"] = dict(env)
        if user is not None:
            options["user"] = user
        run = Exec(self.engine, self.id, argv, **options)
        out: dict[int, list[str]] = {STDOUT: [], STDERR: []}
        try:
            exit_code = run.run(lambda kind, text: out[kind].append(text), timeout)
        except Conflict as exc:  # it stopped in between
            raise Conflict(f"Cannot run a command in {self.name!r}: {exc.message}") from None
        except BaseException:  # an interrupted cell (KeyboardInterrupt) ends it too
            run.cancel()
            run.stop()
            raise
        if run.timed_out:
            run.cancel()
            run.stop()
        result = ExecResult(
            argv,
            exit_code,
            "".join(out[STDOUT]),
            "".join(out[STDERR]),
            duration=run.duration,
            timed_out=run.timed_out,
            container=self.name,
        )
        return result.check() if check else result

    def shell(
        self,
        command: str | Sequence[str] | None = None,
        *,
        user: str | None = None,
        rows: int = 24,
        cols: int = 80,
    ) -> Shell:
        """An interactive shell in the running container: bash if it has it, else sh.

        ``command`` runs another program (a string runs with ``/bin/sh -c``), as ``user``.
        Returns a :class:`Shell`: ``sh.sendline("ls"); sh.expect(r"\\$ ")``.
        """
        self.client._check_write("opening a shell")
        if not self.client.limits.shell_enabled:
            raise Forbidden("Shells are disabled for this client (limits.shell_enabled).")
        if isinstance(command, str):
            argv: list[str] | None = ["/bin/sh", "-c", command]
        else:
            argv = None if command is None else [str(arg) for arg in command]
        ref = self._call(self.engine.resolve, self.id)
        if ref.state != "running":
            raise Conflict(f"Cannot open a shell in {self.name!r}: it is {ref.state}.")
        process = ShellProcess(self.engine, self.id, argv, rows, cols, user)
        try:
            process.start()
        except (Conflict, DockerError) as exc:
            process.close()
            raise Conflict(f"Cannot start a shell in {self.name!r}: {exc.message}") from None
        return Shell(self, process)

    def send(self, text: str, newline: bool = True) -> None:
        """Type ``text`` on the container's stdin (it must run with stdin open, ``docker run -i``).

        A newline is added unless ``newline=False`` or the text ends with one. What the
        process answers appears in its log (:meth:`follow` or :meth:`logs`).
        """
        self.client._check_write("sending to stdin")
        if newline and not text.endswith("\n"):
            text += "\n"
        try:
            self._call(self.client.stdin_for(self.engine.name).send, self.id, text)
        except StdinNotOpen:
            raise StdinNotOpen(
                f"Container {self.name!r} was not started with stdin open (docker run -i, "
                "stdin_open=True); run a command with .exec() instead."
            ) from None

    # -- power -------------------------------------------------------------------------------

    def _power(self, action: str) -> Container:
        self.client._check_write(f"'{action}'")
        self._summary = self._call(self.engine.power, self.id, action)
        return self

    def start(self) -> Container:
        """Start the container (it must be created or exited)."""
        return self._power("start")

    def stop(self) -> Container:
        """Stop the container (SIGTERM, then SIGKILL after 10 s); returns once it stopped."""
        return self._power("stop")

    def restart(self) -> Container:
        """Restart the container (stop, then start)."""
        return self._power("restart")

    def kill(self) -> Container:
        """Kill the container (SIGKILL)."""
        return self._power("kill")

    def pause(self) -> Container:
        """Freeze every process of the running container."""
        return self._power("pause")

    def unpause(self) -> Container:
        """Thaw a paused container."""
        return self._power("unpause")

    @property
    def files(self) -> Files:
        """The files inside the container: ``list``, ``read``, ``write``…"""
        return Files(self)

    def remove(self, force: bool = False, volumes: bool = False) -> None:
        """Remove the container (``force``: even a running one, which is killed first;
        ``volumes``: its anonymous volumes too)."""
        self.client._check_manage("removing a container")
        self._call(self.engine.remove, self.id, force, volumes)

    def wait(self, timeout: float | None = None, interval: float = 0.25) -> int | None:
        """Wait until the container is no longer running; its exit code (None on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.status
            if state not in _RUNNING_STATES:
                code = self._summary.get("exit_code")
                return None if code is None else int(code)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(interval if deadline is None else min(interval, deadline - time.monotonic()))

    # -- stats -------------------------------------------------------------------------------

    def stats(self, timeout: float = 10.0) -> dict[str, Any]:
        """CPU %, memory, network, block I/O and pids now, computed as ``docker stats`` does.

        CPU needs two samples from Docker, so this takes about a second or two for a running
        container; a container that does not run gives zeros at once.
        """
        engine = self.engine
        # Docker sends a single sample for a container that does not run (and may then keep the
        # stream open): do not wait for a second one.
        running = self.status == "running"
        docker_stream = self._call(engine.open_stats, self.id)
        timer = threading.Timer(timeout, docker_stream.close)
        timer.daemon = True
        timer.start()
        sample: dict[str, Any] = {}
        try:
            for doc in iter_json_documents(docker_stream):
                sample = doc
                # The first sample of a stream has no previous CPU reading to compare with.
                if not running or (doc.get("precpu_stats") or {}).get("system_cpu_usage"):
                    break
        finally:
            timer.cancel()
            timer.join()
            docker_stream.close()
        return compute_stats(sample)

    # -- logs and stats as data --------------------------------------------------------------

    def logs_frame(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
        *,
        max_fields: int = 50,
    ) -> Any:
        """The log as a pandas DataFrame, one row a line (arguments as in :meth:`log_lines`).

        Columns: ``time`` (Docker's, UTC), ``stream``, ``container``, ``level`` (trace … fatal,
        ordered, guessed from JSON/logfmt keys or the text), ``message``, ``log_time`` (the
        line's own time, if it has one), then the fields of JSON and logfmt lines, nested ones
        with dotted names (the ``max_fields`` most common; ``frame.attrs["dropped_fields"]``
        names the rest). Needs pandas: ``pip install "littlewings-jupyter[frames]"``.
        """
        return logs_frame(self, tail, since, until, stream, max_fields)

    def stats_frame(self, duration: float = 10, interval: float = 1.0) -> Any:
        """The running container's stats sampled for ``duration`` seconds, as a pandas DataFrame.

        One row every ``interval`` seconds (Docker samples about once a second): ``time``,
        ``cpu_percent``, ``memory_usage``, ``memory_limit``, ``memory_percent``,
        ``network_rx_bytes``/``_tx_bytes``, ``block_read_bytes``/``_write_bytes``, ``pids``,
        computed as :meth:`stats` does. Blocks for ``duration`` seconds (less if the container
        stops). Needs pandas: ``pip install "littlewings-jupyter[frames]"``.
        """
        return stats_frame(self, duration, interval)

    # -- display -----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Container {self.name!r} {self._summary.get('state', '?')} {self.short_id}>"

    def _repr_html_(self) -> str:
        return containers_table([self])


class ContainerList(list[Container]):
    """A list of :class:`Container` handles shown as a table (with state badges in notebooks)."""

    @property
    def names(self) -> list[str]:
        """The containers' names, in order."""
        return [c.name for c in self]

    def get(self, name: str) -> Container | None:
        """The container of this name (or id prefix) in the list, if any."""
        for c in self:
            if c.name == name or c.id.startswith(name):
                return c
        return None

    def __repr__(self) -> str:
        if not self:
            return "ContainerList([])  # no containers"
        rows = [("NAME", "STATE", "STATUS", "IMAGE", "PROJECT", "ID")]
        for c in self:
            info = c._summary
            rows.append(
                (
                    c.name,
                    str(info.get("state", "")),
                    str(info.get("status", "")),
                    c.image,
                    str(info.get("compose_project") or ""),
                    c.short_id,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows
        )

    def _repr_html_(self) -> str:
        return containers_table(self)


# JupyterLab's theme variables (with fallbacks outside JupyterLab), so light and dark both work.
_BADGE_COLORS = {
    "running": "var(--jp-success-color1, #388e3c)",
    "paused": "var(--jp-warn-color1, #f57c00)",
    "restarting": "var(--jp-info-color1, #0288d1)",
    "removing": "var(--jp-warn-color1, #f57c00)",
    "dead": "var(--jp-error-color1, #d32f2f)",
}
_BADGE_DEFAULT = "var(--jp-layout-color4, #757575)"


def _state_badge(state: str, exit_code: Any, health: Any) -> str:
    color = _BADGE_COLORS.get(state, _BADGE_DEFAULT)
    if state == "exited" and exit_code not in (None, 0):
        color = "var(--jp-error-color1, #d32f2f)"
    badge = (
        f'<span class="jp-LittleWings-badge jp-LittleWings-badge-{html.escape(state)}" '
        f'style="background:{color};color:#fff;border-radius:8px;padding:1px 8px;'
        f'font-size:0.85em;white-space:nowrap">{html.escape(state or "?")}</span>'
    )
    if health:
        badge += f' <small title="health">({html.escape(str(health))})</small>'
    return badge


def containers_table(items: Sequence[Container]) -> str:
    if not items:
        return "<p><em>No containers.</em></p>"
    head = "".join(
        f'<th style="text-align:left">{name}</th>'
        for name in ("Name", "State", "Status", "Image", "Project", "Id")
    )
    rows = []
    for c in items:
        info = c._summary
        cells = [
            f"<b>{html.escape(c.name)}</b>",
            _state_badge(str(info.get("state", "")), info.get("exit_code"), info.get("health")),
            html.escape(str(info.get("status", ""))),
            html.escape(c.image),
            html.escape(str(info.get("compose_project") or "")),
            f"<code>{html.escape(c.short_id)}</code>",
        ]
        rows.append(
            "<tr>" + "".join(f'<td style="text-align:left">{x}</td>' for x in cells) + "</tr>"
        )
    caption = f"{len(items)} container{'s' if len(items) != 1 else ''}"
    return (
        '<table class="jp-LittleWings-containers">'
        f'<caption style="text-align:left">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


__all__ = [
    "Container",
    "ContainerList",
    "ExecResult",
    "Files",
    "LineBuffer",
    "LogFollow",
    "Shell",
    "containers_table",
]
