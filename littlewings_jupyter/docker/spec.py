"""What a new container is made of: one checked description for REST, the WebSocket and Python.

:func:`parse_spec` turns a JSON object (or Python keyword arguments) into a :class:`ContainerSpec`
and names the field of anything wrong; :class:`Policy` is what the server allows (images, bind
roots, privileged options). Nothing here talks to Docker.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Forbidden, InvalidField, InvalidMessage

# Docker's own rule for container names.
NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}$")
ENV_NAME = re.compile(r"^[^=\x00]+$")
UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
RESTART = ("no", "always", "unless-stopped", "on-failure")
MIN_MEMORY = 6 * 1024 * 1024  # Docker refuses less than 6 MiB
MAX_ITEMS = 256


@dataclass
class Policy:
    """What this server lets its users create (``c.LittleWings.allowed_images``…)."""

    allowed_images: list[str] = field(default_factory=list)
    allowed_bind_roots: list[str] = field(default_factory=list)
    allow_privileged: bool = False


@dataclass
class ContainerSpec:
    """A container to create, checked."""

    image: str
    command: list[str] | str | None = None
    name: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, tuple[str, int] | int] = field(default_factory=dict)
    volumes: dict[str, dict[str, str]] = field(default_factory=dict)
    mem_limit: int | None = None
    memswap_limit: int | None = None
    cpus: float | None = None
    restart_policy: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    stdin_open: bool = False
    tty: bool = False
    network: str | None = None
    working_dir: str | None = None
    user: str | None = None
    entrypoint: list[str] | None = None
    privileged: bool = False
    pid_mode: str | None = None
    ipc_mode: str | None = None
    userns_mode: str | None = None
    devices: list[str] = field(default_factory=list)
    start: bool = True

    def namespaces(self) -> dict[str, str]:
        """The namespace fields that are set (``network``, ``pid_mode``, ``ipc_mode``,
        ``userns_mode``), by name."""
        fields = {
            "network": self.network,
            "pid_mode": self.pid_mode,
            "ipc_mode": self.ipc_mode,
            "userns_mode": self.userns_mode,
        }
        return {name: value for name, value in fields.items() if value}

    def joined_containers(self) -> dict[str, str]:
        """The containers whose namespaces this one would join (``container:<x>`` forms)."""
        return {
            name: value.partition(":")[2]
            for name, value in self.namespaces().items()
            if value.startswith("container:")
        }

    @property
    def binds(self) -> dict[str, dict[str, str]]:
        """The host paths among :attr:`volumes` (the rest are named volumes)."""
        return {k: v for k, v in self.volumes.items() if k.startswith("/")}

    def summary(self) -> str:
        """For the audit trail: the image, the name and what matters for safety."""
        parts = [self.image]
        if self.name:
            parts.append(f"name={self.name}")
        if self.command:
            text = self.command if isinstance(self.command, str) else " ".join(self.command)
            parts.append(f"command={text[:200]}")
        if self.ports:
            parts.append("ports=" + ",".join(sorted(self.ports)))
        if self.volumes:
            parts.append("volumes=" + ",".join(sorted(self.volumes)))
        if self.mem_limit:
            parts.append(f"memory={self.mem_limit}")
        if self.cpus:
            parts.append(f"cpus={self.cpus:g}")
        if self.privileged:
            parts.append("privileged")
        return " ".join(parts)


def parse_size(value: Any, name: str) -> int:
    """Bytes from ``536870912``, ``"512m"``, ``"1.5g"`` (as ``docker run --memory``)."""
    if isinstance(value, bool):
        raise InvalidField(name, "a size: bytes, or a number with b, k, m or g.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*", value.lower())
        if not found:
            raise InvalidField(name, f"{value!r} is not a size (e.g. 512m, 2g).")
        number = int(float(found.group(1)) * UNITS[found.group(2)])
    else:
        raise InvalidField(name, "a size: bytes, or a number with b, k, m or g.")
    if number <= 0:
        raise InvalidField(name, "must be more than 0.")
    return number


def _string(data: dict[str, Any], name: str, limit: int = 4096) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > limit:
        raise InvalidField(name, f"must be a string (at most {limit} characters).")
    return value


def _bool(data: dict[str, Any], name: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise InvalidField(name, "must be true or false.")
    return value


def _argv(value: Any, name: str) -> list[str] | str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return value
    if (
        isinstance(value, list)
        and len(value) <= MAX_ITEMS
        and all(isinstance(a, str) and "\x00" not in a for a in value)
    ):
        return list(value)
    raise InvalidField(name, "a command line (string) or an argv (list of strings).")


def _mapping(value: Any, name: str) -> dict[str, Any]:
    """A dict, or a list of ``KEY=VALUE`` strings (as ``docker run -e`` / ``-l`` take them)."""
    if value is None:
        return {}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str) or "=" not in item:
                raise InvalidField(name, f"{item!r} is not KEY=VALUE.")
            key, _, rest = item.partition("=")
            out[key] = rest
        value = out
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise InvalidField(name, "an object of names to values, or a list of KEY=VALUE.")
    return value


def _env(value: Any) -> dict[str, str]:
    env = _mapping(value, "env")
    for key, item in env.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            raise InvalidField("env", f"{key!r} is not a variable name.")
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or "\x00" in item:
            raise InvalidField("env", f"the value of {key} must be a string.")
        env[key] = item
    return env


def _port_number(value: Any, name: str, host: bool = False) -> int:
    """A port number; a host port may be 0 (Docker picks a free one)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidField(name, f"{value!r} is not a port number.") from None
    low = 0 if host else 1
    if isinstance(value, bool) or not low <= number <= 65535 or str(value).strip() != str(number):
        raise InvalidField(name, f"{value!r} is not a port number ({low} to 65535).")
    return number


def _ports(value: Any) -> dict[str, tuple[str, int] | int]:
    """``{"80/tcp": 8080}``, ``{"80": ["127.0.0.1", 8080]}`` or ``["8080:80", "53:53/udp"]``."""
    if value is None:
        return {}
    items: list[tuple[str, Any]] = []
    if isinstance(value, list):
        for entry in value:
            if not isinstance(entry, str):
                raise InvalidField("ports", f"{entry!r}: use HOST:CONTAINER[/PROTOCOL].")
            mapping, _, protocol = entry.partition("/")
            parts = mapping.split(":")
            if len(parts) == 2:
                host: Any = parts[0]
            elif len(parts) == 3:
                host = [parts[0], parts[1]]
            else:
                raise InvalidField("ports", f"{entry!r}: use HOST:CONTAINER[/PROTOCOL].")
            items.append((parts[-1] + (f"/{protocol}" if protocol else ""), host))
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise InvalidField("ports", 'an object like {"80/tcp": 8080} or a list like ["8080:80"].')
    ports: dict[str, tuple[str, int] | int] = {}
    for key, host in items:
        number, _, protocol = str(key).partition("/")
        protocol = protocol or "tcp"
        if protocol not in ("tcp", "udp", "sctp"):
            raise InvalidField("ports", f"{key!r}: the protocol is tcp, udp or sctp.")
        container_port = _port_number(number, "ports")
        if isinstance(host, (list, tuple)) and len(host) == 2:
            address = str(host[0])
            if not re.fullmatch(r"[0-9a-fA-F.:]+", address):
                raise InvalidField("ports", f"{address!r} is not an IP address to bind.")
            ports[f"{container_port}/{protocol}"] = (address, _port_number(host[1], "ports", True))
        else:
            ports[f"{container_port}/{protocol}"] = _port_number(host, "ports", True)
    return ports


def _volumes(value: Any) -> dict[str, dict[str, str]]:
    """``{"data": "/data"}``, ``{"/srv/x": {"bind": "/x", "mode": "ro"}}`` or ``["data:/data"]``."""
    if value is None:
        return {}
    items: list[tuple[str, Any]] = []
    if isinstance(value, list):
        for entry in value:
            parts = entry.split(":") if isinstance(entry, str) else []
            if len(parts) not in (2, 3):
                raise InvalidField("volumes", f"{entry!r}: use SOURCE:PATH[:ro].")
            items.append(
                (parts[0], {"bind": parts[1], "mode": parts[2] if len(parts) > 2 else "rw"})
            )
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise InvalidField(
            "volumes", 'an object of sources to paths, or a list like ["data:/data"].'
        )
    volumes: dict[str, dict[str, str]] = {}
    for source, target in items:
        if isinstance(target, str):
            target = {"bind": target, "mode": "rw"}
        if not isinstance(target, dict) or not isinstance(target.get("bind"), str):
            raise InvalidField("volumes", f"{source!r}: the path inside the container is missing.")
        bind, mode = target["bind"], target.get("mode", "rw")
        if not bind.startswith("/"):
            raise InvalidField("volumes", f"{bind!r}: a path inside the container is absolute.")
        if mode not in ("rw", "ro"):
            raise InvalidField("volumes", f"{mode!r}: the mode is rw or ro.")
        if not isinstance(source, str) or not source or "\x00" in source:
            raise InvalidField("volumes", "a source is a volume name or an absolute host path.")
        if not source.startswith("/") and not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", source):
            raise InvalidField("volumes", f"{source!r} is not a volume name or an absolute path.")
        volumes[source] = {"bind": bind, "mode": mode}
    return volumes


def _namespace(
    data: dict[str, Any], name: str, modes: tuple[str, ...] | None, joins: bool = True
) -> str | None:
    """A namespace mode: one of ``modes`` (any network name for ``network``, where ``modes`` is
    None), or ``container:<name or id>`` where Docker takes that form."""
    value = _string(data, name, 256)
    if value is None:
        return None
    if value.startswith("container:"):
        target = value.partition(":")[2]
        if not joins:
            raise InvalidField(name, f"{value!r}: Docker takes only 'host' here.")
        if not NAME.match(target):
            raise InvalidField(name, f"{value!r}: container:<name or id>.")
        return value
    if modes is not None and value not in modes:
        kinds = ", ".join(modes)
        raise InvalidField(name, f"{value!r}: {kinds}{', or container:<name>' if joins else ''}.")
    if modes is None and not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", value):
        raise InvalidField(name, f"{value!r} is not a network name.")
    return value


def _restart(value: Any) -> dict[str, Any] | None:
    if value is None or value == "" or value == "no":
        return None
    if isinstance(value, dict):
        name, count = value.get("Name", value.get("name")), value.get("MaximumRetryCount", 0)
    elif isinstance(value, str):
        name, _, rest = value.partition(":")
        count = rest or 0
    else:
        raise InvalidField("restart_policy", "no, always, unless-stopped or on-failure[:N].")
    if name not in RESTART:
        raise InvalidField("restart_policy", f"{name!r}: no, always, unless-stopped or on-failure.")
    try:
        retries = int(count)
    except (TypeError, ValueError):
        raise InvalidField("restart_policy", f"{count!r} is not a number of retries.") from None
    if retries < 0 or (retries and name != "on-failure"):
        raise InvalidField("restart_policy", "a retry count is for on-failure only, 0 or more.")
    return {"Name": name, "MaximumRetryCount": retries}


KNOWN = {
    "image",
    "command",
    "name",
    "env",
    "environment",
    "ports",
    "volumes",
    "mem_limit",
    "memory",
    "memswap_limit",
    "swap",
    "cpus",
    "restart_policy",
    "restart",
    "labels",
    "stdin_open",
    "tty",
    "network",
    "working_dir",
    "user",
    "entrypoint",
    "privileged",
    "pid_mode",
    "ipc_mode",
    "userns_mode",
    "devices",
    "start",
    "detach",
}


def parse_spec(data: Any) -> ContainerSpec:
    """A checked :class:`ContainerSpec` from a JSON object; :class:`InvalidField` if one is wrong.

    Names follow docker-py's ``containers.run`` (``mem_limit``, ``memswap_limit``…) with the CLI's
    spellings accepted too (``memory``, ``swap``, ``environment``, ``restart``).
    """
    if not isinstance(data, dict):
        raise InvalidMessage("A container description is a JSON object.")
    unknown = sorted(set(data) - KNOWN - {"type", "id"})
    if unknown:
        raise InvalidField(unknown[0], f"unknown field (known: {', '.join(sorted(KNOWN))}).")
    image = _string(data, "image", 512)
    if not image:
        raise InvalidField("image", "the image to run is missing.")
    if not re.fullmatch(r"[\w][\w.:/@+-]*", image):
        raise InvalidField("image", f"{image!r} is not an image reference.")
    name = _string(data, "name", 253)
    if name is not None and not NAME.match(name):
        raise InvalidField(
            "name", f"{name!r}: letters, digits and _.- only, starting with a letter or digit."
        )
    memory = data.get("mem_limit", data.get("memory"))
    swap = data.get("memswap_limit", data.get("swap"))
    mem_limit = None if memory in (None, "", 0) else parse_size(memory, "mem_limit")
    if mem_limit is not None and mem_limit < MIN_MEMORY:
        raise InvalidField("mem_limit", "Docker needs at least 6 MiB (6m).")
    memswap_limit: int | None = None
    if swap not in (None, "", 0):
        if swap == -1:
            memswap_limit = -1
        else:
            memswap_limit = parse_size(swap, "memswap_limit")
            if mem_limit is None or memswap_limit < mem_limit:
                raise InvalidField(
                    "memswap_limit", "memory + swap: set mem_limit, and at least as much here."
                )
    cpus = data.get("cpus")
    if cpus is not None:
        if isinstance(cpus, bool) or not isinstance(cpus, (int, float)) or not 0 < cpus <= 1024:
            raise InvalidField("cpus", "a number of CPUs, more than 0 (e.g. 0.5).")
        available = os.cpu_count() or 1
        if cpus > available:
            raise InvalidField("cpus", f"this machine has {available} CPUs.")
    labels = _mapping(data.get("labels"), "labels")
    for key, value in labels.items():
        if not isinstance(value, str) or not isinstance(key, str) or not key:
            raise InvalidField("labels", f"the label {key!r} needs a string value.")
    devices = data.get("devices") or []
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
        raise InvalidField("devices", "a list of device paths.")
    entrypoint = _argv(data.get("entrypoint"), "entrypoint")
    return ContainerSpec(
        image=image,
        command=_argv(data.get("command"), "command"),
        name=name.lstrip("/") if name else None,
        env=_env(data.get("env", data.get("environment"))),
        ports=_ports(data.get("ports")),
        volumes=_volumes(data.get("volumes")),
        mem_limit=mem_limit,
        memswap_limit=memswap_limit,
        cpus=float(cpus) if cpus is not None else None,
        restart_policy=_restart(data.get("restart_policy", data.get("restart"))),
        labels=dict(labels),
        stdin_open=_bool(data, "stdin_open"),
        tty=_bool(data, "tty"),
        network=_namespace(data, "network", None),
        working_dir=_string(data, "working_dir"),
        user=_string(data, "user", 256),
        entrypoint=[entrypoint] if isinstance(entrypoint, str) else entrypoint,
        privileged=_bool(data, "privileged"),
        pid_mode=_namespace(data, "pid_mode", ("host",)),
        ipc_mode=_namespace(data, "ipc_mode", ("host", "private", "shareable", "none")),
        userns_mode=_namespace(data, "userns_mode", ("host",), joins=False),
        devices=list(devices),
        start=_bool(data, "start", _bool(data, "detach", True)),
    )


def check_policy(spec: ContainerSpec, policy: Policy) -> None:
    """Refuse what the server does not allow: other images, privileged options, foreign binds."""
    if policy.allowed_images and not any(
        fnmatch.fnmatchcase(spec.image, pattern) for pattern in policy.allowed_images
    ):
        raise Forbidden(
            f"'image': {spec.image!r} is not among the images this server allows "
            f"(allowed_images: {', '.join(policy.allowed_images)}).",
            field="image",
        )
    if not policy.allow_privileged:
        refused = [
            ("privileged", "privileged mode", spec.privileged),
            ("devices", "devices", bool(spec.devices)),
        ]
        # Joining another container's namespace is joining whatever it joined: a container
        # that runs with the host's network or PIDs (node-exporter, cAdvisor) hands them on.
        for name, value in spec.namespaces().items():
            if value == "host":
                refused.append((name, f"the host's {NAMESPACE_NAMES[name]}", True))
            elif value.startswith("container:"):
                what = f"another container's {NAMESPACE_NAMES[name]} ({value})"
                refused.append((name, what, True))
        for name, what, bad in refused:
            if bad:
                raise Forbidden(
                    f"'{name}': {what} is not allowed here (an admin may set allow_privileged).",
                    field=name,
                )
    for source in spec.binds:
        check_host_path(source, policy)


# The namespaces a new container may share, as the policy names them.
NAMESPACE_NAMES = {
    "network": "network namespace",
    "pid_mode": "PID namespace",
    "ipc_mode": "IPC namespace",
    "userns_mode": "user namespace",
}


def check_host_path(source: str, policy: Policy, volume: str | None = None) -> None:
    """Refuse a host path outside ``allowed_bind_roots`` (symbolic links resolved first); a
    named ``volume`` whose driver binds a host path is held to the same rule."""
    real = os.path.realpath(source)
    roots = [os.path.realpath(r) for r in policy.allowed_bind_roots]
    if not any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots):
        where = ", ".join(policy.allowed_bind_roots) or "none are allowed"
        of = f" (bound by the volume {volume!r})" if volume else ""
        raise Forbidden(
            f"'volumes': the host path {source!r}{of} is outside allowed_bind_roots ({where}).",
            field="volumes",
        )


__all__ = [
    "ContainerSpec",
    "Policy",
    "check_host_path",
    "check_policy",
    "parse_size",
    "parse_spec",
]
