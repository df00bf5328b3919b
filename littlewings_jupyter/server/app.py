"""The LittleWings server extension: configuration (``c.LittleWings.…``), handlers, start, stop."""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Type, Unicode

from ..docker.engine import DockerEngine
from ..docker.models import Visibility
from ..session.audit import AuditLog
from ..session.limits import Limits
from ..session.manager import SessionManager
from .handlers import ContainerWebSocket
from .rest import default_handlers


class LittleWings(ExtensionApp):
    """Watch and drive Docker containers from Jupyter."""

    name = "littlewings_jupyter"
    # Handlers are added by hand (they live under /api/littlewings, not /littlewings_jupyter).
    load_other_extensions = True

    docker_url = Unicode(
        "",
        help="Docker endpoint, e.g. unix:///var/run/docker.sock or tcp://host:2376. "
        "Empty: from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY…), like the docker CLI.",
    ).tag(config=True)
    docker_timeout = Float(30.0, help="Seconds to wait for one Docker API call.").tag(config=True)

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

    read_only = Bool(
        False, help="Refuse every command, stdin line and power action: logs and stats only."
    ).tag(config=True)
    exec_enabled = Bool(True, help="Allow commands run with docker exec.").tag(config=True)
    stdin_enabled = Bool(True, help="Allow lines typed to a container's stdin.").tag(config=True)
    exec_shell = List(
        Unicode(),
        default_value=["/bin/sh", "-c"],
        help="How a 'command' string is run with exec: this argv plus the string. Empty: split "
        "the string like a shell would and run it without a shell.",
    ).tag(config=True)

    command_allow = List(
        Unicode(),
        default_value=[],
        help="Regular expressions; when set, a command (exec or stdin) must fully match one. "
        "Defence in depth, not a sandbox: a shell can always be talked into more.",
    ).tag(config=True)
    command_deny = List(
        Unicode(),
        default_value=[],
        help="Regular expressions; a command (exec or stdin) matching any is refused. "
        "Defence in depth, not a sandbox.",
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

    history_lines = Int(
        100, help="History lines sent on connect when the client does not say ('tail')."
    ).tag(config=True)
    idle_timeout = Float(
        180.0,
        help="Close a WebSocket after this many seconds without a client message (heartbeats "
        "count). 0 disables. A warning is sent shortly before.",
    ).tag(config=True)
    batch_interval = Float(
        0.02, help="Seconds log lines are collected before going out as one frame."
    ).tag(config=True)
    max_message_size = Int(
        1024 * 1024, help="Largest client frame in bytes; larger ones close the socket (1009)."
    ).tag(config=True)
    max_outbox_bytes = Int(
        16 * 1024 * 1024,
        help="Bytes queued for one slow client before its oldest log lines are dropped (it is "
        "told how many, and where to resume).",
    ).tag(config=True)
    max_line_bytes = Int(
        64 * 1024, help="Longer log lines are sent in pieces marked 'partial'."
    ).tag(config=True)
    throttle_lines = Int(
        100_000,
        help="Output throttling (like Wings): at most this many log lines per throttle_interval "
        "per container; more are dropped and clients are told how many. 0 disables.",
    ).tag(config=True)
    throttle_interval = Float(1.0, help="The window of throttle_lines, in seconds.").tag(
        config=True
    )
    command_rate = Float(
        10.0, help="Commands and power actions per second one connection may send (average)."
    ).tag(config=True)
    command_burst = Int(20, help="Burst allowance of command_rate.").tag(config=True)
    max_concurrent_commands = Int(
        4, help="Exec commands one connection may have running at once."
    ).tag(config=True)
    worker_threads = Int(16, help="Threads for blocking Docker calls.").tag(config=True)

    manager_class = Type(
        SessionManager, klass=SessionManager, help="The session manager class (to extend it)."
    ).tag(config=True)

    manager: SessionManager | None = None

    def limits(self) -> Limits:
        """The session limits from this app's configuration."""
        return Limits(
            history_lines=self.history_lines,
            batch_interval=self.batch_interval,
            idle_timeout=self.idle_timeout,
            max_outbox_bytes=self.max_outbox_bytes,
            command_rate=self.command_rate,
            command_burst=self.command_burst,
            max_concurrent_commands=self.max_concurrent_commands,
            read_only=self.read_only,
            exec_enabled=self.exec_enabled,
            stdin_enabled=self.stdin_enabled,
            exec_shell=list(self.exec_shell),
            max_message_size=self.max_message_size,
            throttle_lines=self.throttle_lines,
            throttle_interval=self.throttle_interval,
            command_allow=list(self.command_allow),
            command_deny=list(self.command_deny),
        )

    def initialize_settings(self) -> None:
        """Build the engine and session manager; no Docker call happens here."""
        engine = DockerEngine(
            base_url=self.docker_url or None,
            timeout=self.docker_timeout,
            visibility=Visibility(list(self.visible_names), list(self.visible_labels)),
            max_line_bytes=self.max_line_bytes,
        )
        self.manager = self.manager_class(engine, self.limits(), max_workers=self.worker_threads)
        if self.audit_enabled:
            data_dir = self.serverapp.data_dir if self.serverapp else self.data_dir
            path = self.audit_path or os.path.join(data_dir, "littlewings", "audit.sqlite")
            self.manager.audit = AuditLog(path, self.audit_retention_days)
            self.log.info("LittleWings: audit trail in %s", path)
        self.settings["littlewings_manager"] = self.manager

    def initialize_handlers(self) -> None:
        """The WebSocket and REST routes (ExtensionApp prefixes them with base_url)."""
        handlers: list[tuple[str, Any]] = [(r"/api/littlewings/ws", ContainerWebSocket)]
        handlers.extend(default_handlers)
        self.handlers.extend(handlers)

    async def stop_extension(self) -> None:
        """Close every session, Docker stream and thread."""
        if self.manager is not None:
            await self.manager.close()
