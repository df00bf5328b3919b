"""Alerts in notebooks: call a function when a container dies, is OOM-killed, turns unhealthy
or logs a line that matches a pattern (``c.on("died", …)``, ``lw.on_event(…)``).

Each subscription is a session of the kernel's session core with ``alerts`` rules
(docs/protocol.md), exactly as JupyterLab's notifications are a session of the server's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

from ..errors import from_wire
from ..session.alerts import ALERT_EVENTS
from ..session.session import ClientSession
from .runtime import KernelConnection

if TYPE_CHECKING:
    from .interfaces import ClientLike

EVENT_NAMES = {"die": "died", "died": "died", "oom": "oom", "unhealthy": "unhealthy"}


class AlertSubscription:
    """Calls ``callback(alert)`` for each alert of its rules (in a thread of its own, one alert
    after the other), until :meth:`cancel`. ``alert`` is the ``alert`` frame as a dict:
    ``kind`` (``died``, ``oom``, ``unhealthy``, ``pattern``), ``container`` (id, name,
    engine), ``message``, and ``exit_code`` + ``last_lines`` or ``line`` + ``pattern``."""

    def __init__(
        self,
        client: ClientLike,
        rules: list[dict[str, Any]],
        callback: Callable[[dict[str, Any]], Any],
        cooldown: float = 60,
    ) -> None:
        self.client = client
        self.callback = callback
        self.rules = rules
        self.calls = ThreadPoolExecutor(1, thread_name_prefix="littlewings-alerts")
        self.runtime = client.acquire_runtime()
        self.cancelled = False
        self._session: ClientSession | None = None
        frame = json.dumps({"type": "alerts", "id": "on", "rules": rules, "cooldown": cooldown})

        async def start() -> dict[str, Any] | None:
            # Its `alert` frames go to the callback.
            connection = KernelConnection(lambda text: self._frame(json.loads(text)))
            session = self.runtime.manager.open_session(connection, client.limits)
            self._session = session
            self._reply: dict[str, Any] | None = None
            await session.handle(frame)
            for _ in range(200):  # the reply is written by the session's writer task
                if self._reply is not None:
                    break
                await asyncio.sleep(0.005)
            return self._reply

        reply = self.runtime.submit(start()).result(30)
        if reply is not None and reply.get("type") == "error":
            self.cancel()
            raise from_wire(reply)

    def _frame(self, frame: dict[str, Any]) -> None:
        if frame.get("id") == "on":
            self._reply = frame
        elif frame.get("type") == "alert" and not self.cancelled:
            self.calls.submit(self._call, frame)

    def _call(self, alert: dict[str, Any]) -> None:
        try:
            self.callback(alert)
        except Exception:
            print(f"LittleWings: alert callback {self.callback!r} failed:", file=sys.stderr)
            traceback.print_exc()

    def cancel(self) -> None:
        """No more calls; the Docker streams the patterns used are let go."""
        if self.cancelled:
            return
        self.cancelled = True
        session = self._session
        if session is not None:
            self.runtime.call(session.release)
        self.client.release_runtime(self.runtime)
        self.calls.shutdown(wait=False)

    def __enter__(self) -> AlertSubscription:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.cancel()

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else "active"
        return f"<AlertSubscription {self.rules!r} ({state})>"


def rule(
    events: Any = ALERT_EVENTS,
    *,
    container: Any = None,
    project: str | None = None,
    label: str | None = None,
    patterns: list[str] | None = None,
    engine: str | None = None,
    any_exit: bool = False,
    pod: str | None = None,
) -> dict[str, Any]:
    """One ``alerts`` rule from Python names (``events`` may say ``die`` for ``died``)."""
    if isinstance(events, str):
        events = [events]
    unknown = [e for e in events if e not in EVENT_NAMES]
    if unknown:
        raise ValueError(f"events must be among died, oom, unhealthy; not {unknown}.")
    given = (("container", container), ("project", project), ("pod", pod), ("label", label))
    named = [k for k, v in given if v]
    if len(named) != 1:
        raise ValueError("Name the containers with one of container=, project=, pod= or label=.")
    out: dict[str, Any] = {"events": sorted({EVENT_NAMES[e] for e in events})}
    if container is not None:
        out["server_id"] = getattr(container, "id", container)
        engine = engine or getattr(container, "engine_name", None)
    if project:
        out["project"] = project
    if pod:
        out["pod"] = pod
    if label:
        out["label"] = label
    if patterns:
        out["patterns"] = list(patterns)
    if engine:
        out["engine"] = engine
    if any_exit:
        out["any_exit"] = True
    return out


__all__ = ["AlertSubscription", "rule"]
