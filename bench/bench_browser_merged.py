"""Browser, merged logs: one merged console of 10 flooding containers stays responsive, gets every
line and keeps its memory bounded by the scrollback setting (default 10,000 lines).

The scene of item 6 (``bench_browser.py``), twice on the same ``jupyter lab`` and chromium, each
on a fresh page:

- baseline: one container prints 100,000 lines at 10,000 lines/s into its own console (opened
  from the sidebar), twice; keys pressed in the command box;
- merged: 10 containers of one Compose project each print 10,000 lines at 1,000 lines/s (the
  same 100,000 lines in 10 s) into the project's merged console (the group header's Open Project
  Logs button), twice; keys pressed in its search box (it has no command box).

Measured in the page: frame times (p50, p99, max, share > 50 ms), ``keydown`` → next frame, the
JS heap after a forced GC before and after each flood, and the lines the page received on the
socket, per container (xterm and the merged console keep only the scrollback). The search box
gets End, a key that changes nothing: a typed character would search the view at every key (and
every 200 ms while lines arrive), which is not what the single console's keys cost.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from common import Containers, Results, log, paced_command, run_main, size
from lab import (
    GATE2,
    Flood,
    LabServer,
    can_run,
    chromium,
    lab_page,
    measure_scene,
    single_console_scene,
    wait_shown,
)

MEMBERS = 10
LINES = size(100_000, 20_000)
RATE = 10_000
SCROLLBACK = 10_000
ITEM = "13 browser merged"


def merged_scene(browser: Any, server: LabServer, containers: Containers) -> dict[str, Any]:
    """10 containers of one project into its merged console, ``LINES`` in all, twice."""
    project = f"lwbench{uuid.uuid4().hex[:6]}"
    each, rate = LINES // MEMBERS, RATE // MEMBERS
    # Bursts every 50 ms: at 10 ms, ten producers start 1,000 usleep processes a second, and
    # those alone kept the 2 cores 88-99 % busy (item 13's control runs).
    first = paced_command(each, rate, prefix="first", burst=0.05)[2]
    second = paced_command(each, rate, prefix="second", gate=GATE2, burst=0.05)[2]
    boxes = [
        containers.create(
            ["sh", "-c", f"echo ready; {first}; {second}; sleep 3600"],
            labels={
                "com.docker.compose.project": project,
                "com.docker.compose.service": "flood",
                "com.docker.compose.container-number": str(number),
            },
        )
        for number in range(1, MEMBERS + 1)
    ]
    with lab_page(browser, server, "merged-console") as (page, counter):
        header = page.locator(f".jp-LittleWings-groupRow[data-group='{project}']")
        header.wait_for(timeout=20000)
        header.locator(".jp-LittleWings-projectLogs").click()
        console = page.locator(".jp-LittleWings-mergedConsole:visible")
        console.locator(".xterm-rows").wait_for()
        wait_shown(console, "ready")
        floods = [
            Flood(partial(containers.open_gates, boxes, gate), {b.name: each for b in boxes})
            for gate in ("/tmp/go", "/tmp/go2")
        ]
        out = measure_scene(
            page, counter, console, ".jp-LittleWings-searchInput", "End", floods, LINES / RATE
        )
        out["members_shown"] = console.locator(".jp-LittleWings-member").count()
        return out


def body(results: Results) -> None:
    """Measure both scenes and add the rows."""
    if not can_run():
        results.add(ITEM, "not measured", None, "", note="no chromium or no built extension")
        return
    with Containers() as containers:
        server = LabServer(others=True, args=["--LittleWings.command_rate=0"])
        try:
            server.start(timeout=90)
            log(f"browser merged: jupyter lab pid {server.pid}, {LINES} lines at {RATE}/s")
            with chromium(server) as browser:
                single = single_console_scene(browser, server, containers, LINES, RATE)
                containers.remove_all()
                merged = merged_scene(browser, server, containers)
        finally:
            server.stop()
    log(f"browser merged: single {single}")
    log(f"browser merged: merged {merged}")
    results.extra.update(single=single, merged=merged)
    add_rows(results, single, merged)


def add_rows(results: Results, single: dict[str, Any], merged: dict[str, Any]) -> None:
    """The merged console's first flood against the single console's, in the same run."""
    flood, base = merged["flood1"], single["flood1"]
    quiet = merged["quiet"]
    name = f"{MEMBERS} x {LINES // MEMBERS:,}"
    results.add(
        ITEM,
        f"frame time p50, merged view of {name} lines",
        flood["frame_p50"],
        "ms",
        base["frame_p50"],
        "1 console",
        note=f"quiet {quiet['frame_p50']:.1f} ms",
    )
    results.add(
        ITEM,
        "frame time p99 during the flood",
        flood["frame_p99"],
        "ms",
        base["frame_p99"],
        "1 console",
        note=f"max {flood['frame_max']:.0f} ms (1 console {base['frame_max']:.0f}); "
        f"quiet {quiet['frame_p99']:.1f} ms",
    )
    results.add(
        ITEM,
        "long frames (> 50 ms) during the flood",
        flood["long_frames"] * 100,
        "%",
        base["long_frames"] * 100,
        "1 console",
        "< 1 %",
        flood["long_frames"] < 0.01,
        note=f"{flood['frames']} frames; second flood {merged['flood2']['long_frames']:.2%} "
        f"(1 console {single['flood2']['long_frames']:.2%}); quiet {quiet['long_frames']:.2%}",
    )
    results.add(
        ITEM,
        "key → next frame p99 during the flood",
        flood["key_p99"],
        "ms",
        base["key_p99"],
        "1 console",
        "< 100 ms",
        flood["key_p99"] < 100,
        note=f"{flood['keys']} keys in the search box; quiet {quiet['key_p99']:.1f} ms",
    )
    results.add(
        ITEM,
        "page main thread busy during the flood",
        flood["main_thread_busy"] * 100,
        "%",
        base["main_thread_busy"] * 100,
        "1 console",
        note=f"script {flood['ScriptDuration']:.2f} s (1 console {base['ScriptDuration']:.2f}); "
        f"machine busy {flood['machine_busy']:.0%} (1 console {base['machine_busy']:.0%})",
    )
    received = all(
        merged[f"flood{n}"]["lines_received"] == merged[f"flood{n}"]["lines_expected"]
        for n in (1, 2)
    )
    results.add(
        ITEM,
        "lines the page received (both floods)",
        merged["flood1"]["lines_received"] + merged["flood2"]["lines_received"],
        "lines",
        merged["flood1"]["lines_expected"] + merged["flood2"]["lines_expected"],
        "printed",
        "= printed",
        received and not merged["dropped_notices"],
        note=f"1 console: {base['lines_received'] + single['flood2']['lines_received']:,}; "
        f"dropped/throttle notices {merged['dropped_notices']}; log frames {flood['log_frames']:,} "
        f"(1 console {base['log_frames']:,})",
    )
    results.add(
        ITEM,
        "all lines shown after",
        flood["all_shown_after_s"],
        "s",
        base["all_shown_after_s"],
        "1 console",
        "last line shown",
        flood["all_shown"],
        note=f"printing time {LINES / RATE:.0f} s",
    )
    grow1 = merged["heap_after_1_mb"] - merged["heap_before_mb"]
    grow2 = merged["heap_after_2_mb"] - merged["heap_after_1_mb"]
    results.add(
        ITEM,
        f"JS heap after 2nd {LINES:,} lines (scrollback {SCROLLBACK:,})",
        merged["heap_after_2_mb"],
        "MiB",
        merged["heap_after_1_mb"],
        "after 1st",
        "bounded: 2nd adds < ½ of 1st",
        grow2 < max(grow1, 1.0) / 2,
        note=f"before {merged['heap_before_mb']:.1f} MiB; +{grow1:.1f} then +{grow2:.1f}; "
        f"1 console {single['heap_after_2_mb']:.1f} MiB after 2nd",
    )


if __name__ == "__main__":
    run_main("browser_merged", body)
