"""What a session may do and how fast: the settings, the command rate and output throttling."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..docker.lines import Cursor, LogLine
from ..errors import Forbidden


@dataclass
class Limits:
    """The session settings the app's traitlets configure."""

    history_lines: int = 100
    batch_interval: float = 0.02
    idle_timeout: float = 180.0
    idle_warning: float = 30.0
    max_outbox_bytes: int = 16 * 1024 * 1024
    command_rate: float = 10.0
    command_burst: int = 20
    max_concurrent_commands: int = 4
    read_only: bool = False
    exec_enabled: bool = True
    stdin_enabled: bool = True
    exec_shell: list[str] = field(default_factory=lambda: ["/bin/sh", "-c"])
    max_message_size: int = 1024 * 1024
    throttle_lines: int = 100_000
    throttle_interval: float = 1.0
    command_allow: list[str] = field(default_factory=list)
    command_deny: list[str] = field(default_factory=list)

    def check_command(self, text: str) -> None:
        """Refuse a command the allow-list does not match or the deny-list does."""
        if self.command_allow and not any(
            re.fullmatch(pattern, text, re.S) for pattern in self.command_allow
        ):
            raise Forbidden("This command is not in the server's allow-list (command_allow).")
        for pattern in self.command_deny:
            if re.search(pattern, text):
                raise Forbidden("This command matches the server's deny-list (command_deny).")


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
