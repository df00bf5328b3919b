"""One error hierarchy for LittleWings, mapped to HTTP statuses and wire error codes."""

from __future__ import annotations

from typing import Any


class LittleWingsError(Exception):
    """Base of every error LittleWings reports to a user."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_wire(self, request_id: Any = None) -> dict[str, Any]:
        """The error as a WebSocket ``error`` frame (with ``status`` as the seed sends it)."""
        frame: dict[str, Any] = {
            "type": "error",
            "status": "error",
            "code": self.code,
            "message": self.message,
        }
        frame.update(self.extra)
        if request_id is not None:
            frame["id"] = request_id
        return frame

    def to_json(self) -> dict[str, Any]:
        """The error as a REST JSON body."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        body.update(self.extra)
        return body


class InvalidMessage(LittleWingsError):
    """A client message that is not well formed."""

    code = "invalid_message"
    http_status = 400


class InvalidJSON(InvalidMessage):
    """A frame that is not a JSON object."""

    code = "invalid_json"


class BinaryNotSupported(InvalidMessage):
    """A binary WebSocket frame."""

    code = "binary_not_supported"


class UnknownType(InvalidMessage):
    """A message whose ``type`` is missing or unknown."""

    code = "unknown_type"


class NotConnected(LittleWingsError):
    """A container message before ``connect``."""

    code = "not_connected"
    http_status = 409


class ContainerNotFound(LittleWingsError):
    """No such container, or one the visibility settings hide (the same answer for both)."""

    code = "not_found"
    http_status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"No container {name!r} (or you may not see it).")


class Conflict(LittleWingsError):
    """The container's state does not allow the action."""

    code = "conflict"
    http_status = 409


class StdinNotOpen(Conflict):
    """A stdin command to a container created without stdin open."""

    code = "stdin_not_open"


class CommandFailed(LittleWingsError):
    """A command run with exec exited with a non-zero code (or timed out)."""

    code = "command_failed"
    http_status = 500


class ShellGone(LittleWingsError):
    """``shell_attach`` of a shell that ended or was not taken back in time."""

    code = "shell_ended"
    http_status = 410


class InvalidField(InvalidMessage):
    """A field of a container description is wrong: the error names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"'{name}': {message}", field=name)


class FileProblem(InvalidMessage):
    """A path or file that cannot be read or written as asked (the message says why)."""

    code = "file_error"
    http_status = 400


class FileNotFound(LittleWingsError):
    """No such file or directory in the container."""

    code = "not_found"
    http_status = 404

    def __init__(self, path: str) -> None:
        super().__init__(f"No file or directory {path!r} in the container.")


class FileTooLarge(FileProblem):
    """Over ``max_file_size``."""

    code = "too_large"
    http_status = 413


class FileChanged(Conflict):
    """The file changed since the client read it: it is not overwritten."""

    code = "file_changed"


class Forbidden(LittleWingsError):
    """The Authorizer, read-only mode or a disabled feature refuses the action."""

    code = "forbidden"
    http_status = 403


class RateLimited(LittleWingsError):
    """Too many commands or power actions in a short time."""

    code = "rate_limited"
    http_status = 429


class TooManyCommands(LittleWingsError):
    """Too many commands running at once on one connection."""

    code = "too_many_commands"
    http_status = 429


class EngineUnavailable(LittleWingsError):
    """The Docker engine does not answer."""

    code = "engine_unavailable"
    http_status = 503


class EngineNotFound(LittleWingsError):
    """No Docker engine of that name is configured."""

    code = "engine_not_found"
    http_status = 404


class NotSwarmManager(LittleWingsError):
    """Services were asked of an engine that is not a Docker Swarm manager."""

    code = "not_swarm_manager"
    http_status = 409


class NodeNotFound(LittleWingsError):
    """No such Swarm node (or a name several nodes share)."""

    code = "not_found"
    http_status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"No single node {name!r} on this swarm (a hostname, an id or a prefix).")


class ServiceNotFound(LittleWingsError):
    """No such Swarm service."""

    code = "not_found"
    http_status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"No service {name!r} on this swarm.")


class ArchiveOff(LittleWingsError):
    """The log archive is asked for, but nothing is archived on this server."""

    code = "archive_off"
    http_status = 404


class DockerError(LittleWingsError):
    """Docker refused a request for a reason of its own."""

    code = "docker_error"
    http_status = 502


class IdleTimeout(LittleWingsError):
    """No message from the client for too long: the connection closes."""

    code = "idle_timeout"
    http_status = 408


class MissingDependency(LittleWingsError, ImportError):
    """An optional extra is not installed (pandas for DataFrames); the message says what to install.

    An ``ImportError`` too, so that code catching that keeps working.
    """

    code = "missing_dependency"
    http_status = 500

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


class InternalError(LittleWingsError):
    """A bug of ours: the client is told, the server log has the traceback."""

    code = "internal_error"
    http_status = 500


def from_wire(frame: dict[str, Any]) -> LittleWingsError:
    """The exception an ``error`` frame stands for (for Python clients of the protocol)."""
    code = frame.get("code")
    classes: list[type[LittleWingsError]] = [LittleWingsError]
    for cls in classes:  # every subclass, breadth first
        classes.extend(cls.__subclasses__())
    cls = next((c for c in classes if c.code == code), LittleWingsError)
    error = cls.__new__(cls)
    extra = {k: v for k, v in frame.items() if k not in ("type", "status", "code", "message", "id")}
    LittleWingsError.__init__(error, str(frame.get("message", "")), **extra)
    return error
