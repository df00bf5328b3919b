"""One client session (a WebSocket, or a view of a notebook widget): its state and its frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..docker.engine import Exec, ShellProcess
from ..docker.lines import STREAM_NAMES, Cursor, LogLine
from ..docker.models import ContainerRef
from ..docker.times import DockerTime
from ..errors import (
    BinaryNotSupported,
    Conflict,
    DockerError,
    Forbidden,
    IdleTimeout,
    InternalError,
    InvalidMessage,
    LittleWingsError,
    NotConnected,
    ShellGone,
    TooManyCommands,
)
from . import protocol
from .alerts import AlertRules
from .frames import LogBatch, MemberCursor, MergedBatch, footprint, log_frames, run_frames
from .limits import TokenBucket
from .search import scan
from .shells import ShellRun

if TYPE_CHECKING:
    from .groups import LogGroup, Member
    from .interfaces import Connection, LineSink, SessionManagerLike
    from .limits import Limits


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
        limits: Limits | None = None,
        sink: LineSink | None = None,
    ) -> None:
        self.manager = manager
        self.connection = connection
        # Where log lines go: ``log`` frames on the connection, or a reader's sink.
        self.sink = sink
        self.limits = limits or manager.limits
        self.container: ContainerRef | None = None
        # A merged view (several containers) instead of one container; see session/groups.py.
        self.group: LogGroup | None = None
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
        self._exec_counter = 0
        self._tasks: set[asyncio.Task[None]] = set()  # work of this session's own, running

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
        self._leave()
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
            self.manager.audit_finish(run.audit_entry, "cancelled")
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

    def _send_history_lines(self, lines: list[LogLine]) -> None:
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

    def _send_history_runs(self, runs: list[tuple[Member, list[LogLine]]]) -> None:
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
        self._leave()

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
            await HANDLERS[message.type](self, message)
        except LittleWingsError as exc:
            self.send(exc.to_wire(request_id))
        except Exception as exc:
            log.exception("LittleWings: unexpected error handling a message")
            self.send(
                InternalError(
                    f"Internal error ({exc.__class__.__name__}); see the server log."
                ).to_wire(request_id)
            )

    async def _authorize(self, action: str) -> None:
        if not await self.is_authorized(action):
            raise Forbidden(f"You are not allowed to {action} containers here (Authorizer).")

    def _require_container(self) -> ContainerRef:
        if self.group is not None:
            group = self.group.selector
            what = "containers" if group.kind == "containers" else f"{group.kind} {group.name!r}"
            raise NotConnected(
                f"This connection watches the merged logs of the {what}: commands, power "
                "actions, stats and shells act on one container; connect to it."
            )
        if self.container is None:
            raise NotConnected("Send a 'connect' message with a 'server_id' first.")
        return self.container

    async def _on_heartbeat(self, message: protocol.Message) -> None:
        self.send(
            protocol.reply(
                "heartbeat",
                message.id,
                time=time.time(),
                status="success",
                message="Heartbeat renewed",
            )
        )

    async def _on_list(self, message: protocol.Message) -> None:
        await self._authorize("read")
        names = [message.engine] if message.engine else None
        containers, engines = await self.manager.list_all(names)
        self.send(protocol.reply("containers", message.id, containers=containers, engines=engines))

    async def _on_services(self, message: protocol.Message) -> None:
        await self._authorize("read")
        slot = self.manager.slot(message.engine)
        services = await self.manager.run(slot.engine.list_services)
        self.send(protocol.reply("services", message.id, engine=slot.name, services=services))

    async def _on_images(self, message: protocol.Message) -> None:
        await self._authorize("read")
        images = await self.manager.run(self.manager.slot(message.engine).engine.list_images)
        self.send(protocol.reply("images", message.id, images=images))

    async def _on_create(self, message: protocol.Create) -> None:
        await self._authorize("read")
        summary = await self.manager.create(self, message.spec, via="ws", engine=message.engine)
        self.send(protocol.reply("created", message.id, container=summary))

    async def _on_remove(self, message: protocol.Remove) -> None:
        await self._authorize("read")
        ref = await self.manager.resolve(message.engine, message.server_id)
        removed = await self.manager.remove(
            self, ref, force=message.force, volumes=message.volumes, via="ws"
        )
        self.send(
            protocol.reply(
                "removed", message.id, container=removed["id"], server_id=removed["name"]
            )
        )

    async def _on_events(self, message: protocol.Toggle) -> None:
        await self._authorize("read")
        if message.enabled:
            self.manager.event_subscribers.add(self)
        else:
            self.manager.event_subscribers.discard(self)
        self.events = message.enabled
        self.send(protocol.reply("events", message.id, enabled=message.enabled))

    async def _on_disconnect(self, message: protocol.Message) -> None:
        if self.group is not None:
            group = self.group.selector.describe()
            self._leave()
            self.send(protocol.reply("disconnected", message.id, group=group))
            return
        container = self._require_container()
        self._leave()
        self.send(
            protocol.reply(
                "disconnected", message.id, server_id=container.name, container=container.id
            )
        )

    def _leave(self) -> None:
        self._connect_generation += 1
        container, self.container = self.container, None
        self.live = False
        self.buffered = []
        self._buffered_lines = 0
        group, self.group = self.group, None
        if group is not None:
            self.buffered_merged = []
            self._group_watermarks = {}
            self._buffer_dropped_members = {}
            self.manager.leave_group(group, self)
        if container is None:
            return
        self.manager.unsubscribe_logs(container, self)
        if self.stats:
            self.manager.unsubscribe_stats(container, self)
            self.stats = False

    async def _on_connect(self, message: protocol.Connect) -> None:
        await self._authorize("read")
        if self.container is not None:
            previous = self.container
            self._leave()
            self.send(
                protocol.reply("disconnected", server_id=previous.name, container=previous.id)
            )
        elif self.group is not None:
            group = self.group.selector.describe()
            self._leave()
            self.send(protocol.reply("disconnected", group=group))
        self._connect_generation += 1
        generation = self._connect_generation
        if message.group is not None:
            await self._connect_group(message, generation)
            return
        ref = await self.manager.resolve(message.engine, message.server_id)
        if generation != self._connect_generation or self.closed:
            return  # another connect (or a close) came while we looked the container up
        self.container = ref
        self.timestamps = message.timestamps
        self.live = False
        self.buffered = []
        follower = self.manager.subscribe_logs(ref, self) if message.follow else None
        detail = await self.manager.run(self.manager.engine_for(ref).describe, ref.id)
        if generation != self._connect_generation or self.closed:
            return
        self.send(
            protocol.reply(
                "connected",
                message.id,
                protocol=protocol.PROTOCOL_VERSION,
                server_id=message.server_id,
                engine=ref.engine,
                container=detail,
                command_via="stdin" if ref.open_stdin and self.limits.stdin_enabled else "exec",
                status="success",
                message="Server connected",
            )
        )
        if message.stats:
            self.stats = True
            self.manager.subscribe_stats(ref, self)
        if follower is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(follower.ready), 30)
        await self._send_history(message, ref, generation)

    async def _send_history(
        self, message: protocol.Connect, ref: ContainerRef, generation: int
    ) -> None:
        cursor = message.cursor
        since: str | None
        if cursor is not None:
            tail, since = None, cursor.docker_since()
        else:
            tail = message.tail
            since = None if message.since is None else f"{message.since:.9f}"
        # The history goes out batch by batch as Docker gives it, waiting whenever this
        # client's queue is half full: a long history never sits whole in memory.
        count = 0
        last_cursor = cursor
        if tail != 0 or cursor is not None:
            engine = self.manager.engine_for(ref)
            batches = engine.iter_logs(ref.id, ref.tty, tail=tail, since=since)
            # The next batch is read from Docker while this one is encoded and sent.
            ahead = asyncio.ensure_future(self.manager.run(next, batches, None))
            try:
                while True:
                    lines = await ahead
                    if lines is None:
                        break
                    ahead = asyncio.ensure_future(self.manager.run(next, batches, None))
                    if generation != self._connect_generation or self.closed:
                        return
                    if cursor is not None:
                        lines = [line for line in lines if line.cursor > cursor]
                    if not lines:
                        continue
                    self._send_history_lines(lines)
                    count += sum(1 for line in lines if not line.partial)
                    last_cursor = lines[-1].cursor
                    while self._outbox_bytes > self._outbox_budget // 2:
                        if self.closed:
                            return
                        await asyncio.sleep(0.01)
            finally:
                # The generator cannot be closed while a worker is still inside it.
                with contextlib.suppress(Exception):
                    await ahead
                await self.manager.run(batches.close)
        if generation != self._connect_generation or self.closed:
            return
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

    # -- alerts ------------------------------------------------------------------------------

    async def _on_alerts(self, message: protocol.Alerts) -> None:
        await self._authorize("read")
        previous = self.alerts
        alerts = self.alerts = AlertRules(self, message.rules, message.cooldown)
        if previous is not None:
            # A tap still wanted stays subscribed (no line missed while the rules change).
            alerts.take_taps(previous)
            previous.close()
        manager = self.manager
        if message.rules:
            manager.alert_sessions.add(self)
        else:
            manager.alert_sessions.discard(self)
        if any(rule.patterns for rule in message.rules):
            # The containers the patterns are about, now (ones that start later join then).
            containers, _ = await manager.list_all()
            for summary in containers:
                if alerts is not self.alerts:
                    return  # replaced meanwhile
                if alerts.rules_for(summary, summary.get("engine", "")) and summary.get(
                    "state"
                ) in ("running", "restarting", "paused"):
                    with contextlib.suppress(LittleWingsError):
                        ref = await manager.resolve(summary.get("engine"), summary["id"])
                        alerts.follow(ref, summary)
        self.send(protocol.reply("alerts", message.id, rules=len(message.rules)))

    async def on_docker_event(
        self, engine: str, kind: str, frame: dict[str, Any], summary: dict[str, Any] | None
    ) -> None:
        """A Docker event of any container: an alert if a rule says so."""
        alerts = self.alerts
        if alerts is None or summary is None or self.closed:
            return
        rules = alerts.rules_for(summary, engine)
        if not rules:
            return
        manager = self.manager
        name = summary.get("name", "")
        if kind == "killed":
            # A stop, restart or kill somebody asked for (the console's own buttons too): the
            # death that follows is no death to report.
            alerts.expect_death(summary["id"], "requested")
        elif kind == "died":
            if alerts.explained_death(summary["id"]) is not None:
                return  # asked for, or the OOM kill already alerted
            code = frame.get("exit_code")
            if not any(
                "died" in rule.events and (rule.any_exit or code not in (0, None)) for rule in rules
            ):
                return
            last: list[str] = []
            with contextlib.suppress(LittleWingsError):
                slot = manager.slot(engine)
                lines = await manager.run(
                    lambda: slot.engine.read_logs(summary["id"], bool(summary.get("tty")), tail=10)
                )
                last = [line.text for line in lines if not line.partial]
            alerts.raise_alert(
                "died",
                summary,
                exit_code=code,
                last_lines=last,
                message=f"{name} died with exit code {code}",
            )
        elif kind == "oom" and any("oom" in rule.events for rule in rules):
            alerts.raise_alert("oom", summary, message=f"{name} ran out of memory (OOM-killed)")
            alerts.expect_death(summary["id"], "oom")  # one alert for one OOM kill
        elif (
            kind == "health"
            and frame.get("health") == "unhealthy"
            and any("unhealthy" in rule.events for rule in rules)
        ):
            alerts.raise_alert("unhealthy", summary, message=f"{name} is unhealthy")
        elif kind in ("started", "restarted") and any(rule.patterns for rule in rules):
            with contextlib.suppress(LittleWingsError):
                alerts.follow(await manager.resolve(engine, summary["id"]), summary)

    # -- search ------------------------------------------------------------------------------

    MAX_SEARCHES = 2

    def _search_source(self, query: Any) -> Any:
        """The history to search: the connected container's, or the group's merged."""
        since = None if query.since is None else f"{query.since:.9f}"
        until = None if query.until is None else f"{query.until:.9f}"
        if self.group is not None:
            return self.group.history(self.group.ordered_members(), None, since, None, until)
        container = self._require_container()
        engine = self.manager.engine_for(container)

        def runs() -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
            batches = engine.iter_logs(container.id, container.tty, since=since, until=until)
            try:
                for batch in batches:
                    yield [(None, batch)]
            finally:
                batches.close()

        return runs()

    async def _on_search(self, message: protocol.Search) -> None:
        await self._authorize("read")
        if self.container is None and self.group is None:
            raise NotConnected("Connect to a container (or a group) before searching its logs.")
        key = str(message.id)
        if key in self.searches:
            raise InvalidMessage(f"A search with id {message.id!r} is running already.")
        if len(self.searches) >= self.MAX_SEARCHES:
            raise TooManyCommands(
                f"{len(self.searches)} searches are running on this connection; cancel one "
                "(search_cancel) or wait for it."
            )
        stop = self.searches[key] = threading.Event()
        source = self._search_source(message.query)
        self.send(protocol.reply("search_started", message.id))
        # In a task of its own: the socket goes on reading (search_cancel, heartbeats...).
        self.manager.loop.create_task(self._run_search(message, key, source, stop))

    async def _run_search(
        self, message: protocol.Search, key: str, source: Any, stop: threading.Event
    ) -> None:
        found = scan(message.query, source, stop, self.manager.limits.search_time_limit)
        reason, progress = "done", None
        try:
            while True:
                item = await self.manager.run(next, found, None)
                if item is None or self.closed:
                    break
                kind, value = item
                if kind == "matches":
                    for start in range(0, len(value), 200):
                        chunk = [m.to_json() for m in value[start : start + 200]]
                        self.send(protocol.reply("search_results", message.id, matches=chunk))
                elif kind == "progress":
                    self.send(protocol.reply("search_progress", message.id, **value.to_json()))
                else:
                    progress, reason = value
        except LittleWingsError as exc:
            self.send(exc.to_wire(message.id))
            return
        finally:
            self.searches.pop(key, None)

            def close() -> None:
                found.close()
                source.close()

            await self.manager.run(close)
        if progress is not None:
            self.send(
                protocol.reply(
                    "search_end",
                    message.id,
                    reason=reason,
                    complete=reason == "done",
                    **progress.to_json(),
                )
            )

    async def _on_search_cancel(self, message: protocol.Search) -> None:
        stop = self.searches.get(message.search)
        if stop is None:
            raise InvalidMessage(f"No search {message.search!r} is running on this connection.")
        stop.set()

    async def _on_context(self, message: protocol.Context) -> None:
        await self._authorize("read")
        if self.group is not None:
            member = next(
                (m for m in self.group.members.values() if m.name == message.container), None
            )
            ref = getattr(member, "ref", None)
            if ref is None:
                raise InvalidMessage(
                    f"'container' must name a container of this group, not {message.container!r}."
                )
        else:
            ref = self._require_container()
        assert message.cursor is not None
        engine = self.manager.engine_for(ref)
        lines, index = await self.manager.run(
            lines_around, engine, ref, message.cursor, message.before, message.after
        )
        self.send(
            protocol.reply(
                "context",
                message.id,
                cursor=str(message.cursor),
                index=index,
                lines=[
                    {
                        "cursor": str(line.cursor),
                        "stream": STREAM_NAMES.get(line.stream, "stdout"),
                        "line": line.text,
                    }
                    for line in lines
                ],
            )
        )

    # -- merged views ------------------------------------------------------------------------

    async def _connect_group(self, message: protocol.Connect, generation: int) -> None:
        assert message.group is not None
        self.timestamps = message.timestamps
        self.live = False
        self.buffered_merged = []
        self._buffered_lines = 0
        self._written_cursors = dict(message.cursors or {})
        group = self.group = self.manager.join_group(
            message.group, self, message.follow, message.engine
        )
        await self.manager.group_ready(group)
        if generation != self._connect_generation or self.closed:
            return
        members = group.ordered_members()
        self.send(
            protocol.reply(
                "connected",
                message.id,
                protocol=protocol.PROTOCOL_VERSION,
                group=message.group.describe(),
                engine=group.engine,
                members=[m.describe() for m in members],
                status="success",
                message="Group connected",
            )
        )
        await self._send_group_history(message, members, generation)

    async def _send_group_history(
        self, message: protocol.Connect, members: list[Member], generation: int
    ) -> None:
        resume = message.cursors
        last: dict[str, Cursor] = {}
        if resume:
            last = {m.name: resume[m.name] for m in members if m.name in resume}
        since = None if message.since is None else f"{message.since:.9f}"
        count = 0
        assert self.group is not None
        merged = self.group.history(members, message.tail, since, resume)
        ahead = asyncio.ensure_future(self.manager.run(next, merged, None))
        try:
            while True:
                runs = await ahead
                if runs is None:
                    break
                ahead = asyncio.ensure_future(self.manager.run(next, merged, None))
                if generation != self._connect_generation or self.closed:
                    return
                self._send_history_runs(runs)
                for member, lines in runs:
                    count += sum(1 for line in lines if not line.partial)
                    last[member.name] = lines[-1].cursor
                while self._outbox_bytes > self._outbox_budget // 2:
                    if self.closed:
                        return
                    await asyncio.sleep(0.01)
        finally:
            with contextlib.suppress(Exception):
                await ahead
            await self.manager.run(merged.close)
        if generation != self._connect_generation or self.closed:
            return
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

    async def _on_stats(self, message: protocol.Toggle) -> None:
        await self._authorize("read")
        container = self._require_container()
        if message.enabled and not self.stats:
            self.manager.subscribe_stats(container, self)
        elif not message.enabled and self.stats:
            self.manager.unsubscribe_stats(container, self)
        self.stats = message.enabled
        self.send(protocol.reply("stats_enabled", message.id, enabled=message.enabled))

    async def _on_power(self, message: protocol.Power) -> None:
        container = self._require_container()
        summary = await self.manager.power(self, container, message.action)
        self.send(
            protocol.reply(
                "power",
                message.id,
                action=message.action,
                ok=True,
                state=summary["state"],
                container=summary,
            )
        )

    async def _on_command(self, message: protocol.Command) -> None:
        container = self._require_container()
        via = message.via or (
            "stdin" if container.open_stdin and self.limits.stdin_enabled else "exec"
        )
        manager = self.manager
        entry = manager.audit_start(self, container, "command", message.text, via)
        try:
            await manager.check_write(self, "running commands")
            self.limits.check_command(message.text)
            if via == "stdin":
                await self._send_stdin(message, container)
                manager.audit_finish(entry, "ok")
            else:
                await self._start_exec(message, container, entry)
        except LittleWingsError as exc:
            manager.audit_failure(entry, exc)
            raise

    async def _send_stdin(self, message: protocol.Command, container: ContainerRef) -> None:
        if not self.limits.stdin_enabled:
            raise Forbidden("Sending to stdin is disabled on this server (stdin_enabled).")
        text = message.command or ""
        self.send(protocol.reply("command_started", message.id, via="stdin", command=text))
        await self.manager.write_stdin(container, text + "\n")
        self.send(protocol.reply("command_sent", message.id, via="stdin"))

    def exec_argv(self, message: protocol.Command) -> list[str]:
        """The argv a command message runs: its ``argv``, or its string with ``exec_shell``."""
        if message.argv is not None:
            return list(message.argv)
        text = message.command or ""
        argv = [*self.limits.exec_shell, text] if self.limits.exec_shell else shlex.split(text)
        if not argv or not text.strip():
            raise InvalidMessage("'command' is empty.")
        return argv

    async def _start_exec(
        self, message: protocol.Command, container: ContainerRef, entry: str | None
    ) -> None:
        if not self.limits.exec_enabled:
            raise Forbidden("Running commands with exec is disabled on this server (exec_enabled).")
        if len(self.execs) >= self.limits.max_concurrent_commands:
            raise TooManyCommands(
                f"{len(self.execs)} commands are still running on this connection "
                f"(at most {self.limits.max_concurrent_commands}); wait for one to finish."
            )
        self.manager.reserve_reader()
        argv = self.exec_argv(message)
        self._exec_counter += 1
        key = self._exec_counter
        run = CommandRun(
            Exec(self.manager.engine_for(container), container.id, argv),
            message.id,
            message.text,
            entry,
        )
        self.execs[key] = run
        try:
            await self.manager.run(run.exec.start)
        except LittleWingsError:
            self.execs.pop(key, None)
            raise
        if self.closed or run.exec.cancelled:
            run.exec.cancel()  # release() recorded it as cancelled
            return
        self.send(protocol.reply("command_started", message.id, via="exec", command=message.text))
        self.manager.loop.create_task(self._finish_exec(key, run))

    async def _on_command_stop(self, message: protocol.CommandStop) -> None:
        run = next((r for r in self.execs.values() if str(r.request_id) == message.command), None)
        if run is None:
            raise InvalidMessage(f"No command {message.command!r} is running on this connection.")
        await self.manager.check_write(self, "stopping a command")
        self.send(protocol.reply("command_stopping", message.id, command=message.command))

        async def stop() -> None:
            # Its output then ends, and `command_exit` says `stopped` (see _finish_exec).
            if not await self.manager.run(run.exec.stop):
                self.send(
                    Conflict(
                        f"The command {message.command!r} did not end (the container has no "
                        "/bin/sh to signal it with, or it ignores every signal)."
                    ).to_wire(message.id)
                )

        # (Up to three signals a couple of seconds apart: the socket's next messages go on.)
        task = self.manager.loop.create_task(stop())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish_exec(self, key: int, run: CommandRun) -> None:
        manager = self.manager
        loop = manager.loop

        def emit(kind: int, data: str) -> None:
            frame = protocol.reply(
                "command_output", run.request_id, stream=STREAM_NAMES[kind], data=data
            )
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.send, frame)

        try:
            await manager.run_reader(run.exec.read, emit)
            exit_code = await manager.run(run.exec.exit_code)
        except LittleWingsError as exc:
            self.execs.pop(key, None)
            manager.audit_failure(run.audit_entry, exc)
            self.send(exc.to_wire(run.request_id))
            return
        if run.exec.cancelled or self.closed:
            return  # release() recorded it as cancelled
        self.execs.pop(key, None)
        stopped = run.exec.stopped
        manager.audit_finish(run.audit_entry, "cancelled" if stopped else "ok", exit_code=exit_code)
        self.send(
            protocol.reply(
                "command_exit",
                run.request_id,
                exit_code=exit_code,
                duration_ms=round(run.exec.duration * 1000),
                **({"stopped": True} if stopped else {}),
            )
        )

    # -- interactive shells ---------------------------------------------------------------------

    async def _on_shell_open(self, message: protocol.ShellOpen) -> None:
        container = self._require_container()
        manager = self.manager
        argv = message.command or list(self.limits.shell_command) or None
        process = ShellProcess(
            manager.engine_for(container),
            container.id,
            argv,
            message.rows,
            message.cols,
            message.user,
        )
        detail = " ".join(process.argv) + (f" (user {message.user})" if message.user else "")
        entry = manager.audit_start(self, container, "shell", detail, None)
        try:
            await manager.check_write(self, "opening a shell")
            if not self.limits.shell_enabled:
                raise Forbidden("Shells are disabled on this server (shell_enabled).")
            manager.reserve_reader()
            try:
                await manager.run(process.start)
            except (Conflict, DockerError) as exc:
                process.close()
                raise Conflict(
                    f"Cannot start {process.argv[0]!r} in {container.name!r}: {exc.message}"
                ) from None
        except LittleWingsError as exc:
            manager.audit_failure(entry, exc)
            raise
        run = ShellRun(manager, self, process, container, message.id, entry)
        run.flow_control = message.flow_control
        self.shells[run.id] = run
        self.send(run.opened_frame("shell_opened", message.id))
        manager.loop.create_task(run.pump())

    async def _on_shell_attach(self, message: protocol.ShellMessage) -> None:
        manager = self.manager
        run: ShellRun | None = manager.detached_shells.get(message.shell)
        if run is None or run.owner != self.principal:
            grace = self.limits.shell_reattach_timeout
            raise ShellGone(
                f"The shell {message.shell!r} has ended: it is unknown, or was not taken back "
                f"within {grace:g} s of its connection closing (shell_reattach_timeout)."
            )
        await manager.check_write(self, "reattaching a shell")
        if manager.detached_shells.get(message.shell) is not run:
            raise ShellGone(f"The shell {message.shell!r} was taken back by another connection.")
        self.send(run.opened_frame("shell_attached", message.id))
        run.attach(self, message.flow_control)
        if run.ended:
            return
        rows = message.rows or run.process.rows
        cols = message.cols or run.process.cols
        # The new terminal starts blank: what it got replayed is the tail of the output, not
        # the screen a full-screen program (vi, top, less) drew. A size change makes such a
        # program draw its whole screen again (SIGWINCH), so the size changes even when it is
        # the same: one column narrower for a moment.
        if cols > 1 and (rows, cols) == (run.process.rows, run.process.cols):
            await manager.run(run.process.resize, rows, cols - 1)
        await manager.run(run.process.resize, rows, cols)

    def _require_shell(self, message: protocol.ShellMessage) -> ShellRun:
        run = self.shells.get(message.shell)
        if run is None:
            raise NotConnected(f"No open shell {message.shell!r} on this connection.")
        return run

    async def _on_shell_input(self, message: protocol.ShellMessage) -> None:
        run = self._require_shell(message)
        run.record_input(message.data)
        await self.manager.run(run.write, message.data)

    async def _on_shell_ack(self, message: protocol.ShellMessage) -> None:
        self._require_shell(message).acknowledge(message.chars)

    async def _on_shell_resize(self, message: protocol.ShellMessage) -> None:
        run = self._require_shell(message)
        await self.manager.run(run.process.resize, message.rows, message.cols)
        self.send(
            protocol.reply(
                "shell_resized",
                message.id,
                shell=message.shell,
                rows=message.rows,
                cols=message.cols,
            )
        )

    async def _on_shell_close(self, message: protocol.ShellMessage) -> None:
        self._require_shell(message).close()


def lines_around(
    engine: Any, ref: ContainerRef, cursor: Cursor, before: int, after: int
) -> tuple[list[LogLine], int]:
    """The ``before`` lines up to a line (it included) and the ``after`` lines after it, of one
    container; and where the line is in them (-1 when it is not in the log any more)."""
    at = cursor.time
    # One microsecond later, so that `until` takes the line itself in.
    until = at.plus(1000).docker
    # Docker applies `tail` before `until` (the last lines of the whole log): the lines before
    # a time are read from a window before it, widened until it holds enough of them.
    head: list[LogLine] = []
    for window in (1, 10, 60, 600, 3600, None):
        since = None if window is None else DockerTime(max(at.ns - window * 1_000_000_000, 0))
        head = [
            line
            for line in engine.read_logs(
                ref.id,
                ref.tty,
                since=None if since is None else since.docker,
                until=until,
            )
            if line.cursor <= cursor
        ]
        if len(head) > before or (since is not None and since.ns == 0):
            break
    head = head[-(before + 1) :]
    index = next((i for i, line in enumerate(head) if line.cursor == cursor), -1)
    rest: list[LogLine] = []
    if after:
        batches = engine.iter_logs(ref.id, ref.tty, since=at.docker)
        try:
            for batch in batches:
                rest.extend(line for line in batch if line.cursor > cursor)
                if len(rest) >= after:
                    break
        finally:
            batches.close()
    return head + rest[:after], index


# Every message a client may send (protocol.py parses each) and the session method that acts
# on it: one place to find the handler of a frame.
HANDLERS: dict[str, Callable[[ClientSession, Any], Awaitable[None]]] = {
    "heartbeat": ClientSession._on_heartbeat,
    "list": ClientSession._on_list,
    "services": ClientSession._on_services,
    "images": ClientSession._on_images,
    "create": ClientSession._on_create,
    "remove": ClientSession._on_remove,
    "events": ClientSession._on_events,
    "disconnect": ClientSession._on_disconnect,
    "connect": ClientSession._on_connect,
    "alerts": ClientSession._on_alerts,
    "search": ClientSession._on_search,
    "search_cancel": ClientSession._on_search_cancel,
    "context": ClientSession._on_context,
    "stats": ClientSession._on_stats,
    "power": ClientSession._on_power,
    "command": ClientSession._on_command,
    "command_stop": ClientSession._on_command_stop,
    "shell_open": ClientSession._on_shell_open,
    "shell_attach": ClientSession._on_shell_attach,
    "shell_input": ClientSession._on_shell_input,
    "shell_ack": ClientSession._on_shell_ack,
    "shell_resize": ClientSession._on_shell_resize,
    "shell_close": ClientSession._on_shell_close,
}

__all__ = ["HANDLERS", "ClientSession", "CommandRun"]
