"""Docker Swarm through a manager's engine: services, their tasks on every node, nodes and
their availability, and a service's (or one task's) logs.

Reached as ``engine.swarm`` (:class:`Swarm`): every call goes through the engine's
:meth:`~.engine.DockerEngine.call`, so errors and credentials are handled as for containers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any, Callable, Protocol

from ..errors import (
    ContainerNotFound,
    LittleWingsError,
    NodeNotFound,
    NotSwarmManager,
    ServiceNotFound,
)
from ..parsing.lines import LineAssembler, LogLine
from .framing import DockerStream
from .models import CONTAINER_REF_RE, summarize_node, summarize_service


class SwarmEngine(Protocol):
    """What :class:`Swarm` uses of its engine (a :class:`~.engine.DockerEngine`)."""

    name: str
    max_line_bytes: int

    @property
    def api(self) -> Any: ...

    def call(self, fn: Callable[[], Any], what: str = "") -> Any: ...

    def open_stream(self, path: str, ref: str, params: dict[str, Any]) -> DockerStream: ...


class Swarm:
    """The Swarm calls of one engine (a manager's, for all but :meth:`role`)."""

    def __init__(self, engine: SwarmEngine) -> None:
        self.engine = engine
        self._node_id: str | None = None

    def _call(self, request: Callable[[Any], Any], what: str = "") -> Any:
        """``request(api)`` with the engine's docker-py API client, as the engine calls it."""
        return self.engine.call(lambda: request(self.engine.api), what)

    def role(self) -> str | None:
        """``"manager"`` or ``"worker"`` when the engine is a Swarm node, else None."""
        swarm = (self._call(lambda api: api.info()) or {}).get("Swarm") or {}
        if swarm.get("LocalNodeState") != "active":
            return None
        return "manager" if swarm.get("ControlAvailable") else "worker"

    def node_id(self) -> str | None:
        """This engine's own node in its swarm (None: no swarm node); a node keeps its ID."""
        if self._node_id is None:
            swarm = (self._call(lambda api: api.info()) or {}).get("Swarm") or {}
            if swarm.get("LocalNodeState") == "active":
                self._node_id = swarm.get("NodeID") or None
        return self._node_id

    def _require_manager(self) -> None:
        if self.role() != "manager":
            raise NotSwarmManager(
                f"The engine {self.engine.name!r} is not a Docker Swarm manager: it has no "
                "services."
            )

    def list_services(self) -> list[dict[str, Any]]:
        """The swarm's services: replicas wanted and running, image, update state."""
        self._require_manager()
        services = self._call(lambda api: api.services())
        tasks = self._call(lambda api: api.tasks())
        running: dict[str, int] = {}
        for task in tasks:
            if (task.get("Status") or {}).get("State") == "running":
                running[task.get("ServiceID", "")] = running.get(task.get("ServiceID", ""), 0) + 1
        return sorted(
            (summarize_service(s, running.get(s["ID"], 0), self.engine.name) for s in services),
            key=lambda s: s["name"],
        )

    def list_nodes(self) -> list[dict[str, Any]]:
        """The swarm's nodes (hostname order), each with the tasks it runs or is to run."""
        self._require_manager()
        nodes = self._call(lambda api: api.nodes())
        services = {s["ID"]: s["Spec"]["Name"] for s in self._call(lambda api: api.services())}
        tasks = self._call(lambda api: api.tasks(filters={"desired-state": "running"}))
        by_node: dict[str, list[dict[str, Any]]] = {}
        for task in tasks:
            node = task.get("NodeID", "")
            service = services.get(task.get("ServiceID", ""), task.get("ServiceID", "")[:12])
            slot = task.get("Slot")
            status = task.get("Status") or {}
            by_node.setdefault(node, []).append(
                {
                    "id": task["ID"],
                    "name": f"{service}.{slot}" if slot else f"{service}.{node[:12]}",
                    "service": service,
                    "state": status.get("State", ""),
                    "desired_state": task.get("DesiredState", ""),
                    "container_id": (status.get("ContainerStatus") or {}).get("ContainerID"),
                }
            )
        for listed in by_node.values():
            listed.sort(key=lambda t: t["name"])
        return sorted(
            (summarize_node(n, by_node.get(n["ID"], []), self.engine.name) for n in nodes),
            key=lambda n: (n["hostname"], n["id"]),
        )

    def set_node_availability(self, ref: str, availability: str) -> dict[str, Any]:
        """Set a node's availability (``active``, ``pause``, ``drain``; by its hostname, id or
        id prefix); its summary afterwards."""
        self._require_manager()
        nodes = self._call(lambda api: api.nodes())
        found = [
            n
            for n in nodes
            if ref == (n.get("Description") or {}).get("Hostname")
            or (len(ref) >= 4 and n["ID"].startswith(ref))
        ]
        if len(found) != 1:
            raise NodeNotFound(ref)
        node = found[0]
        spec = {**(node.get("Spec") or {}), "Availability": availability}
        version = (node.get("Version") or {}).get("Index")
        self._call(lambda api: api.update_node(node["ID"], version, spec), ref)
        return next(n for n in self.list_nodes() if n["id"] == node["ID"])

    def resolve_service(self, ref: str) -> dict[str, Any]:
        """A service by name, id or id prefix: its summary."""
        self._require_manager()
        if not isinstance(ref, str) or not CONTAINER_REF_RE.match(ref):
            raise ServiceNotFound(str(ref)[:80])
        import docker.errors

        try:
            service = self._call(lambda api: api.inspect_service(ref))
        except (ContainerNotFound, docker.errors.NotFound):
            raise ServiceNotFound(ref) from None
        tasks = self.service_tasks(service["ID"])
        return summarize_service(
            service, sum(1 for t in tasks if t["state"] == "running"), self.engine.name
        )

    def find_task(self, ref: str) -> dict[str, Any]:
        """A task of any service by its name (``web.2``), id or id prefix, or its container's
        id or prefix (on whatever node it runs): as :meth:`service_tasks` lists it, with its
        ``service_id`` and ``container_id``. The newest task of a slot wins."""
        self._require_manager()
        if not isinstance(ref, str) or not CONTAINER_REF_RE.match(ref):
            raise ContainerNotFound(str(ref)[:80])
        services = {s["ID"]: s["Spec"]["Name"] for s in self._call(lambda api: api.services())}
        tasks = sorted(
            self._call(lambda api: api.tasks()),
            key=lambda t: t.get("CreatedAt") or "",
            reverse=True,
        )
        long_enough = len(ref) >= 4
        for task in tasks:
            service = services.get(task.get("ServiceID", ""))
            if service is None:
                continue
            slot, node = task.get("Slot"), task.get("NodeID", "")
            name = f"{service}.{slot}" if slot else f"{service}.{node[:12]}"
            container = ((task.get("Status") or {}).get("ContainerStatus") or {}).get(
                "ContainerID"
            ) or ""
            if (
                ref == name
                or (long_enough and task["ID"].startswith(ref))
                or (long_enough and container.startswith(ref))
            ):
                return {
                    "id": task["ID"],
                    "name": name,
                    "slot": slot,
                    "node": node,
                    "state": (task.get("Status") or {}).get("State", ""),
                    "desired_state": task.get("DesiredState", ""),
                    "created": task.get("CreatedAt"),
                    "service_id": task.get("ServiceID", ""),
                    "service": service,
                    "container_id": container or None,
                }
        raise ContainerNotFound(ref)

    def service_tasks(self, service_id: str) -> list[dict[str, Any]]:
        """The tasks of a service (newest state of each slot first): id, name (``web.1``),
        slot, node, state, desired state."""
        name = ""
        with contextlib.suppress(LittleWingsError):
            name = self._call(lambda api: api.inspect_service(service_id))["Spec"]["Name"]
        tasks = self._call(lambda api: api.tasks(filters={"service": service_id}))
        out = []
        for task in tasks:
            slot = task.get("Slot")
            node = task.get("NodeID", "")
            out.append(
                {
                    "id": task["ID"],
                    "name": f"{name}.{slot}" if slot else f"{name}.{node[:12]}",
                    "slot": slot,
                    "node": node,
                    "state": (task.get("Status") or {}).get("State", ""),
                    "desired_state": task.get("DesiredState", ""),
                    "created": task.get("CreatedAt"),
                }
            )
        out.sort(key=lambda t: (t["slot"] or 0, t["node"], t["created"] or ""), reverse=False)
        return out

    def open_service_logs(
        self,
        service_id: str,
        *,
        follow: bool,
        tail: int | None = None,
        since: str | None = None,
        task_id: str | None = None,
        details: bool = True,
    ) -> DockerStream:
        """A service's log stream over its tasks (``docker service logs --details``): each
        line starts with its task's attributes. With ``task_id``: that task's only, on
        whatever node it runs (``docker service logs TASK``); ``details=False``: the lines
        without the attributes (a third of the bytes of a short line)."""
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "details": 1 if details else 0,
            "follow": 1 if follow else 0,
            "tail": "all" if tail is None else str(tail),
        }
        if since is not None:
            params["since"] = since
        if task_id is not None:
            return self.engine.open_stream("/tasks/{0}/logs", task_id, params)
        return self.engine.open_stream("/services/{0}/logs", service_id, params)

    def iter_service_logs(
        self,
        service_id: str,
        *,
        tail: int | None = None,
        since: str | None = None,
        task_id: str | None = None,
        details: bool = True,
    ) -> Generator[list[LogLine], None, None]:
        """A service's history (every task's, with their attributes; ``task_id``: one task's,
        ``details=False``: without them) in batches of lines."""
        stream = self.open_service_logs(
            service_id, follow=False, tail=tail, since=since, task_id=task_id, details=details
        )
        assembler = LineAssembler(self.engine.max_line_bytes, False)
        try:
            for block in stream:
                lines = assembler.feed(block)
                if lines:
                    yield lines
            rest = assembler.flush()
            if rest:
                yield rest
        finally:
            stream.close()


__all__ = ["Swarm", "SwarmEngine"]
