"""The kernel side of the notebook console widget, without a browser: the frames it sends, the
Python API (run, lines, on_line, wait_for, close) and the threads it leaves behind (none)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

pytest.importorskip("anywidget")

import littlewings_jupyter as lw
from littlewings_jupyter.kernel.widget import ContainerConsole

pytestmark = pytest.mark.docker

DEMO = ["/bin/demo-console"]


class Recorder:
    """Every frame a widget sends to its views, with the view it went to."""

    def __init__(self, widget: ContainerConsole) -> None:
        self.frames: list[tuple[str | None, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.widget = widget
        widget._send_to_view = self.record  # type: ignore[method-assign]

    def record(self, view: str, text: str) -> None:
        with self.lock:
            self.frames.append((view, json.loads(text)))

    def send(self, view: str, frame: Any) -> None:
        """A frame from a view, as the front end sends it over the comm."""
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self.widget._on_custom(self.widget, {"view": view, "frame": text}, [])

    def open(self, view: str) -> dict[str, Any]:
        self.send(view, {"type": "open"})
        return self.wait(lambda f: f["type"] == "hello", view=view)

    def of(self, kind: str, view: Any = ...) -> list[dict[str, Any]]:
        with self.lock:
            return [f for v, f in self.frames if f["type"] == kind and (view is ... or v == view)]

    def wait(self, predicate: Any, timeout: float = 10, view: Any = ...) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for v, frame in self.frames:
                    if predicate(frame) and (view is ... or v == view):
                        return frame
            time.sleep(0.05)
        raise AssertionError(f"no such frame; got {[f['type'] for _, f in self.frames][-20:]}")

    def log_text(self, view: Any = ...) -> str:
        return "".join(f["data"] for f in self.of("log", view))


def widget_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("littlewings-")]


def wait_threads_gone(timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while widget_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return widget_threads()


@pytest.fixture
def demo(make_container: Any) -> Any:
    box = make_container(command=DEMO, stdin_open=True)
    deadline = time.monotonic() + 10
    while b"console ready" not in box.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    return box


def test_import_does_not_load_widgets() -> None:
    code = (
        "import sys, littlewings_jupyter as lw; lw.__all__; "
        "print(any(m.startswith(('anywidget', 'ipywidgets', 'docker')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_history_live_lines_and_a_view(demo: Any) -> None:
    """A view's connect gets hello, connected, the history, history_end; live lines follow."""
    w = lw.console(demo.name, tail=50)
    rec = Recorder(w)
    try:
        deadline = time.monotonic() + 10
        while not any("console ready" in line.text for line in w.lines):
            assert time.monotonic() < deadline, w.lines
            time.sleep(0.05)
        assert rec.open("v1")["permissions"] == {"read": True, "write": True}
        rec.send("v1", {"type": "connect", "server_id": demo.name, "id": "k1"})
        rec.wait(lambda f: f["type"] == "history_end", view="v1")
        connected = rec.of("connected", "v1")[0]
        assert connected["id"] == "k1" and connected["command_via"] == "stdin"
        assert connected["container"]["name"] == demo.name
        history = rec.of("log", "v1")
        assert history and all(f["history"] for f in history)
        assert "demo: console ready" in rec.log_text("v1")
        end = rec.of("history_end", "v1")[0]
        assert end["cursor"] == history[-1]["cursor"]

        # Resuming after a cursor sends only what came after it.
        rec.open("v2")
        rec.send("v2", {"type": "connect", "server_id": demo.name, "cursor": end["cursor"]})
        assert rec.wait(lambda f: f["type"] == "history_end", view="v2")["lines"] == 0

        # Live: a new tick reaches every view and w.lines.
        line = w.wait_for("demo: tick", timeout=10)
        assert line is not None and line.stream == "stdout"
        for view in ("v1", "v2"):
            rec.wait(
                lambda f: f["type"] == "log" and not f["history"] and "demo: tick" in f["data"],
                view=view,
            )
    finally:
        w.close()


def test_run_on_line_and_exec(demo: Any) -> None:
    """run() types on stdin (the answer shows in lines) or runs exec (output, exit code)."""
    w = lw.console(demo.name)
    rec = Recorder(w)
    rec.open("v1")
    seen: list[lw.Line] = []
    w.on_line(seen.append)
    try:
        assert w.command_via == "stdin"
        assert w.run("warn kettle on") is None
        line = w.wait_for("warning: kettle on", timeout=10)
        assert line is not None and line.stream == "stderr"
        assert rec.wait(lambda f: f["type"] == "command_started") == {
            "type": "command_started",
            "id": "py1",
            "via": "stdin",
            "command": "warn kettle on",
        }
        deadline = time.monotonic() + 5
        while not any("kettle on" in x.text for x in seen):
            assert time.monotonic() < deadline
            time.sleep(0.05)

        result = w.run("echo out; echo err >&2; exit 3", via="exec")
        assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
        exit_frame = rec.wait(lambda f: f["type"] == "command_exit" and f["id"] == "py2")
        outputs = rec.of("command_output")
        assert {(f["stream"], f["data"]) for f in outputs} == {
            ("stdout", "out\n"),
            ("stderr", "err\n"),
        }
        assert exit_frame["exit_code"] == 3

        w.on_line(seen.append, remove=True)
        count = len(seen)
        w.run("say after removal")
        assert w.wait_for("after removal", timeout=10) is not None
        assert len(seen) == count
    finally:
        w.close()


def test_commands_power_and_bad_frames_from_a_view(demo: Any) -> None:
    """Front-end messages are handled like the WebSocket's; bad ones get an error, no crash."""
    w = lw.console(demo.name)
    rec = Recorder(w)
    try:
        rec.open("v1")
        rec.send("v1", {"type": "connect", "server_id": demo.name, "id": "k1"})
        rec.send(
            "v1", {"type": "command", "command": "echo hi-$((2*21))", "via": "exec", "id": "c1"}
        )
        rec.wait(lambda f: f["type"] == "command_exit" and f["id"] == "c1")
        assert "hi-42\n" in [f["data"] for f in rec.of("command_output", "v1")]

        rec.send("v1", {"type": "power", "action": "pause", "id": "p1"})
        reply = rec.wait(lambda f: f["type"] == "power" and f.get("id") == "p1")
        assert reply["state"] == "paused"
        rec.wait(lambda f: f["type"] == "status" and f["event"] == "paused")
        demo.reload()
        assert demo.status == "paused"
        rec.send("v1", {"type": "power", "action": "pause", "id": "p2"})
        error = rec.wait(lambda f: f["type"] == "error" and f.get("id") == "p2")
        assert error["code"] == "conflict"
        rec.send("v1", {"type": "power", "action": "unpause", "id": "p3"})
        rec.wait(lambda f: f["type"] == "power" and f.get("id") == "p3")

        for bad, code in [
            ("not json", "invalid_json"),
            ('"not a dict"', "invalid_json"),
            ({}, "unknown_type"),
            ({"type": "launch"}, "unknown_type"),
            ({"type": "command", "id": "c9"}, "invalid_message"),
            ({"type": "power", "action": "explode"}, "invalid_message"),
        ]:
            before = len(rec.of("error"))
            rec.send("v1", bad)
            rec.send("v1", {"type": "heartbeat", "id": "after"})
            rec.wait(lambda f: f["type"] == "heartbeat" and f.get("id") == "after", view="v1")
            rec.frames = [(v, f) for v, f in rec.frames if f["type"] != "heartbeat"]
            errors = rec.of("error")
            assert len(errors) == before + 1 and errors[-1]["code"] == code, (bad, errors[-1])

        # The widget speaks the server's protocol: a list of containers, too.
        rec.send("v1", {"type": "list", "id": "l1"})
        listed = rec.wait(lambda f: f["type"] == "containers", view="v1")
        assert demo.id in [c["id"] for c in listed["containers"]]

        rec.send("v1", {"type": "stats", "enabled": True})
        stats = rec.wait(lambda f: f["type"] == "stats" and "cpu_percent" in f, timeout=15)
        assert stats["memory"]["usage"] > 0
        assert "littlewings-stats" in widget_threads()
        rec.send("v1", {"type": "stats", "enabled": False})
    finally:
        w.close()
    assert wait_threads_gone() == []


def test_close_leaves_no_thread_and_follows_restarts(demo: Any) -> None:
    """Logs resume after a restart; close() ends every thread and Docker stream."""
    assert wait_threads_gone() == []
    w = lw.console(demo.name)
    rec = Recorder(w)
    try:
        assert set(widget_threads()) >= {"littlewings-logs", "littlewings-kernel"}
        rec.open("v1")
        rec.send("v1", {"type": "connect", "server_id": demo.name, "tail": 0})
        rec.wait(lambda f: f["type"] == "history_end", view="v1")

        def readies() -> int:
            return sum("console ready" in line.text for line in w.lines)

        before = readies()
        w.container_handle.restart()
        rec.wait(lambda f: f["type"] == "status" and f["event"] == "started", timeout=20)
        # The restarted program's first line: it may have come before the status frame did,
        # so it is counted, not waited for "from now on" (wait_for would miss it then).
        deadline = time.monotonic() + 30
        while readies() == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert readies() > before
    finally:
        w.close()
    assert w.closed
    assert rec.of("closed", "v1")
    assert wait_threads_gone() == []
    w.close()  # twice is fine


def test_lines_are_bounded(make_container: Any) -> None:
    """The kernel keeps max_lines lines, however many the container writes."""
    box = make_container("seq 1 30000; sleep 3600")
    time.sleep(1)
    w = lw.console(box.name, tail=30000, max_lines=1000)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (not w.lines or w.lines[-1].text != "30000"):
            time.sleep(0.05)
        assert len(w.lines) == 1000
        assert w.lines[0].text == "29001" and w.lines[-1].text == "30000"
    finally:
        w.close()
    assert wait_threads_gone() == []
