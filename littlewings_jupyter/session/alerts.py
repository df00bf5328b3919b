"""Alerts: a notice when a watched container dies, is OOM-killed, turns unhealthy, or logs a
line that matches a pattern; with a cooldown so that a restart loop does not flood.

A session's rules (:class:`AlertRules`) come from an ``alerts`` frame (docs/protocol.md). The
manager hands them Docker's events; for rules with patterns, the session's
:class:`PatternTap` subscribes to the containers' shared log followers like any subscriber.
The notebook API (``c.on("died", …)``) is a session of the kernel's core with rules too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..docker.models import ContainerRef
from ..errors import InvalidMessage
from ..patterns import Pattern, compile_pattern
from .frames import LogBatch

if TYPE_CHECKING:
    from .session import ClientSession

ALERT_EVENTS = ("died", "oom", "unhealthy")
MAX_RULES = 200
MAX_PATTERNS = 50
LAST_LINES = 10
MAX_LINE = 1000  # characters of a matching line sent in an alert


@dataclass
class AlertRule:
    """Which containers (a name or id, a project or a label, on an engine), which events,
    which patterns."""

    server_id: str = ""
    project: str = ""
    label: str = ""
    engine: str = ""
    events: frozenset[str] = frozenset(ALERT_EVENTS)
    any_exit: bool = False
    patterns: list[Pattern] = field(default_factory=list)

    def matches(self, summary: dict[str, Any], engine: str) -> bool:
        """Whether the rule is about this container (its summary: id, name, labels)."""
        if self.engine and self.engine != engine:
            return False
        labels = summary.get("labels") or {}
        if self.server_id:
            ref = self.server_id.lstrip("/")
            cid = summary.get("id", "")
            return ref == summary.get("name") or (len(ref) >= 4 and cid.startswith(ref))
        if self.project:
            return labels.get("com.docker.compose.project") == self.project
        if self.label:
            key, has_value, value = self.label.partition("=")
            return key in labels and (not has_value or labels[key] == value)
        return False


def parse_rules(data: dict[str, Any]) -> tuple[list[AlertRule], float]:
    """The rules and the cooldown of an ``alerts`` frame."""
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or len(rules_data) > MAX_RULES:
        raise InvalidMessage(f"'alerts' needs 'rules': a list of at most {MAX_RULES} rules.")
    cooldown = data.get("cooldown", 60)
    if (
        isinstance(cooldown, bool)
        or not isinstance(cooldown, (int, float))
        or not (0 <= cooldown <= 86400)
    ):
        raise InvalidMessage("'cooldown' must be 0 to 86400 seconds.")
    rules = []
    for number, item in enumerate(rules_data, 1):
        if not isinstance(item, dict):
            raise InvalidMessage(f"Alert rule {number} must be an object.")
        names = [k for k in ("server_id", "project", "label") if item.get(k)]
        if len(names) != 1 or not all(isinstance(item[k], str) for k in names):
            raise InvalidMessage(
                f"Alert rule {number} must name its containers with one of 'server_id', "
                "'project' or 'label'."
            )
        events = item.get("events", list(ALERT_EVENTS))
        if not isinstance(events, list) or not set(events) <= set(ALERT_EVENTS):
            raise InvalidMessage(
                f"Alert rule {number}: 'events' must be among {', '.join(ALERT_EVENTS)}."
            )
        patterns = item.get("patterns", [])
        if not isinstance(patterns, list) or len(patterns) > MAX_PATTERNS:
            raise InvalidMessage(
                f"Alert rule {number}: 'patterns' must be a list of at most {MAX_PATTERNS}."
            )
        # RE2: these run on the event loop for every live line, and must never stall it.
        compiled = []
        for pattern in patterns:
            what = f"Alert rule {number}: " + (
                f"the pattern {pattern!r}" if isinstance(pattern, str) else "a pattern"
            )
            compiled.append(compile_pattern(pattern, what=what))
        engine = item.get("engine", "") or ""
        if not isinstance(engine, str):
            raise InvalidMessage(f"Alert rule {number}: 'engine' must be an engine's name.")
        rules.append(
            AlertRule(
                server_id=item.get("server_id", ""),
                project=item.get("project", ""),
                label=item.get("label", ""),
                engine=engine,
                events=frozenset(events),
                any_exit=bool(item.get("any_exit", False)),
                patterns=compiled,
            )
        )
    return rules, float(cooldown)


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

    def __init__(self, session: ClientSession, ref: ContainerRef, summary: dict[str, Any]) -> None:
        self.session = session
        self.ref = ref
        self.summary = summary
        self.patterns: list[Pattern] = []

    def deliver_logs(self, batch: LogBatch) -> None:
        """Live lines: the first that matches a pattern raises an alert (then the cooldown)."""
        alerts = self.session.alerts
        if alerts is None:
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

    def __init__(self, session: ClientSession, rules: list[AlertRule], cooldown: float) -> None:
        self.session = session
        self.rules = rules
        self.cooldown = Cooldown(cooldown)
        self.taps: dict[tuple[str, str], PatternTap] = {}

    def rules_for(self, summary: dict[str, Any], engine: str) -> list[AlertRule]:
        """The rules about a container."""
        return [rule for rule in self.rules if rule.matches(summary, engine)]

    def follow(self, ref: ContainerRef, summary: dict[str, Any]) -> None:
        """Read a container's lines for the patterns of the rules about it (once)."""
        patterns = [p for rule in self.rules_for(summary, ref.engine) for p in rule.patterns]
        key = (ref.engine, ref.id)
        if not patterns or key in self.taps:
            return
        tap = self.taps[key] = PatternTap(self.session, ref, summary)
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
                self.taps[key] = previous.taps.pop(key)

    def raise_alert(self, kind: str, summary: dict[str, Any], **fields: Any) -> None:
        """Send an alert, unless the cooldown holds it back."""
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
        manager = self.session.manager
        for tap in self.taps.values():
            manager.unsubscribe_logs(tap.ref, tap)
        self.taps.clear()


__all__ = ["ALERT_EVENTS", "AlertRule", "AlertRules", "Cooldown", "PatternTap", "parse_rules"]
