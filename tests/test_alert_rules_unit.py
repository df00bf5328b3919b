"""Alert rules replaced while a caller awaited (pure logic; the real flows are in test_alerts)."""

from __future__ import annotations

from typing import Any

from littlewings_jupyter.docker.models import ContainerRef
from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.session.alerts import AlertRules, parse_rules
from littlewings_jupyter.session.frames import LogBatch

REF = ContainerRef("c1", "loop", False, False, "running", engine="local")
SUMMARY = {"id": "c1", "name": "loop", "engine": "local", "labels": {"alerts": "x"}}


class FakeManager:
    def __init__(self) -> None:
        self.subscribed: list[Any] = []

    def subscribe_logs(self, ref: ContainerRef, tap: Any) -> None:
        self.subscribed.append(tap)

    def unsubscribe_logs(self, ref: ContainerRef, tap: Any) -> None:
        self.subscribed.remove(tap)


class FakeSession:
    def __init__(self) -> None:
        self.manager = FakeManager()
        self.sent: list[dict[str, Any]] = []

    def send(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)


def rules(session: FakeSession, patterns: list[str]) -> AlertRules:
    parsed, cooldown = parse_rules(
        {"rules": [{"label": "alerts=x", "events": ["died"], "patterns": patterns}]}
    )
    return AlertRules(session, parsed, cooldown)  # type: ignore[arg-type]


def panic() -> LogBatch:
    return LogBatch([LogLine(1, Cursor("2026-12-08T01:00:00.000000000Z"), "panic: nil map")])


def test_rules_replaced_meanwhile_follow_nothing_and_raise_nothing() -> None:
    # A container's "restarted" event: its rules are read, then its details awaited; the rules
    # are replaced by none meanwhile. The old rules must not start a tap nobody would close.
    session = FakeSession()
    old = rules(session, ["panic"])
    old.close()
    old.follow(REF, SUMMARY)
    assert session.manager.subscribed == []
    old.raise_alert("died", SUMMARY, message="late")
    assert session.sent == []


def test_a_tap_kept_by_newer_rules_alerts_for_them_and_one_left_behind_is_silent() -> None:
    session = FakeSession()
    old = rules(session, ["panic"])
    old.follow(REF, SUMMARY)
    (tap,) = session.manager.subscribed
    kept = rules(session, ["nil"])
    kept.take_taps(old)
    old.close()
    assert session.manager.subscribed == [tap] and tap.rules is kept
    tap.deliver_logs(panic())
    assert [(f["kind"], f["pattern"]) for f in session.sent] == [("pattern", "nil")]
    # Then rules without patterns: the tap is closed, and lines already on their way say nothing.
    none = rules(session, [])
    none.take_taps(kept)
    kept.close()
    assert session.manager.subscribed == []
    tap.deliver_logs(panic())
    assert len(session.sent) == 1
