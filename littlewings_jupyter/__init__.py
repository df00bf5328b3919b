"""LittleWings for Jupyter: watch and drive Docker containers from Jupyter.

The server extension adds an authenticated WebSocket console and REST endpoints under
``{base_url}api/littlewings/``; the JupyterLab extension adds a Containers sidebar.

From notebook cells, the same session core is a Python API::

    import littlewings_jupyter as lw

    lw.containers(state="running")        # a table of containers (state badges in notebooks)
    c = lw.container("web")               # a handle, by name, id or id prefix
    print(c.logs(tail=20))                # the last lines of its log
    for line in c.follow(timeout=30):     # live lines; stops on break, timeout or exit
        print(line.stream, line.text)
    c.exec("ls /").check().stdout         # run a command: exit code, stdout, stderr
    c.send("status")                      # type a line on its stdin (docker run -i)
    c.restart().status                    # start, stop, restart, kill, pause, unpause
    c.stats()["cpu_percent"]
    w = lw.console("web"); w            # the console panel as a notebook widget (anywidget)

The default Docker engine comes from the environment (``DOCKER_HOST``) on first use;
``lw.connect(base_url=...)`` picks another. Errors are :class:`LittleWingsError` subclasses:
:class:`ContainerNotFound`, :class:`EngineUnavailable`, :class:`Conflict` (the container's state
does not allow it), :class:`StdinNotOpen`, :class:`CommandFailed`, :class:`Forbidden`.
Importing the package contacts no Docker engine (the server extension imports it too).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Public names and the module each comes from, imported on first use: importing the package
# (as the server extension does) stays fast and contacts no Docker engine.
_LAZY = {
    "Client": "kernel.client",
    "Container": "kernel.client",
    "ContainerList": "kernel.client",
    "ExecResult": "kernel.client",
    "Limits": "session.limits",
    "Line": "kernel.client",
    "LogFollow": "kernel.client",
    "Shell": "kernel.client",
    "connect": "kernel.client",
    "container": "kernel.client",
    "containers": "kernel.client",
    "default_client": "kernel.client",
    "images": "kernel.client",
    "engines": "kernel.client",
    "service": "kernel.client",
    "on_event": "kernel.client",
    "services": "kernel.client",
    "run": "kernel.client",
    "project": "kernel.client",
    "pod": "kernel.client",
    "nodes": "kernel.client",
    "group": "kernel.client",
    "Group": "kernel.group",
    "GroupFollow": "kernel.group",
    "ContainerConsole": "kernel.widget",
    "console": "kernel.widget",
    "CommandFailed": "errors",
    "Conflict": "errors",
    "ContainerNotFound": "errors",
    "EngineUnavailable": "errors",
    "Forbidden": "errors",
    "InvalidMessage": "errors",
    "LittleWingsError": "errors",
    "MissingDependency": "errors",
    "StdinNotOpen": "errors",
}

if TYPE_CHECKING:
    from .errors import (
        CommandFailed,
        Conflict,
        ContainerNotFound,
        EngineUnavailable,
        Forbidden,
        InvalidMessage,
        LittleWingsError,
        MissingDependency,
        StdinNotOpen,
    )
    from .kernel.client import (
        Client,
        Container,
        ContainerList,
        ExecResult,
        Line,
        LogFollow,
        Shell,
        connect,
        container,
        containers,
        default_client,
        engines,
        group,
        images,
        nodes,
        on_event,
        pod,
        project,
        run,
        service,
        services,
    )
    from .kernel.group import Group, GroupFollow
    from .kernel.widget import ContainerConsole, console
    from .session.limits import Limits


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import LittleWings

    return [{"module": "littlewings_jupyter", "app": LittleWings}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "littlewings-jupyter"}]


__all__ = [
    "Client",
    "CommandFailed",
    "Conflict",
    "Container",
    "ContainerConsole",
    "ContainerList",
    "ContainerNotFound",
    "EngineUnavailable",
    "ExecResult",
    "Forbidden",
    "Group",
    "GroupFollow",
    "InvalidMessage",
    "Limits",
    "Line",
    "LittleWingsError",
    "LogFollow",
    "MissingDependency",
    "Shell",
    "StdinNotOpen",
    "__version__",
    "connect",
    "console",
    "container",
    "containers",
    "default_client",
    "engines",
    "group",
    "images",
    "nodes",
    "on_event",
    "pod",
    "project",
    "run",
    "service",
    "services",
]
