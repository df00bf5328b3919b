"""Alert rules: which containers (a name or id, a project or a label, on an engine), which
events, which patterns; read from an ``alerts`` frame (docs/protocol.md).

A leaf: the wire parser (:mod:`.protocol`) reads the rules, the sessions' alerts
(:mod:`.alerts`) apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidMessage
from ..patterns import Pattern, compile_pattern

ALERT_EVENTS = ("died", "oom", "unhealthy")
MAX_RULES = 200
MAX_PATTERNS = 50


@dataclass
class AlertRule:
    """Which containers (a name or id, a Compose project, a Podman pod or a label, on an
    engine), which events, which patterns."""

    server_id: str = ""
    project: str = ""
    pod: str = ""
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
        if self.pod:
            return summary.get("pod") == self.pod
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
        names = [k for k in ("server_id", "project", "pod", "label") if item.get(k)]
        if len(names) != 1 or not all(isinstance(item[k], str) for k in names):
            raise InvalidMessage(
                f"Alert rule {number} must name its containers with one of 'server_id', "
                "'project', 'pod' or 'label'."
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
                pod=item.get("pod", ""),
                label=item.get("label", ""),
                engine=engine,
                events=frozenset(events),
                any_exit=bool(item.get("any_exit", False)),
                patterns=compiled,
            )
        )
    return rules, float(cooldown)


__all__ = ["ALERT_EVENTS", "MAX_PATTERNS", "MAX_RULES", "AlertRule", "parse_rules"]
