"""What LittleWings knows of a container: visibility rules, references, summaries, power actions."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Conflict, InvalidMessage

# Docker's own rule for container names (plus ids and id prefixes, which match it too; service
# and task names too).
CONTAINER_REF_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

POWER_ACTIONS = ("start", "stop", "restart", "kill", "pause", "unpause")

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"

# Which states each power action makes sense in; Docker is still the judge, this only gives a
# clear message before asking it.
_ALLOWED_STATES: dict[str, tuple[str, ...]] = {
    "start": ("created", "exited", "dead"),
    "stop": ("running", "restarting", "paused"),
    "restart": ("running", "created", "exited", "restarting", "dead"),
    "kill": ("running", "restarting", "paused"),
    "pause": ("running",),
    "unpause": ("paused",),
}


@dataclass
class Visibility:
    """Which containers LittleWings shows: name patterns and labels (empty means all)."""

    name_patterns: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def allows(self, name: str, labels: dict[str, str] | None) -> bool:
        """Whether a container of this name and labels is visible."""
        name = name.lstrip("/")
        if self.name_patterns and not any(
            fnmatch.fnmatchcase(name, pattern) for pattern in self.name_patterns
        ):
            return False
        labels = labels or {}
        for rule in self.labels:
            key, has_value, value = rule.partition("=")
            if key not in labels or (has_value and labels[key] != value):
                return False
        return True


@dataclass
class ContainerRef:
    """What the session manager needs to know of a container it follows."""

    id: str
    name: str
    tty: bool
    open_stdin: bool
    state: str
    started_at: str = ""
    engine: str = ""  # the engine's name (its SessionManager slot); "" the default one


def engine_kind(version: dict[str, Any]) -> str:
    """Which engine answers the Docker API, from its ``/version``: ``"podman"`` (Podman names a
    component "Podman Engine") or ``"docker"``."""
    components = version.get("Components") or []
    names = [str(c.get("Name", "")) for c in components if isinstance(c, dict)]
    return "podman" if any(name.lower().startswith("podman") for name in names) else "docker"


def summarize_listed(item: dict[str, Any], engine: str = "default") -> dict[str, Any]:
    """A container summary from one entry of ``GET /containers/json``."""
    labels = item.get("Labels") or {}
    status = item.get("Status") or ""
    health = None
    for word in ("healthy", "unhealthy", "health: starting"):
        if f"({word})" in status:
            health = "starting" if word == "health: starting" else word
    exit_code = None
    match = re.match(r"Exited \((-?\d+)\)", status)
    if match:
        exit_code = int(match.group(1))
    names = item.get("Names") or ["/" + item["Id"][:12]]
    return {
        "id": item["Id"],
        "short_id": item["Id"][:12],
        "name": names[0].lstrip("/"),
        "image": item.get("Image", ""),
        "state": item.get("State", ""),
        "status": status,
        "health": health,
        "exit_code": exit_code,
        "oom_killed": False,  # (the list does not say: an exit 137 is inspected, engine.py)
        "created": item.get("Created"),
        "compose_project": labels.get(COMPOSE_PROJECT),
        "compose_service": labels.get(COMPOSE_SERVICE),
        "pod": None,  # (a Podman pod's name: the engine adds it, engine.py)
        "labels": labels,
        "ports": published_ports(
            (f"{p.get('PrivatePort')}/{p.get('Type', 'tcp')}", p.get("IP"), p.get("PublicPort"))
            for p in item.get("Ports") or []
        ),
        "engine": engine,
    }


def summarize_inspected(info: dict[str, Any], engine: str = "default") -> dict[str, Any]:
    """A container summary (with details) from ``GET /containers/{id}/json``."""
    state = info.get("State") or {}
    config = info.get("Config") or {}
    labels = config.get("Labels") or {}
    health = (state.get("Health") or {}).get("Status")
    status = state.get("Status", "")
    return {
        "id": info["Id"],
        "short_id": info["Id"][:12],
        "name": info.get("Name", "").lstrip("/"),
        "image": config.get("Image", ""),
        "state": status,
        "status": _describe_state(state),
        "health": health,
        "exit_code": state.get("ExitCode") if status in ("exited", "dead") else None,
        "oom_killed": bool(state.get("OOMKilled")) and status in ("exited", "dead"),
        "created": info.get("Created"),
        "started_at": _docker_time(state.get("StartedAt")),
        "finished_at": _docker_time(state.get("FinishedAt")),
        "restart_count": info.get("RestartCount", 0),
        "compose_project": labels.get(COMPOSE_PROJECT),
        "compose_service": labels.get(COMPOSE_SERVICE),
        "pod": None,  # (a Podman pod's name: the engine adds it, engine.py)
        "labels": labels,
        "open_stdin": bool(config.get("OpenStdin")),
        "tty": bool(config.get("Tty")),
        "command": [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])],
        "ports": published_ports(
            (port, binding.get("HostIp"), binding.get("HostPort"))
            for port, bindings in ((info.get("NetworkSettings") or {}).get("Ports") or {}).items()
            for binding in bindings or []
        ),
        "engine": engine,
    }


def published_ports(
    bindings: Iterable[tuple[str, str | None, int | str | None]],
) -> list[dict[str, Any]]:
    """The ports a container publishes on its host, one entry per host port and container
    port (Docker lists a binding once for IPv4 and again for IPv6), in container port order.

    ``bindings``: ``("80/tcp", host_ip, host_port)`` as the list (``Ports``) or inspect
    (``NetworkSettings.Ports``) answers give them; an exposed port with no host port is left out.
    """
    seen: dict[tuple[int, int, str], dict[str, Any]] = {}
    for port, host_ip, host_port in bindings:
        number, _, protocol = str(port).partition("/")
        if not host_port or not number.isdigit() or not str(host_port).isdigit():
            continue
        key = (int(number), int(host_port), protocol or "tcp")
        if key not in seen or seen[key]["host_ip"] in ("::", ""):
            seen[key] = {
                "container_port": key[0],
                "host_port": key[1],
                "protocol": key[2],
                "host_ip": host_ip or "",
            }
    return [seen[key] for key in sorted(seen)]


def summarize_service(service: dict[str, Any], running: int, engine: str) -> dict[str, Any]:
    """A Swarm service's summary from ``GET /services``: replicas, image, update state."""
    spec = service.get("Spec") or {}
    mode = spec.get("Mode") or {}
    image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
    update = service.get("UpdateStatus") or {}
    return {
        "id": service["ID"],
        "name": spec.get("Name", service["ID"][:12]),
        "image": image.split("@sha256:")[0],
        "mode": "replicated" if "Replicated" in mode else "global" if "Global" in mode else "",
        "replicas": (mode.get("Replicated") or {}).get("Replicas"),
        "running": running,
        "update_state": update.get("State"),
        "update_message": update.get("Message"),
        "created": service.get("CreatedAt"),
        "updated": service.get("UpdatedAt"),
        "labels": spec.get("Labels") or {},
        "engine": engine,
    }


def summarize_node(
    node: dict[str, Any], tasks: list[dict[str, Any]], engine: str
) -> dict[str, Any]:
    """A Swarm node's summary from ``GET /nodes``, with the tasks it runs."""
    spec = node.get("Spec") or {}
    description = node.get("Description") or {}
    status = node.get("Status") or {}
    manager = node.get("ManagerStatus") or {}
    return {
        "id": node["ID"],
        "hostname": description.get("Hostname", ""),
        "role": spec.get("Role", ""),  # manager, worker
        "leader": bool(manager.get("Leader")),
        "reachability": manager.get("Reachability"),  # a manager's: reachable, unreachable
        "availability": spec.get("Availability", ""),  # active, pause, drain
        "state": status.get("State", ""),  # ready, down, unknown, disconnected
        "message": status.get("Message") or None,
        "engine_version": (description.get("Engine") or {}).get("EngineVersion", ""),
        "address": status.get("Addr") or str(manager.get("Addr", "")).rpartition(":")[0],
        "labels": spec.get("Labels") or {},
        "tasks": tasks,
        "engine": engine,
    }


def _docker_time(value: str | None) -> str | None:
    return None if not value or value.startswith("0001-") else value


def _describe_state(state: dict[str, Any]) -> str:
    status = state.get("Status", "")
    if status == "running":
        return "Up" + (" (paused)" if state.get("Paused") else "")
    if status == "exited":
        return f"Exited ({state.get('ExitCode', 0)})"
    return status.capitalize()


def check_power_action(action: str, state: str) -> None:
    """Raise :class:`Conflict` with a clear message when ``state`` does not allow ``action``."""
    if action not in POWER_ACTIONS:
        raise Conflict(f"Unknown power action {action!r}.")
    if state not in _ALLOWED_STATES[action]:
        hints = {
            "start": "it is already running" if state == "running" else f"it is {state}",
            "unpause": "it is not paused",
            "pause": "it is not running" if state != "paused" else "it is already paused",
        }
        reason = hints.get(action, f"it is {state or 'in an unknown state'}")
        raise Conflict(f"Cannot {action} the container: {reason}.", state=state)


MAX_TERMINAL_SIZE = 1000


def check_terminal_size(rows: Any, cols: Any) -> tuple[int, int]:
    """``rows`` and ``cols`` of a terminal, or :class:`InvalidMessage` saying what is wrong."""
    for name, value in (("rows", rows), ("cols", cols)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidMessage(f"'{name}' must be a whole number.")
        if not 1 <= value <= MAX_TERMINAL_SIZE:
            raise InvalidMessage(f"'{name}' must be from 1 to {MAX_TERMINAL_SIZE}, not {value}.")
    return rows, cols
