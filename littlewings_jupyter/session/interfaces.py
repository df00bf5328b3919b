"""What the session's modules need of each other, as typing ``Protocol``s.

The manager makes sessions, groups and shells, which hold the manager (and shells and alerts
their session) back. They annotate against these protocols rather than import the
classes that implement them (:class:`~.manager.SessionManager`,
:class:`~.manager.EngineSlot`, :class:`~.session.ClientSession`), so imports run one way:
manager → handlers → session → groups, shells, alerts → interfaces (which imports only frames,
limits and protocol). A member whose type is a class of a module above this one (a group, a
shell run, a session) is ``Any`` here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import Any, Callable, Protocol, TypeVar

from ..docker.engine import DockerEngine
from ..docker.models import ContainerRef
from ..errors import LittleWingsError
from ..parsing.lines import Cursor
from ..streams.logs import LogFollower
from .frames import MemberCursor
from .limits import Limits, TokenBucket
from .protocol import GroupSelector

T = TypeVar("T")

# A message handler of session/handlers: ``async def on_<type>(session, message)``.
Handler = Callable[[Any, Any], Awaitable[None]]


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


class LineSink(Protocol):
    """Where a session's log lines go instead of ``log`` frames: a reader in the kernel (the
    widget's :attr:`lines`, ``Group.follow``). The session keeps its order and its no-gap,
    no-duplicate joins of history and live lines; the sink only takes them."""

    def history_lines(self, lines: list[Any]) -> None:
        """One container's history lines (:class:`~..parsing.lines.LogLine`), oldest first."""

    def live_lines(self, lines: list[Any]) -> None:
        """One container's live lines."""

    def history_runs(self, runs: list[tuple[Any, list[Any]]]) -> None:
        """A merged view's history: runs of ``(member, lines)`` in time order."""

    def live_runs(self, runs: list[tuple[Any, list[Any]]]) -> None:
        """A merged view's live runs."""


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


class LogFollowers(Protocol):
    """The shared log followers of an engine, by container id."""

    @property
    def followers(self) -> Mapping[str, LogFollower]:
        """The running followers."""


class EngineSlotLike(Protocol):
    """One engine of the manager, as sessions and groups read it (:class:`~.manager.EngineSlot`)."""

    @property
    def name(self) -> str:
        """The engine's name."""

    @property
    def engine(self) -> DockerEngine:
        """The engine."""

    @property
    def available(self) -> bool | None:
        """Whether it answered last time (None: not asked yet)."""

    @property
    def reason(self) -> str | None:
        """Why it did not answer, last time."""

    @property
    def logs(self) -> LogFollowers:
        """Its shared log followers."""


class ActionsLike(Protocol):
    """The changes users ask for, checked and audited (:class:`~.actions.Actions`)."""

    async def check_write(self, actor: Actor, what: str) -> None:
        """Refuse a change that the settings or the Authorizer do not allow."""

    def audit_start(
        self, actor: Actor, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> str | None:
        """Record that a change begins; its audit entry."""

    def audit_record(
        self, user: str, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> None:
        """Record something done (a shell's input)."""

    def audit_finish(self, entry: str | None, result: str, **details: Any) -> None:
        """Record how a change ended."""

    def audit_failure(self, entry: str | None, exc: LittleWingsError) -> None:
        """Record that a change failed."""

    async def power(
        self, actor: Actor, container: ContainerRef, action: str, via: str | None = None
    ) -> dict[str, Any]:
        """Start, stop, restart… a container; its new summary."""

    async def node_availability(
        self, actor: Actor, engine: str, node: str, availability: str, via: str | None = None
    ) -> dict[str, Any]:
        """Set a Swarm node's availability; its summary afterwards."""

    async def create(
        self, actor: Actor, data: Any, via: str | None = None, engine: str = ""
    ) -> dict[str, Any]:
        """Create a container; its summary."""

    async def remove(
        self,
        actor: Actor,
        container: ContainerRef,
        force: bool = False,
        volumes: bool = False,
        via: str | None = None,
    ) -> dict[str, Any]:
        """Remove a container."""


class SessionManagerLike(Protocol):
    """The session manager as its sessions, groups, shells and alerts use it
    (:class:`~.manager.SessionManager`)."""

    @property
    def limits(self) -> Limits:
        """The server's session settings."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the manager runs on."""

    @property
    def closing(self) -> bool:
        """Whether the manager is closing."""

    @property
    def executor(self) -> Executor:
        """The worker pool of blocking Docker calls (work that outlives a session goes there)."""

    @property
    def slots(self) -> Mapping[str, EngineSlotLike]:
        """The engines, by name."""

    @property
    def alert_sessions(self) -> set[Any]:
        """The sessions with alert rules."""

    @property
    def event_subscribers(self) -> set[Any]:
        """The sessions that follow container events."""

    @property
    def detached_shells(self) -> Any:
        """Shells whose session went away (a dict by id), until they are attached again or end."""

    def slot(self, name: str | None = None) -> EngineSlotLike:
        """The engine called ``name`` (the default one for None)."""

    def engine_for(self, ref: ContainerRef) -> DockerEngine:
        """The engine a container is on."""

    async def engine_of_node(self, node_id: str, timeout: float = 5) -> str | None:
        """The configured engine that is a given Swarm node, if one is."""

    async def resolve(self, engine: str | None, server_id: str) -> ContainerRef:
        """A visible container by name or id on an engine."""

    async def list_all(
        self, names: list[str] | None = None, include_all: bool = True, timeout: float = 10
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The containers of every engine, and the engines' states."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call in a worker thread."""

    async def events_ready(self, engine: str | None = None, timeout: float = 5.0) -> None:
        """Wait until an engine's (every engine's) event stream is open, or has said why not."""

    async def run_reader(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a long blocking read in a reader thread (reserved with reserve_reader)."""

    def reserve_reader(self) -> None:
        """Take a reader thread, or refuse when they are all busy."""

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task the manager keeps (and ends when it closes)."""

    def session_closed(self, session: Any) -> None:
        """A session ended."""

    def subscribe_logs(self, ref: ContainerRef, session: Any) -> LogFollower:
        """Receive a container's live lines (one shared follower per container)."""

    def unsubscribe_logs(self, ref: ContainerRef, session: Any) -> None:
        """Stop receiving a container's live lines."""

    def subscribe_stats(self, ref: ContainerRef, session: Any) -> None:
        """Receive a container's stats."""

    def unsubscribe_stats(self, ref: ContainerRef, session: Any) -> None:
        """Stop receiving a container's stats."""

    def join_group(
        self, selector: GroupSelector, session: Any, follow: bool = True, engine: str = ""
    ) -> Any:
        """The merged group of ``selector`` (shared by the sessions that watch it), joined."""

    async def group_ready(self, group: Any) -> None:
        """Wait until the group found its members."""

    def leave_group(self, group: Any, session: Any) -> None:
        """Leave a group; the last session to leave ends it."""

    async def write_stdin(self, ref: ContainerRef, text: str) -> None:
        """Type on a container's stdin."""

    @property
    def actions(self) -> ActionsLike:
        """Every change users ask for: checked and audited (:class:`~.actions.Actions`)."""


class ClientSessionLike(Protocol):
    """One client's session as its shells and alerts use it (:class:`~.session.ClientSession`)."""

    @property
    def manager(self) -> SessionManagerLike:
        """The manager of the session."""

    @property
    def limits(self) -> Limits:
        """The session's settings."""

    @property
    def user_name(self) -> str:
        """The Jupyter user's name."""

    @property
    def principal(self) -> str:
        """Who the session acts for, as a key that stays the same between connections."""

    @property
    def closed(self) -> bool:
        """Whether the session ended."""

    @property
    def outbox_bytes(self) -> int:
        """What the frames waiting for the client take in memory."""

    @property
    def shells(self) -> dict[str, Any]:
        """The session's shells, by id."""

    @property
    def alerts(self) -> Any:
        """The session's alert rules, if it has any."""

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame for the client."""

    def send_text(
        self, text: str, lines: int = 0, cursor: Cursor | MemberCursor | None = None
    ) -> None:
        """Queue an encoded frame."""


__all__ = [
    "Actor",
    "ClientSessionLike",
    "Connection",
    "EngineSlotLike",
    "LogFollowers",
    "SessionManagerLike",
]
