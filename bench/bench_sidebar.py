"""The Containers sidebar with 5,000 containers over two Docker engines stays smooth.

A real ``jupyter lab`` with two engines (``c.LittleWings.engines``): this machine's dockerd
(``local``) and a second dockerd started here for the run (its own socket, data-root and bridge,
as ``tests/conftest.py``'s ``SecondEngine``). Containers are created, not started (labelled
``littlewings.bench=1``, half on each engine, in parallel threads) and removed at the end.

Baseline in the same run: the same page with 100 containers. Then 4,900 more are created while
the page watches (the sidebar takes their ``container_event`` frames live), and the same
figures are taken with 5,000. Measured in the page (``requestAnimationFrame`` intervals, as item
6 does):

- typing in the filter box (a key every 120 ms: a name that narrows to one container, then
  Backspace back to nothing);
- scrolling the list with the mouse wheel (120 px every 30 ms, down then up), and jumping
  through it as a scrollbar drag does (``scrollTop`` to 40 places, one per frame);
- the DOM nodes of the sidebar, and how long after a reload the list shows every container.

Target: every frame under 100 ms.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
from common import IMAGE, LABEL, REPO, Results, log, percentile, run_main, size
from lab import PROBE, PROFILE, LabServer, can_run, chromium, top_functions

TOTAL = size(5_000, 1_000)
BASE = 100
PANEL = "#littlewings-containers"
LIST = f"{PANEL} .jp-LittleWings-list"


def second_engine_class() -> Any:
    """tests/conftest.py's SecondEngine, on a bridge of its own (a test run may use lwbr2)."""
    spec = importlib.util.spec_from_file_location("lw_tests_conftest", REPO / "tests/conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class BenchEngine(module.SecondEngine):  # type: ignore[misc, name-defined]
        BRIDGE = "lwbr-bench"
        BIP = "172.30.97.1/24"

    return BenchEngine


class Created:
    """Containers made on the engines, in parallel; force-removed (in parallel) at the end."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients
        self.made: list[tuple[str, str]] = []
        self.prefix = f"lwside-{uuid.uuid4().hex[:5]}"

    def create(self, count: int, start: int) -> None:
        """Containers ``prefix-<start>`` … (engines take turns), not started."""
        names = list(self.clients)

        def one(i: int) -> None:
            engine = names[i % len(names)]
            container = self.clients[engine].api.create_container(
                IMAGE,
                ["true"],
                name=f"{self.prefix}-{i}",
                labels={LABEL: "1"},
                host_config=self.clients[engine].api.create_host_config(network_mode="none"),
            )
            self.made.append((engine, container["Id"]))

        with ThreadPoolExecutor(12) as pool:
            list(pool.map(one, range(start, start + count)))

    def remove_all(self) -> None:
        """Force-remove every container made."""

        def one(item: tuple[str, str]) -> None:
            with contextlib.suppress(Exception):
                self.clients[item[0]].api.remove_container(item[1], force=True)

        with ThreadPoolExecutor(12) as pool:
            list(pool.map(one, self.made))
        self.made.clear()


# Main-thread tasks over 50 ms (PerformanceObserver 'longtask'): a long frame with no long task
# was a frame the page did not get the CPU for (the machine is shared), not the page's work.
LONG_TASKS = """
() => {
  window.__lw.long = [];
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) { window.__lw.long.push(e.duration); }
  }).observe({entryTypes: ['longtask']});
}
"""


def frames_figures(window: dict[str, list[float]]) -> dict[str, float]:
    """p50, p99, max and the share over 50 ms of frame intervals (the first one dropped), and
    the main thread's long tasks meanwhile."""
    frames = window["frames"][1:]
    tasks = window["long"]
    return {
        "long_tasks": len(tasks),
        "task_max": max(tasks, default=0.0),
        "frames": len(frames),
        "frame_p50": percentile(frames, 50),
        "frame_p99": percentile(frames, 99),
        "frame_max": max(frames, default=0.0),
        "long_frames": sum(f > 50.5 for f in frames) / max(len(frames), 1),
    }


def take_frames(page: Any) -> dict[str, list[float]]:
    """The frame intervals and long tasks since the last reset; resets them."""
    return dict(
        page.evaluate(
            """() => {
                const out = {frames: window.__lw.frames, long: window.__lw.long};
                window.__lw.frames = []; window.__lw.long = [];
                return out;
            }"""
        )
    )


def shown_count(page: Any) -> int:
    """How many containers the sidebar's header counts (``running/all running``)."""
    text = page.locator(f"{PANEL} .jp-LittleWings-panelCount").inner_text()
    return int(text.split("/")[1].split()[0]) if "/" in text else 0


def wait_count(page: Any, count: int, timeout: float) -> float:
    """Seconds until the header counts ``count`` containers."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if shown_count(page) >= count:
            return time.monotonic() - start
        page.wait_for_timeout(100)
    raise RuntimeError(f"the sidebar shows {shown_count(page)} of {count} containers")


def dom_nodes(page: Any) -> dict[str, int]:
    """Elements in the sidebar, and container rows among them."""
    return dict(
        page.evaluate(
            """() => ({
                nodes: document.querySelectorAll('#littlewings-containers *').length,
                rows: document.querySelectorAll('#littlewings-containers .jp-LittleWings-item')
                    .length,
            })"""
        )
    )


def measure(page: Any, target: str) -> dict[str, Any]:
    """Filter typing, wheel scrolling and scrollbar jumps, each its own frame window."""
    out: dict[str, Any] = {"dom": dom_nodes(page)}
    box = page.locator(f"{PANEL} .jp-LittleWings-filterInput")
    box.click()
    take_frames(page)
    for ch in target:
        page.keyboard.type(ch)
        page.wait_for_timeout(120)
    narrowed = page.locator(f"{PANEL} .jp-LittleWings-item").count()
    for _ in target:
        page.keyboard.press("Backspace")
        page.wait_for_timeout(120)
    out["filter"] = frames_figures(take_frames(page))
    out["filter"]["rows_at_narrowest"] = narrowed

    page.locator(LIST).hover()
    page.wait_for_timeout(300)
    take_frames(page)
    for direction in (1, -1):
        for _ in range(60):
            page.mouse.wheel(0, 120 * direction)
            page.wait_for_timeout(30)
    out["wheel"] = frames_figures(take_frames(page))
    out["wheel"]["dom_after"] = dom_nodes(page)

    take_frames(page)
    page.evaluate(
        """() => new Promise(done => {
            const list = document.querySelector('#littlewings-containers .jp-LittleWings-list');
            let step = 0;
            const jump = () => {
                list.scrollTop = ((step * 7919) % 40) / 40 * list.scrollHeight;
                if (++step < 40) { requestAnimationFrame(jump); } else { done(); }
            };
            requestAnimationFrame(jump);
        })"""
    )
    page.wait_for_timeout(300)
    out["jump"] = frames_figures(take_frames(page))
    page.evaluate(f"() => {{ document.querySelector('{LIST}').scrollTop = 0; }}")
    return out


def scene(server: LabServer, created: Created) -> dict[str, Any]:
    """The baseline with 100 containers, then 5,000 on the same page, then a reload."""
    out: dict[str, Any] = {}
    with chromium(server) as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 860}).new_page()
        page.set_default_timeout(60000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.monotonic()
        page.goto(f"{server.url}lab?reset&token={server.token}")
        page.wait_for_selector(".jp-SideBar [data-id='littlewings-containers']", timeout=60000)
        page.click(".jp-SideBar [data-id='littlewings-containers']")
        wait_count(page, BASE, 60)
        out["base_shown_after_s"] = time.monotonic() - t0
        page.evaluate(PROBE)
        page.evaluate(LONG_TASKS)
        page.wait_for_timeout(1000)
        out["base"] = measure(page, f"{created.prefix}-77")

        # 4,900 more while the page watches: their events arrive in bursts.
        cdp = page.context.new_cdp_session(page)
        if PROFILE:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 500})
            cdp.send("Profiler.start")
        take_frames(page)
        t0 = time.monotonic()
        created.create(TOTAL - BASE, BASE)
        out["create_s"] = time.monotonic() - t0
        out["all_shown_after_create_s"] = wait_count(page, TOTAL, 300) + out["create_s"]
        out["burst"] = frames_figures(take_frames(page))
        if PROFILE:
            out["burst_profile"] = top_functions(cdp.send("Profiler.stop")["profile"], 25)
        page.wait_for_timeout(1000)
        if PROFILE:
            cdp.send("Profiler.start")
        out["full"] = measure(page, f"{created.prefix}-{TOTAL * 4 // 5 + 77}")
        if PROFILE:
            out["full_profile"] = top_functions(cdp.send("Profiler.stop")["profile"], 25)

        t0 = time.monotonic()
        page.reload()
        page.wait_for_selector(f"{PANEL}", timeout=60000)
        if not page.locator(PANEL).is_visible():
            page.click(".jp-SideBar [data-id='littlewings-containers']")
        wait_count(page, TOTAL, 120)
        out["reload_shown_after_s"] = time.monotonic() - t0
        out["page_errors"] = errors
    return out


def body(results: Results) -> None:
    """Measure and add the rows (or one row saying why it could not be measured)."""
    if not can_run():
        results.add("sidebar", "not measured", None, "", note="no chromium or built extension")
        return
    engine = second_engine_class()()
    engine.start()
    engine.load_image()
    local = docker.from_env(timeout=120)
    second = docker.DockerClient(base_url=f"unix://{engine.socket}", timeout=120)
    created = Created({"local": local, "second": second})
    server = LabServer(others=True)
    config = server.base / "config" / "jupyter_server_config.json"
    settings = json.loads(config.read_text())
    settings["LittleWings"] = {
        "engines": {"local": "unix:///var/run/docker.sock", "second": f"unix://{engine.socket}"}
    }
    config.write_text(json.dumps(settings))
    try:
        created.create(BASE, 0)
        server.start(timeout=90)
        log(f"sidebar: jupyter lab pid {server.pid}, {BASE} then {TOTAL} containers on 2 engines")
        out = scene(server, created)
    finally:
        server.stop()
        log(f"sidebar: removing {len(created.made)} containers")
        created.remove_all()
        local.close()
        second.close()
        engine.cleanup()
        subprocess.run(["ip", "link", "del", engine.BRIDGE], capture_output=True)
    log(f"sidebar: {json.dumps(out)}")
    results.extra.update(out)
    base, full = out["base"], out["full"]
    for phase, label in (
        ("filter", "typing in the filter"),
        ("wheel", "wheel scrolling"),
        ("jump", "scrollbar jumps"),
    ):
        b, f = base[phase], full[phase]
        results.add(
            "sidebar",
            f"frame p50 {label}, {TOTAL:,} containers",
            f["frame_p50"],
            "ms",
            b["frame_p50"],
            f"{BASE}",
        )
        results.add(
            "sidebar",
            f"frame p99 {label}",
            f["frame_p99"],
            "ms",
            b["frame_p99"],
            f"{BASE}",
            note=f"{f['frames']} frames, {f['long_frames']:.1%} over 50 ms; "
            f"longest main-thread task {f['task_max']:.0f} ms (100: {b['task_max']:.0f})",
        )
        results.add(
            "sidebar",
            f"frame max {label}",
            f["frame_max"],
            "ms",
            b["frame_max"],
            f"{BASE}",
            "< 100 ms",
            f["frame_max"] < 100,
        )
    results.add(
        "sidebar",
        "sidebar DOM elements",
        full["dom"]["nodes"],
        "",
        base["dom"]["nodes"],
        f"{BASE}",
        note=f"{full['dom']['rows']} container rows in the DOM of {TOTAL:,}",
    )
    burst = out["burst"]
    results.add(
        "sidebar",
        f"frame max while {TOTAL - BASE:,} are created",
        burst["frame_max"],
        "ms",
        note=(
            f"p99 {burst['frame_p99']:.0f} ms, longest task {burst['task_max']:.0f} ms; "
            f"all shown {out['all_shown_after_create_s']:.1f} s after the first create "
            f"(creating took {out['create_s']:.1f} s)"
        ),
    )
    results.add(
        "sidebar",
        f"reload until {TOTAL:,} are listed",
        out["reload_shown_after_s"],
        "s",
        out["base_shown_after_s"],
        f"{BASE} (first load of the page)",
    )


if __name__ == "__main__":
    run_main("sidebar", body)
