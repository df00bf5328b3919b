"""One client session (a WebSocket, or a view of a notebook widget): its state and its frames.

What the session does with each message is in session/handlers/ (one module per concern); this
module holds what they share: the connection's lifecycle, the queue of outgoing frames with its
back-pressure, and the hand-over from a view's history to its live lines. It stays one module
(about 640 lines) on purpose: those three act on the same state (what was sent, what waits, the
last cursor), all on the event loop, and apart each would reach into the others'.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..docker.models import ContainerRef
from ..docker.processes import Exec
from ..errors import (
    BinaryNotSupported,
    Forbidden,
    IdleTimeout,
    InternalError,
    LittleWingsError,
    NotConnected,
)
from ..parsing.lines import Cursor, LogLine
from . import protocol
from .alerts import AlertRules
from .frames import LogBatch, MemberCursor, MergedBatch, footprint, log_frames, run_frames
from .limits import TokenBucket

if TYPE_CHECKING:
    from .groups import LogGroup, Member
    from .interfaces import Connection, Handler, LineSink, SessionManagerLike
    from .limits import Limits
    from .shells import ShellRun


log = logging.getLogger("littlewings")

# Live lines kept for a client while its history is still being sent.
MAX_BUFFERED_LINES = 200_000


class CommandRun:
    """A command a client runs with exec: the exec, its request id and its audit entry."""

    def __init__(self, run: Exec, request_id: Any, text: str, audit_entry: str | None) -> None:
        self.exec = run
        self.request_id = request_id
        self.text = text
        self.audit_entry = audit_entry


class ClientSession:
    """One client: what it watches, what it runs, and the frames waiting to go out.

    A client is a WebSocket (:class:`~littlewings_jupyter.server.handlers.ContainerWebSocket`)
    or a view of a notebook widget (:mod:`littlewings_jupyter.kernel.widget`): both speak
    docs/protocol.md through this class.
    """

    def __init__(
        self,
        manager: SessionManagerLike,
        connection: Connection,
        handlers: Mapping[str, Handler],
        limits: Limits | None = None,
        sink: LineSink | None = None,
    ) -> None:
        self.manager = manager
        self.connection = connection
        # What to do with each message type: session/handlers' table (the manager passes it).
        self.handlers = handlers
        # Where log lines go: ``log`` frames on the connection, or a reader's sink.
        self.sink = sink
        self.limits = limits or manager.limits
        self.container: ContainerRef | None = None
        # A merged view (several containers) instead of one container; see session/groups.py.
        self.group: LogGroup | None = None
        # A Swarm task's view: its container on its node's own engine, when one is configured
        # (commands, shells and power actions go there).
        self.task_container: ContainerRef | None = None
        self.buffered_merged: list[MergedBatch] = []
        self._group_watermarks: dict[str, Cursor] = {}  # member id -> its history's last line
        self._written_cursors: dict[str, Cursor] = {}  # member name -> last line written
        self._buffer_dropped_members: dict[str, Cursor] = {}
        self.timestamps = False
        self.live = False
        self.buffered: list[LogBatch] = []
        self._history_cursor: Cursor | None = None
        self._buffered_lines = 0
        self._buffer_dropped = 0
        self._buffer_dropped_last: Cursor | None = None
        self.stats = False
        self.events = False
        self.execs: dict[int, CommandRun] = {}
        self.shells: dict[str, ShellRun] = {}
        self.searches: dict[str, threading.Event] = {}  # running searches: their stop flags
        self.alerts: AlertRules | None = None
        self.rate = TokenBucket(self.limits.command_rate, self.limits.command_burst)
        self.last_activity = time.monotonic()
        self.warned_idle = False
        self.closed = False
        self._connect_generation = 0
        self._outbox: deque[tuple[str, int, Cursor | MemberCursor | None]] = deque()
        self._outbox_bytes = 0  # what the queued frames take in memory (see footprint)
        # The queue keeps 1/8 of max_outbox_bytes free for the allocator's slack: the bound
        # is on what a slow client costs the server in memory, not on characters.
        self._outbox_budget = self.limits.max_outbox_bytes * 7 // 8
        self._writer: asyncio.Task[None] | None = None
        self._idle_handle: asyncio.TimerHandle | None = None
        self._last_written_cursor: Cursor | None = None
        self._dropped_lines = 0
        self.exec_keys = itertools.count(1)  # the keys of `execs`
        # The container's log stream ended while its history was still on its way.
        self._stream_ended_pending = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def user_name(self) -> str:
        """The Jupyter user's name (the session acts for them: audit, Authorizer)."""
        return self.connection.user_name

    @property
    def principal(self) -> str:
        """Who the session acts for, as a key that stays the same between its user's connections
        (their token, when Jupyter calls each token request a new anonymous user)."""
        return str(getattr(self.connection, "principal", None) or "user:" + self.user_name)

    async def is_authorized(self, action: str) -> bool:
        """Whether the Authorizer allows the user ``action`` on the ``littlewings`` resource."""
        return bool(await self.connection.is_authorized(action))

    def start(self, user: str, permissions: dict[str, bool], where: str = "server") -> None:
        """Greet the client and start the idle clock; ``where`` the core runs (server, kernel)."""
        self.send(
            protocol.reply(
                "hello",
                protocol=protocol.PROTOCOL_VERSION,
                server="littlewings-jupyter",
                where=where,
                version=__version__,
                user=user,
                permissions=permissions,
                limits={
                    "max_message_size": self.limits.max_message_size,
                    "idle_timeout": self.limits.idle_timeout,
                    "command_rate": self.limits.command_rate,
                    "read_only": self.limits.read_only,
                    "exec_enabled": self.limits.exec_enabled,
                    "stdin_enabled": self.limits.stdin_enabled,
                    "shell_enabled": self.limits.shell_enabled,
                },
            )
        )
        for slot in self.manager.slots.values():
            if slot.available is False:
                frame = protocol.reply(
                    "status", event="engine_unavailable", engine=slot.name, time=time.time()
                )
                if slot.reason:
                    frame["reason"] = slot.reason
                self.send(frame)
        self._schedule_idle_check()

    def _schedule_idle_check(self) -> None:
        timeout = self.limits.idle_timeout
        if timeout <= 0 or self.closed:
            return
        step = max(0.2, min(5.0, timeout / 10))
        self._idle_handle = self.manager.loop.call_later(step, self._check_idle)

    def _check_idle(self) -> None:
        if self.closed:
            return
        timeout = self.limits.idle_timeout
        warn_before = min(self.limits.idle_warning, timeout / 3)
        if getattr(self.connection, "holds_activity", False):
            # A widget view cannot be heard while its kernel runs a cell: that is not idleness.
            self.last_activity = time.monotonic()
        idle = time.monotonic() - self.last_activity
        if idle >= timeout:
            self.send(
                IdleTimeout(
                    f"No message for {int(timeout)} s: closing. Send heartbeats to stay connected."
                ).to_wire()
            )
            self.close_socket(4001, "idle timeout", after_flush=True)
            return
        if idle >= timeout - warn_before and not self.warned_idle:
            self.warned_idle = True
            seconds_left = round(timeout - idle)
            self.send(protocol.reply("idle_warning", seconds_left=seconds_left))
            # The seed's warning, for LittleWings clients written against it.
            self.send(
                protocol.reply(
                    "heartbeat_reminder",
                    seconds_left=seconds_left,
                    message=f"Send a heartbeat within {seconds_left} s to stay connected.",
                )
            )
        self._schedule_idle_check()

    def close_socket(self, code: int, reason: str, after_flush: bool = False) -> None:
        """Close the WebSocket, after the queued frames are written when ``after_flush``."""
        if after_flush and (self._outbox or self._writer is not None):
            self._close_after_flush = (code, reason)
            return
        with contextlib.suppress(Exception):
            self.connection.close(code, reason)

    _close_after_flush: tuple[int, str] | None = None

    def release(self) -> None:
        """Let go of every stream this session holds (the socket closed)."""
        if self.closed:
            return
        self.closed = True
        if self._idle_handle is not None:
            self._idle_handle.cancel()
        self.leave()
        for stop in self.searches.values():
            stop.set()
        if self.alerts is not None:
            self.alerts.close()
            self.alerts = None
            self.manager.alert_sessions.discard(self)
        for run in list(self.execs.values()):
            # What this connection started ends with it (in the container too).
            run.exec.cancel()
            with contextlib.suppress(RuntimeError):  # (the pool is gone at shutdown)
                self.manager.executor.submit(run.exec.stop)
            self.manager.actions.audit_finish(run.audit_entry, "cancelled")
        grace = self.limits.shell_reattach_timeout
        for shell in list(self.shells.values()):
            if grace > 0 and not self.manager.closing and not shell.closed_by_client:
                shell.detach(grace)  # a new socket of this user may take it back
            else:
                shell.close()
        self.shells.clear()
        self.execs.clear()
        self._outbox.clear()
        self._outbox_bytes = 0
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self.manager.session_closed(self)

    # -- outbound ----------------------------------------------------------------------------

    @property
    def outbox_bytes(self) -> int:
        """What the frames waiting for the client take in memory."""
        return self._outbox_bytes

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame for the client."""
        self.send_text(protocol.encode(frame))

    def send_text(
        self, text: str, lines: int = 0, cursor: Cursor | MemberCursor | None = None
    ) -> None:
        """Queue an encoded frame; log frames (``lines`` > 0) may be dropped for a slow client."""
        if self.closed:
            return
        self._outbox.append((text, lines, cursor))
        self._outbox_bytes += footprint(text)
        if self._outbox_bytes > self._outbox_budget:
            self._drop_oldest_logs()
        if self._writer is None:
            self._writer = self.manager.loop.create_task(self._write_loop())

    def _drop_oldest_logs(self) -> None:
        kept: deque[tuple[str, int, Cursor | MemberCursor | None]] = deque()
        dropped_lines = 0
        last_dropped: Cursor | None = None
        last_dropped_members: dict[str, Cursor] = {}
        target = self._outbox_budget // 2
        # The newest lines are kept whatever their size: they are what a console shows.
        newest = max((i for i, entry in enumerate(self._outbox) if entry[1]), default=-1)
        index = -1
        while self._outbox:
            text, lines, cursor = self._outbox.popleft()
            index += 1
            if lines and self._outbox_bytes > target and index != newest:
                self._outbox_bytes -= footprint(text)
                dropped_lines += lines
                if isinstance(cursor, MemberCursor):
                    last_dropped_members[cursor.name] = cursor.cursor
                else:
                    last_dropped = cursor
            else:
                kept.append((text, lines, cursor))
        self._outbox = kept
        if dropped_lines:
            self._dropped_lines += dropped_lines
            message = f"You read too slowly: {dropped_lines} log lines were dropped. "
            if self.group is not None:
                notice = protocol.encode(
                    protocol.reply(
                        "dropped",
                        lines=dropped_lines,
                        resume_cursors=self._resume_cursors(last_dropped_members),
                        last_cursors={n: str(c) for n, c in last_dropped_members.items()},
                        message=message + "Reconnect with cursors=resume_cursors to fetch them.",
                    )
                )
            else:
                notice = protocol.encode(
                    protocol.reply(
                        "dropped",
                        lines=dropped_lines,
                        resume_cursor=None
                        if self._last_written_cursor is None
                        else str(self._last_written_cursor),
                        last_cursor=str(last_dropped) if last_dropped else None,
                        message=message + "Reconnect with resume_cursor to fetch them.",
                    )
                )
            # The notice goes before the frames kept, i.e. exactly where the gap is.
            self._outbox.appendleft((notice, 0, None))
            self._outbox_bytes += footprint(notice)

    async def _write_loop(self) -> None:
        try:
            while self._outbox and not self.closed:
                text, _lines, cursor = self._outbox.popleft()
                self._outbox_bytes -= footprint(text)
                try:
                    await self.connection.write_message(text)
                except Exception:
                    # The client went away without a close frame: release its streams now.
                    self.release()
                    return
                if isinstance(cursor, MemberCursor):
                    self._written_cursors[cursor.name] = cursor.cursor
                elif cursor is not None:
                    self._last_written_cursor = cursor
        finally:
            self._writer = None
        if self._close_after_flush is not None and not self.closed:
            code, reason = self._close_after_flush
            self.close_socket(code, reason)

    def deliver_logs(self, batch: LogBatch) -> None:
        """Live lines from the follower: sent, or kept while the history is still on its way."""
        if not self.live:
            self.buffered.append(batch)
            self._buffered_lines += len(batch.lines)
            while self._buffered_lines > MAX_BUFFERED_LINES and len(self.buffered) > 1:
                # The history takes long and the container floods: let the oldest live lines go
                # (the client is told after the history, with where to fetch them).
                gone = self.buffered.pop(0)
                self._buffered_lines -= len(gone.lines)
                self._buffer_dropped += len(gone.lines)
                self._buffer_dropped_last = gone.lines[-1].cursor
            return
        watermark = self._history_cursor
        if watermark is not None:
            # Lines the history already had may still be on their way from the follower.
            if batch.lines[-1].cursor <= watermark:
                return
            if batch.lines[0].cursor <= watermark:
                batch = LogBatch([line for line in batch.lines if line.cursor > watermark])
            self._history_cursor = None
        self._send_live_lines(batch)

    def send_history_lines(self, lines: list[LogLine]) -> None:
        """History lines as ``log`` frames, or to the sink."""
        if self.sink is not None:
            self.sink.history_lines(lines)
            return
        for text, count, cursor in log_frames(lines, self.timestamps, True):
            self.send_text(text, count, cursor)

    def _send_live_lines(self, batch: LogBatch) -> None:
        """Live lines as ``log`` frames, encoded once for every session with these options; or
        to the sink."""
        if self.sink is not None:
            self.sink.live_lines(batch.lines)
            return
        for text, count, cursor in batch.frames(self.timestamps):
            self.send_text(text, count, cursor)

    def _resume_cursors(self, members: dict[str, Cursor]) -> dict[str, str | None]:
        """Where each of these members' missing lines start: after the last line written."""
        written = self._written_cursors
        return {name: str(written[name]) if name in written else None for name in members}

    def deliver_merged(self, batch: MergedBatch) -> None:
        """Live runs of the watched group: sent, or kept while the history is on its way."""
        if not self.live:
            self.buffered_merged.append(batch)
            self._buffered_lines += batch.line_count
            while self._buffered_lines > MAX_BUFFERED_LINES and len(self.buffered_merged) > 1:
                gone = self.buffered_merged.pop(0)
                self._buffered_lines -= gone.line_count
                self._buffer_dropped += gone.line_count
                for member, lines in gone.runs:
                    self._buffer_dropped_members[member.name] = lines[-1].cursor
            return
        marks = self._group_watermarks
        if marks:
            # Lines the history already had may still be on their way from the followers.
            runs = []
            for member, lines in batch.runs:
                mark = marks.get(member.id)
                if mark is not None:
                    if lines[-1].cursor <= mark:
                        continue
                    del marks[member.id]
                    if lines[0].cursor <= mark:
                        lines = [line for line in lines if line.cursor > mark]
                runs.append((member, lines))
            if len(runs) != len(batch.runs) or any(
                a[1] is not b[1] for a, b in zip(runs, batch.runs)
            ):
                if not runs:
                    return
                batch = MergedBatch(runs)
        self._send_live_batch(batch)

    def send_history_runs(self, runs: list[tuple[Member, list[LogLine]]]) -> None:
        """A merged view's history runs as ``log`` frames, or to the sink."""
        if self.sink is not None:
            self.sink.history_runs(runs)
            return
        for text, count, cursor in run_frames(runs, self.timestamps, True):
            self.send_text(text, count, cursor)

    def _send_live_batch(self, batch: MergedBatch) -> None:
        """A merged view's live runs, encoded once for every session with these options; or to
        the sink."""
        if self.sink is not None:
            self.sink.live_runs(batch.runs)
            return
        for text, count, cursor in batch.frames(self.timestamps):
            self.send_text(text, count, cursor)

    def container_status(self, frame: dict[str, Any]) -> None:
        """A Docker state change of the watched container."""
        if self.container is not None and frame.get("state"):
            self.container.state = frame["state"]
        self.send(frame)

    def container_removed(self, frame: dict[str, Any]) -> None:
        """The watched container is gone: tell the client and let go of it."""
        self.send(frame)
        self.leave()

    # -- inbound -----------------------------------------------------------------------------

    async def handle(self, raw: str | bytes) -> None:
        """One frame from the client: parse, authorize, act; every error becomes an error frame."""
        self.last_activity = time.monotonic()
        self.warned_idle = False
        request_id: Any = None
        try:
            if isinstance(raw, bytes):
                raise BinaryNotSupported("Binary frames are not supported: send JSON text frames.")
            data = protocol.decode_frame(raw)
            request_id = protocol.parse_id(data)
            message = protocol.parse_message(data)
            await self.handlers[message.type](self, message)
        except LittleWingsError as exc:
            self.send(exc.to_wire(request_id))
        except Exception as exc:
            log.exception("LittleWings: unexpected error handling a message")
            self.send(
                InternalError(
                    f"Internal error ({exc.__class__.__name__}); see the server log."
                ).to_wire(request_id)
            )

    # -- what handlers (session/handlers/) use -------------------------------------------------

    async def authorize(self, action: str) -> None:
        """Raise Forbidden unless the Authorizer allows ``action``."""
        if not await self.is_authorized(action):
            raise Forbidden(f"You are not allowed to {action} containers here (Authorizer).")

    def require_container(self) -> ContainerRef:
        """The one container this session watches; NotConnected when there is none."""
        if self.group is not None:
            group = self.group.selector
            if group.kind == "task":
                if self.task_container is not None:
                    return self.task_container
                tasks = list(getattr(self.group, "tasks", {}).values())
                task = tasks[0].task if tasks else {}
                raise NotConnected(
                    f"This connection watches the Swarm task {task.get('name', group.name)!r}, "
                    f"which runs on node {str(task.get('node', '?'))[:12]} as container "
                    f"{str(task.get('container_id') or '?')[:12]}: commands, shells and power "
                    "actions need that node's own engine, and none of the engines configured "
                    "is that node. Add it, e.g. c.LittleWings.engines = {'node-2': "
                    "'tcp://node-2:2376'} (with TLS, as for any engine), and connect again."
                )
            what = "containers" if group.kind == "containers" else f"{group.kind} {group.name!r}"
            raise NotConnected(
                f"This connection watches the merged logs of the {what}: commands, power "
                "actions, stats and shells act on one container; connect to it."
            )
        if self.container is None:
            raise NotConnected("Send a 'connect' message with a 'server_id' first.")
        return self.container

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` beside the socket's next messages (the manager keeps the task)."""
        self.manager.spawn(coro)

    def next_generation(self) -> int:
        """A new connect begins: work for an earlier one ends when it sees ``is_current`` false."""
        self._connect_generation += 1
        return self._connect_generation

    def is_current(self, generation: int) -> bool:
        """Whether the connect of ``generation`` is still what this session watches."""
        return generation == self._connect_generation and not self.closed

    async def wait_for_room(self) -> bool:
        """Wait while the frames queued for the client fill more than half of its budget (the
        one back-pressure rule of every long read); False when the session closed meanwhile."""
        while self._outbox_bytes > self._outbox_budget // 2:
            if self.closed:
                return False
            await asyncio.sleep(0.01)
        return not self.closed

    def leave(self) -> None:
        """Stop watching the container or group (its followers let go of this session)."""
        self._connect_generation += 1
        container, self.container = self.container, None
        self.live = False
        self.buffered = []
        self._buffered_lines = 0
        group, self.group = self.group, None
        task_container, self.task_container = self.task_container, None
        if group is not None:
            self.buffered_merged = []
            self._group_watermarks = {}
            self._buffer_dropped_members = {}
            self.manager.leave_group(group, self)
        if container is not None:
            self.manager.unsubscribe_logs(container, self)
        watched = container or task_container  # (a task's stats are its container's)
        if self.stats and watched is not None:
            self.manager.unsubscribe_stats(watched, self)
            self.stats = False

    def log_stream_ended(self) -> None:
        """The watched container's log stream ended by itself (it stopped, or went), after its
        last line: a sink that ends with the stream (a kernel follow) hears it, after the
        history and every live line before it. A WebSocket client hears the status event."""
        ended = getattr(self.sink, "stream_ended", None)
        if ended is None or self.container is None:
            return
        if self.live:
            ended()
        else:
            self._stream_ended_pending = True

    def watch_container(self, ref: ContainerRef, timestamps: bool) -> None:
        """Watch one container: live lines are kept until its history has been sent."""
        self.container = ref
        self.timestamps = timestamps
        self.live = False
        self.buffered = []
        self._stream_ended_pending = False

    def watch_group(self, timestamps: bool, written: dict[str, Cursor]) -> None:
        """Watch a merged group (set as ``group`` by the caller); ``written`` the cursors a
        resuming client already has."""
        self.timestamps = timestamps
        self.live = False
        self.buffered_merged = []
        self._buffered_lines = 0
        self._written_cursors = dict(written)

    def end_history(self, count: int, last_cursor: Cursor | None) -> None:
        """The container's history has been sent: say so, then the live lines kept meanwhile."""
        self.send(
            protocol.reply(
                "history_end",
                lines=count,
                cursor=str(last_cursor) if last_cursor else None,
            )
        )
        # Live lines that came while the history was read: skip what the history already had.
        buffered, self.buffered = self.buffered, []
        self._buffered_lines = 0
        self.live = True
        self._history_cursor = last_cursor
        if self._buffer_dropped:
            self.send(
                protocol.reply(
                    "dropped",
                    lines=self._buffer_dropped,
                    resume_cursor=str(last_cursor) if last_cursor else None,
                    last_cursor=str(self._buffer_dropped_last),
                    message=f"{self._buffer_dropped} live lines came while the history was "
                    "read and were dropped; fetch them from resume_cursor.",
                )
            )
            self._buffer_dropped = 0
        for batch in buffered:
            self.deliver_logs(batch)
        if self._stream_ended_pending:
            self._stream_ended_pending = False
            self.log_stream_ended()

    def end_group_history(self, count: int, last: dict[str, Cursor], members: list[Member]) -> None:
        """The group's merged history has been sent: say so, then the live runs kept."""
        self.send(
            protocol.reply(
                "history_end", lines=count, cursors={name: str(c) for name, c in last.items()}
            )
        )
        self._group_watermarks = {m.id: last[m.name] for m in members if m.name in last}
        buffered, self.buffered_merged = self.buffered_merged, []
        self._buffered_lines = 0
        self.live = True
        if self._buffer_dropped:
            dropped = self._buffer_dropped_members
            self.send(
                protocol.reply(
                    "dropped",
                    lines=self._buffer_dropped,
                    resume_cursors={n: str(last[n]) if n in last else None for n in dropped},
                    last_cursors={n: str(c) for n, c in dropped.items()},
                    message=f"{self._buffer_dropped} live lines came while the history was "
                    "read and were dropped; fetch them from resume_cursors.",
                )
            )
            self._buffer_dropped = 0
            self._buffer_dropped_members = {}
        for batch in buffered:
            self.deliver_merged(batch)


__all__ = ["ClientSession", "CommandRun"]
