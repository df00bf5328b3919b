"""The session manager: one per Jupyter server (or kernel), owner of every Docker stream.

It shares one log, stats and stdin follower per container between the client sessions that
watch it, and one event stream per engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Generic, Protocol, TypeVar

from ..docker.engine import DockerEngine
from ..docker.files import ContainerFiles
from ..docker.lines import LogLine
from ..docker.models import ContainerRef, summarize_inspected
from ..docker.spec import check_policy, parse_spec
from ..errors import EngineUnavailable, Forbidden, LittleWingsError, RateLimited, TooManyCommands
from ..streams.events import EventWatcher
from ..streams.logs import LogFollower
from ..streams.stats import StatsFollower
from ..streams.stdin import StdinWriters
from . import protocol
from .audit import AuditLog
from .frames import LogBatch
from .groups import LogGroup
from .limits import Limits, OutputThrottle, TokenBucket
from .protocol import GroupSelector
from .session import ClientSession
from .shells import ShellRun

log = logging.getLogger("littlewings")

# Who created a container through LittleWings (a label on it).
CREATED_BY_LABEL = "littlewings.created-by"

T = TypeVar("T")
F = TypeVar("F")


class Connection(Protocol):
    """What a session needs of its channel: a WebSocket handler, or a view of a widget."""

    @property
    def user_name(self) -> str:
        """The Jupyter user's name."""

    def write_message(self, message: str) -> Any:
        """Send one text frame; an awaitable that resolves once it is written."""

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the socket."""

    async def is_authorized(self, action: str) -> bool:
        """Whether the Authorizer allows ``action`` on the ``littlewings`` resource."""


class Actor(Protocol):
    """Who asks for a change (a session, or a REST request): checked and audited the same way."""

    @property
    def user_name(self) -> str:
        """The Jupyter user's name."""

    @property
    def rate(self) -> TokenBucket:
        """The rate limit of this actor's commands and power actions."""

    async def is_authorized(self, action: str) -> bool:
        """Whether the Authorizer allows ``action`` on the ``littlewings`` resource."""


class SharedStreams(Generic[F]):
    """One follower per key (a container), started with its first subscriber.

    The last subscriber to leave stops it; stopped followers are kept until their thread ends,
    so that shutdown and leak checks can wait for them.
    """

    def __init__(self) -> None:
        self.followers: dict[str, F] = {}
        self.subscribers: dict[str, set[Any]] = {}
        self.stopping: list[F] = []

    def add(self, key: str, subscriber: Any, start: Callable[[], F]) -> F:
        """Subscribe; ``start()`` makes and starts the follower when there is none running."""
        follower = self.followers.get(key)
        if follower is None or getattr(follower, "stopped", False):
            follower = self.followers[key] = start()
            self.subscribers[key] = set()
        self.subscribers[key].add(subscriber)
        return follower

    def remove(self, key: str, subscriber: Any) -> bool:
        """Unsubscribe; True when that was the last subscriber (the follower is then stopped)."""
        subscribers = self.subscribers.get(key)
        if subscribers is None:
            return False
        subscribers.discard(subscriber)
        self.stopping = [f for f in self.stopping if f.alive]  # type: ignore[attr-defined]
        if subscribers:
            return False
        del self.subscribers[key]
        follower = self.followers.pop(key, None)
        if follower is not None:
            follower.stop()  # type: ignore[attr-defined]
            self.stopping.append(follower)
        return True

    def of(self, key: str) -> list[Any]:
        """The subscribers of ``key`` (a copy: delivering may unsubscribe)."""
        return list(self.subscribers.get(key, ()))

    def all(self) -> list[F]:
        """Every follower, running or still stopping."""
        return [*self.followers.values(), *self.stopping]

    def stop_all(self) -> list[F]:
        """Stop every follower; the ones to wait for."""
        followers = self.all()
        for follower in followers:
            follower.stop()  # type: ignore[attr-defined]
        self.followers.clear()
        self.subscribers.clear()
        self.stopping = []
        return followers


class SessionManager:
    """Owns every Docker stream of the server and shares them between client sessions."""

    def __init__(
        self,
        engine: DockerEngine,
        limits: Limits | None = None,
        max_workers: int = 16,
        loop: asyncio.AbstractEventLoop | None = None,
        stdin: StdinWriters | None = None,
    ) -> None:
        self.engine = engine
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
        self.logs: SharedStreams[LogFollower] = SharedStreams()
        self.stats: SharedStreams[StatsFollower] = SharedStreams()
        # A kernel shares its client's stdin attachments (they must outlive the widgets).
        self.stdin = stdin or StdinWriters(engine)
        self._owns_stdin = stdin is None
        self.user_rates: dict[str, TokenBucket] = {}
        self.event_subscribers: set[ClientSession] = set()
        self.event_watcher: EventWatcher | None = None
        self.engine_available: bool | None = None
        self.audit: AuditLog | None = None
        self.throttles: dict[str, OutputThrottle] = {}
        self.files = ContainerFiles(engine)
        # Shells whose connection went, waiting to be reattached (see session/shells.py).
        self.detached_shells: dict[str, ShellRun] = {}
        # Merged views, one per selector, shared by the sessions watching it.
        self.groups: dict[GroupSelector, LogGroup] = {}
        self._loop = loop
        self._closed = False

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` began: sessions then end their shells rather than detach them."""
        return self._closed

    @property
    def followers(self) -> dict[str, LogFollower]:
        """The running log follower of each watched container."""
        return self.logs.followers

    @property
    def log_subscribers(self) -> dict[str, set[Any]]:
        """The sessions watching each container's log."""
        return self.logs.subscribers

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
        session_class: type[ClientSession] = ClientSession,
        limits: Limits | None = None,
    ) -> ClientSession:
        """A new session for a freshly opened connection (its own ``limits``, if given)."""
        if self._closed:
            raise EngineUnavailable("The server is stopping.")
        session = session_class(self, connection, limits)
        self.sessions.add(session)
        self._ensure_event_watcher()
        return session

    def session_closed(self, session: ClientSession) -> None:
        """Forget a session (its streams are released by the session itself)."""
        self.sessions.discard(session)
        self.event_subscribers.discard(session)

    def _ensure_event_watcher(self) -> None:
        if self.event_watcher is None and not self._closed:
            self.event_watcher = EventWatcher(
                self.engine, self.loop, self._on_docker_event, self._engine_state_threadsafe
            )
            self.event_watcher.start()

    # -- engine state ------------------------------------------------------------------------

    def _engine_state_threadsafe(self, available: bool) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.set_engine_available, available)

    def set_engine_available(self, available: bool) -> None:
        """Record whether the engine answers, telling every client when that changes."""
        if available == self.engine_available:
            return
        previous, self.engine_available = self.engine_available, available
        if previous is None and available:
            return
        if available:
            log.info("LittleWings: the Docker engine answers again")
            for follower in self.followers.values():
                follower.wake()
        else:
            log.warning("LittleWings: the Docker engine does not answer; retrying")
        event = "engine_available" if available else "engine_unavailable"
        frame = protocol.reply("status", event=event, time=time.time())
        for session in list(self.sessions):
            session.send(frame)

    # -- logs --------------------------------------------------------------------------------

    def subscribe_logs(self, ref: ContainerRef, session: Any) -> LogFollower:
        """Add a subscriber to the container's follower, starting the follower if needed."""
        cid = ref.id

        def start() -> LogFollower:
            follower = LogFollower(
                self.engine,
                ref,
                self.loop,
                deliver=lambda lines: self._deliver_logs(cid, lines),
                on_engine=self._engine_state_threadsafe,
                on_gone=lambda: self._gone_threadsafe(cid),
                batch_interval=self.limits.batch_interval,
            )
            follower.start()
            return follower

        return self.logs.add(cid, session, start)

    def unsubscribe_logs(self, container_id: str, session: Any) -> None:
        """Remove a subscriber; the last one out stops the follower and closes its stream.

        The stdin attachment stays (see :class:`~littlewings_jupyter.streams.stdin.StdinWriters`).
        """
        if self.logs.remove(container_id, session):
            self.throttles.pop(container_id, None)

    def _deliver_logs(self, container_id: str, lines: list[LogLine]) -> None:
        if self.limits.throttle_lines > 0:
            throttle = self.throttles.get(container_id)
            if throttle is None:
                throttle = self.throttles[container_id] = OutputThrottle(
                    self.limits.throttle_lines, self.limits.throttle_interval
                )
            lines, notice = throttle.admit(lines)
            if notice is not None:
                self._throttle_notice(container_id, notice)
                self.loop.call_later(throttle.interval, self._throttle_check, container_id)
            if not lines:
                return
        batch = LogBatch(lines)
        for session in self.logs.of(container_id):
            session.deliver_logs(batch)

    def _throttle_check(self, container_id: str) -> None:
        throttle = self.throttles.get(container_id)
        if throttle is None:
            return
        notice = throttle.release()
        if notice is None:
            self.loop.call_later(throttle.interval, self._throttle_check, container_id)
        else:
            self._throttle_notice(container_id, notice)

    def _throttle_notice(self, container_id: str, notice: dict[str, Any]) -> None:
        frame = protocol.reply("throttled", container=container_id, **notice)
        for session in self.logs.of(container_id):
            session.send(frame)

    def _gone_threadsafe(self, container_id: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._container_gone, container_id)

    def _forget_stdin(self, container_id: str) -> None:
        self.executor.submit(self.stdin.forget, container_id)

    def _container_gone(self, container_id: str) -> None:
        self._forget_stdin(container_id)
        frame = protocol.reply("status", event="removed", container=container_id, time=time.time())
        for session in self.logs.of(container_id):
            session.container_removed(frame)

    def active_log_streams(self) -> int:
        """How many Docker log streams are open (for tests and the status endpoint)."""
        return sum(1 for f in self.followers.values() if f.alive and not f.stopped)

    # -- merged views -------------------------------------------------------------------------

    def join_group(self, selector: GroupSelector, session: Any, follow: bool = True) -> LogGroup:
        """The shared merged view of ``selector``, started for its first session; with
        ``follow=False`` a view of its own that only lists the members (for a history)."""
        group = self.groups.get(selector) if follow else None
        if group is None or group.closed:
            group = LogGroup(self, selector)
            if follow:
                self.groups[selector] = group
            self.loop.create_task(group.start(follow))
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
            if self.groups.get(group.selector) is group:
                del self.groups[group.selector]

    def _group_members(self, container_id: str) -> list[Any]:
        """Members of running groups that are this container."""
        return [g.members[container_id] for g in self.groups.values() if container_id in g.members]

    # -- stats -------------------------------------------------------------------------------

    def subscribe_stats(self, container_id: str, session: Any) -> None:
        """Send the container's stats to ``session`` about once a second."""
        loop = self.loop

        def deliver(frame: dict[str, Any]) -> bool:
            try:
                loop.call_soon_threadsafe(self._deliver_stats, container_id, frame)
            except RuntimeError:  # the loop is closed: the server is stopping
                return False
            return True

        def start() -> StatsFollower:
            follower = StatsFollower(self.engine, container_id, deliver)
            follower.start()
            return follower

        self.stats.add(container_id, session, start)

    def unsubscribe_stats(self, container_id: str, session: Any) -> None:
        """Stop sending stats to ``session``; the last one out closes the stream."""
        self.stats.remove(container_id, session)

    def _deliver_stats(self, container_id: str, stats: dict[str, Any]) -> None:
        frame = protocol.encode({"type": "stats", "container": container_id, **stats})
        for session in self.stats.of(container_id):
            session.send_text(frame)

    # -- stdin -------------------------------------------------------------------------------

    async def write_stdin(self, ref: ContainerRef, text: str) -> None:
        """Type ``text`` on the container's stdin."""
        await self.run(self.stdin.send, ref.id, text)

    # -- changes: one check, one audit, for the WebSocket and REST alike -----------------------

    def rate_for_user(self, user_name: str) -> TokenBucket:
        """The rate limit of a user's REST requests (a WebSocket has one per connection)."""
        bucket = self.user_rates.get(user_name)
        if bucket is None:
            bucket = self.user_rates[user_name] = TokenBucket(
                self.limits.command_rate, self.limits.command_burst
            )
        return bucket

    async def check_write(self, actor: Actor, what: str) -> None:
        """Refuse a change the Authorizer, read-only mode or the rate limit does not allow."""
        if not await actor.is_authorized("write"):
            raise Forbidden(f"You are not allowed to write containers here (Authorizer): {what}.")
        if self.limits.read_only:
            raise Forbidden(f"LittleWings is in read-only mode: {what} is disabled.")
        wait = actor.rate.take()
        if wait:
            raise RateLimited(
                f"Too many commands and power actions; try again in {wait:.1f} s.",
                retry_after=round(wait, 2),
            )

    def audit_start(
        self, actor: Actor, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> str | None:
        """Record that ``actor`` asked for ``action``; the entry to finish (None: no audit)."""
        if self.audit is None:
            return None
        return self.audit.start(
            user=actor.user_name,
            container_id=container.id,
            container_name=container.name,
            action=action,
            detail=detail,
            via=via,
        )

    def audit_record(
        self, user: str, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> None:
        """Record something done at once (a line typed in a shell), as done."""
        if self.audit is None:
            return
        entry = self.audit.start(
            user=user,
            container_id=container.id,
            container_name=container.name,
            action=action,
            detail=detail,
            via=via,
        )
        self.audit.finish(entry, "ok")

    def audit_finish(self, entry: str | None, result: str, **details: Any) -> None:
        """Record how an audited action ended."""
        if entry is not None and self.audit is not None:
            self.audit.finish(entry, result, **details)

    def audit_failure(self, entry: str | None, exc: LittleWingsError) -> None:
        """Record a refusal as ``denied``, any other failure as ``error``."""
        refused = isinstance(exc, (Forbidden, RateLimited, TooManyCommands))
        self.audit_finish(entry, "denied" if refused else "error", error=exc.message)

    async def power(
        self, actor: Actor, container: ContainerRef, action: str, via: str | None = None
    ) -> dict[str, Any]:
        """Run a power action for ``actor``: checked, audited; the container's new summary."""
        entry = self.audit_start(actor, container, "power", action, via)
        try:
            await self.check_write(actor, f"'{action}'")
            summary = await self.run(self.engine.power, container.id, action)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return summary

    # -- creating and removing containers ---------------------------------------------------

    async def _check_manage(self, actor: Actor, what: str) -> None:
        await self.check_write(actor, what)
        if not self.limits.manage_enabled:
            raise Forbidden(
                f"Creating and removing containers is disabled on this server (manage_enabled): "
                f"{what}."
            )

    async def create(self, actor: Actor, data: Any, via: str | None = None) -> dict[str, Any]:
        """Create (and start) a container for ``actor`` from a JSON description: checked
        against the server's policy, labelled with its creator, audited; its summary."""
        spec = parse_spec(data)
        name = spec.name or "(new)"
        pending = ContainerRef(id="", name=name, tty=spec.tty, open_stdin=spec.stdin_open, state="")
        entry = self.audit_start(actor, pending, "create", spec.summary(), via)
        try:
            await self._check_manage(actor, "creating a container")
            check_policy(spec, self.limits.policy())
            labels = {CREATED_BY_LABEL: actor.user_name}
            summary = await self.run(self.engine.create, spec, labels)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok", container_id=summary["id"], container_name=summary["name"])
        return summary

    async def remove(
        self,
        actor: Actor,
        container: ContainerRef,
        force: bool = False,
        volumes: bool = False,
        via: str | None = None,
    ) -> dict[str, Any]:
        """Remove a container for ``actor`` (``force``: a running one too; ``volumes``: its
        anonymous volumes), audited."""
        detail = " ".join(w for w, on in (("force", force), ("volumes", volumes)) if on)
        entry = self.audit_start(actor, container, "remove", detail or "-", via)
        try:
            await self._check_manage(actor, "removing a container")
            removed = await self.run(self.engine.remove, container.id, force, volumes)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return removed

    # -- files in containers -----------------------------------------------------------------

    async def change_file(
        self,
        actor: Actor,
        container: ContainerRef,
        action: str,
        path: str,
        via: str | None,
        fn: Callable[..., T],
        *args: Any,
    ) -> T:
        """A change to a container's files (write, mkdir, rename, delete): checked, audited."""
        entry = self.audit_start(actor, container, action, path, via)
        try:
            await self.check_write(actor, f"changing files ({action})")
            result = await self.run(fn, container.id, *args)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return result

    # -- events ------------------------------------------------------------------------------

    def _on_docker_event(self, event: dict[str, Any]) -> None:
        frame = protocol.status_frame(event)
        if frame is None:
            return
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if not self.engine.visibility.allows(frame["name"], attributes):
            return
        container_id, kind = frame["container"], frame["event"]
        if kind in ("started", "restarted", "unpaused"):
            follower = self.logs.followers.get(container_id)
            if follower is not None:
                follower.wake()
        self.loop.create_task(self._publish_event(container_id, kind, frame))

    async def _publish_event(self, container_id: str, kind: str, frame: dict[str, Any]) -> None:
        summary: dict[str, Any] | None = None
        if kind != "removed":
            try:
                summary = await self.run(
                    lambda: summarize_inspected(self.engine.api.inspect_container(container_id))
                )
            except Exception:
                summary = None
        if summary is not None:
            frame.setdefault("state", summary["state"])
            frame.setdefault("health", summary["health"])
        if kind == "removed":
            self._forget_stdin(container_id)
        subscribers = self.logs.of(container_id)
        # Members that appeared a moment ago are not subscribed yet: they hear it too.
        subscribers += [m for m in self._group_members(container_id) if m not in subscribers]
        if summary is not None and kind in ("created", "started", "restarted", "renamed"):
            for group in list(self.groups.values()):
                if container_id not in group.members and group.selector.matches(summary):
                    self.loop.create_task(group.member_appeared(summary))
        for session in subscribers:
            if kind == "removed":
                session.container_removed(frame)
            else:
                session.container_status(frame)
        if self.event_subscribers:
            event_frame = protocol.reply(
                "container_event",
                event=kind,
                container=summary or {"id": container_id, "name": frame["name"]},
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
        candidates: list[Any] = [*self.logs.all(), *self.stats.all()]
        if self.event_watcher is not None:
            candidates.append(self.event_watcher)
        return [c for c in candidates if c.alive]

    async def close(self) -> None:
        """Close every session, stream and thread."""
        self._closed = True
        for session in list(self.sessions):
            session.close_socket(1001, "server stopping")
            session.release()
        for shell in list(self.detached_shells.values()):
            shell.close()
        self.detached_shells.clear()
        for group in list(self.groups.values()):
            group.close()
        self.groups.clear()
        streams: list[Any] = [*self.logs.stop_all(), *self.stats.stop_all()]
        if self.event_watcher is not None:
            self.event_watcher.stop()
            streams.append(self.event_watcher)
        if self._owns_stdin:
            self.stdin.close()

        def join_all() -> None:
            for stream in streams:
                stream.join(5)

        await self.loop.run_in_executor(None, join_all)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.readers.shutdown(wait=False, cancel_futures=True)
        self.engine.reset()
        if self.audit is not None:
            self.audit.close()
