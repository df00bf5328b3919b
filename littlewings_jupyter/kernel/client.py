"""Use LittleWings from notebook cells: list containers, read and follow logs, run commands.

Everything here goes through the same session core as the server extension
(:class:`~littlewings_jupyter.docker.engine.DockerEngine` for Docker access, visibility and error
translation, :class:`~littlewings_jupyter.parsing.lines.LineAssembler` for log lines,
:class:`~littlewings_jupyter.docker.engine.Exec` for commands,
:class:`~littlewings_jupyter.streams.stdin.StdinWriters` for stdin). Calls block the calling
thread. The console widget runs the session manager itself, on a loop of its own
(:mod:`littlewings_jupyter.kernel.runtime`).

This module is the façade: :class:`Client` and the module-level functions. A container's handle
and what it hands out are in :mod:`.container`, merged logs in :mod:`.group`, lines and the
times the calls accept in :mod:`.lines`; their public names are imported here too.
"""

from __future__ import annotations

import fnmatch
import threading
import warnings
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

from ..docker.engine import DockerEngine
from ..docker.engines import engine_specs
from ..docker.models import Visibility, engine_kind
from ..docker.spec import check_policy, parse_spec
from ..errors import Forbidden, LittleWingsError
from ..session.actions import CREATED_BY_LABEL
from ..session.engines import EngineRegistry
from ..session.limits import Limits
from ..streams.stdin import StdinWriters
from .alerts import AlertSubscription, rule
from .container import Container, ContainerList
from .files import Files
from .follow import LogFollow
from .group import Group, selector_of
from .lines import Line, join_lines
from .processes import ExecResult, Shell
from .runtime import KernelRuntime, kernel_user
from .search import SearchMatch

_SETTINGS_HINT = "DOCKER_HOST, or lw.connect(base_url=...)"
# A widget view that sends nothing for this long (its heartbeats come every few seconds) is
# gone: its page was closed without a word. Its session ends, and the kernel then sends nothing
# for it, so it can become idle and be culled (MappingKernelManager.cull_idle_timeout).
VIEW_IDLE_TIMEOUT = 20.0


# -- the client ----------------------------------------------------------------------------------


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Client:
    """A connection to Docker engines, with LittleWings' visibility rules.

    Nothing contacts Docker until the first call. ``base_url`` as in docker-py
    (``unix:///var/run/docker.sock``, ``tcp://host:2376``): that one engine. Without it, the
    environment's engine (``DOCKER_HOST``, or the local socket) and the docker CLI's contexts,
    the current one first (``use_docker_contexts``). ``engines`` names engines as
    ``c.LittleWings.engines`` does (``{"gpu-box": {"url": …, "tls": {"ca", "cert", "key"}}}``);
    the first is the default one, which calls without ``engine=`` use. ``visible_names`` (shell
    patterns) and ``visible_labels`` (``key`` or ``key=value``) hide other containers exactly
    as the server extension's settings do: a hidden container is "not found". ``read_only``
    refuses commands, stdin and power actions. ``engine`` shares an existing
    :class:`~littlewings_jupyter.docker.engine.DockerEngine` instead. ``limits``
    (:class:`~littlewings_jupyter.session.limits.Limits`) are the session settings of this
    client's console widgets, as ``c.LittleWings.…`` are the server's; by default the server's
    defaults but ``idle_timeout`` (:data:`VIEW_IDLE_TIMEOUT`).
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 30,
        visible_names: Iterable[str] | None = None,
        visible_labels: Iterable[str] | None = None,
        read_only: bool = False,
        engine: DockerEngine | None = None,
        limits: Limits | None = None,
        engines: dict[str, Any] | None = None,
        use_docker_contexts: bool | None = None,
    ) -> None:
        if use_docker_contexts is None:
            # A client of one named endpoint is that endpoint's; otherwise the CLI's contexts
            # come too, as in the server.
            use_docker_contexts = not base_url and not engines
        visibility = Visibility(list(visible_names or []), list(visible_labels or []))
        if engine is None:
            self.registry = EngineRegistry.from_specs(
                engine_specs(engines or {}, use_docker_contexts, base_url or ""),
                timeout=timeout,
                visibility=visibility,
                settings_hint=_SETTINGS_HINT,
            )
        else:
            self.registry = EngineRegistry([(engine, None)])
        self.engine = self.registry.default
        self.read_only = read_only
        self.limits = limits or Limits(idle_timeout=VIEW_IDLE_TIMEOUT)
        if read_only:
            self.limits.read_only = True
        self._runtime: KernelRuntime | None = None
        self._runtime_users = 0
        self.stdin = self.registry.stdin()
        self._lock = threading.Lock()
        self._follows: weakref.WeakSet[LogFollow] = weakref.WeakSet()

    def version(self) -> dict[str, Any]:
        """The Docker engine's version information (a quick check that it answers)."""
        return dict(self.engine.version())

    # -- engines -------------------------------------------------------------------------------

    def engine_named(self, name: str | None = None) -> DockerEngine:
        """The engine called ``name`` (the default one for None)."""
        return self.registry.engine(name)

    def stdin_for(self, name: str) -> StdinWriters:
        """The stdin attachments of the engine called ``name``."""
        return self.registry.stdin(name)

    def engines(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Every engine, the default first: ``name``, ``url`` (no password), ``source``,
        ``tls``, ``reachable``, ``version``, ``containers`` and ``running`` counts, or the
        ``error`` that kept it from answering (asked in parallel: one engine down does not
        hold up the others)."""

        def ask(engine: DockerEngine) -> dict[str, Any]:
            state = self.registry.describe(engine.name)
            try:
                version = engine.version()
                listed = engine.list_containers()
            except LittleWingsError as exc:
                return {**state, "reachable": False, "error": exc.message}
            running = sum(1 for c in listed if c["state"] == "running")
            return {
                **state,
                "reachable": True,
                "version": version.get("Version"),
                "kind": engine_kind(version),
                "containers": len(listed),
                "running": running,
            }

        engines = list(self.registry)
        with ThreadPoolExecutor(len(engines), thread_name_prefix="littlewings-engines") as pool:
            futures = [pool.submit(ask, engine) for engine in engines]
            answers = []
            for engine, future in zip(engines, futures):
                try:
                    answers.append(future.result(timeout))
                except FutureTimeout:
                    answers.append(
                        {
                            "name": engine.name,
                            "reachable": False,
                            "error": f"no answer in {timeout:g} s",
                        }
                    )
            pool.shutdown(wait=False, cancel_futures=True)
        return answers

    def containers(
        self,
        name: str | Iterable[str] | None = None,
        *,
        state: str | Iterable[str] | None = None,
        label: str | Iterable[str] | None = None,
        project: str | None = None,
        image: str | None = None,
        all: bool = True,
        engine: str | None = None,
        pod: str | None = None,
    ) -> ContainerList:
        """The visible containers, newest first, filtered (see :func:`containers`)."""
        wanted = Visibility(_as_list(name), _as_list(label))
        states = set(_as_list(state))
        found = ContainerList()
        for summary in self._list(all, engine):
            if not wanted.allows(summary["name"], summary["labels"]):
                continue
            if states and summary["state"] not in states:
                continue
            if project is not None and summary.get("compose_project") != project:
                continue
            if pod is not None and summary.get("pod") != pod:
                continue
            if image is not None and not fnmatch.fnmatchcase(summary["image"], image):
                continue
            found.append(Container(self, summary))
        return found

    def _list(self, all: bool, engine: str | None) -> list[dict[str, Any]]:
        """Summaries of one engine, or of every engine that answers (a warning for the others)."""
        if engine is not None or len(self.registry) == 1:
            return list(self.engine_named(engine).list_containers(all=all))
        engines = list(self.registry)
        summaries: list[dict[str, Any]] = []
        with ThreadPoolExecutor(len(engines), thread_name_prefix="littlewings-engines") as pool:
            futures = [pool.submit(e.list_containers, all) for e in engines]
            for one, future in zip(engines, futures):
                try:
                    summaries.extend(future.result())
                except LittleWingsError as exc:
                    warnings.warn(
                        f"LittleWings: engine {one.name!r} left out: {exc.message}",
                        RuntimeWarning,
                        stacklevel=3,
                    )
        return summaries

    def container(self, ref: Any, engine: str | None = None) -> Container:
        """A handle on a visible container by name, id or id prefix (or a docker-py object),
        on ``engine`` (the default one when None)."""
        ref = getattr(ref, "id", ref)
        if not isinstance(ref, str):
            raise TypeError(f"A container is named by a string, not {type(ref).__name__}.")
        return Container(self, self.engine_named(engine).describe(ref))

    def project(self, name: str, engine: str | None = None) -> Group:
        """The containers of a Docker Compose project, as one merged log (see :func:`project`)."""
        return Group(self, selector_of(project=name), engine)

    def pod(self, name: str, engine: str | None = None) -> Group:
        """The containers of a Podman pod, as one merged log (see :func:`pod`)."""
        return Group(self, selector_of(pod=name), engine)

    def group(
        self,
        *,
        label: str | None = None,
        containers: Iterable[Any] | None = None,
        engine: str | None = None,
    ) -> Group:
        """Containers with a label, or listed ones, as one merged log (see :func:`group`)."""
        return Group(self, selector_of(label=label, containers=_as_refs(containers)), engine)

    def services(self, engine: str | None = None) -> list[dict[str, Any]]:
        """A Swarm manager's services (see :func:`services`)."""
        return list(self.engine_named(engine).swarm.list_services())

    def nodes(self, engine: str | None = None) -> list[dict[str, Any]]:
        """A Swarm manager's nodes (see :func:`nodes`)."""
        return list(self.engine_named(engine).swarm.list_nodes())

    def set_node_availability(
        self, node: str, availability: str, engine: str | None = None
    ) -> dict[str, Any]:
        """Set a Swarm node's availability (``active``, ``pause``, ``drain``: its tasks move
        to other nodes) by its hostname or id; its summary afterwards."""
        self._check_write(f"node availability {availability!r}")
        if availability not in ("active", "pause", "drain"):
            raise ValueError("availability must be active, pause or drain.")
        return self.engine_named(engine).swarm.set_node_availability(node, availability)

    def service(self, name: str, engine: str | None = None) -> Group:
        """A Swarm service's tasks as one merged log (see :func:`service`)."""
        return Group(self, selector_of(service=name), engine)

    def _check_write(self, what: str) -> None:
        if self.read_only:
            raise Forbidden(f"This LittleWings client is read-only: {what} is refused.")

    def _check_manage(self, what: str) -> None:
        self._check_write(what)
        if not self.limits.manage_enabled:
            raise Forbidden(f"This client may not create or remove containers: {what}.")

    def images(self) -> list[dict[str, Any]]:
        """The engine's local images: ``id``, ``tags``, ``size`` (bytes), ``created``."""
        return list(self.engine.list_images())

    def run(self, image: str, command: str | list[str] | None = None, **fields: Any) -> Container:
        """Create and start a container from a local image (see :func:`run`)."""
        self._check_manage("creating a container")
        spec = parse_spec({"image": image, "command": command, **fields})
        check_policy(spec, self.limits.policy())
        summary = self.engine.create(spec, {CREATED_BY_LABEL: kernel_user()})
        return Container(self, summary)

    def acquire_runtime(self) -> KernelRuntime:
        """The session core of this client's widgets, started by the first widget."""
        with self._lock:
            if self._runtime is None or not self._runtime.alive:
                self._runtime = KernelRuntime(self.registry, self.limits)
                self._runtime_users = 0
            self._runtime_users += 1
            return self._runtime

    def release_runtime(self, runtime: KernelRuntime) -> None:
        """A widget is done with the runtime; the last one stops it (streams, threads, loop)."""
        with self._lock:
            if runtime is not self._runtime:
                return
            self._runtime_users -= 1
            if self._runtime_users > 0:
                return
            self._runtime = None
        runtime.close()

    def close(self) -> None:
        """Close every follow, widget runtime and stdin attachment, and the Docker connection."""
        for follow in list(self._follows):
            follow.close()
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
        self.registry.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.engine.base_url or "from the environment"
        ro = ", read-only" if self.read_only else ""
        return f"<littlewings Client {where}{ro}>"


# -- the module-level default ---------------------------------------------------------------------

_default_client: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client the module-level functions use; made from the environment on first use."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client()
        return _default_client


def connect(
    base_url: str | None = None,
    *,
    timeout: float = 30,
    visible_names: Iterable[str] | None = None,
    visible_labels: Iterable[str] | None = None,
    read_only: bool = False,
) -> Client:
    """Use this Docker engine from now on; checks that it answers and returns the new client.

    The module-level functions (:func:`containers`, :func:`container`) then go to it; the
    previous default client is closed. Arguments as in :class:`Client`.

    >>> lw.connect("unix:///var/run/docker.sock", visible_labels=["team=data"])  # doctest: +SKIP
    """
    global _default_client
    client = Client(
        base_url,
        timeout=timeout,
        visible_names=visible_names,
        visible_labels=visible_labels,
        read_only=read_only,
    )
    client.version()
    with _default_lock:
        previous, _default_client = _default_client, client
    if previous is not None:
        previous.close()
    return client


def containers(
    name: str | Iterable[str] | None = None,
    *,
    state: str | Iterable[str] | None = None,
    label: str | Iterable[str] | None = None,
    project: str | None = None,
    image: str | None = None,
    all: bool = True,
    engine: str | None = None,
    pod: str | None = None,
) -> ContainerList:
    """The visible containers, newest first, as a :class:`ContainerList` (a table in notebooks).

    ``name``: shell pattern(s) such as ``"web-*"`` (any may match). ``state``: one state or
    several (``"running"``, ``["exited", "dead"]``). ``label``: ``"key"`` or ``"key=value"``, or
    several (all must match). ``project``: a Docker Compose project; ``pod``: a Podman pod.
    ``image``: a shell pattern
    of the image name. ``all=False``: running containers only, like ``docker ps``.
    ``engine``: one engine's (see :func:`engines`); by default every engine's, each container
    saying which (an engine that does not answer is left out, with a warning).
    """
    return default_client().containers(
        name,
        state=state,
        label=label,
        project=project,
        image=image,
        all=all,
        engine=engine,
        pod=pod,
    )


def engines() -> list[dict[str, Any]]:
    """The Docker engines, the default first: the environment's and the docker CLI's contexts
    (the current one first), with whether each answers: see :meth:`Client.engines`."""
    return default_client().engines()


def project(name: str, engine: str | None = None) -> Group:
    """A Docker Compose project's containers as one log, like ``docker compose logs``.

    >>> shop = lw.project("shop")              # doctest: +SKIP
    >>> print(shop.logs(tail=20))              # merged by timestamp, "name  | line"
    >>> for line in shop.follow(timeout=60):   # live, members that appear included
    ...     print(line.container, line.text)
    """
    return default_client().project(name, engine)


def pod(name: str, engine: str | None = None) -> Group:
    """A Podman pod's containers as one log, as :func:`project` for a Compose project.

    >>> print(lw.pod("web", engine="podman").logs(tail=20))   # doctest: +SKIP
    """
    return default_client().pod(name, engine)


def group(
    *,
    label: str | None = None,
    containers: Iterable[Any] | None = None,
    engine: str | None = None,
) -> Group:
    """Containers with a label (``"team=data"``, or ``"key"`` for any value), or the listed
    containers (names, ids or handles), as one merged log: see :func:`project`."""
    return default_client().group(label=label, containers=containers, engine=engine)


def on_event(
    callback: Callable[[dict[str, Any]], Any],
    events: Iterable[str] = ("died", "oom", "unhealthy"),
    *,
    container: Any = None,
    project: str | None = None,
    label: str | None = None,
    patterns: list[str] | None = None,
    engine: str | None = None,
    cooldown: float = 60,
    any_exit: bool = False,
    pod: str | None = None,
) -> AlertSubscription:
    """Call ``callback(alert)`` for the alerts of the containers named by ``container``,
    ``project``, ``pod`` or ``label``: deaths (non-zero exit code, or any with ``any_exit``), OOM
    kills, unhealthy turns, and lines matching ``patterns`` (regular expressions); at most
    once a ``cooldown`` per container and kind. Returns the subscription: ``.cancel()`` it.

    >>> lw.on_event(print, project="shop", patterns=["ERROR"])   # doctest: +SKIP
    """
    spec = rule(
        list(events),
        container=container,
        project=project,
        label=label,
        patterns=patterns,
        engine=engine,
        any_exit=any_exit,
        pod=pod,
    )
    return AlertSubscription(default_client(), [spec], callback, cooldown)


def services(engine: str | None = None) -> list[dict[str, Any]]:
    """The services of an engine that is a Docker Swarm manager: name, image, mode, replicas
    (wanted) and running, update state. Another engine raises ``NotSwarmManager``."""
    return default_client().services(engine)


def nodes(engine: str | None = None) -> list[dict[str, Any]]:
    """The nodes of an engine that is a Docker Swarm manager: hostname, role, leader,
    availability, state, engine version, address and the tasks each runs. Another engine
    raises ``NotSwarmManager``."""
    return default_client().nodes(engine)


def service(name: str, engine: str | None = None) -> Group:
    """A Swarm service's logs over all its tasks, like ``docker service logs``: ``.logs()``,
    ``.log_lines()`` and ``.follow()`` as for :func:`project`, each line's ``container`` being
    its task (``web.1``); ``.tasks`` lists them."""
    return default_client().service(name, engine)


def _as_refs(containers: Iterable[Any] | None) -> list[str] | None:
    if containers is None:
        return None
    if isinstance(containers, str):
        raise TypeError("containers must be a list of names, ids or handles, not one string.")
    return [str(getattr(c, "name", c)) for c in containers]


def images() -> list[dict[str, Any]]:
    """The engine's local images (``id``, ``tags``, ``size``, ``created``), tagged ones first."""
    return default_client().images()


def run(image: str, command: str | list[str] | None = None, **fields: Any) -> Container:
    """Create and start a container from a local image, like ``docker run -d``; its handle.

    ``fields`` as docker-py's ``containers.run`` names them: ``name``, ``env`` (a dict or
    ``["K=V"]``), ``ports`` (``{"80/tcp": 8080}`` or ``["8080:80"]``), ``volumes`` (``{"data":
    "/data"}``; host paths only below the client's ``limits.allowed_bind_roots``), ``mem_limit``
    (``"256m"``), ``memswap_limit``, ``cpus`` (``0.5``), ``restart_policy`` (``"on-failure:3"``),
    ``labels``, ``stdin_open``, ``tty``, ``network``, ``working_dir``, ``user``, ``entrypoint``;
    ``detach=False`` creates without starting. A ``command`` string is split into words as
    ``docker run`` does (no shell: use ``["sh", "-c", "…"]`` for pipes and ``;``). Nothing is
    pulled: a missing image is an error.
    A wrong field raises :class:`~littlewings_jupyter.errors.InvalidMessage` naming it.
    """
    return default_client().run(image, command, **fields)


def container(ref: Any, engine: str | None = None) -> Container:
    """A handle on one visible container, by name, id or id prefix (on ``engine``: see
    :func:`engines`; the default one when None).

    Raises :class:`~littlewings_jupyter.errors.ContainerNotFound` when there is none (or it is
    hidden) and :class:`~littlewings_jupyter.errors.EngineUnavailable` when Docker does not answer.
    """
    return default_client().container(ref, engine)


__all__ = [
    "Client",
    "Container",
    "ContainerList",
    "ExecResult",
    "Files",
    "Line",
    "LogFollow",
    "SearchMatch",
    "Shell",
    "connect",
    "container",
    "containers",
    "default_client",
    "engines",
    "group",
    "join_lines",
    "nodes",
    "on_event",
    "pod",
    "project",
    "service",
    "services",
]
