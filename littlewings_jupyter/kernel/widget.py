"""The notebook widget: a container's console (logs, commands, power, stats) in a cell's output.

``lw.console("web")`` shows the same console as JupyterLab's console panel: the front end is the
same TypeScript, bundled for anywidget (``static/console-widget.js``). The kernel runs the
server's session core itself (:mod:`littlewings_jupyter.kernel.runtime`), so the widget also
works where no Jupyter server WebSocket exists (VS Code, Voilà), and every view of the widget is
a session of it exactly as a WebSocket is a session of the server: the same frames
(docs/protocol.md), the same throttling, slow-client bound, rate limit and idle timeout.

On the widget's comm, a view sends ``{"view": id, "frame": "<client frame as JSON text>"}``;
its first frame is ``{"type": "open"}`` (the kernel answers with ``hello``) and its last
``{"type": "close"}``. The kernel answers each view with custom messages ``{"view": id}`` whose
first buffer is the server frame, UTF-8 JSON. The module (about 660 lines) is the widget class
and its views' plumbing, kept together: the Python API of the widget (``lines``, ``wait_for``,
``run``) and the comm it rides on are one object.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import re
import sys
import threading
import time
import traceback
import uuid
import weakref
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from ..errors import LittleWingsError, NotConnected, from_wire
from ..parsing.lines import Cursor, LogLine
from ..session import protocol
from ..session.handlers.commands import exec_argv
from ..session.session import ClientSession
from .client import container as _lookup
from .client import default_client
from .container import Container
from .group import Group, connect_fields, selector_of
from .lines import Line
from .processes import ExecResult
from .runtime import KernelConnection, kernel_user

_STATIC = Path(__file__).parent.parent / "static"
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "LittleWings: the console widget's front end is not built "
    + "(run `npm run build` in labextension/, or reinstall the package).";
} };
"""
MAX_VIEW_ID_LENGTH = 64
CALLBACK_THREADS = "littlewings-widget-callbacks"

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


class _WidgetSink:
    """Where the widget's own session puts its lines: :attr:`ContainerConsole.lines`,
    ``on_line``, ``wait_for`` (a session like any other: history, then live lines from the
    shared follower, no gap or duplicate; lines as :class:`Line` objects, not frames)."""

    def __init__(self, widget: ContainerConsole) -> None:
        self.widget = widget

    def history_lines(self, lines: list[LogLine]) -> None:
        self.widget._add_lines(lines)

    def live_lines(self, lines: list[LogLine]) -> None:
        self.widget._add_lines(lines)

    def history_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        self.widget._add_runs(runs)

    def live_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        self.widget._add_runs(runs)


class _PendingCommand:
    """A command typed from Python: the frames of its request id become an ExecResult."""

    def __init__(self, argv: list[str], via: str) -> None:
        self.argv = argv
        self.via = via
        self.future: Future[ExecResult | None] = Future()
        self.out: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.started = time.monotonic()


class ContainerConsole(anywidget.AnyWidget):
    """A container's live console in a notebook: logs, command box, power buttons, CPU/memory.

    It looks and behaves like JupyterLab's console panel, and it is scriptable: :meth:`run`
    types a command (stdin, or exec for a container without stdin open), :attr:`lines` holds the
    most recent log lines, :meth:`on_line` calls a function for each new line, :meth:`wait_for`
    waits for a line, :meth:`close` stops everything. The kernel follows the log on a loop of
    its own, so lines keep arriving while other cells run.

    With a ``group`` (``lw.console(project="shop")``, ``label=…``, ``containers=[…]``) it is the
    merged console of several containers instead, as JupyterLab's project logs: one coloured
    name per container, show/hide per member; :attr:`lines` then carry
    :attr:`~littlewings_jupyter.kernel.client.Line.container`, and :meth:`run` is refused
    (commands go to one container).

    Parameters
    ----------
    container:
        A :class:`~littlewings_jupyter.kernel.client.Container` or a name, id or id prefix.
    group:
        A :class:`~littlewings_jupyter.kernel.group.Group` (instead of ``container``).
    tail:
        Lines of history shown when a view opens (and kept in :attr:`lines`).
    max_lines:
        How many recent lines the kernel keeps in :attr:`lines`.
    scrollback:
        Lines the browser keeps above the screen (as in the console panel's settings).
    height:
        The widget's height (CSS), e.g. ``"420px"``; the user can drag it taller.
    stats:
        Show CPU and memory sparklines.
    exec_shell:
        How a command string runs with exec (as ``c.LittleWings.exec_shell``); the other session
        settings are the client's :attr:`~littlewings_jupyter.kernel.client.Client.limits`.
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
    engine = traitlets.Unicode(
        "", help="The Docker engine the container is on ('' for the default one)."
    ).tag(sync=True)
    group = traitlets.Dict(
        help="A merged view's group as connect names it ({} for one container)."
    ).tag(sync=True)
    # Which widget this is, for the browser to take its views' shells back after a page reload.
    _instance = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_instance")
    def _default_instance(self) -> str:
        return uuid.uuid4().hex

    def __init__(
        self,
        container: Container | str | None = None,
        *,
        group: Group | None = None,
        tail: int = 500,
        max_lines: int = 10_000,
        scrollback: int = 10_000,
        height: str = "420px",
        stats: bool = True,
        exec_shell: Iterable[str] | None = None,
    ) -> None:
        if (container is None) == (group is None):
            raise ValueError(
                "Give a container, or a group (project=, pod=, label= or containers=)."
            )
        if tail < 0 or max_lines < 1:
            raise ValueError("tail must be ≥ 0 and max_lines ≥ 1.")
        handle: Container | None = None
        if group is not None:
            client = group.client
            default = client.engine.name
            super().__init__(
                container=group.name,
                engine="" if group.engine.name == default else group.engine.name,
                group=connect_fields(group.selector),
                tail=tail,
                scrollback=scrollback,
                height=height,
                stats=False,
            )
        else:
            handle = container if isinstance(container, Container) else _lookup(container)
            client = handle.client
            default = handle.client.engine.name
            super().__init__(
                container=handle.name,
                engine="" if handle.engine_name == default else handle.engine_name,
                tail=tail,
                scrollback=scrollback,
                height=height,
                stats=stats,
            )
        self.container_handle = handle
        self.group_handle = group
        self._client = client
        limits = client.limits
        if exec_shell is not None:
            limits = limits.copy(exec_shell=list(exec_shell))
        self._limits = limits
        self._user = kernel_user()
        self._lines: deque[Line] = deque(maxlen=max_lines)
        self._lock = threading.RLock()
        self._new_lines = threading.Condition(self._lock)
        self._callbacks: list[Callable[[Line], Any]] = []
        self._callback_pool: ThreadPoolExecutor | None = None
        self._closed = threading.Event()
        self._ids = itertools.count(1)
        self._pending: dict[str, _PendingCommand] = {}
        self._summary = handle.refresh().info if handle is not None else {}
        self._command_via = "stdin" if self._summary.get("open_stdin") else "exec"
        # Touched on the runtime's loop only:
        self._views: dict[str, ClientSession] = {}
        self._inbox: dict[str, list[str]] = {}
        self._tap: ClientSession | None = None

        self._runtime = client.acquire_runtime()
        self.on_msg(self._on_custom)
        if self.comm is not None and hasattr(self.comm, "on_close"):
            self.comm.on_close(lambda _msg: self._release())
        self._runtime.submit(self._open_tap()).result(30)

        cell = _current_cell_id()
        key = handle.id if handle is not None else f"group:{self.container}"
        with _registry_lock:
            _open_widgets.add(self)
            previous = _by_cell.get((cell, key)) if cell else None
            if cell:
                _by_cell[(cell, key)] = self
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
        """How :meth:`run` and the command box send by default: ``stdin`` or ``exec``."""
        return self._command_via

    @property
    def state(self) -> str:
        """The container's state as the widget last saw it (from Docker's events)."""
        return str(self._summary.get("state", ""))

    def on_line(self, callback: Callable[[Line], Any], remove: bool = False) -> None:
        """Call ``callback(line)`` for every new log line (in a thread of the widget), or stop."""
        with self._lock:
            if remove:
                with contextlib.suppress(ValueError):
                    self._callbacks.remove(callback)
            elif callback not in self._callbacks:
                self._callbacks.append(callback)
                if self._callback_pool is None:
                    self._callback_pool = ThreadPoolExecutor(1, thread_name_prefix=CALLBACK_THREADS)

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

    def run(self, text: str, via: str | None = None, timeout: float | None = None) -> Any:
        """Type a command, as the command box does: every view shows it and what follows.

        ``via`` as in the console: ``"stdin"`` (a line to the main process; its answer shows in
        the logs; returns None) or ``"exec"`` (``exec_shell``, ``/bin/sh -c``; returns the
        :class:`~littlewings_jupyter.kernel.client.ExecResult`, with ``timed_out=True`` and
        what came so far after ``timeout`` seconds). Default: stdin when the container has
        stdin open, else exec. Refusals raise, as the console shows them: read-only mode,
        the rate limit, a container that does not run.
        """
        if self.group_handle is not None:
            raise NotConnected(
                "This console shows the merged logs of several containers: run commands in one "
                "of them (lw.console(name).run(...), or lw.container(name).exec(...))."
            )
        via = via or self.command_via
        if via not in protocol.COMMAND_VIA:
            raise ValueError('via must be "stdin" or "exec".')
        if self._closed.is_set() or self._tap is None:
            raise LittleWingsError("This console widget was closed.")
        request_id = f"py{next(self._ids)}"
        frame = {"type": "command", "command": text, "via": via, "id": request_id}
        message = protocol.parse_message(frame)
        argv = exec_argv(self._tap.limits, message) if via == "exec" else [text]  # type: ignore[arg-type]
        pending = _PendingCommand(argv, via)
        with self._lock:
            self._pending[request_id] = pending
        tap = self._tap
        self._runtime.call(lambda: self._runtime.loop.create_task(tap.handle(json.dumps(frame))))
        try:
            return pending.future.result(timeout)
        except FutureTimeout:
            return self._exec_result(pending, None, timed_out=True)
        finally:
            with self._lock:
                self._pending.pop(request_id, None)

    def close(self) -> None:
        """Stop following, close every Docker stream and thread of the widget, close its comm."""
        self._release()
        super().close()

    # -- lines from the session core ------------------------------------------------------------

    def _last_cursor(self) -> Cursor | None:
        return self._lines[-1].cursor if self._lines else None

    def _add_lines(self, raw: list[LogLine]) -> None:
        """Lines of the widget's own session (the loop thread), for :attr:`lines` and callbacks.

        Once a callback was registered, batches go through the callback thread, in order: each
        line is handed to the callbacks before :meth:`wait_for` and :attr:`lines` see it, and
        a slow callback never holds up the views.
        """
        self._add([Line.from_log_line(line) for line in raw])

    def _add_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        """Lines of a merged view's session, marked with their container."""
        self._add(
            [Line.from_log_line(line, member.name) for member, lines in runs for line in lines]
        )

    def _add(self, batch: list[Line]) -> None:
        pool = self._callback_pool
        if pool is None:
            self._keep(batch)
            return
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            pool.submit(self._call_back, batch)

    def _keep(self, batch: list[Line]) -> None:
        with self._lock:
            self._lines.extend(batch)
            self._new_lines.notify_all()

    def _call_back(self, batch: list[Line]) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            for line in batch:
                try:
                    callback(line)
                except Exception:
                    print(f"LittleWings: on_line callback {callback!r} failed:", file=sys.stderr)
                    traceback.print_exc()
                    break
        self._keep(batch)

    async def _open_tap(self) -> None:
        manager = self._runtime.manager
        # The widget's own session: its frames come back to the widget, never to a browser.
        me = weakref.ref(self)

        def on_tap_frame(text: str) -> None:
            widget = me()
            if widget is not None:
                widget._on_tap_frame(text)

        connection = KernelConnection(on_tap_frame, user_name=self._user)
        tap = manager.open_session(connection, self._limits, _WidgetSink(self))
        self._tap = tap
        if self.group_handle is not None:
            target: dict[str, Any] = connect_fields(self.group_handle.selector)
            target["engine"] = self.group_handle.engine.name
        else:
            assert self.container_handle is not None
            target = {"server_id": self.container_handle.id, "engine": self.engine}
        await tap.handle(json.dumps({"type": "connect", **target, "tail": self.tail}))

    def _on_tap_frame(self, text: str) -> None:
        """A frame of the widget's own session: state changes, and the commands run from Python."""
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "connected" and "container" in frame:  # (a merged view has members)
            self._summary = frame["container"]
            self._command_via = frame["command_via"]
        elif kind == "status":
            if frame.get("state"):
                self._summary = {**self._summary, "state": frame["state"]}
            if frame.get("health"):
                self._summary = {**self._summary, "health": frame["health"]}
        request_id = frame.get("id")
        if not (isinstance(request_id, str) and request_id.startswith("py")):
            return
        for session in list(self._views.values()):
            session.send_text(text)  # what Python typed shows in every view
        with self._lock:
            pending = self._pending.get(request_id)
        if pending is None:
            return
        if kind == "command_output":
            pending.out[frame["stream"]].append(frame["data"])
        elif kind == "command_sent":
            pending.future.set_result(None)
        elif kind == "command_exit":
            pending.future.set_result(self._exec_result(pending, frame["exit_code"]))
        elif kind == "error":
            pending.future.set_exception(from_wire(frame))

    def _exec_result(
        self, pending: _PendingCommand, exit_code: int | None, timed_out: bool = False
    ) -> ExecResult:
        return ExecResult(
            pending.argv,
            exit_code,
            "".join(pending.out["stdout"]),
            "".join(pending.out["stderr"]),
            duration=time.monotonic() - pending.started,
            timed_out=timed_out,
            container=self.container,
        )

    # -- views ------------------------------------------------------------------------------------

    def _on_custom(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A frame from a view (the kernel's shell thread): handed to the loop, in order."""
        view = content.get("view") if isinstance(content, dict) else None
        if not isinstance(view, str) or not 0 < len(view) <= MAX_VIEW_ID_LENGTH:
            return  # nobody to answer: not a view of ours
        raw = content.get("frame")
        self._runtime.call(self._view_frame, view, raw)

    def _view_frame(self, view: str, raw: Any) -> None:
        """(loop) Queue a view's frame; one task per view handles them one at a time."""
        if not isinstance(raw, str):
            raw = ""  # answered as invalid JSON by the view's session
        queue = self._inbox.get(view)
        if queue is not None:
            queue.append(raw)
            return
        self._inbox[view] = [raw]
        self._runtime.loop.create_task(self._handle_view(view))

    async def _handle_view(self, view: str) -> None:
        queue = self._inbox[view]
        try:
            while queue:
                raw = queue.pop(0)
                await self._handle_view_frame(view, raw)
        finally:
            del self._inbox[view]

    async def _handle_view_frame(self, view: str, raw: str) -> None:
        kind = None
        with contextlib.suppress(LittleWingsError):
            data = protocol.decode_frame(raw)
            kind = data.get("type")
        session = self._views.get(view)
        if kind == "open":
            if session is None:
                self._open_view(view)
            return
        if kind == "close":
            if session is not None:
                self._views.pop(view, None)
                session.release()
            return
        if session is None:
            if self._closed.is_set():
                self._send_to_view(view, protocol.encode(self._closed_frame()))
            else:
                error = NotConnected("Send {'type': 'open'} first: this view has no session.")
                self._send_to_view(view, protocol.encode(error.to_wire()))
            return
        await session.handle(raw)

    def _view_connection(self, view: str) -> KernelConnection:
        """One front-end view, as the session core sees a connection (held weakly: a view
        does not keep a widget the notebook let go of)."""
        me = weakref.ref(self)

        def send(text: str) -> None:
            widget = me()
            if widget is not None:
                widget._send_to_view(view, text)

        def end(code: int | None, reason: str | None) -> None:
            widget = me()
            if widget is not None:
                widget._end_view(view, code, reason)

        def cell_running() -> bool:
            # While a cell runs the kernel hears no view: its silence is not idleness.
            widget = me()
            return widget is not None and widget._runtime.cell_running

        return KernelConnection(send, end, cell_running, self._user)

    def _open_view(self, view: str) -> None:
        """(loop) A new view: a session of the core, greeted with ``hello``."""
        if self._closed.is_set():
            self._send_to_view(view, protocol.encode(self._closed_frame()))
            return
        manager = self._runtime.manager
        session = manager.open_session(self._view_connection(view), limits=self._limits)
        self._views[view] = session
        write = not self._limits.read_only
        session.start(self._user, {"read": True, "write": write}, where="kernel")

    def _end_view(self, view: str, code: int | None, reason: str | None) -> None:
        """(loop) The core closes a view's channel: tell the view, forget its session."""
        session = self._views.pop(view, None)
        self._send_to_view(view, protocol.encode(self._closed_frame(code, reason)))
        if session is not None:
            session.release()

    @staticmethod
    def _closed_frame(code: int | None = None, reason: str | None = None) -> dict[str, Any]:
        if code is None:
            return protocol.reply("closed", reason="the widget was closed in the kernel")
        return protocol.reply("closed", code=code, reason=reason or "")

    def _send_to_view(self, view: str, text: str) -> None:
        """One server frame to one view: a custom message with the frame as its buffer."""
        with contextlib.suppress(Exception):  # the comm is gone: nobody is looking
            anywidget.AnyWidget.send(self, {"view": view}, [text.encode("utf-8")])

    # -- closing ----------------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        """(loop) Tell every view, release every session of the widget."""
        for view, session in list(self._views.items()):
            self._send_to_view(view, protocol.encode(self._closed_frame()))
            session.release()
        self._views.clear()
        if self._tap is not None:
            self._tap.release()

    def _release(self) -> None:
        """Stop the sessions, Docker streams and threads (idempotent); the comm stays as it is."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            self._new_lines.notify_all()
            pending = list(self._pending.values())
            pool, self._callback_pool = self._callback_pool, None
        for command in pending:
            if not command.future.done():
                command.future.set_exception(LittleWingsError("The console widget was closed."))
        runtime = self._runtime
        if runtime.in_loop:
            runtime.loop.create_task(self._shutdown())
        else:
            with contextlib.suppress(Exception):
                runtime.submit(self._shutdown()).result(10)
        self._client.release_runtime(runtime)
        if pool is not None:
            # A callback may be what closes the widget: its own thread cannot wait for itself.
            in_pool = threading.current_thread().name.startswith(CALLBACK_THREADS)
            pool.shutdown(wait=not in_pool)
        with _registry_lock:
            _open_widgets.discard(self)

    def __repr__(self) -> str:
        if self.group_handle is not None:
            state = "closed" if self.closed else self.group_handle.kind
            return (
                f"<ContainerConsole merged {self.container!r} ({state}), {len(self._lines)} lines>"
            )
        state = "closed" if self.closed else self.state
        return f"<ContainerConsole {self.container!r} ({state}), {len(self._lines)} lines>"


def console(
    container: Container | str | None = None,
    *,
    project: str | None = None,
    label: str | None = None,
    containers: list[Any] | None = None,
    engine: str | None = None,
    pod: str | None = None,
    **options: Any,
) -> ContainerConsole:
    """A live console of a container for the notebook: see :class:`ContainerConsole`.

    With ``project=`` (a Compose project), ``pod=`` (a Podman pod), ``label=``
    (``"key=value"``) or ``containers=[…]`` instead: the merged console of those containers.

    >>> w = lw.console("web")   # doctest: +SKIP
    >>> w                       # shows it; w.run("status"), w.lines, w.close()
    >>> lw.console(project="shop")  # doctest: +SKIP
    """
    if any(given is not None for given in (project, pod, label, containers)):
        if container is not None:
            raise ValueError(
                "Give a container or a group (project, pod, label, containers), not both."
            )
        client = default_client()
        group = Group(client, selector_of(project, label, containers, pod=pod), engine)
        return ContainerConsole(group=group, **options)
    if container is None:
        raise ValueError(
            "Give a container (a name or id), or project=, pod=, label= or containers=."
        )
    if isinstance(container, str):
        container = _lookup(container, engine)
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
