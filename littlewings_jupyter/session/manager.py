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
from typing import Any, Callable, Protocol, TypeVar

from ..docker.engine import DockerEngine
from ..docker.lines import LogLine
from ..docker.models import ContainerRef, summarize_inspected
from ..errors import Conflict, EngineUnavailable
from ..streams.events import EventWatcher
from ..streams.logs import LogFollower
from ..streams.stats import StatsFollower
from ..streams.stdin import StdinWriter
from . import protocol
from .audit import AuditLog
from .frames import LogBatch
from .limits import Limits, OutputThrottle
from .session import ClientSession

log = logging.getLogger("littlewings")

T = TypeVar("T")


class Connection(Protocol):
    """What a session needs of its WebSocket (the handler implements it)."""

    @property
    def user_name(self) -> str:
        """The Jupyter user's name."""

    def write_message(self, message: str) -> Any:
        """Send one text frame; an awaitable that resolves once it is written."""

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the socket."""

    async def is_authorized(self, action: str) -> bool:
        """Whether the Authorizer allows ``action`` on the ``littlewings`` resource."""


class SessionManager:
    """Owns every Docker stream of the server and shares them between client sessions."""

    def __init__(
        self,
        engine: DockerEngine,
        limits: Limits | None = None,
        max_workers: int = 16,
    ) -> None:
        self.engine = engine
        self.limits = limits or Limits()
        self.executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="littlewings"
        )
        self.sessions: set[ClientSession] = set()
        self.followers: dict[str, LogFollower] = {}
        self.log_subscribers: dict[str, set[ClientSession]] = {}
        self.stats_followers: dict[str, StatsFollower] = {}
        self.stats_subscribers: dict[str, set[ClientSession]] = {}
        self.stdin_writers: dict[str, StdinWriter] = {}
        self.event_subscribers: set[ClientSession] = set()
        self.event_watcher: EventWatcher | None = None
        self.engine_available: bool | None = None
        self.audit: AuditLog | None = None
        self.throttles: dict[str, OutputThrottle] = {}
        self._stopped_followers: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The IOLoop's asyncio loop (taken on first use, so construction needs no loop)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking Docker call in the worker pool."""
        return await self.loop.run_in_executor(self.executor, fn, *args)

    # -- sessions ----------------------------------------------------------------------------

    def open_session(self, connection: Connection) -> ClientSession:
        """A new session for a freshly opened WebSocket."""
        if self._closed:
            raise EngineUnavailable("The server is stopping.")
        session = ClientSession(self, connection)
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

    def subscribe_logs(self, ref: ContainerRef, session: ClientSession) -> LogFollower:
        """Add a subscriber to the container's follower, starting the follower if needed."""
        follower = self.followers.get(ref.id)
        if follower is None or follower.stopped:
            cid = ref.id
            follower = LogFollower(
                self.engine,
                ref,
                self.loop,
                deliver=lambda lines: self._deliver_logs(cid, lines),
                on_engine=self._engine_state_threadsafe,
                on_gone=lambda: self._gone_threadsafe(cid),
                batch_interval=self.limits.batch_interval,
            )
            self.followers[cid] = follower
            self.log_subscribers[cid] = set()
            follower.start()
        self.log_subscribers[ref.id].add(session)
        return follower

    def unsubscribe_logs(self, container_id: str, session: ClientSession) -> None:
        """Remove a subscriber; the last one out stops the follower and closes its stream."""
        subscribers = self.log_subscribers.get(container_id)
        if subscribers is None:
            return
        subscribers.discard(session)
        if not subscribers:
            del self.log_subscribers[container_id]
            self.throttles.pop(container_id, None)
            follower = self.followers.pop(container_id, None)
            if follower is not None:
                follower.stop()
                self._stopped_followers.append(follower)
            # The stdin attachment stays: for a container created with StdinOnce (docker-py's
            # stdin_open=True sets it), Docker closes the container's stdin for good when the
            # attached client leaves. It is dropped when the container is removed.
        self._reap()

    def _reap(self) -> None:
        self._stopped_followers = [f for f in self._stopped_followers if f.alive]

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
        for session in list(self.log_subscribers.get(container_id, ())):
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
        for session in list(self.log_subscribers.get(container_id, ())):
            session.send(frame)

    def _gone_threadsafe(self, container_id: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._container_gone, container_id)

    def _forget_stdin(self, container_id: str) -> None:
        writer = self.stdin_writers.pop(container_id, None)
        if writer is not None:
            self.executor.submit(writer.close)

    def _container_gone(self, container_id: str) -> None:
        self._forget_stdin(container_id)
        frame = protocol.reply("status", event="removed", container=container_id, time=time.time())
        for session in list(self.log_subscribers.get(container_id, ())):
            session.container_removed(frame)

    def active_log_streams(self) -> int:
        """How many Docker log streams are open (for tests and the status endpoint)."""
        return sum(1 for f in self.followers.values() if f.alive and not f.stopped)

    # -- stats -------------------------------------------------------------------------------

    def subscribe_stats(self, container_id: str, session: ClientSession) -> None:
        """Send the container's stats to ``session`` about once a second."""
        subscribers = self.stats_subscribers.setdefault(container_id, set())
        subscribers.add(session)
        if container_id not in self.stats_followers:
            loop = self.loop

            def deliver(frame: dict[str, Any]) -> bool:
                try:
                    loop.call_soon_threadsafe(self._deliver_stats, container_id, frame)
                except RuntimeError:  # the loop is closed: the server is stopping
                    return False
                return True

            follower = StatsFollower(self.engine, container_id, deliver)
            self.stats_followers[container_id] = follower
            follower.start()

    def unsubscribe_stats(self, container_id: str, session: ClientSession) -> None:
        """Stop sending stats to ``session``; the last one out closes the stream."""
        subscribers = self.stats_subscribers.get(container_id)
        if subscribers is None:
            return
        subscribers.discard(session)
        if not subscribers:
            del self.stats_subscribers[container_id]
            follower = self.stats_followers.pop(container_id, None)
            if follower is not None:
                follower.stop()
                self._stopped_followers.append(follower)

    def _deliver_stats(self, container_id: str, stats: dict[str, Any]) -> None:
        frame = protocol.encode({"type": "stats", "container": container_id, **stats})
        for session in list(self.stats_subscribers.get(container_id, ())):
            session.send_text(frame)

    # -- stdin -------------------------------------------------------------------------------

    async def write_stdin(self, ref: ContainerRef, text: str) -> None:
        """Type ``text`` on the container's stdin."""

        def write() -> None:
            current = self.engine.resolve(ref.id)
            self.engine.ensure_stdin_open(current)
            if current.state != "running":
                raise Conflict(
                    f"Container {ref.name!r} is {current.state}; start it to send commands.",
                    state=current.state,
                )
            writer = self.stdin_writers.get(ref.id)
            if writer is None:
                writer = self.stdin_writers.setdefault(ref.id, StdinWriter(self.engine, ref.id))
            writer.write(text.encode("utf-8"), current.started_at)

        await self.run(write)

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
            follower = self.followers.get(container_id)
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
        for session in list(self.log_subscribers.get(container_id, ())):
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
        candidates: list[Any] = [
            *self.followers.values(),
            *self.stats_followers.values(),
            *self._stopped_followers,
        ]
        if self.event_watcher is not None:
            candidates.append(self.event_watcher)
        return [c for c in candidates if c.alive]

    async def close(self) -> None:
        """Close every session, stream and thread."""
        self._closed = True
        for session in list(self.sessions):
            session.close_socket(1001, "server stopping")
            session.release()
        streams: list[Any] = [
            *self.followers.values(),
            *self.stats_followers.values(),
            *self._stopped_followers,
        ]
        if self.event_watcher is not None:
            streams.append(self.event_watcher)
        for stream in streams:
            stream.stop()
        for writer in self.stdin_writers.values():
            writer.close()
        self.followers.clear()
        self.stats_followers.clear()
        self.stdin_writers.clear()

        def join_all() -> None:
            for stream in streams:
                stream.join(5)

        await asyncio.get_running_loop().run_in_executor(None, join_all)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.engine.reset()
        if self.audit is not None:
            self.audit.close()
