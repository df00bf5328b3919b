"""Logs you can search (issue 15) as a user sees them in JupyterLab, against real containers:
"Search all history" finds lines the browser never had and jumps to them, in a time range, and
can be cancelled; JSON lines are drawn as level, time and message with the level in colour."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import SCREENSHOTS, wait_for_docker_log  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def history_search(console: Any) -> Any:
    """Open the console's "Search all history" panel."""
    panel = console.locator(".jp-LittleWings-historySearch")
    if not panel.is_visible():
        console.locator(".jp-LittleWings-historyButton").click()
    expect(panel).to_be_visible()
    return panel


def run_search(panel: Any, query: str, since: str = "", until: str = "") -> None:
    """Fill the panel's form and start the search."""
    panel.locator(".jp-LittleWings-hsSince").fill(since)
    panel.locator(".jp-LittleWings-hsUntil").fill(until)
    box = panel.locator(".jp-LittleWings-hsQuery")
    box.fill(query)
    box.press("Enter")


def results(panel: Any) -> list[str]:
    """The matching lines listed, in order."""
    return panel.locator(".jp-LittleWings-hsResult .jp-LittleWings-hsLine").all_inner_texts()


def xterm_buffer(console: Any) -> list[str]:
    """Every line xterm holds (scrollback included), read from the rows by scrolling: the DOM
    holds only the rows on screen."""
    return console.evaluate(
        """async node => {
            const viewport = node.querySelector('.jp-LittleWings-logView .xterm-viewport');
            const rows = '.jp-LittleWings-logView .xterm-rows > div';
            const seen = [];
            viewport.scrollTop = 0;
            for (let i = 0; i < 400; i++) {
                await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
                for (const row of node.querySelectorAll(rows)) {
                    seen.push(row.textContent.replace(/\\u00a0/g, ' ').trimEnd());
                }
                if (viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 1) break;
                viewport.scrollTop += viewport.clientHeight;
            }
            return seen;
        }"""
    )


def test_search_finds_a_line_beyond_the_scrollback_and_jumps_to_it(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """A line written 20,000 lines ago is not in the browser (the console loads the last 500):
    the server finds it, and clicking the match shows it among the lines around it."""
    command = (
        'echo "start of the run"; echo "the needle 4711"; i=0; '
        'while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done; sleep 100000'
    )
    box = make_container(["sh", "-c", command])
    wait_for_docker_log(box, "line 19999", timeout=60)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "line 19999")
    held = xterm_buffer(console)
    assert "line 19999" in held
    assert not any("needle" in row for row in held), "the needle should be beyond the scrollback"

    panel = history_search(console)
    run_search(panel, "needle")
    expect(panel.locator(".jp-LittleWings-hsProgress")).to_have_attribute(
        "data-state", "done", timeout=30000
    )
    assert results(panel) == ["the needle 4711"]
    result = panel.locator(".jp-LittleWings-hsResult").first
    # The match comes with its context lines.
    context = result.locator(".jp-LittleWings-hsContext").all_inner_texts()
    assert context == ["start of the run", "line 0", "line 1"]
    progress = panel.locator(".jp-LittleWings-hsProgress").inner_text()
    assert re.match(r"Done: 1 match, looked at 20,002 lines, from \d{4}-", progress), progress
    # The matched text is marked.
    expect(result.locator("mark.jp-LittleWings-hsMark")).to_have_text("needle")

    result.click()
    jump = console.locator(".jp-LittleWings-jumpView")
    expect(jump).to_be_visible()
    match = jump.locator(".jp-LittleWings-jumpLine.jp-mod-match")
    expect(match).to_have_text("the needle 4711")
    expect(match).to_be_in_viewport()
    lines = jump.locator(".jp-LittleWings-jumpLine").all_inner_texts()
    assert lines[:3] == ["start of the run", "the needle 4711", "line 0"]
    assert lines[-1] == "line 49"  # 50 lines after the match
    # More lines after the last one shown, loaded from the server.
    jump.locator(".jp-LittleWings-jumpLater").click()
    expect(jump.locator(".jp-LittleWings-jumpLine").last).to_have_text("line 149")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.screenshot(path=str(SCREENSHOTS / "search-jump.png"))

    jump.locator(".jp-LittleWings-backToLive").click()
    expect(jump).to_be_hidden()
    lab.wait_for_log(console, "line 19999")
    assert not lab.errors


def stamp_of(box: Any, text: str) -> datetime:
    """Docker's timestamp of the line ``text`` (UTC, to the microsecond)."""
    for line in box.logs(timestamps=True).decode().splitlines():
        ts, _, rest = line.partition(" ")
        if rest == text:
            head, _, frac = ts.rstrip("Z").partition(".")
            return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")
    raise AssertionError(f"{text!r} not in the logs")


def test_time_range_search(lab: Any, make_container: Callable[..., Any]) -> None:
    """`since` and `until` keep the matches inside the range, by Docker's timestamps."""
    command = (
        'for i in 1 2 3; do echo "event early $i"; done; sleep 2; '
        'for i in 1 2 3; do echo "event late $i"; done; sleep 100000'
    )
    box = make_container(["sh", "-c", command])
    wait_for_docker_log(box, "event late 3")
    middle = (
        stamp_of(box, "event early 3")
        + (stamp_of(box, "event late 1") - stamp_of(box, "event early 3")) / 2
    )
    iso = middle.isoformat(timespec="milliseconds") + "Z"
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "event late 3")
    panel = history_search(console)
    progress = panel.locator(".jp-LittleWings-hsProgress")

    run_search(panel, "event", since=iso)
    expect(progress).to_have_attribute("data-state", "done")
    assert results(panel) == ["event late 1", "event late 2", "event late 3"]

    run_search(panel, "event", until=iso)
    expect(progress).to_contain_text("Done: 3 matches")
    assert results(panel) == ["event early 1", "event early 2", "event early 3"]

    # A range that holds nothing, and a time that is not one.
    later = (middle + timedelta(hours=1)).isoformat() + "Z"
    run_search(panel, "event", since=later)
    expect(progress).to_contain_text("Done: 0 matches")
    assert results(panel) == []
    run_search(panel, "event", since="yesterday-ish")
    expect(panel.locator(".jp-LittleWings-hsError")).to_contain_text("is not a time")
    assert not lab.errors


def test_cancel_a_long_search(lab: Any, make_container: Callable[..., Any]) -> None:
    """A search through 3,000,000 lines for a word none has: Cancel stops it part of the way,
    and the panel says how far it got."""
    box = make_container(["sh", "-c", "seq 1 3000000; sleep 100000"])
    deadline = time.monotonic() + 120
    while box.logs(tail=1).strip() != b"3000000":
        assert time.monotonic() < deadline, "the container did not write its 3,000,000 lines"
        time.sleep(0.5)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "3000000")
    panel = history_search(console)
    progress = panel.locator(".jp-LittleWings-hsProgress")

    run_search(panel, "no such word")
    cancel = panel.locator(".jp-LittleWings-hsCancel")
    expect(cancel).to_be_visible()
    # Some progress first ("looked at N lines"), then Cancel.
    expect(progress).to_contain_text("looked at", timeout=20000)
    cancel.click()
    expect(progress).to_have_attribute("data-state", "cancelled", timeout=20000)
    expect(cancel).to_be_hidden()
    text = progress.inner_text()
    scanned = int(re.search(r"looked at ([\d,]+) lines", text).group(1).replace(",", ""))
    assert text.startswith("Cancelled: 0 matches"), text
    assert 0 < scanned < 3_000_000, text
    assert not lab.errors


JSON_LINES = [
    {"level": "info", "time": "2026-12-03T06:00:00Z", "msg": "service started", "port": 8080},
    {"level": "warn", "time": "2026-12-03T06:00:01Z", "msg": "slow request", "ms": 950},
    {"severity": "ERROR", "time": "2026-12-03T06:00:02Z", "message": "disk failed", "dev": "sda"},
    {"level": 10, "time": 1764741603000, "msg": "pino trace"},
]


def span_colours(console: Any) -> dict[str, str]:
    """The computed colour of each rendered span whose text is a level word."""
    return console.evaluate(
        """node => {
            const out = {};
            for (const span of node.querySelectorAll('.jp-LittleWings-logView .xterm-rows span')) {
                const text = span.textContent.trim();
                if (/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/.test(text) && !(text in out)) {
                    out[text] = getComputedStyle(span).color;
                }
            }
            return out;
        }"""
    )


def rgb(colour: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    return r, g, b


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab's theme from the Settings menu."""
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    light = "true" if theme == "JupyterLab Light" else "false"
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light, timeout=15000)
    page.wait_for_timeout(1000)


def test_json_lines_with_level_colours_and_a_level_filter(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """JSON lines are shown as LEVEL time message key=value, the level in its colour (red
    error, amber warn, green info) in the light and the dark theme; the level filter hides the
    lines below it; "Raw" shows the lines as they came."""
    printed = [json.dumps(line) for line in JSON_LINES] + [
        "2026-12-03 06:00:03 ERROR plain text failure",
        "just a plain line",
    ]
    script = "; ".join(f"echo '{line}'" for line in printed) + "; sleep 100000"
    box = make_container(["sh", "-c", script])
    wait_for_docker_log(box, "just a plain line")
    console = lab.open_console(box.name)
    shown = lab.wait_for_log(console, "just a plain line")
    assert "INFO  2026-12-03T06:00:00Z service started port=8080" in shown
    assert "WARN  2026-12-03T06:00:01Z slow request ms=950" in shown
    assert "ERROR 2026-12-03T06:00:02Z disk failed dev=sda" in shown
    assert "TRACE 2025-12-03T06:00:03.000Z pino trace" in shown
    assert '{"level"' not in shown

    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        set_theme(lab.page, theme)
        colours = span_colours(console)
        assert {"INFO", "WARN", "ERROR", "TRACE"} <= set(colours), colours
        r, g, b = rgb(colours["ERROR"])
        assert r > g + 60 and r > b + 60, ("error is red", theme, colours)
        r, g, b = rgb(colours["WARN"])
        assert r > b + 60 and g > b + 30, ("warn is amber", theme, colours)
        r, g, b = rgb(colours["INFO"])
        assert g > r + 30 and g > b, ("info is green", theme, colours)
        assert len(set(colours.values())) == len(colours), colours
        name = "light" if "Light" in theme else "dark"
        lab.page.screenshot(path=str(SCREENSHOTS / f"structured-logs-{name}.png"))
    set_theme(lab.page, "JupyterLab Light")

    # The text line's own level word is coloured too.
    plain_error = console.evaluate(
        """node => [...node.querySelectorAll('.xterm-rows span')]
            .filter(s => s.textContent === 'ERROR' && s.nextSibling
                && s.nextSibling.textContent.includes('plain text failure')).length"""
    )
    assert plain_error == 1

    level = console.locator(".jp-LittleWings-levelFilter")
    level.select_option("warn")
    expect(console.locator(".xterm-rows")).not_to_contain_text("service started")
    # (The view is cleared, then drawn again: wait for the drawing, not only the clearing.)
    shown = lab.wait_for_log(console, "plain text failure")
    assert "slow request" in shown and "disk failed" in shown and "plain text failure" in shown
    assert "just a plain line" not in shown and "pino trace" not in shown
    level.select_option("")
    lab.wait_for_log(console, "service started")

    console.locator(".jp-LittleWings-rawLines").click()
    lab.wait_for_log(console, '{"level": "info", "time": "2026-12-03T06:00:00Z"')
    console.locator(".jp-LittleWings-rawLines").click()
    lab.wait_for_log(console, "INFO  2026-12-03T06:00:00Z service started")
    assert not lab.errors


def test_search_a_merged_view_names_each_match_s_container(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """In a project's merged logs, the search covers every member: each match says its
    container (in that container's colour), and its jump view shows that container's lines."""
    project = f"lws{int(time.time() * 1000) % 10**8}"
    boxes = []
    for number, service in enumerate(("web", "db"), 1):
        name = f"{project}-{service}-{number}"
        command = (
            f'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo "{service} line $i"; done; '
            f'echo "{service}: request failed"; sleep 100000'
        )
        labels = {
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": str(number),
            "com.docker.compose.oneoff": "False",
        }
        boxes.append(make_container(["sh", "-c", command], name=name, labels=labels))
    for box in boxes:
        wait_for_docker_log(box, "request failed")
    lab.show_containers()
    group = lab.page.locator(f".jp-LittleWings-groupRow[data-group='{project}']")
    group.wait_for(timeout=15000)
    group.locator(".jp-LittleWings-projectLogs").click()
    console = lab.page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=lab.page.locator(".jp-LittleWings-mergedName", has_text=project),
    )
    console.locator(".xterm-rows").wait_for(timeout=15000)
    lab.wait_for_log(console, "db: request failed")

    panel = history_search(console)
    run_search(panel, "request failed")
    expect(panel.locator(".jp-LittleWings-hsProgress")).to_contain_text("Done: 2 matches")
    found = panel.locator(".jp-LittleWings-hsResult")
    names = sorted(found.locator(".jp-LittleWings-hsContainer").all_inner_texts())
    assert names == sorted(box.name for box in boxes)
    colours = found.locator(".jp-LittleWings-hsContainer").evaluate_all(
        "nodes => nodes.map(n => getComputedStyle(n).color)"
    )
    assert len(set(colours)) == 2, colours

    db = panel.locator(".jp-LittleWings-hsResult[data-container$='-db-2']")
    db.click()
    jump = console.locator(".jp-LittleWings-jumpView")
    expect(jump.locator(".jp-mod-match")).to_have_text("db: request failed")
    lines = jump.locator(".jp-LittleWings-jumpLine").all_inner_texts()
    assert lines[-2:] == ["db line 30", "db: request failed"]
    assert not any(line.startswith("web") for line in lines)
    lab.page.screenshot(path=str(SCREENSHOTS / "search-merged.png"))
    jump.locator(".jp-LittleWings-backToLive").click()
    expect(jump).to_be_hidden()
    assert not lab.errors


def test_search_all_history_in_the_notebook_widget(
    lab_server: Any, browser: Any, make_container: Callable[..., Any]
) -> None:
    """The notebook widget's console has the same history search (run by the kernel's session
    core): a line 3,000 lines back, beyond the widget's 500 lines of history, found and shown."""
    from conftest import LabPage, run_cell
    from test_browser_widget import open_widget, write_notebook

    command = (
        'echo "the widget needle"; i=0; while [ $i -lt 3000 ]; do echo "line $i"; '
        "i=$((i+1)); done; sleep 100000"
    )
    box = make_container(["sh", "-c", command])
    wait_for_docker_log(box, "line 2999")
    notebook = write_notebook(lab_server, f"search-{box.name}", box.name)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        lab.open_notebook(notebook)
        run_cell(page, 0)
        widget = open_widget(page)
        lab.wait_for_log(widget, "line 2999", timeout=30)
        panel = history_search(widget)
        run_search(panel, "widget needle")
        expect(panel.locator(".jp-LittleWings-hsProgress")).to_contain_text(
            "Done: 1 match", timeout=30000
        )
        panel.locator(".jp-LittleWings-hsResult").first.click()
        jump = widget.locator(".jp-LittleWings-jumpView")
        expect(jump.locator(".jp-mod-match")).to_have_text("the widget needle")
        assert not lab.errors
    finally:
        context.close()
