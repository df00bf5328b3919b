"""Alerts: the ``alerts`` message (rules a client watches for) and what a Docker event of any
container means for them."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ...errors import LittleWingsError
from .. import protocol
from ..alerts import AlertRules

if TYPE_CHECKING:
    from ..interfaces import Handler
    from ..session import ClientSession


async def on_alerts(session: ClientSession, message: protocol.Alerts) -> None:
    await session.authorize("read")
    previous = session.alerts
    alerts = session.alerts = AlertRules(session, message.rules, message.cooldown)
    if previous is not None:
        # A tap still wanted stays subscribed (no line missed while the rules change).
        alerts.take_taps(previous)
        previous.close()
    manager = session.manager
    if message.rules:
        manager.alert_sessions.add(session)
    else:
        manager.alert_sessions.discard(session)
    if any(rule.patterns for rule in message.rules):
        # The containers the patterns are about, now (ones that start later join then).
        containers, _ = await manager.list_all()
        for summary in containers:
            if alerts is not session.alerts:
                return  # replaced meanwhile
            if alerts.rules_for(summary, summary.get("engine", "")) and summary.get("state") in (
                "running",
                "restarting",
                "paused",
            ):
                with contextlib.suppress(LittleWingsError):
                    ref = await manager.resolve(summary.get("engine"), summary["id"])
                    alerts.follow(ref, summary)
    if message.rules:
        await manager.events_ready()  # the reply promises alerts of the events that follow
    session.send(protocol.reply("alerts", message.id, rules=len(message.rules)))


async def on_docker_event(
    session: ClientSession,
    engine: str,
    kind: str,
    frame: dict[str, Any],
    summary: dict[str, Any] | None,
) -> None:
    """A Docker event of any container: an alert for ``session`` if one of its rules says so."""
    alerts = session.alerts
    if alerts is None or summary is None or session.closed:
        return
    rules = alerts.rules_for(summary, engine)
    if not rules:
        return
    manager = session.manager
    name = summary.get("name", "")
    if kind == "killed":
        # A stop, restart or kill somebody asked for (the console's own buttons too): the
        # death that follows is no death to report.
        alerts.expect_death(summary["id"], "requested")
    elif kind == "died":
        if alerts.explained_death(summary["id"]) is not None:
            return  # asked for, or the OOM kill already alerted
        code = frame.get("exit_code")
        if not any(
            "died" in rule.events and (rule.any_exit or code not in (0, None)) for rule in rules
        ):
            return
        last: list[str] = []
        with contextlib.suppress(LittleWingsError):
            slot = manager.slot(engine)
            lines = await manager.run(
                lambda: slot.engine.read_logs(summary["id"], bool(summary.get("tty")), tail=10)
            )
            last = [line.text for line in lines if not line.partial]
        if session.alerts is not alerts or session.closed:
            return  # the rules changed (or the session ended) while the lines were read
        alerts.raise_alert(
            "died",
            summary,
            exit_code=code,
            last_lines=last,
            message=f"{name} died with exit code {code}",
        )
    elif kind == "oom" and any("oom" in rule.events for rule in rules):
        alerts.raise_alert("oom", summary, message=f"{name} ran out of memory (OOM-killed)")
        alerts.expect_death(summary["id"], "oom")  # one alert for one OOM kill
    elif (
        kind == "health"
        and frame.get("health") == "unhealthy"
        and any("unhealthy" in rule.events for rule in rules)
    ):
        alerts.raise_alert("unhealthy", summary, message=f"{name} is unhealthy")
    elif kind in ("started", "restarted") and any(rule.patterns for rule in rules):
        with contextlib.suppress(LittleWingsError):
            alerts.follow(await manager.resolve(engine, summary["id"]), summary)


HANDLERS: dict[str, Handler] = {"alerts": on_alerts}
