"""Each engine's shared streams: one log and one stats follower per watched container, shared
by every session that watches it (:class:`SharedStreams`), with the engine's event stream,
merged views, file access and state (:class:`EngineSlot`)."""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from ..docker.files import ContainerFiles
from ..streams.events import EventWatcher
from ..streams.logs import LogFollower
from ..streams.stats import StatsFollower
from .engines import EngineRegistry
from .limits import OutputThrottle
from .protocol import GroupSelector

F = TypeVar("F")


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


class EngineSlot:
    """One Docker engine of a manager: the streams read from it, and its state.

    Containers are known by id within their engine; a :class:`ContainerRef` names its engine
    (``ref.engine``), and the manager finds the slot from it. The engine itself, what
    configured it and its stdin attachments come from the :class:`EngineRegistry`.
    """

    def __init__(self, registry: EngineRegistry, name: str) -> None:
        self.name = name
        self.engine = registry.engine(name)
        self.registry = registry
        self.spec = registry.spec(name)  # the EngineSpec it was made from, if any
        self.logs: SharedStreams[LogFollower] = SharedStreams()
        self.stats: SharedStreams[StatsFollower] = SharedStreams()
        self.throttles: dict[str, OutputThrottle] = {}
        self.stdin = registry.stdin(name)
        self.files = ContainerFiles(self.engine)
        self.event_watcher: EventWatcher | None = None
        self.available: bool | None = None
        self.reason: str | None = None  # why it did not answer, last time
        self.groups: dict[GroupSelector, Any] = {}  # LogGroups (session/groups.py)

    @property
    def spec_problem(self) -> str | None:
        """A configuration of this engine that cannot work, if so."""
        return getattr(self.spec, "problem", None)

    def describe(self) -> dict[str, Any]:
        """The engine as the browser may see it (no credentials)."""
        return self.registry.describe(self.name)


__all__ = ["EngineSlot", "SharedStreams"]
