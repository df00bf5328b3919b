"""The notebook widget: a container's console (logs, commands, power, stats) in a cell's output.

``lw.console("web")`` shows the same console as JupyterLab's console panel: the front end is the
same TypeScript, bundled for anywidget (``static/console-widget.js``). The kernel owns the Docker
streams (so the widget also works where no Jupyter server WebSocket exists, e.g. VS Code) and
talks to the front end with the frames of docs/protocol.md, as custom messages of the widget's
comm: ``log``, ``history_end``, ``status``, ``stats``, ``command_*``, ``power``, ``error`` go to
the browser; ``connect``, ``command``, ``power``, ``stats`` come back.

Frames meant for one view (its ``hello``, ``connected``, history, the output of a command it
sent) carry that view's ``view`` id; frames without it (live lines, status, stats) are for all
views of the widget.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import re
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from .._version import __version__
from ..docker.framing import DockerStream, read_exec_output
from ..docker.lines import Cursor
from ..errors import (
    Conflict,
    ContainerNotFound,
    InvalidJSON,
    LittleWingsError,
    UnknownType,
)
from ..session import protocol
from ..streams.base import StreamThread, iter_json_documents
from ..streams.stats import StatsFollower
from .client import Container, ExecResult, Line, LogFollow
from .client import container as _lookup

_STATIC = Path(__file__).parent / "static"
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "LittleWings: the console widget's front end is not built "
    + "(run `npm run build` in labextension/, or reinstall the package).";
} };
"""
_THREAD_PREFIX = "littlewings-widget"
_RUNNING = ("running", "paused", "restarting")

# Every open widget, to close them at kernel shutdown; and the widget of each (cell, container),
# so that running a cell again releases the Docker streams of the widget it made before.
_open_widgets: weakref.WeakSet[ContainerConsole] = weakref.WeakSet()
_by_cell: weakref.WeakValueDictionary[tuple[str, str], ContainerConsole] = (
    weakref.WeakValueDictionary()
)
_registry_lock = threading.Lock()


def _current_cell_id() -> str | None:
    """The id of the notebook cell being run (JupyterLab, Notebook 7 and nbclient send it)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        kernel = getattr(shell, "kernel", None)
        parent = kernel.get_parent("shell") if kernel is not None else None
    except Exception:
        return None
    cell_id = ((parent or {}).get("metadata") or {}).get("cellId")
    return cell_id if isinstance(cell_id, str) and cell_id else None


def _log_frames(lines: Iterable[Line], history: bool, timestamps: bool) -> list[dict[str, Any]]:
    """Lines as ``log`` frames: one per run of the same stream (a partial piece ends a frame)."""
    frames: list[dict[str, Any]] = []
    run: list[Line] = []

    def close_run() -> None:
        if not run:
            return
        parts = []
        at_start = True
        for line in run:
            if timestamps and at_start:
                parts.append(line.timestamp + " ")
            parts.append(line.text if line.partial else line.text + "\n")
            at_start = not line.partial
        frame: dict[str, Any] = {
            "type": "log",
            "stream": run[-1].stream,
            "data": "".join(parts),
            "lines": sum(1 for line in run if not line.partial),
            "cursor": str(run[-1].cursor),
            "history": history,
        }
        if run[-1].partial:
            frame["partial"] = True
        frames.append(frame)
        run.clear()

    for line in lines:
        if run and run[-1].stream != line.stream:
            close_run()
        run.append(line)
        if line.partial:
            close_run()
    close_run()
    return frames


class _ViewState:
    """What one front-end view asked for."""

    def __init__(self, timestamps: bool = False, stats: bool = False) -> None:
        self.timestamps = timestamps
        self.stats = stats


class _EventThread(StreamThread):
    """Docker's events of the watched container: state changes for the header."""

    name = f"{_THREAD_PREFIX}-events"

    def __init__(self, widget: ContainerConsole) -> None:
        super().__init__()
        self.widget = weakref.proxy(widget)
        self.engine = widget.container_handle.client.engine
        self.container_id = widget.container_handle.id

    def run(self) -> None:
        backoff = 0.5
        while not self.stopped:
            try:
                stream = self.engine.open_events(self.container_id)
            except LittleWingsError:
                self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not self._set_stream(stream):
                return
            backoff = 0.5
            try:
                for event in iter_json_documents(stream):
                    if self.stopped:
                        return
                    with contextlib.suppress(ReferenceError):
                        self.widget._on_docker_event(event)
            except ReferenceError:
                return
            finally:
                self._set_stream(None)
                stream.close()
            self._sleep(backoff)


class ContainerConsole(anywidget.AnyWidget):
    """A container's live console in a notebook: logs, command box, power buttons, CPU/memory.

    It looks and behaves like JupyterLab's console panel, and it is scriptable: :meth:`send`
    types a command (stdin, or exec for a container without stdin open), :attr:`lines` holds the
    most recent log lines, :meth:`on_line` calls a function for each new line, :meth:`wait_for`
    waits for a line, :meth:`close` stops everything. The kernel follows the log in a thread, so
    lines keep arriving while other cells run.

    Parameters
    ----------
    container:
        A :class:`~littlewings_jupyter.api.Container` or a name, id or id prefix.
    tail:
        Lines of history shown when the widget opens (and kept in :attr:`lines`).
    max_lines:
        How many recent lines the kernel keeps (:attr:`lines`, and what a view can show again).
    scrollback:
        Lines the browser keeps above the screen (as in the console panel's settings).
    height:
        The widget's height (CSS), e.g. ``"420px"``; the user can drag it taller.
    stats:
        Show CPU and memory sparklines.
    """

    _esm = (
        _STATIC / "console-widget.js"
        if (_STATIC / "console-widget.js").exists()
        else (_MISSING_BUNDLE)
    )
    _css = _STATIC / "console-widget.css" if (_STATIC / "console-widget.css").exists() else ""

    container = traitlets.Unicode("", help="The container's name, as the header shows it.").tag(
        sync=True
    )
    height = traitlets.Unicode("420px", help="CSS height of the widget.").tag(sync=True)
    scrollback = traitlets.Int(10_000, help="Lines xterm keeps above the screen.").tag(sync=True)
    tail = traitlets.Int(500, help="History lines a view shows when it opens.").tag(sync=True)
    stats = traitlets.Bool(True, help="Show CPU and memory sparklines.").tag(sync=True)

    def __init__(
        self,
        container: Container | str,
        *,
        tail: int = 500,
        max_lines: int = 10_000,
        scrollback: int = 10_000,
        height: str = "420px",
        stats: bool = True,
        batch_interval: float = 0.05,
        batch_lines: int = 2000,
        exec_shell: Iterable[str] = ("/bin/sh", "-c"),
    ) -> None:
        handle = container if isinstance(container, Container) else _lookup(container)
        if tail < 0 or max_lines < 1:
            raise ValueError("tail must be ≥ 0 and max_lines ≥ 1.")
        super().__init__(
            container=handle.name, tail=tail, scrollback=scrollback, height=height, stats=stats
        )
        self.container_handle = handle
        self.batch_interval = batch_interval
        self.batch_lines = batch_lines
        self.exec_shell = list(exec_shell)
        self._lines: deque[Line] = deque(maxlen=max_lines)
        self._lock = threading.RLock()  # the line buffer and the order of frames sent
        self._new_lines = threading.Condition(self._lock)
        self._callbacks: list[Callable[[Line], Any]] = []
        self._views: dict[str, _ViewState] = {}
        self._closed = threading.Event()
        self._wake = threading.Event()
        self._follow: LogFollow | None = None
        self._exec_streams: set[DockerStream] = set()
        self._ids = itertools.count(1)
        self._summary = handle.refresh().info
        self._pool = ThreadPoolExecutor(4, thread_name_prefix=f"{_THREAD_PREFIX}-cmd")
        self._stats_thread: StatsFollower | None = None
        self.on_msg(self._on_custom)
        if self.comm is not None and hasattr(self.comm, "on_close"):
            self.comm.on_close(lambda _msg: self._release())

        self._events = _EventThread(self)
        self._events.start()
        self._pump = threading.Thread(
            target=self._pump_logs, name=f"{_THREAD_PREFIX}-logs", daemon=True
        )
        self._pump.start()

        cell = _current_cell_id()
        with _registry_lock:
            _open_widgets.add(self)
            previous = _by_cell.get((cell, handle.id)) if cell else None
            if cell:
                _by_cell[(cell, handle.id)] = self
        if previous is not None and previous is not self:
            previous.close()

    # -- the Python API ------------------------------------------------------------------------

    @property
    def lines(self) -> list[Line]:
        """The most recent log lines (at most ``max_lines``), oldest first: a snapshot."""
        with self._lock:
            return list(self._lines)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the Docker streams are then closed)."""
        return self._closed.is_set()

    @property
    def command_via(self) -> str:
        """How :meth:`send` and the command box send by default: ``stdin`` or ``exec``."""
        return "stdin" if self._summary.get("open_stdin") else "exec"

    @property
    def state(self) -> str:
        """The container's state as the widget last saw it (from Docker's events)."""
        return str(self._summary.get("state", ""))

    def on_line(self, callback: Callable[[Line], Any], remove: bool = False) -> None:
        """Call ``callback(line)`` for every new log line (in the follower thread), or stop."""
        with self._lock:
            if remove:
                with contextlib.suppress(ValueError):
                    self._callbacks.remove(callback)
            elif callback not in self._callbacks:
                self._callbacks.append(callback)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 30) -> Line | None:
        """The first line from now on that contains ``pattern`` (a string or regex), or None."""
        match = pattern.search if isinstance(pattern, re.Pattern) else (lambda t: pattern in t)
        deadline = time.monotonic() + timeout
        with self._new_lines:
            seen = self._last_cursor()
            while True:
                for line in self._lines:
                    if (seen is None or line.cursor > seen) and match(line.text):
                        return line
                seen = self._last_cursor() or seen
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set():
                    return None
                self._new_lines.wait(min(left, 0.25))

    def send(  # type: ignore[override]
        self, text: str, via: str | None = None, timeout: float | None = None
    ) -> Any:
        """Type a command, as the command box does: every view shows it and what follows.

        ``via`` as in the console: ``"stdin"`` (a line to the main process; its answer shows in
        the logs; returns None) or ``"exec"`` (``/bin/sh -c``; returns the
        :class:`~littlewings_jupyter.api.ExecResult`). Default: stdin when the container has stdin
        open, else exec.
        """
        via = via or self.command_via
        if via not in ("stdin", "exec"):
            raise ValueError('via must be "stdin" or "exec".')
        request_id = f"py{next(self._ids)}"
        if via == "stdin":
            self.container_handle.send(text)
            self._emit(
                {"type": "command_started", "id": request_id, "via": "stdin", "command": text}
            )
            self._emit({"type": "command_sent", "id": request_id, "via": "stdin"})
            return None
        return self._run_exec(text, request_id, None, timeout)

    def close(self) -> None:
        """Stop following, close every Docker stream and thread of the widget, close its comm."""
        self._release()
        super().close()

    # -- the kernel side of the console -------------------------------------------------------

    def _release(self) -> None:
        """Stop the threads and Docker streams (idempotent); the comm stays as it is."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._wake.set()
        with self._lock:
            follow = self._follow
            streams = list(self._exec_streams)
            self._new_lines.notify_all()
        self._emit({"type": "closed"})
        if follow is not None:
            follow.close()
        for stream in streams:
            stream.close()
        self._events.stop()
        stats = self._stats_thread
        if stats is not None:
            stats.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        current = threading.current_thread()
        if self._pump is not current:
            self._pump.join(5)
        self._events.join(5)
        if stats is not None:
            stats.join(5)
        with _registry_lock:
            _open_widgets.discard(self)

    def _emit(self, frame: dict[str, Any], view: str | None = None) -> None:
        """Send one frame to the front end: to one view, or to all when ``view`` is None."""
        if view is not None:
            frame = {**frame, "view": view}
        with contextlib.suppress(Exception):  # the comm is gone: nobody is looking
            # ipywidgets' custom message (``send`` of this class types a command).
            anywidget.AnyWidget.send(self, frame)

    def _last_cursor(self) -> Cursor | None:
        return self._lines[-1].cursor if self._lines else None

    def _pump_logs(self) -> None:
        """Follow the log (again after each restart) and hand lines over in batches."""
        handle = self.container_handle
        after: Line | None = None
        while not self._closed.is_set():
            try:
                if after is None:
                    follow = handle.follow(tail=self.tail)
                else:
                    follow = handle.follow(since=after)
            except ContainerNotFound:
                return
            except LittleWingsError:
                self._wake.wait(2.0)
                self._wake.clear()
                continue
            with self._lock:
                if self._closed.is_set():
                    follow.close()
                    return
                self._follow = follow
            try:
                while not self._closed.is_set():
                    batch = self._collect(follow)
                    if batch is None:
                        break
                    if batch:
                        after = batch[-1]
                        self._deliver(batch)
            except LittleWingsError:
                pass
            finally:
                follow.close()
                with self._lock:
                    self._follow = None
            if follow.reason == "removed":
                return
            self._wait_until_running()

    def _collect(self, follow: LogFollow) -> list[Line] | None:
        """Lines of one batch: what arrives within ``batch_interval`` of the first, bounded."""
        first = follow.next_batch(self.batch_lines, wait=0.25)
        if not first:
            return first
        batch = first
        deadline = time.monotonic() + self.batch_interval
        while len(batch) < self.batch_lines and not self._closed.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = follow.next_batch(self.batch_lines - len(batch), wait=left)
            if more is None:
                break
            batch.extend(more)
        return batch

    def _wait_until_running(self) -> None:
        """Until the container runs again (Docker's start event wakes us; a check every 5 s)."""
        while not self._closed.is_set():
            self._wake.wait(5.0)
            self._wake.clear()
            if self._closed.is_set():
                return
            try:
                if self.container_handle.status in _RUNNING:
                    return
            except ContainerNotFound:
                self._closed.wait(5.0)
            except LittleWingsError:
                pass

    def _deliver(self, batch: list[Line]) -> None:
        with self._lock:
            self._lines.extend(batch)
            self._send_live(batch)
            self._new_lines.notify_all()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            for line in batch:
                try:
                    callback(line)
                except Exception:
                    print(f"LittleWings: on_line callback {callback!r} failed:", file=sys.stderr)
                    traceback.print_exc()
                    break

    def _send_live(self, batch: list[Line]) -> None:
        """Live lines: one frame for all views, or per view when some want timestamps."""
        if not any(v.timestamps for v in self._views.values()):
            for frame in _log_frames(batch, False, False):
                self._emit(frame)
            return
        plain = stamped = None
        for view, state in list(self._views.items()):
            if state.timestamps:
                stamped = stamped or _log_frames(batch, False, True)
                frames = stamped
            else:
                plain = plain or _log_frames(batch, False, False)
                frames = plain
            for frame in frames:
                self._emit(frame, view)

    def _on_docker_event(self, event: dict[str, Any]) -> None:
        """A Docker event of the container (events thread): a ``status`` frame for the header."""
        frame = protocol.status_frame(event)
        if frame is None:
            return
        frame["container"] = self.container_handle.id
        kind = frame["event"]
        if kind == "removed":  # status_frame has set the state
            self._summary = {**self._summary, "state": "removed"}
        else:
            with contextlib.suppress(LittleWingsError):
                self._summary = self.container_handle.refresh().info
                frame.setdefault("state", self._summary.get("state"))
                frame.setdefault("health", self._summary.get("health"))
        self._emit(frame)
        if kind in ("started", "restarted", "unpaused"):
            self._wake.set()

    # -- messages from the front end ------------------------------------------------------------

    def _on_custom(self, _widget: Any, content: Any, _buffers: Any) -> None:
        self._handle_frame(content)

    def _handle_frame(self, content: Any) -> None:
        """One client frame (docs/protocol.md) from a view; errors are answered, never raised."""
        view = content.get("view") if isinstance(content, dict) else None
        view = view if isinstance(view, str) and len(view) <= 64 else None
        request_id = None
        try:
            if not isinstance(content, dict):
                raise InvalidJSON("The frame must be a JSON object with a 'type'.")
            data = {k: v for k, v in content.items() if k != "view"}
            request_id = protocol.parse_id(data)
            if data.get("type") == "open":
                self._hello(view)
                return
            message = protocol.parse_message(data)
            request_id = message.id
            if self._closed.is_set():
                raise Conflict("This console widget was closed.")
            if isinstance(message, protocol.Connect):
                self._connect(message, view)
            elif isinstance(message, protocol.Command):
                self._pool.submit(self._run_command, message, view)
            elif isinstance(message, protocol.Power):
                self._pool.submit(self._run_power, message, view)
            elif isinstance(message, protocol.Toggle) and message.type == "stats":
                self._set_stats(view, message.enabled)
                self._emit(
                    protocol.reply("stats_enabled", message.id, enabled=message.enabled), view
                )
            elif message.type == "heartbeat":
                self._emit(protocol.reply("heartbeat", message.id, time=time.time()), view)
            elif message.type == "disconnect":
                self._forget_view(view)
                self._emit(
                    protocol.reply("disconnected", message.id, server_id=self.container), view
                )
            else:
                raise UnknownType(
                    f"{message.type!r} is not available in the notebook widget; "
                    "use lw.containers() from Python."
                )
        except LittleWingsError as exc:
            self._emit(exc.to_wire(request_id), view)
        except Exception as exc:  # a bug: say so in the view rather than in the kernel log
            self._emit({"type": "error", "code": "internal_error", "message": str(exc)}, view)

    def _hello(self, view: str | None) -> None:
        write = not self.container_handle.client.read_only
        self._emit(
            {
                "type": "hello",
                "protocol": 1,
                "server": "littlewings-jupyter (kernel)",
                "version": __version__,
                "permissions": {"read": True, "write": write},
                "limits": {"read_only": not write},
            },
            view,
        )

    def _connect(self, message: protocol.Connect, view: str | None) -> None:
        """Reply ``connected``, then the history this view asked for, then ``history_end``."""
        key = view or ""
        with self._lock:
            stats = self._views.get(key, _ViewState()).stats
            self._views[key] = _ViewState(message.timestamps, stats)
            if message.cursor is not None:
                history = [line for line in self._lines if line.cursor > message.cursor]
            elif message.tail is None:
                history = list(self._lines)
            else:
                history = list(self._lines)[-message.tail :] if message.tail else []
            self._emit(
                protocol.reply(
                    "connected",
                    message.id,
                    protocol=1,
                    server_id=message.server_id,
                    container=self._summary,
                    command_via=self.command_via,
                ),
                view,
            )
            for frame in _log_frames(history, True, message.timestamps):
                self._emit(frame, view)
            end: dict[str, Any] = {"type": "history_end", "lines": len(history)}
            if history:
                end["cursor"] = str(history[-1].cursor)
            self._emit(end, view)
        if message.stats:
            self._set_stats(view, True)

    def _forget_view(self, view: str | None) -> None:
        with self._lock:
            self._views.pop(view or "", None)
        self._update_stats()

    def _set_stats(self, view: str | None, enabled: bool) -> None:
        with self._lock:
            state = self._views.setdefault(view or "", _ViewState())
            state.stats = enabled
        self._update_stats()

    def _update_stats(self) -> None:
        with self._lock:
            wanted = any(v.stats for v in self._views.values()) and not self._closed.is_set()
            thread = self._stats_thread
            if wanted and (thread is None or not thread.alive):
                emit = weakref.WeakMethod(self._emit)

                def deliver(sample: dict[str, Any]) -> bool:
                    method = emit()
                    if method is None:
                        return False
                    method({"type": "stats", **sample})
                    return True

                self._stats_thread = StatsFollower(
                    self.container_handle.client.engine,
                    self.container_handle.id,
                    deliver,
                    name=f"{_THREAD_PREFIX}-stats",
                )
                self._stats_thread.start()
            elif not wanted and thread is not None:
                thread.stop()
                self._stats_thread = None

    def _run_command(self, message: protocol.Command, view: str | None) -> None:
        """A command typed in a view (a worker thread)."""
        try:
            via = message.via or self.command_via
            text = message.text
            if via == "stdin":
                self.container_handle.send(text)
                self._emit(
                    protocol.reply("command_started", message.id, via="stdin", command=text),
                    view,
                )
                self._emit(protocol.reply("command_sent", message.id, via="stdin"), view)
            else:
                argv = message.argv if message.argv is not None else None
                self._run_exec(text, message.id, view, None, argv)
        except LittleWingsError as exc:
            self._emit(exc.to_wire(message.id), view)
        except Exception as exc:
            self._emit(
                {"type": "error", "code": "internal_error", "message": str(exc), "id": message.id},
                view,
            )

    def _run_exec(
        self,
        text: str,
        request_id: Any,
        view: str | None,
        timeout: float | None,
        argv: list[str] | None = None,
    ) -> ExecResult:
        """Run a command with exec, streaming its output to the view(s); its result."""
        handle = self.container_handle
        client = handle.client
        client._check_write("running commands")
        if argv is None:
            if not text.strip():
                raise ValueError("The command is empty.")
            argv = [*self.exec_shell, text] if self.exec_shell else text.split()
        ref = handle._call(client.engine.resolve, handle.id)
        if ref.state != "running":
            raise Conflict(
                f"Cannot run a command in {handle.name!r}: it is {ref.state}.", state=ref.state
            )
        started = time.monotonic()
        exec_id, stream = client.engine.exec_start(handle.id, argv)
        with self._lock:
            self._exec_streams.add(stream)
        self._emit(protocol.reply("command_started", request_id, via="exec", command=text), view)
        out: dict[int, list[str]] = {1: [], 2: []}

        def on_output(kind: int, piece: str) -> None:
            out[kind].append(piece)
            name = "stdout" if kind == 1 else "stderr"
            self._emit(protocol.reply("command_output", request_id, stream=name, data=piece), view)

        try:
            timed_out = read_exec_output(stream, on_output, timeout)
        finally:
            with self._lock:
                self._exec_streams.discard(stream)
        stopped = timed_out or self._closed.is_set()
        exit_code = None if stopped else client.engine.exec_exit_code(exec_id)
        duration = time.monotonic() - started
        self._emit(
            protocol.reply(
                "command_exit",
                request_id,
                exit_code=exit_code,
                duration_ms=round(duration * 1000),
            ),
            view,
        )
        return ExecResult(
            argv,
            exit_code,
            "".join(out[1]),
            "".join(out[2]),
            duration=duration,
            timed_out=timed_out,
            container=handle.name,
        )

    def _run_power(self, message: protocol.Power, view: str | None) -> None:
        """A power button (a worker thread): the reply carries the new state."""
        try:
            handle = self.container_handle
            handle._power(message.action)
            self._summary = handle.info
            self._emit(
                protocol.reply(
                    "power",
                    message.id,
                    action=message.action,
                    ok=True,
                    state=self._summary.get("state"),
                ),
                view,
            )
        except LittleWingsError as exc:
            self._emit(exc.to_wire(message.id), view)

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.state
        return f"<ContainerConsole {self.container!r} ({state}), {len(self._lines)} lines>"


def console(container: Container | str, **options: Any) -> ContainerConsole:
    """A live console of a container for the notebook: see :class:`ContainerConsole`.

    >>> w = lw.console("web")   # doctest: +SKIP
    >>> w                       # shows it; w.send("status"), w.lines, w.close()
    """
    return ContainerConsole(container, **options)


def close_all() -> None:
    """Close every console widget of this kernel (at kernel shutdown)."""
    with _registry_lock:
        widgets = list(_open_widgets)
    for widget in widgets:
        with contextlib.suppress(Exception):
            widget.close()


atexit.register(close_all)

__all__ = ["ContainerConsole", "close_all", "console"]
