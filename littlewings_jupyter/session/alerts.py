"""Alerts: a notice when a watched container dies, is OOM-killed, turns unhealthy, or logs a
line that matches a pattern; with a cooldown so that a restart loop does not flood.

A session's rules (:class:`AlertRules`) come from an ``alerts`` frame (docs/protocol.md). The
manager hands them Docker's events; for rules with patterns, the session's
:class:`PatternTap` subscribes to the containers' shared log followers like any subscriber.
The notebook API (``c.on("died", …)``) is a session of the kernel's core with rules too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..docker.models import ContainerRef
from ..patterns import Pattern
from .alert_rules import ALERT_EVENTS, AlertRule, parse_rules
from .frames import LogBatch

if TYPE_CHECKING:
    from .interfaces import ClientSessionLike

LAST_LINES = 10
# Seconds a kill or an OOM kill explains the container's next death.
DEATH_EXPLAINED_FOR = 60.0
MAX_LINE = 1000  # characters of a matching line sent in an alert


class Cooldown:
    """At most one alert of a kind per container per ``seconds``; the held ones are counted."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def admit(self, container_id: str, kind: str) -> int | None:
        """None to hold this alert back; else how many were held since the last one."""
        key = (container_id, kind)
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)


class PatternTap:
    """A session's reader of one container's live lines, for the patterns of its rules."""

    def __init__(self, rules: AlertRules, ref: ContainerRef, summary: dict[str, Any]) -> None:
        self.rules = rules  # the rules it reads for (the newer rules that keep it, later)
        self.ref = ref
        self.summary = summary
        self.patterns: list[Pattern] = []
        self.closed = False  # its rules were replaced without it: lines on their way are late

    def deliver_logs(self, batch: LogBatch) -> None:
        """Live lines: the first that matches a pattern raises an alert (then the cooldown)."""
        alerts = self.rules
        if self.closed or alerts.closed:
            return
        for line in batch.lines:
            for pattern in self.patterns:
                if pattern.search(line.text):
                    alerts.raise_alert(
                        "pattern",
                        self.summary,
                        pattern=pattern.pattern,
                        line=line.text[:MAX_LINE],
                        cursor=str(line.cursor),
                        message=f"{self.ref.name}: {line.text[:200]}",
                    )
                    break

    def container_status(self, frame: dict[str, Any]) -> None:
        """(Events reach the rules through the manager.)"""

    def container_removed(self, frame: dict[str, Any]) -> None:
        """The container is gone: nothing more to read."""

    def send(self, frame: dict[str, Any]) -> None:
        """(Throttling notices are for consoles.)"""


class AlertRules:
    """One session's alert rules, their cooldown and their pattern taps."""

    def __init__(self, session: ClientSessionLike, rules: list[AlertRule], cooldown: float) -> None:
        self.session = session
        self.rules = rules
        self.cooldown = Cooldown(cooldown)
        self.taps: dict[tuple[str, str], PatternTap] = {}
        self.closed = False  # replaced by newer rules (or the session ended)
        # Why a container is about to die, when it is known before its `die` event: a kill
        # somebody asked for (stop, restart, kill), or an OOM kill already alerted. One entry
        # per death expected: a restart then a stop expect two (Podman's events of the first
        # may come after the second was asked).
        self._ending: dict[str, list[tuple[str, float]]] = {}

    def expect_death(self, container_id: str, why: str) -> None:
        """The next death of this container (within a minute) is explained by ``why``."""
        self._ending.setdefault(container_id, []).append((why, time.monotonic()))

    def explained_death(self, container_id: str) -> str | None:
        """Why this death was expected, if it was (then it is no news: no ``died`` alert)."""
        now = time.monotonic()
        expected = [
            e for e in self._ending.pop(container_id, []) if now - e[1] < DEATH_EXPLAINED_FOR
        ]
        if not expected:
            return None
        why = expected.pop(0)[0]
        if expected:
            self._ending[container_id] = expected
        return why

    def rules_for(self, summary: dict[str, Any], engine: str) -> list[AlertRule]:
        """The rules about a container."""
        return [rule for rule in self.rules if rule.matches(summary, engine)]

    def follow(self, ref: ContainerRef, summary: dict[str, Any]) -> None:
        """Read a container's lines for the patterns of the rules about it (once).

        Not once these rules are replaced: a caller that awaited something in between (a
        container's details) holds the old rules, and their tap would never be closed."""
        patterns = [p for rule in self.rules_for(summary, ref.engine) for p in rule.patterns]
        key = (ref.engine, ref.id)
        if not patterns or key in self.taps or self.closed:
            return
        tap = self.taps[key] = PatternTap(self, ref, summary)
        tap.patterns = patterns
        self.session.manager.subscribe_logs(ref, tap)

    def take_taps(self, previous: AlertRules) -> None:
        """Keep the pattern taps of ``previous`` that these rules still want (with their new
        patterns), and its cooldown state."""
        self.cooldown = (
            previous.cooldown
            if previous.cooldown.seconds == self.cooldown.seconds
            else self.cooldown
        )
        for key, tap in list(previous.taps.items()):
            patterns = [
                p for rule in self.rules_for(tap.summary, tap.ref.engine) for p in rule.patterns
            ]
            if patterns:
                tap.patterns = patterns
                tap.rules = self
                self.taps[key] = previous.taps.pop(key)

    def raise_alert(self, kind: str, summary: dict[str, Any], **fields: Any) -> None:
        """Send an alert, unless the cooldown holds it back (or these rules were replaced)."""
        if self.closed:
            return
        held = self.cooldown.admit(summary.get("id", ""), kind)
        if held is None:
            return
        container = {k: summary.get(k) for k in ("id", "name", "engine")}
        frame = {"type": "alert", "kind": kind, "container": container, "time": time.time()}
        frame.update(fields)
        if held:
            frame["suppressed"] = held
        self.session.send(frame)

    def close(self) -> None:
        """Let go of the followers the patterns used."""
        self.closed = True
        manager = self.session.manager
        for tap in self.taps.values():
            tap.closed = True
            manager.unsubscribe_logs(tap.ref, tap)
        self.taps.clear()


__all__ = ["ALERT_EVENTS", "AlertRule", "AlertRules", "Cooldown", "PatternTap", "parse_rules"]
