"""What the notebook API's modules need of a client and of a container, as typing ``Protocol``s.

A :class:`~.client.Client` makes containers and groups, which hold it back (so do alert
subscriptions), and a container's DataFrames read the container. Those modules annotate against
these protocols rather than import :class:`~.client.Client` or :class:`~.container.Container`,
so imports run one way: widget → client → group → container → alerts, dataframes → interfaces
(which imports only lines and runtime).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Protocol, TypeVar

from ..docker.engine import DockerEngine
from ..session.limits import Limits
from ..streams.stdin import StdinWriters
from .lines import Line
from .runtime import KernelRuntime

T = TypeVar("T")


class ClientLike(Protocol):
    """A client as its containers, groups and alert subscriptions use it
    (:class:`~.client.Client`)."""

    @property
    def engine(self) -> DockerEngine:
        """The default engine."""

    @property
    def limits(self) -> Limits:
        """The session settings of the client's widgets and subscriptions."""

    @property
    def _follows(self) -> weakref.WeakSet[Any]:
        """The live follows, closed with the client."""

    def engine_named(self, name: str | None = None) -> DockerEngine:
        """The engine called ``name`` (the default one for None)."""

    def stdin_for(self, name: str) -> StdinWriters:
        """The stdin attachments of the engine called ``name``."""

    def acquire_runtime(self) -> KernelRuntime:
        """The session core of the client's widgets, started by the first one."""

    def release_runtime(self, runtime: KernelRuntime) -> None:
        """One user of the runtime is done; the last one stops it."""

    def _check_write(self, what: str) -> None:
        """Refuse a change when the client is read-only."""

    def _check_manage(self, what: str) -> None:
        """Refuse creating or removing a container when the client may not."""


class ContainerLike(Protocol):
    """A container as its DataFrames, follows, files and shells use it
    (:class:`~.container.Container`)."""

    @property
    def id(self) -> str:
        """The container's id."""

    @property
    def name(self) -> str:
        """The container's name."""

    @property
    def status(self) -> str:
        """The container's current state (asks Docker)."""

    @property
    def engine(self) -> DockerEngine:
        """The engine the container is on."""

    @property
    def tty(self) -> bool:
        """Whether the container has a TTY (its log is one stream)."""

    @property
    def client(self) -> ClientLike:
        """The client the container was got from."""

    def log_lines(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
    ) -> list[Line]:
        """The container's log as lines."""

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a call, naming this container if Docker no longer knows it."""


__all__ = ["ClientLike", "ContainerLike"]
