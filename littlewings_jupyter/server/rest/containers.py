"""REST endpoints about containers and engines: status, engines, the list, one container, images,
services, power actions and the audit trail.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..._version import __version__
from ...docker.models import POWER_ACTIONS
from ...errors import (
    EngineUnavailable,
    InvalidMessage,
    LittleWingsError,
)
from ...session import protocol
from .base import LittleWingsAPIHandler


class StatusHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/status``: is the engine there, what may I do, the limits."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The engine's availability and version, and the user's permissions."""
        engine: dict[str, Any] = {"available": False}
        try:
            version = await self.manager.run(self.manager.slot(self.engine_name).engine.version)
            engine = {
                "available": True,
                "version": version.get("Version"),
                "api_version": version.get("ApiVersion"),
                "os": version.get("Os"),
            }
        except LittleWingsError as exc:
            engine["error"] = exc.message
        limits = self.manager.limits
        self.finish(
            {
                "version": __version__,
                "protocol": protocol.PROTOCOL_VERSION,
                "engine": engine,
                "permissions": await self.permissions(),
                "read_only": limits.read_only,
                "exec_enabled": limits.exec_enabled,
                "stdin_enabled": limits.stdin_enabled,
                "history_lines": limits.history_lines,
                "log_streams": self.manager.active_log_streams(),
                "port_proxy": port_proxy(self.serverapp),
            }
        )


class EnginesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/engines``: every Docker engine, whether it answers, its version and
    container counts (never a credential: no key, certificate or password)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each engine: name, url, source, tls, reachable, version, containers, running, error."""
        self.finish({"engines": await self.manager.engines_status()})


class ContainersHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers``: every visible container."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The summaries, running and stopped (``?all=false`` for running only)."""
        include_all = self.get_flag("all", True)
        names = [self.engine_name] if self.engine_name else None
        containers, engines = await self.manager.list_all(names, include_all)
        if not any(e["reachable"] for e in engines):
            # Nothing to show: the one engine asked (or every one) does not answer.
            raise EngineUnavailable(engines[0]["error"] if engines else "No engine is configured.")
        self.finish({"containers": containers, "engines": engines})

    @web.authenticated
    async def post(self) -> None:
        """Create (and start) a container from the JSON body (docs/protocol.md, ``create``);
        201 and its summary. Checked, refused and audited in ``SessionManager.create``."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        summary = await self.manager.actions.create(
            self, self.json_body(), via="rest", engine=self.engine_name
        )
        self.set_status(201)
        self.finish({"ok": True, "container": summary})


class ContainerHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers/{id}``: one container in detail."""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """The detailed summary."""
        container = await self.container(ref)
        self.finish(await self.manager.run(self.manager.engine_for(container).describe, ref))

    @web.authenticated
    async def delete(self, ref: str) -> None:
        """Remove the container (``?force=1``: even running; ``?volumes=1``: its anonymous
        volumes too)."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        container = await self.container(ref)
        removed = await self.manager.actions.remove(
            self,
            container,
            force=self.get_flag("force"),
            volumes=self.get_flag("volumes"),
            via="rest",
        )
        self.finish({"ok": True, "removed": removed})


class ImagesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/images``: the engine's local images (for a new container)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Id, tags, size and creation time of each local image; nothing is pulled."""
        images = await self.manager.run(self.manager.slot(self.engine_name).engine.list_images)
        self.finish({"images": images})


class ServicesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/services?engine=…``: a Swarm manager's services."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each service: name, image, mode, replicas wanted and running, update state."""
        slot = self.manager.slot(self.engine_name)
        services = await self.manager.run(slot.engine.swarm.list_services)
        self.finish({"engine": slot.name, "services": services})


class NodesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/nodes?engine=…``: a Swarm manager's nodes."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each node: hostname, role, leader, availability, state, engine version, address and
        the tasks it runs."""
        slot = self.manager.slot(self.engine_name)
        nodes = await self.manager.run(slot.engine.swarm.list_nodes)
        self.finish({"engine": slot.name, "nodes": nodes})


def port_proxy(serverapp: Any) -> str | None:
    """Where jupyter-server-proxy serves a local port (``<base_url>proxy/``, the port and a
    slash after it), or None when it is not enabled on this server: the consoles then link a
    published port on the host the page came from."""
    extensions = getattr(getattr(serverapp, "extension_manager", None), "extensions", {})
    package = extensions.get("jupyter_server_proxy")
    if package is None or not getattr(package, "enabled", False):
        return None
    return url_path_join(serverapp.base_url, "proxy/")


class PowerHandler(LittleWingsAPIHandler):
    """``POST api/littlewings/containers/{id}/power`` with ``{"action": …}``.

    The same path as the console's ``power`` message (``SessionManager.power``): the Authorizer's
    ``write``, read-only mode and the rate limit are checked there, and a refusal is audited as
    ``denied`` like any other (so ``@authorized``, which would refuse before the audit, is not
    used on this verb).
    """

    @web.authenticated
    async def post(self, ref: str) -> None:
        """Run the action; the container's summary afterwards."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        body = self.json_body()
        action = body.get("action") if isinstance(body, dict) else None
        if action not in POWER_ACTIONS:
            raise InvalidMessage(f"'action' must be one of {', '.join(POWER_ACTIONS)}.")
        container = await self.container(ref)
        summary = await self.manager.actions.power(self, container, action, via="rest")
        self.finish({"ok": True, "action": action, "state": summary["state"], "container": summary})


class AuditHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/audit``: the audit trail, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Filter with ``container``, ``user``, ``action``; page with ``limit`` and ``offset``."""
        audit = self.manager.audit
        if audit is None:
            self.finish({"enabled": False, "entries": [], "total": 0})
            return
        limit = self._int_argument("limit", 100, 1, 1000)
        offset = self._int_argument("offset", 0, 0, 10**9)
        container = self.get_argument("container", None)
        user = self.get_argument("user", None)
        action = self.get_argument("action", None)

        def read() -> dict[str, Any]:
            # Entries are written by a background thread: commit what was recorded before this
            # request first, so a client reads what it just did (a refused command, say).
            audit.flush()
            return audit.query(
                container=container, user=user, action=action, limit=limit, offset=offset
            )

        result = await self.manager.run(read)
        self.finish({"enabled": True, **result})

    def _int_argument(self, name: str, default: int, low: int, high: int) -> int:
        value = self.get_argument(name, None)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidMessage(
                f"Query argument {name!r} must be a whole number from {low} to {high}."
            )
        return int(value)
