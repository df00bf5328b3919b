"""Every wire message: parse and validate what clients send, build what the server sends.

The message shapes are documented in ``docs/protocol.md``; the seed LittleWings messages
(``connect``/``server_id``, ``command``/``command``, ``heartbeat``) are accepted unchanged.
This module stays whole (about 720 lines) on purpose: it is the wire contract, every message a
client may send next to the others, read against docs/protocol.md in one go.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Union

from ..docker.models import COMPOSE_PROJECT, POWER_ACTIONS, check_terminal_size
from ..errors import InvalidJSON, InvalidMessage, UnknownType
from ..parsing.lines import Cursor
from .alert_rules import parse_rules
from .search import SearchQuery
from .times import parse_time

PROTOCOL_VERSION = 1

COMMAND_VIA = ("exec", "stdin")

MAX_ID_LENGTH = 128
MAX_SERVER_ID_LENGTH = 256
MAX_COMMAND_LENGTH = 64 * 1024
MAX_ARGV_ITEMS = 1024
MAX_GROUP_REFS = 100
_LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")

RequestId = Union[str, int, None]


@dataclass
class Message:
    """A validated client message."""

    type: str
    id: RequestId = None
    # The Docker engine it is about, by name ("": the default one; see c.LittleWings.engines).
    engine: str = ""


@dataclass
class Connect(Message):
    """Watch a container: history, then live lines."""

    server_id: str = ""
    tail: int | None = 100  # None means all history
    since: float | None = None
    timestamps: bool = False
    follow: bool = True
    cursor: Cursor | None = None
    stats: bool = False
    # Several containers at once (merged logs): a project, a label, or a list of containers.
    group: GroupSelector | None = None
    cursors: dict[str, Cursor] | None = None


@dataclass(frozen=True)
class GroupSelector:
    """Which containers a merged view shows: a Compose project, a Podman pod, a label, or named
    containers (or a Swarm service's tasks)."""

    kind: str  # "project", "pod", "label", "containers", "service" or "task"
    name: str  # the project, the pod, the label rule ("key=value" or "key"), or "a,b" (names)
    refs: tuple[str, ...] = ()

    def matches(self, summary: dict[str, Any]) -> bool:
        """Whether a container (its summary: id, name, labels) belongs to the group."""
        labels = summary.get("labels") or {}
        if self.kind in ("service", "task"):
            return False  # a service's members are its tasks, not containers seen here
        if self.kind == "project":
            return labels.get(COMPOSE_PROJECT) == self.name
        if self.kind == "pod":
            return summary.get("pod") == self.name
        if self.kind == "label":
            key, has_value, value = self.name.partition("=")
            return key in labels and (not has_value or labels[key] == value)
        name, cid = summary.get("name", ""), summary.get("id", "")
        return any(ref == name or (len(ref) >= 4 and cid.startswith(ref)) for ref in self.refs)

    def describe(self) -> dict[str, str]:
        """The group as ``connected.group`` shows it."""
        return {"kind": self.kind, "name": self.name}


@dataclass
class CommandStop(Message):
    """End a running exec command (by the id of its ``command`` request) in the container."""

    command: str = ""


@dataclass
class Command(Message):
    """Run a command (exec) or type a line on the container's stdin."""

    command: str | None = None
    argv: list[str] | None = None
    via: str | None = None

    @property
    def text(self) -> str:
        """The command as a user would read it."""
        if self.command is not None:
            return self.command
        return " ".join(self.argv or [])


@dataclass
class Power(Message):
    """A power action on the connected container."""

    action: str = ""


@dataclass
class NodeAvailability(Message):
    """Set a Swarm node's availability (``active``, ``pause``, ``drain``) through a manager."""

    node: str = ""
    availability: str = ""


NODE_AVAILABILITIES = ("active", "pause", "drain")


@dataclass
class ShellOpen(Message):
    """Open an interactive shell (a TTY) in the connected container."""

    command: list[str] | None = None
    user: str | None = None
    rows: int = 24
    cols: int = 80
    flow_control: bool = False


@dataclass
class ShellMessage(Message):
    """Input to, a new size for, or the end of one open shell."""

    shell: str = ""
    data: str = ""
    rows: int = 0
    cols: int = 0
    chars: int = 0
    flow_control: bool = False


@dataclass
class Create(Message):
    """Create a container: the description, checked later by ``docker.spec.parse_spec``."""

    spec: dict[str, Any] | None = None


@dataclass
class Remove(Message):
    """Remove a container (not necessarily the connected one)."""

    server_id: str = ""
    force: bool = False
    volumes: bool = False


@dataclass
class Search(Message):
    """Search the connected container's (or group's) whole history (``session/search.py``)."""

    query: Any = None  # a SearchQuery
    search: str = ""  # search_cancel: the id of the search to stop


@dataclass
class Context(Message):
    """The lines around one line (a search result): ``before`` and ``after`` it."""

    cursor: Cursor | None = None
    container: str = ""
    before: int = 20
    after: int = 20


@dataclass
class Alerts(Message):
    """The socket's alert rules (``session/alerts.py``), replacing the previous ones."""

    rules: list[Any] = field(default_factory=list)
    cooldown: float = 60.0


@dataclass
class Toggle(Message):
    """``stats`` or ``events`` switched on or off."""

    enabled: bool = True


def _get(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = data.get(name, default)
    if value is default:
        return value
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InvalidMessage(f"'{name}' has the wrong type (got a boolean).")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InvalidMessage(f"'{name}' must be of type {names}.")
    return value


def parse_id(data: dict[str, Any]) -> RequestId:
    """The request id a message carries, if it is a usable one (else None)."""
    value = data.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and len(value) <= MAX_ID_LENGTH:
        return value
    return None


MAX_NESTING = 64
_JSON_STRUCTURE_RE = re.compile(r'\\.|["\[\]{}]')


def nesting_depth(raw: str, limit: int = MAX_NESTING) -> int:
    """How deeply a JSON text nests arrays and objects: 0 when it cannot exceed ``limit``.

    Counting stops just past ``limit``.
    """
    if raw.count("[") + raw.count("{") <= limit:
        return 0  # cannot be deeper than the number of openers
    depth = deepest = 0
    in_string = False
    for match in _JSON_STRUCTURE_RE.finditer(raw):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif in_string or token[0] == "\\":
            continue
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def decode_json(raw: str | bytes, what: str = "The frame") -> Any:
    """Parse JSON from a client, refusing deep nesting before the parser recurses into it.

    (A RecursionError inside the C parser can leave CPython 3.11's recursion accounting broken
    for the whole process, so a client must never be able to cause one.)
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJSON(f"{what} is not UTF-8 text.") from None
    if nesting_depth(raw) > MAX_NESTING:
        raise InvalidJSON(f"{what} nests deeper than {MAX_NESTING} levels.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidJSON(f"{what} is not valid JSON.") from None


def decode_frame(raw: str | bytes) -> dict[str, Any]:
    """A text frame as a JSON object."""
    data = decode_json(raw)
    if not isinstance(data, dict):
        raise InvalidJSON("The frame must be a JSON object with a 'type'.")
    return data


def parse_engine(data: dict[str, Any]) -> str:
    """The ``engine`` a message names ("" when it names none: the default engine)."""
    engine = data.get("engine", "")
    if engine is None:
        return ""
    if not isinstance(engine, str) or len(engine) > 64:
        raise InvalidMessage("'engine' must be the name of a Docker engine (GET …/engines).")
    return engine.strip()


def parse_message(data: dict[str, Any]) -> Message:
    """Validate a decoded client frame into a :class:`Message`."""
    kind = data.get("type")
    if not isinstance(kind, str):
        raise UnknownType("The message needs a string 'type'.")
    if "id" in data and data["id"] is not None and parse_id(data) is None:
        raise InvalidMessage(
            f"'id' must be a string of at most {MAX_ID_LENGTH} characters or an integer."
        )
    request_id = parse_id(data)
    parser = _PARSERS.get(kind)
    if parser is None:
        known = ", ".join(sorted(_PARSERS))
        raise UnknownType(f"Unknown message type {kind[:64]!r}; known types: {known}.")
    message = parser(kind, request_id, data)
    message.engine = parse_engine(data)
    return message


def _check_ref(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidMessage(f"'{name}' must be a container name or id.")
    if len(value) > MAX_SERVER_ID_LENGTH:
        raise InvalidMessage(f"'{name}' is too long.")
    return value.strip()


# What a connect (or a REST logs query) may name: one container or one group.
GROUP_KEYS = ("server_id", "project", "pod", "label", "server_ids", "service", "task")


def parse_group(data: dict[str, Any]) -> GroupSelector | None:
    """The group a ``connect`` (or a REST query) names with ``project``, ``pod``, ``label``,
    ``server_ids`` or ``service``; None when it names one container."""
    given = [key for key in GROUP_KEYS if key in data]
    if len(given) > 1:
        raise InvalidMessage(
            "Give one of 'server_id', 'project', 'pod', 'label', 'server_ids', 'service' or "
            "'task', not " + " and ".join(given) + "."
        )
    if "service" in data:
        service = data["service"]
        if not isinstance(service, str) or not service.strip() or len(service) > 256:
            raise InvalidMessage("'service' must be a Swarm service's name or id.")
        return GroupSelector("service", service.strip())
    if "task" in data:
        task = data["task"]
        if not isinstance(task, str) or not task.strip() or len(task) > 256:
            raise InvalidMessage(
                "'task' must be a Swarm task's name (web.2), id, or its container's id."
            )
        return GroupSelector("task", task.strip())
    if "project" in data:
        project = data["project"]
        if not isinstance(project, str) or not project.strip() or len(project) > 256:
            raise InvalidMessage("'project' must be a Compose project name.")
        return GroupSelector("project", project.strip())
    if "pod" in data:
        pod = data["pod"]
        if not isinstance(pod, str) or not pod.strip() or len(pod) > 256:
            raise InvalidMessage("'pod' must be a Podman pod's name.")
        return GroupSelector("pod", pod.strip())
    if "label" in data:
        label = data["label"]
        key = label.partition("=")[0] if isinstance(label, str) else ""
        if not _LABEL_KEY_RE.match(key) or len(label) > 1024:
            raise InvalidMessage(
                "'label' must be 'key=value' or 'key' (as docker ps --filter label=)."
            )
        return GroupSelector("label", label)
    if "server_ids" in data:
        refs = data["server_ids"]
        if not isinstance(refs, list) or not 1 <= len(refs) <= MAX_GROUP_REFS:
            raise InvalidMessage(
                f"'server_ids' must be a list of 1 to {MAX_GROUP_REFS} container names or ids."
            )
        names = tuple(dict.fromkeys(_check_ref(ref, "server_ids") for ref in refs))
        return GroupSelector("containers", ",".join(names), names)
    return None


def _parse_cursors(data: dict[str, Any]) -> dict[str, Cursor] | None:
    value = data.get("cursors")
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 10_000:
        raise InvalidMessage("'cursors' must be an object: container name → cursor.")
    cursors = {}
    for name, text in value.items():
        try:
            cursors[_check_ref(name, "cursors")] = Cursor.parse(
                text if isinstance(text, str) else ""
            )
        except ValueError:
            raise InvalidMessage(
                f"'cursors' of {name[:64]!r} must be the cursor of a log frame, e.g. "
                "'2026-11-26T03:07:11.123456789Z/0'."
            ) from None
    return cursors


def _parse_connect(kind: str, request_id: RequestId, data: dict[str, Any]) -> Connect:
    group = parse_group(data)
    server_id = data.get("server_id", "")
    if group is None:
        if not isinstance(server_id, str) or not server_id.strip():
            raise InvalidMessage(
                "'connect' needs 'server_id': a container name or id (or 'project', 'pod', "
                "'label' or 'server_ids' for several)."
            )
        server_id = _check_ref(server_id, "server_id")
    elif "cursor" in data:
        raise InvalidMessage(
            "A group resumes with 'cursors' (container name → cursor), not 'cursor'."
        )
    elif data.get("stats"):
        raise InvalidMessage("'stats' is per container: connect to one container for its stats.")
    if group is None and "cursors" in data:
        raise InvalidMessage("'cursors' resumes a group; one container resumes with 'cursor'.")
    tail_value = data.get("tail", 100)
    tail: int | None
    if tail_value == "all" or tail_value is None:
        tail = None
    elif isinstance(tail_value, int) and not isinstance(tail_value, bool):
        if tail_value < 0:
            raise InvalidMessage("'tail' must be a whole number ≥ 0 or \"all\".")
        tail = tail_value
    else:
        raise InvalidMessage("'tail' must be a whole number ≥ 0 or \"all\".")
    since = data.get("since")
    cursor_text = _get(data, "cursor", str, None)
    cursor = None
    if cursor_text is not None:
        try:
            cursor = Cursor.parse(cursor_text)
        except ValueError:
            raise InvalidMessage(
                "'cursor' must be the cursor of a log frame, e.g. "
                "'2026-11-26T03:07:11.123456789Z/0'."
            ) from None
    return Connect(
        type=kind,
        id=request_id,
        server_id=server_id,
        tail=tail,
        since=None if since is None else parse_time(since, "since"),
        timestamps=_get(data, "timestamps", bool, False),
        follow=_get(data, "follow", bool, True),
        cursor=cursor,
        stats=_get(data, "stats", bool, False),
        group=group,
        cursors=_parse_cursors(data),
    )


def _parse_command(kind: str, request_id: RequestId, data: dict[str, Any]) -> Command:
    command = _get(data, "command", str, None)
    argv = _get(data, "argv", list, None)
    via = _get(data, "via", str, None)
    if command is None and argv is None:
        raise InvalidMessage("'command' needs 'command' (a string) or 'argv' (a list of strings).")
    if command is not None and argv is not None:
        raise InvalidMessage("Give either 'command' or 'argv', not both.")
    if command is not None:
        if not command.strip() and via != "stdin":
            raise InvalidMessage("'command' is empty.")
        if len(command) > MAX_COMMAND_LENGTH:
            raise InvalidMessage(f"'command' is longer than {MAX_COMMAND_LENGTH} characters.")
        if "\x00" in command:
            raise InvalidMessage("'command' must not contain NUL characters.")
    if argv is not None:
        if not argv or len(argv) > MAX_ARGV_ITEMS:
            raise InvalidMessage(f"'argv' must hold 1 to {MAX_ARGV_ITEMS} strings.")
        if not all(isinstance(a, str) and "\x00" not in a for a in argv):
            raise InvalidMessage("'argv' must be a list of strings without NUL characters.")
        if sum(len(a) for a in argv) > MAX_COMMAND_LENGTH:
            raise InvalidMessage(f"'argv' is longer than {MAX_COMMAND_LENGTH} characters.")
    if via is not None and via not in COMMAND_VIA:
        raise InvalidMessage('\'via\' must be "exec" or "stdin".')
    if via == "stdin" and argv is not None:
        raise InvalidMessage("'argv' runs with exec; send a 'command' string to stdin.")
    return Command(type=kind, id=request_id, command=command, argv=argv, via=via)


def _parse_power(kind: str, request_id: RequestId, data: dict[str, Any]) -> Power:
    action = data.get("action")
    if action not in POWER_ACTIONS:
        raise InvalidMessage(f"'action' must be one of {', '.join(POWER_ACTIONS)}.")
    return Power(type=kind, id=request_id, action=action)


def _parse_node(kind: str, request_id: RequestId, data: dict[str, Any]) -> NodeAvailability:
    node = _check_ref(data.get("node"), "node")
    availability = data.get("availability")
    if availability not in NODE_AVAILABILITIES:
        raise InvalidMessage(f"'availability' must be one of {', '.join(NODE_AVAILABILITIES)}.")
    return NodeAvailability(type=kind, id=request_id, node=node, availability=availability)


def _parse_toggle(kind: str, request_id: RequestId, data: dict[str, Any]) -> Toggle:
    return Toggle(type=kind, id=request_id, enabled=_get(data, "enabled", bool, True))


MAX_SHELL_INPUT = 64 * 1024
MAX_SHELL_ID_LENGTH = 64


def _parse_shell_open(kind: str, request_id: RequestId, data: dict[str, Any]) -> ShellOpen:
    command = _get(data, "command", list, None)
    if command is not None and (
        not command
        or len(command) > MAX_ARGV_ITEMS
        or not all(isinstance(a, str) and "\x00" not in a for a in command)
    ):
        raise InvalidMessage("'command' must be a list of 1 or more strings (an argv).")
    user = _get(data, "user", str, None)
    if user is not None and (len(user) > 256 or not user.strip()):
        raise InvalidMessage("'user' must be a user name or uid (as docker exec -u takes it).")
    rows, cols = check_terminal_size(data.get("rows", 24), data.get("cols", 80))
    return ShellOpen(
        type=kind,
        id=request_id,
        command=command,
        user=user,
        rows=rows,
        cols=cols,
        flow_control=_get(data, "flow_control", bool, False),
    )


def _parse_shell_message(kind: str, request_id: RequestId, data: dict[str, Any]) -> ShellMessage:
    shell = data.get("shell")
    if not isinstance(shell, str) or not 0 < len(shell) <= MAX_SHELL_ID_LENGTH:
        raise InvalidMessage(f"'{kind}' needs 'shell': the id 'shell_opened' gave.")
    message = ShellMessage(type=kind, id=request_id, shell=shell)
    if kind == "shell_input":
        text = data.get("data")
        if not isinstance(text, str):
            raise InvalidMessage("'shell_input' needs 'data': the keys typed, as a string.")
        if len(text) > MAX_SHELL_INPUT:
            raise InvalidMessage(f"'data' is longer than {MAX_SHELL_INPUT} characters.")
        message.data = text
    elif kind == "shell_resize" or (kind == "shell_attach" and ("rows" in data or "cols" in data)):
        # A reattaching client gives its terminal's size now, which may have changed meanwhile.
        message.rows, message.cols = check_terminal_size(data.get("rows"), data.get("cols"))
    if kind == "shell_attach":
        message.flow_control = _get(data, "flow_control", bool, False)
    elif kind == "shell_ack":
        chars = _get(data, "chars", int, None)
        if chars is None or chars < 0:
            raise InvalidMessage("'shell_ack' needs 'chars': how many characters were shown.")
        message.chars = chars
    return message


def _parse_create(kind: str, request_id: RequestId, data: dict[str, Any]) -> Create:
    spec = {k: v for k, v in data.items() if k not in ("type", "id", "engine")}
    return Create(type=kind, id=request_id, spec=spec)


def _parse_remove(kind: str, request_id: RequestId, data: dict[str, Any]) -> Remove:
    server_id = data.get("server_id")
    if not isinstance(server_id, str) or not server_id.strip():
        raise InvalidMessage("'remove' needs 'server_id': a container name or id.")
    if len(server_id) > MAX_SERVER_ID_LENGTH:
        raise InvalidMessage("'server_id' is too long.")
    return Remove(
        type=kind,
        id=request_id,
        server_id=server_id.strip(),
        force=_get(data, "force", bool, False),
        volumes=_get(data, "volumes", bool, False),
    )


def _parse_search(kind: str, request_id: RequestId, data: dict[str, Any]) -> Search:
    if kind == "search_cancel":
        target = data.get("search")
        if not isinstance(target, (str, int)) or isinstance(target, bool):
            raise InvalidMessage("'search_cancel' needs 'search': the id of the search to stop.")
        return Search(type=kind, id=request_id, search=str(target))
    if request_id is None:
        raise InvalidMessage("'search' needs an 'id': its results carry it.")
    return Search(type=kind, id=request_id, query=SearchQuery.from_message(data))


MAX_CONTEXT_LINES = 500


def _parse_context(kind: str, request_id: RequestId, data: dict[str, Any]) -> Context:
    text = data.get("cursor")
    try:
        cursor = Cursor.parse(text if isinstance(text, str) else "")
    except ValueError:
        raise InvalidMessage("'context' needs 'cursor': the cursor of a line.") from None

    def lines(name: str) -> int:
        value = data.get(name, 20)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidMessage(f"'{name}' must be a whole number of lines.")
        if not 0 <= value <= MAX_CONTEXT_LINES:
            raise InvalidMessage(f"'{name}' must be 0 to {MAX_CONTEXT_LINES} lines.")
        return value

    container = data.get("container", "")
    if not isinstance(container, str) or len(container) > MAX_SERVER_ID_LENGTH:
        raise InvalidMessage("'container' must be the name of a member of the group.")
    return Context(
        type=kind,
        id=request_id,
        cursor=cursor,
        container=container,
        before=lines("before"),
        after=lines("after"),
    )


def _parse_alerts(kind: str, request_id: RequestId, data: dict[str, Any]) -> Alerts:
    rules, cooldown = parse_rules(data)
    return Alerts(type=kind, id=request_id, rules=rules, cooldown=cooldown)


def _parse_command_stop(kind: str, request_id: RequestId, data: dict[str, Any]) -> CommandStop:
    target = data.get("command")
    if not isinstance(target, (str, int)) or isinstance(target, bool):
        raise InvalidMessage("'command_stop' needs 'command': the id of the command to stop.")
    return CommandStop(type=kind, id=request_id, command=str(target))


def _parse_plain(kind: str, request_id: RequestId, data: dict[str, Any]) -> Message:
    return Message(type=kind, id=request_id)


_PARSERS = {
    "connect": _parse_connect,
    "services": _parse_plain,
    "nodes": _parse_plain,
    "search": _parse_search,
    "search_cancel": _parse_search,
    "context": _parse_context,
    "alerts": _parse_alerts,
    "command": _parse_command,
    "command_stop": _parse_command_stop,
    "power": _parse_power,
    "node": _parse_node,
    "stats": _parse_toggle,
    "events": _parse_toggle,
    "heartbeat": _parse_plain,
    "disconnect": _parse_plain,
    "list": _parse_plain,
    "images": _parse_plain,
    "create": _parse_create,
    "remove": _parse_remove,
    "shell_open": _parse_shell_open,
    "shell_input": _parse_shell_message,
    "shell_resize": _parse_shell_message,
    "shell_close": _parse_shell_message,
    "shell_attach": _parse_shell_message,
    "shell_ack": _parse_shell_message,
}


# Docker event actions a console cares about, and what they are called on the wire.
EVENT_NAMES = {
    "create": "created",
    "start": "started",
    "die": "died",
    "stop": "stopped",
    "restart": "restarted",
    "kill": "killed",
    "oom": "oom",
    "pause": "paused",
    "unpause": "unpaused",
    "destroy": "removed",
    "remove": "removed",  # Podman's name for it
    "rename": "renamed",
}


def status_frame(event: dict[str, Any]) -> dict[str, Any] | None:
    """The ``status`` frame for one Docker container event, or None for events we skip."""
    action = str(event.get("Action") or event.get("status") or "")
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    container_id = actor.get("ID") or event.get("id") or ""
    kind = "health" if action.startswith("health_status") else EVENT_NAMES.get(action, "")
    if not kind or not container_id:
        return None
    frame: dict[str, Any] = {
        "type": "status",
        "event": kind,
        "container": container_id,
        "name": attributes.get("name", ""),
        "time": event.get("timeNano", 0) / 1e9 or time.time(),
    }
    if kind == "died":
        with contextlib.suppress(ValueError):
            frame["exit_code"] = int(attributes.get("exitCode", ""))
        frame["state"] = "exited"
    elif kind == "health":
        frame["health"] = action.partition(":")[2].strip()
    elif kind == "killed" and "signal" in attributes:
        frame["signal"] = attributes["signal"]
    elif kind == "removed":
        frame["state"] = "removed"
    return frame


def reply(kind: str, request_id: RequestId = None, **fields: Any) -> dict[str, Any]:
    """An outbound frame of ``kind``, echoing ``request_id`` when there is one."""
    frame: dict[str, Any] = {"type": kind}
    if request_id is not None:
        frame["id"] = request_id
    frame.update(fields)
    return frame


def encode(frame: dict[str, Any]) -> str:
    """An outbound frame as the text sent on the wire."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
