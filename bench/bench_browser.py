"""6. Browser: the JupyterLab console receiving 100,000 lines in 10 s stays responsive and keeps its
memory bounded by the scrollback setting (default 10,000 lines).

A real ``jupyter lab`` (with the built LittleWings extension) and Debian's chromium driven by
Playwright. The console of a container is opened from the sidebar; the container then prints
100,000 lines at 10,000 lines/s, twice. Measured in the page:

- frame times (``requestAnimationFrame`` intervals) during the flood: p50, p99, max, and the
  share of frames over 50 ms (a "long" frame);
- input latency: a key pressed in the command box every 250 ms, from the ``keydown`` event to
  the next frame;
- the JS heap after a forced GC, before the first flood, after it, and after the second: with a
  bounded scrollback the second 100,000 lines must not add what the first added.
Baseline: the same figures with the console open and the container quiet.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from common import Containers, Results, log, run_main, size
from lab import CHROMIUM, LabServer, can_run, chromium, single_console_scene

LINES = size(100_000, 20_000)
RATE = 10_000
SCROLLBACK = 10_000


def measure(server: LabServer, containers: Containers) -> dict[str, Any]:
    """Open the console, flood it twice, and collect the figures."""
    with chromium(server) as browser:
        return single_console_scene(browser, server, containers, LINES, RATE)


def body(results: Results) -> None:
    """Measure and add the rows (or one row saying why it could not be measured)."""
    if not can_run():
        results.add("6 browser", "not measured", None, "", note="no chromium or no built extension")
        return
    with Containers() as containers:
        server = LabServer(others=True, args=["--LittleWings.command_rate=0"])
        try:
            server.start(timeout=90)
            log(f"browser: jupyter lab pid {server.pid}, {LINES} lines at {RATE}/s, twice")
            out = measure(server, containers)
        finally:
            server.stop()
    log(f"browser: {out}")
    results.extra.update(out)
    quiet, flood = out["quiet"], out["flood1"]
    results.add(
        "6 browser",
        f"frame time p50 during {LINES:,} lines",
        flood["frame_p50"],
        "ms",
        quiet["frame_p50"],
        "quiet",
    )
    results.add(
        "6 browser",
        "frame time p99 during the flood",
        flood["frame_p99"],
        "ms",
        quiet["frame_p99"],
        "quiet",
        note=f"max {flood['frame_max']:.0f} ms",
    )
    results.add(
        "6 browser",
        "long frames (> 50 ms) during the flood",
        flood["long_frames"] * 100,
        "%",
        quiet["long_frames"] * 100,
        "quiet",
        "< 1 %",
        flood["long_frames"] < 0.01,
        note=f"{flood['frames']} frames; second flood {out['flood2']['long_frames']:.2%}",
    )
    results.add(
        "6 browser",
        "key → next frame p99 during the flood",
        flood["key_p99"],
        "ms",
        quiet["key_p99"],
        "quiet",
        "< 100 ms",
        flood["key_p99"] < 100,
        note=f"{flood['keys']} keys",
    )
    results.add(
        "6 browser",
        "all lines shown after",
        flood["all_shown_after_s"],
        "s",
        LINES / RATE,
        "printing time",
        "last line shown",
        flood["all_shown"],
        note=f"{flood['lines_received']:,} of {flood['lines_expected']:,} lines received",
    )
    grow1 = out["heap_after_1_mb"] - out["heap_before_mb"]
    grow2 = out["heap_after_2_mb"] - out["heap_after_1_mb"]
    results.add(
        "6 browser",
        f"JS heap after 2nd {LINES:,} lines (scrollback {SCROLLBACK:,})",
        out["heap_after_2_mb"],
        "MiB",
        out["heap_after_1_mb"],
        "after 1st",
        "bounded: 2nd adds < ½ of 1st",
        grow2 < max(grow1, 1.0) / 2,
        note=f"before {out['heap_before_mb']:.1f} MiB; +{grow1:.1f} then +{grow2:.1f}",
    )


if __name__ == "__main__":
    if "--check" in sys.argv:
        subprocess.run([CHROMIUM, "--version"], check=False)
    run_main("browser", body)
