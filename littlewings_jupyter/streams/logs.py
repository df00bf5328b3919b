"""One Docker log stream per container, shared by all who watch it, handed over in batches."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable
from typing import Any, Callable

from ..docker.engine import DockerEngine
from ..docker.errors import NoLineYet
from ..docker.framing import DockerStream
from ..docker.models import ContainerRef
from ..docker.wholeseconds import FollowTally, whole_second
from ..errors import ContainerNotFound, EngineUnavailable, LittleWingsError
from ..parsing.lines import Cursor, LineAssembler, LogLine
from .base import StreamThread, log

# The follower thread waits (backpressure on Docker) once this many lines await the IOLoop.
MAX_PENDING_LINES = 50_000
# How long one try to open a follow on an engine that answers with its first line waits (the
# longest a stop of a quiet container's follower waits for its thread).
WHOLE_SECOND_HEADER_WAIT = 2.0


class LoopHandoff:
    """Collects items in a thread and hands them to a callback on the IOLoop in batches.

    The first item after a hand-over arms a timer of ``interval`` seconds; everything that
    arrives until it fires goes out as one batch. A producer that gets ``max_pending`` items
    ahead of the loop waits, so memory stays bounded and Docker is slowed down instead.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[list[Any]], None],
        interval: float,
        max_pending: int = MAX_PENDING_LINES,
    ) -> None:
        self.loop = loop
        self.callback = callback
        self.interval = interval
        self.max_pending = max_pending
        self._items: list[Any] = []
        self._lock = threading.Lock()
        self._armed = False
        self._drained = threading.Event()
        self._closed = False

    def push(self, items: Iterable[Any]) -> None:
        """Add items (from any thread); may block while the loop is far behind."""
        with self._lock:
            self._items.extend(items)
            pending = len(self._items)
            arm = not self._armed and pending > 0
            if arm:
                self._armed = True
            if pending >= self.max_pending:
                self._drained.clear()
        if arm and not self._closed:
            try:
                self.loop.call_soon_threadsafe(self._arm)
            except RuntimeError:  # the loop is closed: the server is stopping
                return
        if pending >= self.max_pending:
            while not self._closed and not self._drained.wait(0.5):
                pass

    def _arm(self) -> None:
        if self.interval > 0:
            self.loop.call_later(self.interval, self.flush)
        else:
            self.flush()

    def flush(self) -> None:
        """Hand what is collected to the callback (on the loop)."""
        with self._lock:
            items, self._items = self._items, []
            self._armed = False
            self._drained.set()
        if items and not self._closed:
            self.callback(items)

    def close(self) -> None:
        """Drop what is pending and release a waiting producer."""
        self._closed = True
        self._drained.set()


class LogFollower(StreamThread):
    """One Docker log stream for one container, fanned out to every subscriber.

    It starts with the first subscriber and is stopped when the last one leaves. When the
    container stops, the stream ends; the follower waits for it to start again and resumes
    after the last line it read (no line twice, none missed).
    """

    name = "littlewings-logs"

    def __init__(
        self,
        engine: DockerEngine,
        ref: ContainerRef,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[LogLine]], None],
        on_engine: Callable[[bool], None],
        on_gone: Callable[[], None],
        batch_interval: float,
        poll_interval: float = 5.0,
        on_stream_end: Callable[[], None] | None = None,
        on_skipped: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.ref = ref
        self.loop = loop
        self.handoff = LoopHandoff(loop, deliver, batch_interval)
        self.on_engine = on_engine
        self.on_gone = on_gone
        # Called on the loop, after the last lines, when a stream ends by itself (the
        # container stopped or went): readers that end with the stream (a kernel follow).
        self.on_stream_end = on_stream_end
        # Called on the loop with a count when the engine's stream skipped lines that its log
        # has (Podman at a container's exit: see FollowTally), after the lines read.
        self.on_skipped = on_skipped
        self.poll_interval = poll_interval
        self.streaming = False  # a stream is open now (not waiting for a start)
        self.started_at = time.time()
        self.last_cursor: Cursor | None = None
        self.streams_opened = 0
        # Resolved once the first stream is open: history read after that overlaps live lines.
        self.ready: asyncio.Future[None] = loop.create_future()

    def _set_ready(self) -> None:
        def resolve() -> None:
            if not self.ready.done():
                self.ready.set_result(None)

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(resolve)

    def run(self) -> None:
        backoff = 0.5
        first = True
        # An engine with whole-second stamps (Podman) answers a follow only with its first line,
        # and numbers lines from the second the read starts in: such a follow starts at the
        # whole second it was asked in (the history read after it overlaps, and the join drops
        # what both have), and waits for its first line in short tries: a running container
        # with no line yet is streaming, ready after the first try.
        whole_seconds = self.engine.whole_second_logs
        tried = False
        while not self.stopped:
            header_timeout = None
            if whole_seconds:
                header_timeout = WHOLE_SECOND_HEADER_WAIT if tried else 0.5
                tried = True
            since: str | None = None
            if not first:
                since = (
                    self.last_cursor.docker_since()
                    if self.last_cursor
                    else (f"{self.started_at:.9f}")
                )
            elif whole_seconds:
                since = str(int(self.started_at))
            try:
                stream = self.engine.open_logs(
                    self.ref.id,
                    follow=True,
                    tail=0 if first and not whole_seconds else None,
                    since=whole_second(since) if whole_seconds else since,
                    header_timeout=header_timeout,
                )
            except NoLineYet:
                # No line yet, and the engine waits for one: the container runs; ask again.
                self.streaming = True
                self._set_ready()
                continue
            except ContainerNotFound:
                self._set_ready()
                if not self.stopped:
                    self.on_gone()
                return
            except EngineUnavailable:
                self._set_ready()
                self.on_engine(False)
                self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except LittleWingsError as exc:
                log.warning("LittleWings: cannot follow %s: %s", self.ref.name, exc.message)
                self._set_ready()
                self._sleep(self.poll_interval)
                continue
            if not self._set_stream(stream):
                return
            if backoff > 0.5:
                self.on_engine(True)
            backoff = 0.5
            first = False
            self.streams_opened += 1
            self.streaming = True
            self._set_ready()
            ended = self._read(stream)
            self.streaming = False
            self._set_stream(None)
            stream.close()
            if self.stopped:
                return
            if ended:
                self._stream_ended()
            self._wait_until_running()

    def _read(self, stream: DockerStream) -> bool:
        """Read until the stream ends; True when it ended by itself, not closed by us."""
        assembler = LineAssembler(self.engine.max_line_bytes, self.ref.tty)
        if self.engine.whole_second_logs:
            # Podman (4.3) ends a follow when its container exits before it has sent every
            # line, and skips lines in its last part: the log is read when the stream ends
            # and checked against what the follow read (an unfinished line comes again, whole).
            tally = FollowTally()
            for block in stream:
                lines = assembler.feed(block)
                tally.add(lines)
                self._push_after(lines)
            if stream.closed:
                return False
            self._catch_up(tally)
            return True
        for block in stream:
            self._push_after(assembler.feed(block))
        if stream.closed:
            return False
        # The stream ended by itself (the container stopped): its unfinished last line is final.
        self._push_after(assembler.flush())
        return True

    def _catch_up(self, tally: FollowTally) -> None:
        """Read the log from the first second the follow read to its end (no follow): deliver
        what comes after the last line read, and tell how many lines the follow skipped."""
        last = self.last_cursor
        first = tally.first_second
        if first is not None:
            since = Cursor(first).docker_since()
        else:
            since = last.docker_since() if last else f"{self.started_at:.9f}"
        assembler = LineAssembler(self.engine.max_line_bytes, self.ref.tty)
        logged: list[LogLine] = []
        try:
            stream = self.engine.open_logs(self.ref.id, follow=False, since=whole_second(since))
            try:
                for block in stream:
                    logged += assembler.feed(block)
                logged += assembler.flush()
            finally:
                stream.close()
        except LittleWingsError as exc:
            log.warning(
                "LittleWings: the end of %s's log could not be read: %s", self.ref.name, exc.message
            )
            return
        if first is None:
            self._push_after(logged)
            return
        newer, skipped = tally.reconcile(logged)
        self._push_after(newer)
        if skipped and self.on_skipped is not None:
            callback = self.on_skipped

            def on_loop() -> None:
                self.handoff.flush()  # the lines read go first
                if not self.stopped:
                    callback(skipped)

            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(on_loop)

    def _push_after(self, lines: list[LogLine]) -> None:
        """Hand over the lines after the last one delivered."""
        last = self.last_cursor
        lines = [line for line in lines if last is None or line.cursor > last]
        if lines:
            self.last_cursor = lines[-1].cursor
            self.handoff.push(lines)

    def _stream_ended(self) -> None:
        """Tell ``on_stream_end`` on the loop, after every line read before the end."""
        callback = self.on_stream_end
        if callback is None:
            return

        def on_loop() -> None:
            self.handoff.flush()  # the lines still collected go first
            if not self.stopped:
                callback()

        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            self.loop.call_soon_threadsafe(on_loop)

    def _wait_until_running(self) -> None:
        while not self.stopped:
            try:
                state = self.engine.resolve(self.ref.id).state
            except ContainerNotFound:
                if not self.stopped:
                    self.on_gone()
                self._stop.set()
                return
            except LittleWingsError:
                state = "unknown"
            if state in ("running", "paused"):
                # A paused container's stream stays open; a quick restart needs no wait.
                time.sleep(0.05)
                return
            self._sleep(self.poll_interval)

    def stop(self) -> None:
        """Close the stream and end the thread (and stop whoever waits for it to be ready)."""
        super().stop()
        self.handoff.close()
        self._set_ready()
