"""Long-lived Docker streams, each read in its own thread and handed to the IOLoop in batches.

- :class:`LogFollower`: one log stream per container, shared by every client watching it.
- :class:`StatsFollower`: one stats stream per container, shared the same way.
- :class:`EventWatcher`: one event stream for the whole engine.
- :class:`StdinWriter`: one stdin attachment per container.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .docker_engine import ContainerRef, DockerEngine, DockerStream, LineAssembler, LogLine
from .errors import ContainerNotFound, EngineUnavailable, LittleWingsError
from .protocol import Cursor

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

log = logging.getLogger("littlewings")

# The follower thread waits (backpressure on Docker) once this many lines await the IOLoop.
MAX_PENDING_LINES = 50_000


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


class StreamThread:
    """A daemon thread around a closable Docker stream, stopped by :meth:`stop` from any thread."""

    name = "littlewings-stream"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._stream: DockerStream | None = None
        self._stream_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading in a thread of its own."""
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.run()
        except Exception:
            if not self._stop.is_set():
                log.exception("LittleWings: %s crashed", self.name)

    def run(self) -> None:
        """The thread's work; subclasses read streams and check :attr:`stopped`."""
        raise NotImplementedError

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def _set_stream(self, stream: DockerStream | None) -> bool:
        """Remember the open stream so :meth:`stop` can close it; False if already stopped."""
        with self._stream_lock:
            if stream is not None and self._stop.is_set():
                stream.close()
                return False
            self._stream = stream
            return True

    def wake(self) -> None:
        """Cut a wait short (e.g. the container started again)."""
        self._wake.set()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def stop(self) -> None:
        """Close the stream and end the thread (does not wait for it)."""
        self._stop.set()
        self._wake.set()
        with self._stream_lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def join(self, timeout: float = 5) -> bool:
        """Wait for the thread to end; whether it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread is not None and self._thread.is_alive()


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
    ) -> None:
        super().__init__()
        self.engine = engine
        self.ref = ref
        self.loop = loop
        self.handoff = LoopHandoff(loop, deliver, batch_interval)
        self.on_engine = on_engine
        self.on_gone = on_gone
        self.poll_interval = poll_interval
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
        while not self.stopped:
            since = None
            if not first:
                since = (
                    self.last_cursor.docker_since()
                    if self.last_cursor
                    else (f"{self.started_at:.9f}")
                )
            try:
                stream = self.engine.open_logs(
                    self.ref.id, follow=True, tail=0 if first else None, since=since
                )
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
            self._set_ready()
            self._read(stream)
            self._set_stream(None)
            stream.close()
            if self.stopped:
                return
            self._wait_until_running()

    def _read(self, stream: DockerStream) -> None:
        assembler = LineAssembler(self.engine.max_line_bytes, self.ref.tty)
        last = self.last_cursor
        for block in stream:
            lines = assembler.feed(block)
            if last is not None:
                lines = [line for line in lines if line.cursor > last]
            if lines:
                last = self.last_cursor = lines[-1].cursor
                self.handoff.push(lines)
        if stream.closed:
            return
        # The stream ended by itself (the container stopped): its unfinished last line is final.
        lines = [line for line in assembler.flush() if last is None or line.cursor > last]
        if lines:
            self.last_cursor = lines[-1].cursor
            self.handoff.push(lines)

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
        """Close the stream and end the thread."""
        super().stop()
        self.handoff.close()


def compute_stats(sample: dict[str, Any]) -> dict[str, Any]:
    """The numbers a console shows, computed from one Docker stats sample as the CLI does."""
    cpu = sample.get("cpu_stats") or {}
    precpu = sample.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (
        precpu.get("cpu_usage") or {}
    ).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (precpu.get("system_cpu_usage") or 0)
    online = (
        cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    )
    cpu_percent = (
        (cpu_delta / system_delta) * online * 100.0 if system_delta > 0 and cpu_delta > 0 else 0.0
    )
    memory = sample.get("memory_stats") or {}
    mem_stats = memory.get("stats") or {}
    cache = mem_stats.get(
        "inactive_file", mem_stats.get("total_inactive_file", mem_stats.get("cache", 0))
    )
    usage = max((memory.get("usage") or 0) - (cache or 0), 0)
    limit = memory.get("limit") or 0
    rx = tx = 0
    for net in (sample.get("networks") or {}).values():
        rx += net.get("rx_bytes", 0)
        tx += net.get("tx_bytes", 0)
    read = write = 0
    for entry in (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += entry.get("value", 0)
        elif op == "write":
            write += entry.get("value", 0)
    return {
        "time": time.time(),
        "cpu_percent": round(cpu_percent, 2),
        "memory": {
            "usage": usage,
            "limit": limit,
            "percent": round(usage / limit * 100.0, 2) if limit else 0.0,
        },
        "network": {"rx_bytes": rx, "tx_bytes": tx},
        "block_io": {"read_bytes": read, "write_bytes": write},
        "pids": (sample.get("pids_stats") or {}).get("current", 0),
    }


def iter_json_documents(stream: DockerStream) -> Iterator[dict[str, Any]]:
    """The JSON documents of a stream that carries one a line (stats, events); skips others."""
    rest = b""
    for block in stream:
        rest += block
        *docs, rest = rest.split(b"\n")
        for doc in docs:
            if doc.strip():
                try:
                    value = json.loads(doc)
                except ValueError:
                    log.debug("LittleWings: skipped a stream line that is not JSON")
                    continue
                yield value


class JSONLinesThread(StreamThread):
    """A stream thread whose stream is one JSON document a line (stats, events)."""

    def _read_json(self, stream: DockerStream, handle: Callable[[dict[str, Any]], None]) -> None:
        for doc in iter_json_documents(stream):
            handle(doc)


class StatsFollower(JSONLinesThread):
    """One Docker stats stream for one container, shared by every client that asked for stats.

    ``deliver`` gets each computed ``stats`` sample in the follower's thread; it returns False
    (or raises ReferenceError, for a weakly held receiver) to stop the follower.
    """

    name = "littlewings-stats"

    def __init__(
        self,
        engine: DockerEngine,
        container_id: str,
        deliver: Callable[[dict[str, Any]], bool | None],
        name: str | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.container_id = container_id
        self.deliver = deliver
        if name:
            self.name = name

    def _handle(self, sample: dict[str, Any]) -> None:
        if self.stopped:
            return
        try:
            keep = self.deliver(compute_stats(sample))
        except ReferenceError:
            keep = False
        if keep is False:
            self.stop()

    def run(self) -> None:
        while not self.stopped:
            try:
                stream = self.engine.open_stats(self.container_id)
            except ContainerNotFound:
                return
            except LittleWingsError:
                self._sleep(2.0)
                continue
            if not self._set_stream(stream):
                return
            self._read_json(stream, self._handle)
            self._set_stream(None)
            stream.close()
            self._sleep(1.0)


class EventWatcher(JSONLinesThread):
    """Docker's container event stream for the whole engine, handed to the IOLoop."""

    name = "littlewings-events"

    def __init__(
        self,
        engine: DockerEngine,
        loop: asyncio.AbstractEventLoop,
        on_event: Callable[[dict[str, Any]], None],
        on_engine: Callable[[bool], None],
    ) -> None:
        super().__init__()
        self.engine = engine
        self.loop = loop
        self.on_event = on_event
        self.on_engine = on_engine
        self.connected = threading.Event()

    def _handle(self, event: dict[str, Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(self.on_event, event)
        except RuntimeError:
            self._stop.set()

    def run(self) -> None:
        backoff = 0.5
        while not self.stopped:
            try:
                stream = self.engine.open_events()
            except LittleWingsError:
                self.connected.clear()
                self.on_engine(False)
                self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not self._set_stream(stream):
                return
            backoff = 0.5
            self.connected.set()
            self.on_engine(True)
            self._read_json(stream, self._handle)
            self._set_stream(None)
            stream.close()
            self.connected.clear()
            if not self.stopped:
                # The stream only ends when the engine goes away (or restarts).
                self.engine.reset()
                self.on_engine(False)
                self._sleep(backoff)


class StdinWriter:
    """Writes lines to a container's stdin through one attachment, reopened when it breaks."""

    def __init__(self, engine: DockerEngine, container_id: str) -> None:
        self.engine = engine
        self.container_id = container_id
        self._socket: Any = None
        self._started_at = ""
        self._lock = threading.Lock()

    def write(self, data: bytes, started_at: str = "") -> None:
        """Send ``data`` to the container's stdin (blocking; call from a worker thread).

        ``started_at`` is when the container's process started: an attachment made to an
        earlier run of it is replaced (it no longer reaches the process).
        """
        with self._lock:
            if started_at != self._started_at:
                self._close_socket()
                self._started_at = started_at
            if self._socket is not None and not self._alive():
                # Docker ended the attachment (the container stopped or restarted): a write to
                # it now could vanish into the socket's buffer.
                self._close_socket()
            for attempt in (1, 2):
                if self._socket is None:
                    self._socket = self.engine.attach_stdin(self.container_id)
                try:
                    self._socket.sendall(data)
                    return
                except OSError:
                    self._close_socket()
                    if attempt == 2:
                        raise EngineUnavailable(
                            "Could not write to the container's stdin (did it stop?)."
                        ) from None

    def _alive(self) -> bool:
        """Whether Docker still holds the attachment open (a non-blocking peek for EOF)."""
        sock = self._socket
        try:
            sock.setblocking(False)
            try:
                return sock.recv(1, socket.MSG_PEEK) != b""
            finally:
                sock.setblocking(True)
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _close_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        """Detach from the container's stdin."""
        with self._lock:
            self._close_socket()
