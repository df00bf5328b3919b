"""What the browser benchmarks share: ``jupyter lab`` with the LittleWings labextension from the
source tree, Debian's chromium driven by Playwright, and a probe in the page that records frame
times, key latency and (through the DevTools protocol) the JS heap and a CPU profile.

A *scene* is one console on a fresh page: a quiet window, then floods, each measured from the
moment its gates open until the page has received every line and shows the last one.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from common import REPO, Server, paced_command, percentile

CHROMIUM = os.environ.get("LITTLEWINGS_CHROMIUM", "/usr/bin/chromium")
BUILT = REPO / "littlewings_jupyter" / "labextension"
# LITTLEWINGS_BENCH_PROFILE=1: record a CPU profile of the page during each flood and keep its
# top functions by self time in the results (to explain long frames).
PROFILE = os.environ.get("LITTLEWINGS_BENCH_PROFILE", "") not in ("", "0")
ROWS = ".xterm-rows > div"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ ")

# The second flood of a scene waits for this file (the first for common.GATE's /tmp/go).
GATE2 = "while [ ! -e /tmp/go2 ]; do usleep 20000; done; "

PROBE = """
() => {
  const s = (window.__lw = {frames: [], keys: [], last: performance.now(), on: true});
  const tick = (t) => {
    s.frames.push(t - s.last); s.last = t; if (s.on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  document.addEventListener('keydown', (e) => {
    const t0 = e.timeStamp;
    requestAnimationFrame(() => s.keys.push(performance.now() - t0));
  }, true);
}
"""


class LabServer(Server):
    """``python -m jupyterlab`` with the LittleWings labextension from the source tree."""

    def command(self) -> list[str]:
        """jupyter lab instead of jupyter server."""
        cmd = super().command()
        cmd[2] = "jupyterlab"
        ext = self.base / "labextensions"
        ext.mkdir(exist_ok=True)
        link = ext / "littlewings-jupyter"
        if not link.exists():
            link.symlink_to(BUILT)
        settings = self.base / "settings"
        notes = settings / "@jupyterlab" / "apputils-extension"
        notes.mkdir(parents=True, exist_ok=True)
        (notes / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false", "checkForUpdates": false}'
        )
        return [
            *cmd,
            f"--LabApp.extra_labextensions_path={ext}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.base / 'workspaces'}",
        ]


def can_run() -> bool:
    """Whether chromium and the built extension are there."""
    return Path(CHROMIUM).exists() and (BUILT / "package.json").exists()


@contextmanager
def chromium(server: Server) -> Iterator[Any]:
    """Headless chromium (its own HOME) for the length of the block."""
    from playwright.sync_api import sync_playwright

    home = server.base / "chromium-home"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
            env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
        )
        try:
            yield browser
        finally:
            browser.close()


class LineCounter:
    """Counts the log lines the page receives on LittleWings' socket, per container.

    It reads the WebSocket frames Playwright reports (the page does nothing more for it): the
    console's own buffer and xterm's keep only the scrollback, not every line of a flood."""

    def __init__(self, page: Any) -> None:
        self.per_container: dict[str, int] = {}
        self.total = 0
        self.frames = 0
        self.dropped = 0
        # The container and text (without Docker's timestamp) of the last line received.
        self.last_line = ("", "")
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        if "/api/littlewings/ws" in ws.url:
            ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) or not payload.startswith('{"type":"'):
            return
        if payload.startswith('{"type":"log"'):
            frame = json.loads(payload)
            count = frame.get("lines", 0)
            name = frame.get("container", "")
            self.per_container[name] = self.per_container.get(name, 0) + count
            self.total += count
            self.frames += 1
            if count:
                text = frame["data"].rstrip("\n").rsplit("\n", 1)[-1]
                self.last_line = (name, TIMESTAMP.sub("", text))
        elif payload.startswith('{"type":"dropped"') or payload.startswith('{"type":"throttle'):
            self.dropped += 1

    def snapshot(self) -> dict[str, int]:
        """Lines so far, per container."""
        return dict(self.per_container)


@contextmanager
def lab_page(browser: Any, server: Server, name: str) -> Iterator[tuple[Any, LineCounter]]:
    """A fresh page with JupyterLab and the Containers sidebar shown, closed after the block;
    on an exception what it showed is saved as bench/results/<name>-failure.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30000)
    counter = LineCounter(page)
    try:
        page.goto(f"{server.url}lab?reset&token={server.token}")
        page.wait_for_selector(".jp-SideBar [data-id='littlewings-containers']", timeout=60000)
        page.click(".jp-SideBar [data-id='littlewings-containers']")
        yield page, counter
    except Exception:
        out = REPO / "bench" / "results"
        out.mkdir(exist_ok=True)
        with suppress(Exception):  # a page too busy to draw one must not hide the error
            page.screenshot(path=str(out / f"{name}-failure.png"), timeout=5000)
        raise
    finally:
        context.close()


def top_functions(profile: dict[str, Any], count: int = 15) -> list[tuple[str, float]]:
    """The functions with the most self time in a CDP CPU profile, in ms."""
    interval: dict[int, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        interval[sample] = interval.get(sample, 0) + delta / 1000
    totals: dict[str, float] = {}
    for node in profile["nodes"]:
        frame = node["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1].split("?")[0]
        name = f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber']}"
        totals[name] = totals.get(name, 0.0) + interval.get(node["id"], 0.0)
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def heap_mb(cdp: Any) -> float:
    """Used JS heap after a forced GC, MiB."""
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.collectGarbage")
    return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 2**20


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


PAGE_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def page_metrics(cdp: Any) -> dict[str, float]:
    """The page's main-thread time so far (CDP Performance metrics, seconds)."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: float(m["value"]) for m in metrics if m["name"] in PAGE_METRICS}


def shown(console: Any) -> str:
    """The text the log view shows."""
    return "\n".join(console.locator(ROWS).all_inner_texts()).replace("\xa0", " ")


def last_line_shown(console: Any, counter: LineCounter) -> bool:
    """Whether the view shows the last line the page received (in its container's row)."""
    name, text = counter.last_line
    return any(name in row and row.rstrip().endswith(text) for row in shown(console).splitlines())


def window(
    page: Any, console: Any, box: str, key: str, seconds: float, done: Callable[[], bool] | None
) -> dict[str, float]:
    """Collect frame and key figures for ``seconds`` (or until ``done()``), pressing ``key`` in
    the input ``box`` every 250 ms."""
    page.evaluate("() => { window.__lw.frames = []; window.__lw.keys = []; }")
    field = console.locator(box)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        field.press(key)
        page.wait_for_timeout(250)
        if done is not None and done():
            break
    data = page.evaluate("() => ({frames: window.__lw.frames, keys: window.__lw.keys})")
    frames, keys = data["frames"][1:], data["keys"]
    field.fill("")
    return {
        "seconds": time.monotonic() - start,
        "frames": len(frames),
        "frame_p50": percentile(frames, 50),
        "frame_p99": percentile(frames, 99),
        "frame_max": max(frames, default=0.0),
        # A long animation frame takes more than 50 ms (W3C Long Animation Frames); frame times
        # are multiples of the 16.7 ms refresh give or take float noise, so 3 refreshes (50.0)
        # are not long and 4 (66.7) are.
        "long_frames": sum(f > 50.5 for f in frames) / max(len(frames), 1),
        "key_p50": percentile(keys, 50),
        "key_p99": percentile(keys, 99),
        "keys": len(keys),
    }


@dataclass
class Flood:
    """One flood of a scene: how to start it, and how many lines each container prints (by
    the ``container`` of the log frames; a single console's frames have none: "")."""

    open_gates: Callable[[], object]
    lines: dict[str, int]


def measure_flood(
    page: Any,
    cdp: Any,
    counter: LineCounter,
    console: Any,
    box: str,
    key: str,
    flood: Flood,
    printing_s: float,
) -> dict[str, Any]:
    """Open a flood's gates and take the window until every line has reached the page and the
    last one is on screen (or three times the printing time has passed)."""
    before, frames_before = counter.snapshot(), counter.frames

    def received() -> dict[str, int]:
        now = counter.snapshot()
        return {name: now.get(name, 0) - before.get(name, 0) for name in flood.lines}

    def done() -> bool:
        return received() == flood.lines and last_line_shown(console, counter)

    if PROFILE:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        cdp.send("Profiler.start")
    busy0, total0 = machine_jiffies()
    metrics0 = page_metrics(cdp)
    flood.open_gates()
    t0 = time.monotonic()
    figures: dict[str, Any] = window(page, console, box, key, printing_s * 3 + 10, done)
    busy1, total1 = machine_jiffies()
    metrics1 = page_metrics(cdp)
    # Where the time went: the page's main thread (busy share of the window; script, layout,
    # style seconds), and the whole machine (the producers and the server share its cores).
    wall = time.monotonic() - t0
    figures["machine_busy"] = (busy1 - busy0) / max(total1 - total0, 1)
    figures["main_thread_busy"] = (metrics1["TaskDuration"] - metrics0["TaskDuration"]) / wall
    for name in PAGE_METRICS[1:]:
        figures[name] = metrics1[name] - metrics0[name]
    if PROFILE:
        figures["profile"] = top_functions(cdp.send("Profiler.stop")["profile"])
    figures["all_shown_after_s"] = time.monotonic() - t0
    figures["all_shown"] = done()
    got = received()
    figures["lines_expected"] = sum(flood.lines.values())
    figures["lines_received"] = sum(got.values())
    figures["log_frames"] = counter.frames - frames_before
    figures["containers_short"] = sorted(n for n, c in got.items() if c != flood.lines[n])
    figures["last_line"] = " ".join(counter.last_line).strip()
    return figures


def measure_scene(
    page: Any,
    counter: LineCounter,
    console: Any,
    box: str,
    key: str,
    floods: list[Flood],
    printing_s: float,
) -> dict[str, Any]:
    """A quiet window, then each flood: frames, keys, lines received, heap after, and (with
    LITTLEWINGS_BENCH_PROFILE) a CPU profile of the page."""
    out: dict[str, Any] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.evaluate(PROBE)
    out["quiet"] = window(page, console, box, key, 3, None)
    out["heap_before_mb"] = heap_mb(cdp)
    for n, flood in enumerate(floods, 1):
        out[f"flood{n}"] = measure_flood(page, cdp, counter, console, box, key, flood, printing_s)
        if PROFILE:
            out[f"profile{n}"] = out[f"flood{n}"].pop("profile")
        out[f"heap_after_{n}_mb"] = heap_mb(cdp)
    out["dropped_notices"] = counter.dropped
    return out


def wait_shown(console: Any, text: str, timeout: float = 20) -> None:
    """Wait (without failing) until the view shows ``text``."""
    deadline = time.monotonic() + timeout
    while text not in shown(console) and time.monotonic() < deadline:
        time.sleep(0.2)


def single_console_scene(
    browser: Any, server: Server, containers: Any, lines: int, rate: int
) -> dict[str, Any]:
    """Item 6's scene: one container's console, opened from the sidebar, ``lines`` at ``rate``
    lines/s, twice; keys pressed in its command box."""
    first = paced_command(lines, rate, prefix="first")[2]
    second = paced_command(lines, rate, prefix="second", gate=GATE2)[2]
    box = containers.create(["sh", "-c", f"echo ready; {first}; {second}; sleep 3600"])
    with lab_page(browser, server, "single-console") as (page, counter):
        row = page.locator(f"#littlewings-containers .jp-LittleWings-item[data-name='{box.name}']")
        row.wait_for(timeout=20000)
        row.dblclick()
        console = page.locator(".jp-LittleWings-console:visible")
        console.locator(".xterm-rows").wait_for()
        wait_shown(console, "ready")
        floods = [
            Flood(partial(box.exec_run, ["touch", gate]), {"": lines})
            for gate in ("/tmp/go", "/tmp/go2")
        ]
        return measure_scene(
            page, counter, console, ".jp-LittleWings-commandInput", "a", floods, lines / rate
        )
