"""The LittleWings server extension: configuration (``c.LittleWings.…``), handlers, start, stop."""

from __future__ import annotations

import functools
import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, List, Type, Unicode

from ..docker.engines import engine_specs
from ..docker.models import Visibility
from ..session.archive import Archive
from ..session.archiving import Archiver
from ..session.audit import AuditLog
from ..session.engines import EngineRegistry
from ..session.limits import Limits
from ..session.manager import SessionManager
from .handlers import ContainerWebSocket
from .rest import default_handlers


class LittleWings(ExtensionApp, Limits):
    """Watch and drive Docker containers from Jupyter.

    The session settings (``read_only``, ``idle_timeout``, ``throttle_lines`` …) are declared on
    :class:`~littlewings_jupyter.session.limits.Limits` and configured here: ``c.LittleWings.x``.
    """

    name = "littlewings_jupyter"
    # Handlers are added by hand (they live under /api/littlewings, not /littlewings_jupyter).
    load_other_extensions = True

    docker_url = Unicode(
        "",
        help="Docker endpoint, e.g. unix:///var/run/docker.sock or tcp://host:2376. "
        "Empty: from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY…), like the docker CLI.",
    ).tag(config=True)
    docker_timeout = Float(30.0, help="Seconds to wait for one Docker API call.").tag(config=True)

    engines = Dict(
        default_value={},
        help="Named Docker engines, the default first: {'gpu-box': {'url': "
        "'tcp://10.0.0.5:2376', 'tls': {'ca': '/path/ca.pem', 'cert': '/path/cert.pem', 'key': "
        "'/path/key.pem'}}, 'build': 'ssh://me@build'}. TLS verification is on unless 'verify': "
        "False. Empty: the environment's engine (docker_url, DOCKER_HOST...).",
    ).tag(config=True)
    use_docker_contexts = Bool(
        True,
        help="Show the docker CLI's contexts (~/.docker/contexts) as engines too, the current "
        "one first.",
    ).tag(config=True)

    visible_names = List(
        Unicode(),
        default_value=[],
        help="Shell-style name patterns (e.g. ['web-*', 'db']); only matching containers are "
        "visible. Empty: all names.",
    ).tag(config=True)
    visible_labels = List(
        Unicode(),
        default_value=[],
        help="Labels a container must carry to be visible: 'key' or 'key=value'. Empty: no "
        "label needed. A hidden container is answered exactly like a missing one.",
    ).tag(config=True)

    audit_enabled = Bool(
        True, help="Record every command, stdin line and power action in the audit trail."
    ).tag(config=True)
    audit_path = Unicode(
        "",
        help="The audit trail's SQLite file. Empty: littlewings/audit.sqlite in Jupyter's data "
        "directory.",
    ).tag(config=True)
    audit_retention_days = Float(
        90.0, help="Audit entries older than this many days are deleted; 0 keeps them all."
    ).tag(config=True)

    archive = Bool(
        False,
        help="Keep the logs of every container in the archive (SQLite, in Jupyter's data "
        "directory), so that they stay readable and searchable after the container is removed. "
        "Off: only containers labelled littlewings.archive=true are archived.",
    ).tag(config=True)
    archive_path = Unicode(
        "", help="The archive's SQLite file. Empty: littlewings/archive.sqlite in the data dir."
    ).tag(config=True)
    archive_max_bytes = Int(
        1024**3, help="The archive's size bound in bytes: the oldest lines go first. 0: none."
    ).tag(config=True)
    archive_max_age_days = Float(
        30.0, help="Archived lines older than this many days are deleted. 0: kept."
    ).tag(config=True)

    max_line_bytes = Int(
        64 * 1024, help="Longer log lines are sent in pieces marked 'partial'."
    ).tag(config=True)
    worker_threads = Int(16, help="Threads for blocking Docker calls.").tag(config=True)

    manager_class = Type(
        SessionManager, klass=SessionManager, help="The session manager class (to extend it)."
    ).tag(config=True)

    manager: SessionManager | None = None

    def limits(self) -> Limits:
        """The session settings of this app's configuration (declared once, on :class:`Limits`)."""
        return Limits.copy(self)

    def initialize_settings(self) -> None:
        """Build the engine and session manager; no Docker call happens here."""
        visibility = Visibility(list(self.visible_names), list(self.visible_labels))
        specs = engine_specs(dict(self.engines), self.use_docker_contexts, self.docker_url)
        engines = EngineRegistry.from_specs(
            specs,
            timeout=self.docker_timeout,
            visibility=visibility,
            max_line_bytes=self.max_line_bytes,
        )
        for spec in specs:
            if spec.problem:
                self.log.error("LittleWings: engine %r: %s", spec.name, spec.problem)
            else:
                self.log.info("LittleWings: engine %r at %s", spec.name, spec.display_url)
        self.manager = self.manager_class(engines, self.limits(), max_workers=self.worker_threads)
        if self.audit_enabled:
            data_dir = self.serverapp.data_dir if self.serverapp else self.data_dir
            path = self.audit_path or os.path.join(data_dir, "littlewings", "audit.sqlite")
            self.manager.audit = AuditLog(path, self.audit_retention_days)
            self.log.info("LittleWings: audit trail in %s", path)
        data_dir = self.serverapp.data_dir if self.serverapp else self.data_dir
        path = self.archive_path or os.path.join(data_dir, "littlewings", "archive.sqlite")
        limits = (self.archive_max_bytes, self.archive_max_age_days)
        self.manager.archiver = Archiver(
            self.manager, functools.partial(Archive, path, *limits), path, self.archive
        )
        self.settings["littlewings_manager"] = self.manager
        self.settings["littlewings_archive_path"] = path

    async def _start_archiving(self) -> None:
        if self.manager is not None:
            try:
                await self.manager.start_archiving()
            except Exception:
                self.log.exception("LittleWings: the archive could not start")

    def initialize_handlers(self) -> None:
        """The WebSocket and REST routes (ExtensionApp prefixes them with base_url)."""
        handlers: list[tuple[str, Any]] = [(r"/api/littlewings/ws", ContainerWebSocket)]
        handlers.extend(default_handlers)
        self.handlers.extend(handlers)
        # With archive on, archiving starts with the server, not with the first browser (off,
        # labelled containers are archived from the first session on: start-up stays free of
        # Docker calls).
        if self.archive:
            from tornado.ioloop import IOLoop

            IOLoop.current().add_callback(self._start_archiving)

    async def stop_extension(self) -> None:
        """Close every session, Docker stream and thread."""
        if self.manager is not None:
            await self.manager.close()
