"""Following logs from a notebook: :class:`LogFollow` (an iterator and an async iterator of
:class:`~.lines.Line`), read from a session of the client's kernel runtime into a bounded
:class:`LineBuffer`. The one follow path: :class:`~.group.GroupFollow` (projects, labels,
services) is a LogFollow whose session watches a group."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Callable

from ..docker.engine import DockerEngine
from ..errors import ContainerNotFound, LittleWingsError, from_wire
from ..parsing.lines import Cursor, LogLine, Stream
from .interfaces import ClientLike, ContainerLike
from .lines import Line
from .runtime import KernelConnection, KernelRuntime

if TYPE_CHECKING:
    from ..session.session import ClientSession


def keep_lines(lines: Iterable[LogLine], after: Cursor | None, stream: str | None) -> list[Line]:
    """The lines after ``after`` of ``stream`` (both when None), in the public form."""
    kept = []
    for raw in lines:
        if after is not None and raw.cursor <= after:
            continue
        line = Line.from_log_line(raw)
        if stream is None or line.stream == stream:
            kept.append(line)
    return kept


class LineBuffer:
    """Lines handed from a session on the kernel runtime's loop to one consumer (sync or async,
    in any thread), bounded in size."""

    def __init__(self, max_lines: int) -> None:
        self.cond = threading.Condition()
        self.lines: deque[Line] = deque()
        self.max_lines = max_lines
        self.ended = False  # no more lines will come; what is buffered may still be read
        self.closed = False  # the consumer is done; nothing more is read
        self.reason: str | None = None
        self.error: LittleWingsError | None = None
        self.dropped = 0  # lines let go by push_nowait because the consumer was far behind
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

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
        """No more lines will come (the session's stream ended, or it was refused)."""
        with self.cond:
            if not self.ended:
                self.ended = True
                self.reason = self.reason or reason
                self.error = error
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)

    def close(self, reason: str) -> None:
        """Stop reading: drop what is buffered and wake the consumer."""
        with self.cond:
            self.closed = True
            self.reason = self.reason or reason
            self.lines.clear()
            self.cond.notify_all()
            waiters, self._waiters = self._waiters, []
        self._wake(waiters)

    def wait_blocking(self, timeout: float | None) -> None:
        """Wait on this thread until something changes or ``timeout`` passes (in short slices,
        which keep Ctrl-C, a KeyboardInterrupt, responsive)."""
        with self.cond:
            if not (self.lines or self.ended or self.closed):
                self.cond.wait(0.25 if timeout is None else min(timeout, 0.25))

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


def why_ended(engine: DockerEngine, container_id: str) -> str:
    """Why Docker ended a container's followed log: it stopped (``exited``), went
    (``removed``), or another reason (``ended``). Blocking: Docker may close the stream a
    moment before it records the new state, so it asks a few times."""
    state = ""
    deadline = time.monotonic() + 3  # (Podman's removal of a running container takes ≈1 s)
    while time.monotonic() < deadline:
        try:
            state = engine.resolve(container_id).state
        except ContainerNotFound:
            return "removed"
        except LittleWingsError:
            return "ended"
        if state not in ("running", "restarting", "removing", "dead", "stopping"):
            return "exited"
        # A container being force-removed passes through "removing" (and "dead"; Podman's
        # through "stopping").
        time.sleep(0.05)
    return "exited" if state == "dead" else "ended"


class _SessionReader:
    """What a follow stops and waits for: a session on the client's kernel runtime (the
    same session core as a widget's view, sharing the container's one Docker log stream)."""

    def __init__(self, client: ClientLike, runtime: KernelRuntime) -> None:
        self.client = client
        self.runtime = runtime
        self.session: ClientSession | None = None
        self.alive = True

    def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        session = self.session
        if session is not None:
            self.runtime.call(session.release)
        self.client.release_runtime(self.runtime)

    def join(self, timeout: float = 5) -> bool:
        return True


def open_follow_session(
    follow: LogFollow,
    client: ClientLike,
    frame: dict[str, Any],
    make_sink: Callable[[KernelRuntime], Any],
) -> _SessionReader:
    """Open the session a follow reads (its lines to the sink ``make_sink(runtime)`` gives,
    its other frames to the follow's ``_on_frame``), and send it ``frame`` (a ``connect``)."""
    runtime = client.acquire_runtime()
    reader = _SessionReader(client, runtime)
    buffer = follow._buffer
    sink = make_sink(runtime)

    async def open_session() -> None:
        connection = KernelConnection(follow._on_frame, lambda _code, _why: buffer.end("ended"))
        session = runtime.manager.open_session(connection, client.limits, sink)
        reader.session = session
        await session.handle(json.dumps(frame))

    runtime.submit(open_session())
    client._follows.add(follow)
    return reader


class _ContainerSink:
    """Where a container follow's session puts its lines: the follow's buffer. When the
    container's log stream ends by itself (after its last line), the follow ends, saying why."""

    def __init__(self, follow: LogFollow, only: int | None, runtime: KernelRuntime) -> None:
        self.follow = follow
        self.only = only
        self.runtime = runtime
        self.ended = False

    def _push(self, lines: list[LogLine]) -> None:
        only = self.only
        kept = [Line.from_log_line(line) for line in lines if only is None or line.stream == only]
        if kept:
            self.follow._buffer.push_nowait(kept)

    def history_lines(self, lines: list[LogLine]) -> None:
        self._push(lines)

    def live_lines(self, lines: list[LogLine]) -> None:
        self._push(lines)

    def history_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        raise AssertionError("a container's session has its lines, not runs of members")

    def live_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        raise AssertionError("a container's session has its lines, not runs of members")

    def stream_ended(self) -> None:
        if self.ended:
            return
        self.ended = True
        container = self.follow.container
        manager = self.runtime.manager
        buffer = self.follow._buffer

        async def end() -> None:
            reason = await manager.run(why_ended, container.engine, container.id)
            buffer.end(reason)

        manager.spawn(end())


class LogFollow:
    """Live log lines of a container: an iterator and an async iterator of :class:`Line`.

    Made by :meth:`Container.follow`. Iterating ends cleanly (no exception) when:

    - the consumer leaves the loop (``break``) or calls :meth:`close` — reason ``"closed"``,
    - ``timeout`` seconds passed since the follow began — ``"timeout"``,
    - no line came for ``idle_timeout`` seconds — ``"idle"``,
    - the container stopped (``"exited"``), was removed (``"removed"``), or Docker ended the
      stream for another reason (``"ended"``).

    :attr:`reason` tells which. In every case its session ends, and with the last reader of a
    container its Docker stream. The lines come from a session of the client's kernel runtime
    (the session core the widgets use): every follow, widget and merged view of a container
    shares one Docker log stream. A consumer more than ``max_buffered_lines`` behind loses the
    oldest lines: :attr:`dropped` counts them, and a warning says so.

    A follow is read once; use it as a context manager (``with c.follow() as lines:``) to be
    sure it is closed when you keep it in a variable. If the stream fails, iterating raises the
    error (a :class:`~littlewings_jupyter.errors.LittleWingsError`) after the lines before it.
    """

    def __init__(
        self,
        container: ContainerLike,
        frame: dict[str, Any],
        *,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        only: str | None = None,
        max_buffered_lines: int = 10_000,
    ) -> None:
        self.container = container
        self._start_clock(timeout, idle_timeout, max_buffered_lines)
        stream = Stream.parse(only)
        self._reader = open_follow_session(
            self,
            container.client,
            frame,
            lambda runtime: _ContainerSink(self, stream, runtime),
        )

    def _start_clock(
        self, timeout: float | None, idle_timeout: float | None, max_buffered_lines: int
    ) -> None:
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        now = time.monotonic()
        self._deadline = None if timeout is None else now + timeout
        self._last_activity = now
        self._buffer = LineBuffer(max_buffered_lines)
        self._warned = 0

    def _on_frame(self, message: str) -> None:
        """A frame of the session that is not lines: a refusal ends the follow with its
        error; the container's removal ends it (its stream may not end by itself then)."""
        frame = json.loads(message)
        if frame.get("type") == "error":
            self._buffer.end("error", from_wire(frame))
        elif frame.get("type") == "status" and frame.get("event") == "removed":
            self._buffer.end("removed")

    @property
    def dropped(self) -> int:
        """Lines let go because the consumer was more than ``max_buffered_lines`` behind."""
        return self._buffer.dropped

    # -- state -------------------------------------------------------------------------------

    @property
    def reason(self) -> str | None:
        """Why the follow ended (see the class docstring), or None while it runs."""
        buffer = self._buffer
        return buffer.reason if (buffer.closed or buffer.ended) else None

    @property
    def active(self) -> bool:
        """Whether the follow still reads (its session on the kernel runtime is open)."""
        return self._reader.alive

    @property
    def closed(self) -> bool:
        """Whether the follow was closed (by the consumer, a timeout or the end of the stream)."""
        return self._buffer.closed

    def close(self) -> None:
        """Stop following: end its session (and with the container's last reader, its Docker
        stream)."""
        self._finish("closed")

    def _finish(self, reason: str, wait: bool = True) -> None:
        self._buffer.close(reason)
        self._reader.stop()
        if wait:
            with contextlib.suppress(RuntimeError):  # (closed from the runtime's own thread)
                self._reader.join(5)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._finish("closed", wait=False)

    # -- taking lines ------------------------------------------------------------------------

    def _step(self) -> tuple[Line | None, float | None]:
        """The next line, or (None, seconds to wait); ends the follow when it is over."""
        buffer = self._buffer
        dropped = buffer.dropped
        if dropped > self._warned:
            warnings.warn(
                f"LittleWings: {dropped - self._warned} log lines were dropped: the loop "
                "reading them is slower than the containers write (max_buffered_lines).",
                RuntimeWarning,
                stacklevel=4,
            )
            self._warned = dropped
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

    # The next line (None: the follow is over), waiting on this thread or on the event loop: the
    # two loops differ only in how they wait; what a step does is :meth:`_step`.
    def _next_blocking(self) -> Line | None:
        while True:
            line, wait = self._step()
            if line is not None:
                return line
            if wait is not None and wait < 0:
                return None
            self._buffer.wait_blocking(wait)

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
            self._buffer.wait_blocking(min(slices) if slices else None)
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


__all__ = ["LineBuffer", "LogFollow", "keep_lines", "open_follow_session", "why_ended"]
