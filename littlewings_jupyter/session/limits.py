"""What a session may do and how fast: the settings, the command rate and output throttling."""

from __future__ import annotations

import time
from typing import Any

from traitlets import Bool, Float, HasTraits, Int, List, TraitError, Unicode, validate

from ..docker.spec import Policy
from ..errors import Forbidden, InvalidMessage
from ..parsing.lines import Cursor, LogLine
from ..patterns import Pattern, compile_pattern


class Limits(HasTraits):
    """What a session may do and how fast: one declaration for the server and the kernel.

    The server extension inherits these traits (``c.LittleWings.read_only = True``); a kernel's
    widgets use the defaults or a ``Limits(...)`` given to their client.
    """

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

    history_lines = Int(
        100, help="History lines sent on connect when the client does not say ('tail')."
    ).tag(config=True)

    idle_timeout = Float(
        180.0,
        help="Close a WebSocket after this many seconds without a client message (heartbeats "
        "count). 0 disables. A warning is sent shortly before.",
    ).tag(config=True)

    search_time_limit = Float(
        300.0,
        help="Seconds one search (WebSocket or REST) may run; it then ends with reason "
        "'time_limit' and says how far it got. 0: no limit.",
    ).tag(config=True)

    batch_interval = Float(
        0.02, help="Seconds log lines are collected before going out as one frame."
    ).tag(config=True)

    merge_window = Float(
        0.1,
        help="Seconds a merged view (a Compose project, a label, several containers) holds live "
        "lines so that lines of different containers go out in timestamp order. 0: as they come.",
    ).tag(config=True)

    max_message_size = Int(
        1024 * 1024, help="Largest client frame in bytes; larger ones close the socket (1009)."
    ).tag(config=True)

    max_outbox_bytes = Int(
        16 * 1024 * 1024,
        help="Bytes queued for one slow client before its oldest log lines are dropped (it is "
        "told how many, and where to resume).",
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
    shell_enabled = Bool(
        True,
        help="Allow interactive shells (docker exec -it) in containers: Jupyter already gives its "
        "users a terminal on the host. read_only refuses them too.",
    ).tag(config=True)

    shell_command = List(
        Unicode(),
        default_value=[],
        help="The argv of a shell a client opens without naming one. Empty: bash if the "
        "container has it, else sh.",
    ).tag(config=True)

    shell_reattach_timeout = Float(
        60.0,
        help="Seconds a shell outlives its connection: a client that reconnects within them takes "
        "it back (shell_attach) with the output it missed; later the shell is hung up. 0: hang up "
        "at once.",
    ).tag(config=True)

    audit_shell_input = Bool(
        False,
        help="Record what users type in shells in the audit trail, a line an entry. Off: only "
        "who opened which shell, its command and how long it ran.",
    ).tag(config=True)

    manage_enabled = Bool(
        True,
        help="Allow creating and removing containers (needs the Authorizer's write too; "
        "read_only refuses it).",
    ).tag(config=True)

    allowed_images = List(
        Unicode(),
        default_value=[],
        help="Shell patterns of the local images containers may be created from (e.g. "
        "'python:*'); empty: any local image. Nothing is ever pulled.",
    ).tag(config=True)

    allowed_bind_roots = List(
        Unicode(),
        default_value=[],
        help="Host directories whose paths (or paths below them) a new container may mount; "
        "empty: no host paths, only named volumes.",
    ).tag(config=True)

    allow_privileged = Bool(
        False,
        help="Let users create privileged containers, with the host's network or PID namespace, "
        "or with devices (each of them is root on the host).",
    ).tag(config=True)

    max_file_size = Int(
        20 * 1024 * 1024,
        help="The largest file read from or written into a container, in bytes.",
    ).tag(config=True)

    idle_warning = Float(
        30.0, help="Seconds before an idle close that the client is warned (at most a third)."
    ).tag(config=True)

    def copy(self, **changes: Any) -> Limits:
        """These settings as a plain :class:`Limits` (of an app, or another one), with changes."""
        values = {name: getattr(self, name) for name in Limits.class_trait_names()}
        values.update(changes)
        return Limits(**values)

    def policy(self) -> Policy:
        """What users may create (see docker/spec.py)."""
        return Policy(
            allowed_images=list(self.allowed_images),
            allowed_bind_roots=list(self.allowed_bind_roots),
            allow_privileged=self.allow_privileged,
        )

    @validate("command_allow", "command_deny")
    def _valid_command_patterns(self, proposal: Any) -> list[str]:
        """The lists match what users type: RE2 must take them (linear time), or the server
        does not start."""
        name = proposal["trait"].name
        for source in proposal["value"]:
            try:
                _command_pattern(source, name)
            except InvalidMessage as exc:
                raise TraitError(exc.message) from None
        return list(proposal["value"])

    def check_command(self, text: str) -> None:
        """Refuse a command the allow-list does not match or the deny-list does."""
        if self.command_allow and not any(
            _command_pattern(source, "command_allow").fullmatch(text)
            for source in self.command_allow
        ):
            raise Forbidden("This command is not in the server's allow-list (command_allow).")
        for source in self.command_deny:
            if _command_pattern(source, "command_deny").search(text):
                raise Forbidden("This command matches the server's deny-list (command_deny).")


def _command_pattern(source: str, name: str) -> Pattern:
    """An allow-list entry matches the whole command, newlines included (``.`` too); the
    deny-list's anywhere in it. Compiled once (RE2 keeps what it compiled)."""
    allow = name == "command_allow"
    return compile_pattern(source, what=f"{name}: {source!r}", case_sensitive=True, dot_all=allow)


class OutputThrottle:
    """Wings-like output throttling: at most ``limit`` lines per ``interval`` seconds.

    Lines over the limit are dropped, and the clients are told when it starts and when it ends,
    with how many lines were dropped and the cursors between which they can be fetched again.
    """

    def __init__(self, limit: int, interval: float) -> None:
        self.limit = limit
        self.interval = interval
        self.window_start = time.monotonic()
        self.count = 0
        self.active = False
        self.dropped = 0
        self.resume_cursor: Cursor | None = None
        self.last_dropped: Cursor | None = None
        self.last_admitted: Cursor | None = None

    def admit(self, lines: list[LogLine]) -> tuple[list[LogLine], dict[str, Any] | None]:
        """The lines that may go out now, and a notice if throttling just began."""
        now = time.monotonic()
        if now - self.window_start >= self.interval:
            self.window_start, self.count = now, 0
        room = max(self.limit - self.count, 0)
        if self.active:
            room = 0  # stay throttled until a quiet window has passed (see release)
        admitted = lines[:room]
        self.count += len(lines)
        if admitted:
            self.last_admitted = admitted[-1].cursor
        if len(admitted) == len(lines):
            return lines, None
        dropped = lines[len(admitted) :]
        if not self.active:
            self.active = True
            self.dropped = 0
            self.resume_cursor = self.last_admitted
            notice: dict[str, Any] | None = {
                "state": "on",
                "limit": self.limit,
                "interval": self.interval,
                "message": f"The container prints more than {self.limit} lines in "
                f"{self.interval:g} s: lines are being dropped until it slows down.",
            }
        else:
            notice = None
        self.dropped += len(dropped)
        self.last_dropped = dropped[-1].cursor
        return admitted, notice

    def release(self) -> dict[str, Any] | None:
        """End throttling once a whole window stayed under the limit; the closing notice."""
        now = time.monotonic()
        if now - self.window_start < self.interval:
            return None
        if self.count > self.limit:
            self.window_start, self.count = now, 0
            return None
        self.active = False
        notice = {
            "state": "off",
            "dropped": self.dropped,
            "resume_cursor": str(self.resume_cursor) if self.resume_cursor else None,
            "last_cursor": str(self.last_dropped) if self.last_dropped else None,
            "message": f"Output flows again; {self.dropped} lines were dropped.",
        }
        self.window_start, self.count = now, 0
        return notice


class TokenBucket:
    """A rate limit: ``rate`` per second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 if allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate
