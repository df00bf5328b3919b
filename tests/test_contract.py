"""One protocol for every face: the same scenario through the WebSocket and a widget view.

Both run the same session core, so the frames must be the same protocol: the same types, the
same fields, the same counts and the same lines (ids, cursors and times aside).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from typing import Any

import pytest

pytest.importorskip("anywidget")

import littlewings_jupyter as lw

pytestmark = pytest.mark.docker

FLOOD = 30_000
TIMESTAMP = re.compile(r"(?m)^\d{4}-\d\d-\d\dT[\d:.]+Z ")
LIMITS = {"batch_interval": 0.01, "throttle_lines": 2000, "throttle_interval": 1.0}
# History, a 100 kB line (split into pieces), then a console on stdin.
SCRIPT = (
    # (Docker orders the lines of stdout and stderr by their own copiers: the pauses make the
    # order across the two streams the same in both containers.)
    "echo first; sleep 0.1; echo second >&2; sleep 0.1; printf '%0100000d\\n' 0; echo ready; "
    "while read -r line; do case $line in "
    f"flood) seq 1 {FLOOD}; echo flooded;; *) echo got $line;; esac; done"
)


class ViewClient:
    """A widget view, driven as the front end drives it, with the WebSocket client's helpers."""

    def __init__(self, widget: Any, view: str) -> None:
        self.widget = widget
        self.view = view
        self.received: list[dict[str, Any]] = []
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def record(view: str, text: str) -> None:
            if view == self.view:
                loop.call_soon_threadsafe(self.queue.put_nowait, json.loads(text))

        widget._send_to_view = record

    async def send(self, frame: dict[str, Any]) -> None:
        self.widget._on_custom(self.widget, {"view": self.view, "frame": json.dumps(frame)}, [])

    async def until(self, predicate: Any, timeout: float = 10) -> dict[str, Any]:
        if isinstance(predicate, str):
            kind = predicate
            predicate = lambda f: f.get("type") == kind  # noqa: E731
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; received: {self.received[-10:]}")
            try:
                frame = await asyncio.wait_for(self.queue.get(), left)
            except asyncio.TimeoutError:
                continue
            self.received.append(frame)
            if predicate(frame):
                return frame


def log_text(client: Any, since: int = 0) -> str:
    return "".join(f["data"] for f in client.received[since:] if f["type"] == "log")


async def wait_log(client: Any, text: str, since: int = 0, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in log_text(client, since):
        assert time.monotonic() < deadline, f"{text!r} never came: {log_text(client)[-300:]!r}"
        try:
            await client.until(lambda f: f["type"] == "log", deadline - time.monotonic())
        except asyncio.TimeoutError:
            raise AssertionError(f"{text!r} never came: {client.received[since:]}") from None


async def seen(client: Any, predicate: Any, since: int, timeout: float = 20) -> dict[str, Any]:
    """A frame received since the mark ``since`` that matches, waiting for it if need be."""
    for frame in client.received[since:]:
        if predicate(frame):
            return frame
    return await client.until(predicate, timeout)


async def scenario(client: Any, name: str) -> None:
    """Everything a console does, in one order, waiting for each step's frames."""
    await client.send({"type": "connect", "server_id": name, "tail": "all", "id": "c1"})
    await client.until("history_end", 20)
    await wait_log(client, "ready\n")
    await client.send({"type": "heartbeat", "id": "h1"})
    await client.until("heartbeat")

    mark = len(client.received)
    await client.send({"type": "command", "command": "hello", "via": "stdin", "id": "s1"})
    await client.until("command_sent")
    await wait_log(client, "got hello\n", mark)
    await client.send(
        {"type": "command", "command": "echo exec-$((6*7)); exit 3", "via": "exec", "id": "e1"}
    )
    await client.until(lambda f: f["type"] == "command_exit" and f.get("id") == "e1")
    await client.send({"type": "command", "command": "echo err >&2", "via": "exec", "id": "e2"})
    await client.until(lambda f: f["type"] == "command_exit" and f.get("id") == "e2")

    # Again with timestamps: the last 3 lines of history.
    await client.send({"type": "disconnect", "id": "d1"})
    await client.until("disconnected")
    await client.send(
        {"type": "connect", "server_id": name, "tail": 3, "timestamps": True, "id": "c2"}
    )
    await client.until("history_end", 20)

    # A restart: status frames, and the container's output again, live.
    mark = len(client.received)
    await client.send({"type": "power", "action": "restart", "id": "p1"})
    await client.until(lambda f: f["type"] == "power" or f["type"] == "error", 30)
    await wait_log(client, "ready\n", mark, timeout=30)
    await seen(client, lambda f: f["type"] == "status" and f["event"] == "restarted", mark)

    # A flood that throttles: told when it starts and when it ends, with what was dropped.
    mark = len(client.received)
    await client.send({"type": "command", "command": "flood", "via": "stdin", "id": "f1"})
    await seen(client, lambda f: f["type"] == "throttled" and f["state"] == "on", mark)
    await seen(client, lambda f: f["type"] == "throttled" and f["state"] == "off", mark)
    await client.send({"type": "disconnect", "id": "d2"})
    await client.until("disconnected")


def shape(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """What the two faces must agree on."""
    fields: dict[str, set[str]] = {}
    for frame in frames:
        fields.setdefault(frame["type"], set()).update(frame)
    # Live log frames are batched by time; every other frame is one per event.
    counts = Counter(f["type"] for f in frames if f["type"] != "log")
    # Docker reports a restart as several events; heartbeats and idle warnings come by time.
    counts.pop("status", None)
    history = [f for f in frames if f["type"] == "log" and f["history"]]
    return {
        "fields": fields,
        "counts": counts,
        "status_events": sorted({f["event"] for f in frames if f["type"] == "status"}),
        "history_frames": [(f["stream"], f["lines"], bool(f.get("partial"))) for f in history],
        # Timestamps differ between the two containers: keep where they are.
        "history_text": [TIMESTAMP.sub("<ts> ", f["data"]) for f in history],
        "history_end_lines": [f["lines"] for f in frames if f["type"] == "history_end"],
        "commands": [
            (
                f["type"],
                f.get("id"),
                f.get("via"),
                f.get("stream"),
                f.get("data"),
                f.get("exit_code"),
            )
            for f in frames
            if f["type"].startswith("command_")
        ],
        "power": [(f["action"], f["ok"]) for f in frames if f["type"] == "power"],
    }


def flood_accounting(frames: list[dict[str, Any]]) -> tuple[int, int]:
    """Lines received live since the flood began, and lines the throttle said it dropped."""
    live = "".join(f["data"] for f in frames if f["type"] == "log" and not f["history"])
    live = TIMESTAMP.sub("", live)  # the flood comes with timestamps on
    flood = live[live.rindex("ready\n") :]
    # Every line after the last "ready": the flood's numbers and its "flooded".
    received = len(flood.splitlines()) - 1
    dropped = sum(f["dropped"] for f in frames if f["type"] == "throttled" and f["state"] == "off")
    return received, dropped


@pytest.fixture
def littlewings_config() -> dict[str, Any]:
    return dict(LIMITS)


async def test_websocket_and_widget_speak_one_protocol(lw_client, make_container):
    """Connect with history, live lines, a split 100 kB line, timestamps on and off, a stdin
    command, exec commands with exit codes, a restart, a throttled flood: the same frames."""
    boxes = [make_container(SCRIPT, stdin_open=True) for _ in range(2)]
    for box in boxes:
        deadline = time.monotonic() + 10
        while b"ready" not in box.logs():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)

    socket = await lw_client()
    await scenario(socket, boxes[0].name)
    hello_ws = socket.received[0]

    client = lw.Client(limits=lw.Limits(**LIMITS))
    widget = lw.ContainerConsole(client.container(boxes[1].name), tail=0, stats=False)
    try:
        view = ViewClient(widget, "v1")
        await view.send({"type": "open"})
        hello_view = await view.until("hello")
        await scenario(view, boxes[1].name)
    finally:
        widget.close()
        client.close()

    ws, wv = shape(socket.received), shape(view.received)
    assert set(hello_ws) == set(hello_view)
    assert (hello_ws["where"], hello_view["where"]) == ("server", "kernel")
    assert set(hello_ws["limits"]) == set(hello_view["limits"])
    for key in ws:
        assert ws[key] == wv[key], (key, ws[key], wv[key])

    # The pieces of the long line count as one line, both ways.
    assert ws["history_end_lines"][0] == 4  # first, second, the long line, ready
    assert [p for p in ws["history_frames"] if p[2]] == [("stdout", 0, True)]
    assert any(text.startswith("<ts> ") for text in ws["history_text"])
    assert ("command_output", "e2", None, "stderr", "err\n", None) in ws["commands"]
    assert ("command_exit", "e2", None, None, None, 0) in ws["commands"]
    assert ("command_exit", "e1", None, None, None, 3) in ws["commands"]
    assert ws["status_events"] and "restarted" in ws["status_events"]
    for frames in (socket.received, view.received):
        received, dropped = flood_accounting(frames)
        assert dropped > 0 and received + dropped == FLOOD + 1, (received, dropped)
    # The seed's replies, in both.
    for frames in (socket.received, view.received):
        connected = next(f for f in frames if f["type"] == "connected")
        assert (connected["status"], connected["message"]) == ("success", "Server connected")
        beat = next(f for f in frames if f["type"] == "heartbeat")
        assert (beat["status"], beat["message"]) == ("success", "Heartbeat renewed")
