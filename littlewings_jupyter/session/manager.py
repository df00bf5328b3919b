"""The session manager: one per Jupyter server (or kernel), owner of every Docker stream.

It shares one log, stats and stdin follower per container between the client sessions that
watch it, and one event stream per engine. What it is made of lives apart: the engines
(:mod:`.engines`), each engine's shared followers (:mod:`.slots`), the changes users ask for
(:mod:`.actions`), the archive (:mod:`.archiving`); what each message does is
:mod:`.handlers`. What stays here is the wiring between them: sessions, followers and
their subscribers, merged groups, Docker's events. That wiring stays one module (about 700
lines) on purpose: a follower, its subscribers and the events that end them change together,
and each step of their lifecycle is next to the others here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from ..docker.engine import DockerEngine
from ..docker.models import ContainerRef, engine_kind
from ..errors import (
    EngineUnavailable,
    TooManyCommands,
)
from ..parsing.lines import LogLine
from ..streams.events import EventWatcher
from ..streams.logs import LogFollower
from ..streams.stats import StatsFollower
from . import protocol
from .actions import Actions
from .archiving import Archiver
from .audit import AuditLog
from .engines import EngineRegistry
from .frames import LogBatch
from .groups import LogGroup, ServiceGroup
from .handlers import HANDLERS
from .handlers.alerts import on_docker_event
from .interfaces import Connection, LineSink
from .limits import Limits, OutputThrottle
from .protocol import GroupSelector
from .session import ClientSession
from .shells import ShellRun
from .slots import EngineSlot

log = logging.getLogger("littlewings")


T = TypeVar("T")
F = TypeVar("F")


class SessionManager:
    """Owns every Docker stream of the server and shares them between client sessions.

    ``engines`` are the engines it reads (the default one first); each gets an
    :class:`EngineSlot` for its streams, by the engine's name.
    """

    def __init__(
        self,
        engines: EngineRegistry,
        limits: Limits | None = None,
        max_workers: int = 16,
        loop: asyncio.AbstractEventLoop | None = None,
        owns_engines: bool = True,
    ) -> None:
        self.registry = engines
        # A kernel's runtime shares its Client's registry: the Client closes it, not us.
        self.owns_engines = owns_engines
        self.engine = engines.default
        self.slots: dict[str, EngineSlot] = {
            name: EngineSlot(engines, name) for name in engines.names
        }
        self.default_slot = self.slots[self.engine.name]
        self.limits = limits or Limits()
        # Quick Docker calls, and apart from them the readers of command output, which may
        # take as long as a command runs: both bounded, so neither starves the other.
        self.executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="littlewings"
        )
        self.max_readers = max_workers
        self.readers = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="littlewings_exec"
        )
        self.running_readers = 0
        self.sessions: set[ClientSession] = set()
        self.event_subscribers: set[ClientSession] = set()
        self.alert_sessions: set[ClientSession] = set()  # sessions with alert rules
        # Each container's last event still being published (engine, container id): the next
        # one waits for it.
        self._event_tails: dict[tuple[str, str], asyncio.Future[None]] = {}
        # Tasks started here and not awaited by anyone: held until done (the loop keeps only
        # weak references), cancelled and awaited by close().
        self._tasks: set[asyncio.Task[Any]] = set()
        # The log archive, when the server keeps one (session/archiving.py).
        self.archiver: Archiver | None = None
        # Every change users ask for: one check, one audit (session/actions.py).
        self.actions = Actions(self.limits, self.run, self.slot)
        self.actions.announce = self._announce_event
        self.actions.expect_death = self._expect_death
        # Shells whose connection went, waiting to be reattached (see session/shells.py).
        self.detached_shells: dict[str, ShellRun] = {}
        self._loop = loop
        self._closed = False

    @property
    def audit(self) -> AuditLog | None:
        """The audit trail of changes (None: none kept); see :class:`Actions`."""
        return self.actions.audit

    @audit.setter
    def audit(self, audit: AuditLog | None) -> None:
        self.actions.audit = audit

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` began: sessions then end their shells rather than detach them."""
        return self._closed

    # -- engines -----------------------------------------------------------------------------

    def slot(self, name: str | None = None) -> EngineSlot:
        """The engine called ``name`` (the default one for None or "")."""
        if not name:
            return self.default_slot
        slot = self.slots.get(name)
        # (An unknown name: the registry says which engines there are.)
        return slot if slot is not None else self.slots[self.registry.engine(name).name]

    def slot_of(self, ref: ContainerRef) -> EngineSlot:
        """The engine a container is on."""
        return self.slot(ref.engine)

    def engine_for(self, ref: ContainerRef) -> DockerEngine:
        """The Docker client of the engine a container is on."""
        return self.slot(ref.engine).engine

    async def resolve(self, engine: str | None, server_id: str) -> ContainerRef:
        """A container by name, id or id prefix on an engine (the default one for None)."""
        return await self.run(self.slot(engine).engine.resolve, server_id)

    async def engine_of_node(self, node_id: str, timeout: float = 5) -> str | None:
        """The name of the configured engine that is the Swarm node ``node_id`` (None: none is,
        or none answered within ``timeout`` seconds)."""
        slots = list(self.slots.values())
        asked = [asyncio.ensure_future(self.run(slot.engine.swarm.node_id)) for slot in slots]
        await asyncio.wait(asked, timeout=timeout)
        found = None
        for slot, task in zip(slots, asked):
            if not task.done():
                task.add_done_callback(lambda t: t.exception())
            elif task.exception() is None and task.result() == node_id and found is None:
                found = slot.name
        return found

    async def list_all(
        self, names: list[str] | None = None, include_all: bool = True, timeout: float = 10
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every visible container of every engine (or of ``names``), asked in parallel, and
        each engine's state: an engine that does not answer within ``timeout`` seconds is
        reported unreachable, with the reason, and never holds up the others."""
        slots = [self.slot(name) for name in names] if names else list(self.slots.values())
        tasks = [
            asyncio.ensure_future(self.run(slot.engine.list_containers, include_all))
            for slot in slots
        ]
        roles = [asyncio.ensure_future(self.run(slot.engine.swarm.role)) for slot in slots]
        done, _ = await asyncio.wait(tasks, timeout=timeout) if tasks else (set(), set())
        await asyncio.wait(roles, timeout=0.5)
        containers: list[dict[str, Any]] = []
        engines: list[dict[str, Any]] = []
        for slot, task, role in zip(slots, tasks, roles):
            state = slot.describe()
            if not role.done():
                role.add_done_callback(lambda t: t.exception())
            if task in done and task.exception() is None:
                listed = task.result()
                containers.extend(listed)
                running = sum(1 for c in listed if c["state"] == "running")
                state.update(reachable=True, containers=len(listed), running=running)
                state.update(kind=slot.engine.kind, version=slot.engine.known_version)
                if role.done() and role.exception() is None and role.result():
                    state["swarm"] = role.result()
                if slot.available is False:
                    self.set_engine_available(True, slot)
            else:
                if task in done:
                    error = task.exception()
                    reason = getattr(error, "message", None) or str(error)
                else:
                    reason = f"no answer within {timeout:g} s"
                    task.add_done_callback(lambda t: t.exception())  # consumed, not logged
                state.update(reachable=False, error=slot.spec_problem or reason)
                slot.reason = slot.spec_problem or reason
            engines.append(state)
        return containers, engines

    async def engines_status(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Every engine's state (as :meth:`list_all` gives it) with its Docker version."""
        slots = list(self.slots.values())
        versions = [asyncio.ensure_future(self.run(slot.engine.version)) for slot in slots]
        _, engines = await self.list_all(None, True, timeout)
        await asyncio.wait(versions, timeout=1)
        for state, task in zip(engines, versions):
            version = task.result() if task.done() and not task.exception() else None
            if not task.done():
                task.add_done_callback(lambda t: t.exception())
            state["version"] = (version or {}).get("Version")
            state["api_version"] = (version or {}).get("ApiVersion")
            state["kind"] = engine_kind(version) if version else None  # docker or podman
        return engines

    @property
    def event_watcher(self) -> EventWatcher | None:
        """The default engine's event stream."""
        return self.default_slot.event_watcher

    @property
    def groups(self) -> dict[GroupSelector, LogGroup]:
        """The default engine's merged views."""
        return self.default_slot.groups

    @property
    def followers(self) -> dict[str, LogFollower]:
        """The running log follower of each watched container (of the default engine)."""
        return self.default_slot.logs.followers

    @property
    def log_subscribers(self) -> dict[str, set[Any]]:
        """The sessions watching each container's log (of the default engine)."""
        return self.default_slot.logs.subscribers

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The IOLoop's asyncio loop (taken on first use, so construction needs no loop)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking Docker call in the worker pool."""
        return await self.loop.run_in_executor(self.executor, fn, *args)

    async def run_reader(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking read that lasts as long as a command (a pool of its own, bounded)."""
        self.running_readers += 1
        try:
            return await self.loop.run_in_executor(self.readers, fn, *args)
        finally:
            self.running_readers -= 1

    def reserve_reader(self) -> None:
        """Refuse a new command when every output reader of the server is busy."""
        if self.running_readers >= self.max_readers:
            raise TooManyCommands(
                f"The server is running {self.running_readers} commands (worker_threads); "
                "wait for one to finish."
            )

    # -- sessions ----------------------------------------------------------------------------

    def open_session(
        self,
        connection: Connection,
        limits: Limits | None = None,
        sink: LineSink | None = None,
    ) -> ClientSession:
        """A new session for a freshly opened connection (its own ``limits``, if given; its
        log lines to ``sink`` instead of frames, for a reader in the kernel)."""
        if self._closed:
            raise EngineUnavailable("The server is stopping.")
        session = ClientSession(self, connection, HANDLERS, limits, sink)
        self.sessions.add(session)
        self._ensure_event_watcher()
        if self.archiver is not None and not self.archiver.started:
            self.spawn(self.start_archiving())
        return session

    def session_closed(self, session: ClientSession) -> None:
        """Forget a session (its streams are released by the session itself)."""
        self.sessions.discard(session)
        self.event_subscribers.discard(session)
        self.alert_sessions.discard(session)

    async def start_archiving(self) -> None:
        """Archive every running container that wants it, and (from Docker's events) those
        that start later: when the server starts with archive on, or with its first session."""
        if self.archiver is not None:
            self._ensure_event_watcher()
            await self.archiver.start()

    def _ensure_event_watcher(self) -> None:
        for slot in self.slots.values():
            if slot.event_watcher is None and not self._closed:
                slot.event_watcher = EventWatcher(
                    slot.engine,
                    self.loop,
                    functools.partial(self._on_docker_event, slot),
                    functools.partial(self._engine_state_threadsafe, slot),
                )
                slot.event_watcher.start()

    async def events_ready(self, engine: str | None = None, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` s) until the event stream of ``engine`` (of every engine
        when None) is open, or has said why it cannot be: an event after this is heard.
        (Podman opens its stream in about 0.2 s; a container made meanwhile had no "created"
        or "started".)"""
        self._ensure_event_watcher()
        slots = list(self.slots.values()) if engine is None else [self.slot(engine)]
        deadline = self.loop.time() + timeout
        while self.loop.time() < deadline:
            watchers = [slot.event_watcher for slot in slots]
            if all(w is None or w.connected.is_set() or w.last_error for w in watchers):
                return
            await asyncio.sleep(0.02)

    # -- engine state ------------------------------------------------------------------------

    def _engine_state_threadsafe(self, slot: EngineSlot, available: bool) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.set_engine_available, available, slot)

    def set_engine_available(self, available: bool, slot: EngineSlot | None = None) -> None:
        """Record whether an engine answers, telling every client when that changes."""
        slot = slot or self.default_slot
        if available == slot.available:
            return
        previous, slot.available = slot.available, available
        if available:
            slot.reason = None
        elif slot.event_watcher is not None and slot.event_watcher.last_error:
            slot.reason = slot.event_watcher.last_error
        if previous is None and available:
            return
        name = slot.name
        if available:
            log.info("LittleWings: the Docker engine %r answers again", name)
            for follower in slot.logs.followers.values():
                follower.wake()
        else:
            log.warning("LittleWings: the Docker engine %r does not answer; retrying", name)
        event = "engine_available" if available else "engine_unavailable"
        frame = protocol.reply("status", event=event, engine=name, time=time.time())
        if not available and slot.reason:
            frame["reason"] = slot.reason
        for session in list(self.sessions):
            session.send(frame)

    # -- logs --------------------------------------------------------------------------------

    def subscribe_logs(self, ref: ContainerRef, session: Any) -> LogFollower:
        """Add a subscriber to the container's follower, starting the follower if needed."""
        cid = ref.id
        slot = self.slot_of(ref)

        def start() -> LogFollower:
            follower = LogFollower(
                slot.engine,
                ref,
                self.loop,
                deliver=lambda lines: self._deliver_logs(slot, cid, lines),
                on_engine=lambda available: self._engine_state_threadsafe(slot, available),
                on_gone=lambda: self._gone_threadsafe(slot, cid),
                batch_interval=self.limits.batch_interval,
                on_stream_end=lambda: self._log_stream_ended(slot, cid),
                on_skipped=lambda count: self._engine_skipped_lines(slot, cid, count),
            )
            follower.start()
            return follower

        return slot.logs.add(cid, session, start)

    def _log_stream_ended(self, slot: EngineSlot, container_id: str) -> None:
        """A container's log stream ended by itself: its sessions that end with it hear it."""
        for subscriber in slot.logs.of(container_id):
            ended = getattr(subscriber, "log_stream_ended", None)
            if ended is not None:
                ended()

    def unsubscribe_logs(self, ref: ContainerRef, session: Any) -> None:
        """Remove a subscriber; the last one out stops the follower and closes its stream.

        The stdin attachment stays (see :class:`~littlewings_jupyter.streams.stdin.StdinWriters`).
        """
        slot = self.slot_of(ref)
        if slot.logs.remove(ref.id, session):
            slot.throttles.pop(ref.id, None)

    def _deliver_logs(self, slot: EngineSlot, container_id: str, lines: list[LogLine]) -> None:
        if self.limits.throttle_lines > 0:
            throttle = slot.throttles.get(container_id)
            if throttle is None:
                throttle = slot.throttles[container_id] = OutputThrottle(
                    self.limits.throttle_lines, self.limits.throttle_interval
                )
            lines, notice = throttle.admit(lines)
            if notice is not None:
                self._throttle_notice(slot, container_id, notice)
                self.loop.call_later(throttle.interval, self._throttle_check, slot, container_id)
            if not lines:
                return
        batch = LogBatch(lines)
        for session in slot.logs.of(container_id):
            session.deliver_logs(batch)

    def _throttle_check(self, slot: EngineSlot, container_id: str) -> None:
        throttle = slot.throttles.get(container_id)
        if throttle is None:
            return
        notice = throttle.release()
        if notice is None:
            self.loop.call_later(throttle.interval, self._throttle_check, slot, container_id)
        else:
            self._throttle_notice(slot, container_id, notice)

    def _engine_skipped_lines(self, slot: EngineSlot, container_id: str, count: int) -> None:
        """The engine's stream left out lines its log has (Podman at a container's exit): the
        lines after them came, these did not; every subscriber is told, where the gap is."""
        frame = protocol.reply(
            "dropped",
            container=container_id,
            lines=count,
            reason="engine",
            resume_cursor=None,
            last_cursor=None,
            message=f"The engine's log stream left out {count} lines when the container "
            "stopped (Podman 4.3 does when a container exits while its output is being "
            "read): its log has them, All history or Download shows them.",
        )
        for session in slot.logs.of(container_id):
            session.send(frame)

    def _throttle_notice(self, slot: EngineSlot, container_id: str, notice: dict[str, Any]) -> None:
        frame = protocol.reply("throttled", container=container_id, **notice)
        for session in slot.logs.of(container_id):
            session.send(frame)

    def _gone_threadsafe(self, slot: EngineSlot, container_id: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._container_gone, slot, container_id)

    def _forget_stdin(self, slot: EngineSlot, container_id: str) -> None:
        self.executor.submit(slot.stdin.forget, container_id)

    def _container_gone(self, slot: EngineSlot, container_id: str) -> None:
        self._forget_stdin(slot, container_id)
        if self.archiver is not None:
            self.archiver.removed(slot.name, container_id)
        frame = protocol.reply("status", event="removed", container=container_id, time=time.time())
        for session in slot.logs.of(container_id):
            session.container_removed(frame)

    def active_log_streams(self) -> int:
        """How many Docker log streams are open, over every engine (for tests and status)."""
        return sum(
            1
            for slot in self.slots.values()
            for f in slot.logs.followers.values()
            if f.alive and not f.stopped
        )

    # -- merged views -------------------------------------------------------------------------

    def join_group(
        self, selector: GroupSelector, session: Any, follow: bool = True, engine: str = ""
    ) -> LogGroup:
        """The shared merged view of ``selector`` on an engine, started for its first session;
        with ``follow=False`` a view of its own that only lists the members (for a history)."""
        slot = self.slot(engine)
        group = slot.groups.get(selector) if follow else None
        if group is None or group.closed:
            kind = ServiceGroup if selector.kind in ("service", "task") else LogGroup
            group = kind(self, selector, slot.name)
            if follow:
                slot.groups[selector] = group
            self.spawn(group.start(follow))
        group.sessions.add(session)
        return group

    async def group_ready(self, group: LogGroup) -> None:
        """Wait until the group's members are found and followed; raise what stopped it."""
        await asyncio.shield(group.ready)
        if group.error is not None:
            raise group.error

    def leave_group(self, group: LogGroup, session: Any) -> None:
        """A session leaves; the last one out stops the group (and its members' followers)."""
        group.sessions.discard(session)
        if not group.sessions:
            group.close()
            groups = self.slot(group.engine).groups
            if groups.get(group.selector) is group:
                del groups[group.selector]

    def _group_members(self, slot: EngineSlot, container_id: str) -> list[Any]:
        """Members of running groups that are this container."""
        return [g.members[container_id] for g in slot.groups.values() if container_id in g.members]

    # -- stats -------------------------------------------------------------------------------

    def subscribe_stats(self, ref: ContainerRef, session: Any) -> None:
        """Send the container's stats to ``session`` about once a second."""
        loop = self.loop
        slot = self.slot_of(ref)
        container_id = ref.id

        def deliver(frame: dict[str, Any]) -> bool:
            try:
                loop.call_soon_threadsafe(self._deliver_stats, slot, container_id, frame)
            except RuntimeError:  # the loop is closed: the server is stopping
                return False
            return True

        def start() -> StatsFollower:
            follower = StatsFollower(slot.engine, container_id, deliver)
            follower.start()
            return follower

        slot.stats.add(container_id, session, start)

    def unsubscribe_stats(self, ref: ContainerRef, session: Any) -> None:
        """Stop sending stats to ``session``; the last one out closes the stream."""
        self.slot_of(ref).stats.remove(ref.id, session)

    def _deliver_stats(self, slot: EngineSlot, container_id: str, stats: dict[str, Any]) -> None:
        frame = protocol.encode({"type": "stats", "container": container_id, **stats})
        for session in slot.stats.of(container_id):
            session.send_text(frame)

    # -- stdin -------------------------------------------------------------------------------

    async def write_stdin(self, ref: ContainerRef, text: str) -> None:
        """Type ``text`` on the container's stdin."""
        await self.run(self.slot_of(ref).stdin.send, ref.id, text)

    # -- events ------------------------------------------------------------------------------

    def _expect_death(self, container: ContainerRef, expected: bool) -> None:
        """A death of ``container`` was asked for (or, ``expected`` False, not after all)."""
        for session in list(self.alert_sessions):
            rules = getattr(session, "alerts", None)
            if rules is None:
                continue
            if expected:
                rules.expect_death(container.id, "requested")
            else:
                rules.explained_death(container.id)

    def _announce_event(self, container: ContainerRef, action: str) -> None:
        """Publish a container event the engine does not send, as if it had."""
        event = {
            "Action": action,
            "Actor": {"ID": container.id, "Attributes": {"name": container.name}},
            "timeNano": time.time_ns(),
        }
        self._on_docker_event(self.slot_of(container), event)

    def _on_docker_event(self, slot: EngineSlot, event: dict[str, Any]) -> None:
        frame = protocol.status_frame(event)
        if frame is None:
            return
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if not slot.engine.visibility.allows(frame["name"], attributes):
            return
        container_id, kind = frame["container"], frame["event"]
        if len(self.slots) > 1:
            frame["engine"] = slot.name
        if kind in ("started", "restarted", "unpaused"):
            follower = slot.logs.followers.get(container_id)
            if follower is not None:
                follower.wake()
        # Each event is published after the container's earlier ones: their inspections run in
        # threads and end in any order, and a "removed" (no inspection) overtaking the
        # "created" before it would put the row back after its removal.
        key = (slot.name, container_id)
        task = self.spawn(
            self._publish_event(slot, container_id, kind, frame, self._event_tails.get(key))
        )
        self._event_tails[key] = task
        task.add_done_callback(
            lambda done: (
                self._event_tails.pop(key, None) if self._event_tails.get(key) is done else None
            )
        )

    async def _publish_event(
        self,
        slot: EngineSlot,
        container_id: str,
        kind: str,
        frame: dict[str, Any],
        before: asyncio.Future[None] | None = None,
    ) -> None:
        summary: dict[str, Any] | None = None
        engine = slot.engine
        if kind != "removed":
            try:
                summary = await self.run(
                    lambda: engine.summarize(engine.api.inspect_container(container_id))
                )
            except Exception:
                summary = None
        if before is not None and not before.done():
            await asyncio.wait({before})  # (its outcome is its own)
        if summary is not None:
            frame.setdefault("state", summary["state"])
            if not frame.get("health"):  # (Podman's health_status event carries no value)
                frame["health"] = summary["health"]
            if summary["state"] == "exited" and summary.get("exit_code") is not None:
                # (Podman's "kill" comes after the death it caused, and says no code)
                frame.setdefault("exit_code", summary["exit_code"])
        if kind == "removed":
            self._forget_stdin(slot, container_id)
            if self.archiver is not None:
                self.archiver.removed(slot.name, container_id)
        elif kind == "started" and summary is not None and self.archiver is not None:
            self.spawn(self.archiver.container_started(summary))
        subscribers = slot.logs.of(container_id)
        # Members that appeared a moment ago are not subscribed yet: they hear it too.
        subscribers += [m for m in self._group_members(slot, container_id) if m not in subscribers]
        if summary is not None and kind in ("created", "started", "restarted", "renamed"):
            for group in list(slot.groups.values()):
                if container_id not in group.members and group.selector.matches(summary):
                    self.spawn(group.member_appeared(summary))
        for session in subscribers:
            if kind == "removed":
                session.container_removed(frame)
            else:
                session.container_status(frame)
        for session in list(self.alert_sessions):
            self.spawn(on_docker_event(session, slot.name, kind, frame, summary))
        if self.event_subscribers:
            event_frame = protocol.reply(
                "container_event",
                event=kind,
                container=summary
                or {"id": container_id, "name": frame["name"], "engine": slot.name},
                time=frame["time"],
            )
            for key in ("exit_code", "health"):
                if frame.get(key) is not None:
                    event_frame[key] = frame[key]
            text = protocol.encode(event_frame)
            for session in list(self.event_subscribers):
                session.send_text(text)

    # -- shutdown ----------------------------------------------------------------------------

    def threads(self) -> list[Any]:
        """Every stream thread still alive (for tests and leak checks)."""
        candidates: list[Any] = []
        for slot in self.slots.values():
            candidates += [*slot.logs.all(), *slot.stats.all()]
            if slot.event_watcher is not None:
                candidates.append(slot.event_watcher)
        return [c for c in candidates if c.alive]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task of the manager's own (kept until it ends; close() ends it)."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Close every session, stream and thread."""
        self._closed = True
        for session in list(self.sessions):
            session.close_socket(1001, "server stopping")
            session.release()
        for shell in list(self.detached_shells.values()):
            shell.close()
        self.detached_shells.clear()
        streams: list[Any] = []
        for slot in self.slots.values():
            for group in list(slot.groups.values()):
                group.close()
            slot.groups.clear()
            streams += [*slot.logs.stop_all(), *slot.stats.stop_all()]
            if slot.event_watcher is not None:
                slot.event_watcher.stop()
                streams.append(slot.event_watcher)

        def join_all() -> None:
            for stream in streams:
                stream.join(5)

        await self.loop.run_in_executor(None, join_all)
        # Tasks still waiting (an event's inspection in a thread): ended before the threads go,
        # or the loop would drop them pending ("Task was destroyed but it is pending!").
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.readers.shutdown(wait=False, cancel_futures=True)
        if self.owns_engines:
            self.registry.close()  # stdin attachments, Docker connections
        else:
            for slot in self.slots.values():
                slot.engine.reset()
        if self.audit is not None:
            self.audit.close()
        if self.archiver is not None:
            await self.loop.run_in_executor(None, self.archiver.close)
