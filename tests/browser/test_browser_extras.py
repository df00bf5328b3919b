"""More of the console and sidebar as a user sees them: following the output, Clear, the CPU
and memory figures, the empty sidebar, and settings changed in JupyterLab's settings."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any, Callable

import pytest
from conftest import line_numbers, ticks  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

FAST_LINES = 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.1; done'
PLUGIN = "littlewings-jupyter:plugin"


def rows(console: Any) -> list[str]:
    """The rows the log view shows, top to bottom (blank rows included)."""
    return [
        r.replace("\xa0", " ").rstrip()
        for r in console.locator(".xterm-rows > div").all_inner_texts()
    ]


def top_row(console: Any) -> str:
    """The first visible row."""
    return rows(console)[0]


def last_line(console: Any) -> int:
    """The number of the lowest ``line N`` row on screen (0 if none)."""
    numbers = line_numbers("\n".join(rows(console)))
    return numbers[-1] if numbers else 0


def wait_until(check: Callable[[], Any], timeout: float, message: str) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message)


def test_follow_scroll_up_and_follow_again(lab: Any, make_container: Callable[..., Any]) -> None:
    """The view sticks to the newest line; once scrolled up it stays put; Follow returns."""
    box = make_container(["sh", "-c", FAST_LINES])
    console = lab.open_console(box.name)
    view_rows = len(rows(console))
    # Enough lines to overflow the view several times.
    lab.wait_for_log(console, f"line {view_rows * 2}\n", timeout=30)
    jump = console.locator(".jp-LittleWings-jump")
    expect(jump).to_be_hidden()

    # Following: the newest line the container wrote is on screen, and the top row moves on.
    top = top_row(console)
    wait_until(lambda: top_row(console) != top, 5, "the view does not move with new lines")
    written = len(box.logs().decode().splitlines())
    wait_until(
        lambda: last_line(console) >= written,
        5,
        f"line {written} (written) is not shown at the bottom",
    )

    # The user scrolls up with the mouse wheel over the log view.
    screen = console.locator(".xterm-screen")
    screen.hover()
    lab.page.mouse.wheel(0, -600)
    expect(jump).to_be_visible(timeout=5000)
    expect(jump).to_contain_text("Follow")
    time.sleep(0.3)  # let the wheel's scrolling settle
    held = top_row(console)
    held_rows = rows(console)
    newest_before = len(box.logs().decode().splitlines())
    time.sleep(1.2)
    assert len(box.logs().decode().splitlines()) >= newest_before + 5  # lines kept coming
    assert top_row(console) == held, (held, top_row(console))
    assert rows(console) == held_rows
    assert last_line(console) < newest_before
    lab.screenshot("console-scrolled-up")

    # Follow brings the view back to the newest line and keeps it there.
    jump.click()
    expect(jump).to_be_hidden()
    written = len(box.logs().decode().splitlines())
    wait_until(
        lambda: last_line(console) >= written,
        5,
        f"after Follow, line {written} is not shown",
    )
    top = top_row(console)
    wait_until(lambda: top_row(console) != top, 5, "after Follow the view does not move")
    assert not lab.errors


def test_clear_empties_the_view_then_new_lines_appear(
    lab: Any, make_demo_console: Callable[..., Any]
) -> None:
    """Clear empties the log view; what the container writes next shows up after it."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    shown = lab.wait_for_log(console, "demo: tick ", timeout=20)
    before = ticks(shown)
    assert before

    console.locator(".jp-LittleWings-clear").click()
    shown = lab.log_text(console)
    assert "console ready" not in shown, shown
    assert not [n for n in ticks(shown) if n <= max(before)]

    # New lines still arrive after the clear, and only new ones.
    lab.wait_for_log(console, f"demo: tick {max(before) + 1} ", timeout=15)
    shown = lab.wait_for_log(console, f"demo: tick {max(before) + 2} ", timeout=15)
    assert "console ready" not in shown
    after = ticks(shown)
    assert min(after) > max(before), (before, after)
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
    assert not lab.errors


def test_header_shows_cpu_and_memory(lab: Any, make_container: Callable[..., Any]) -> None:
    """With stats on (the default) the header shows CPU and memory figures within seconds."""
    box = make_container(["sh", "-c", FAST_LINES])
    console = lab.open_console(box.name)
    stats = console.locator(".jp-LittleWings-consoleStats")
    expect(stats).to_be_visible()
    cpu = stats.locator(".jp-LittleWings-cpu .jp-LittleWings-sparklineValue")
    memory = stats.locator(".jp-LittleWings-memory .jp-LittleWings-sparklineValue")
    expect(stats.locator(".jp-LittleWings-cpu")).to_contain_text("CPU")
    expect(stats.locator(".jp-LittleWings-memory")).to_contain_text("MEM")
    expect(cpu).to_have_text(re.compile(r"^\d+(\.\d)?%$"), timeout=10000)
    expect(memory).to_have_text(re.compile(r"^\d+(\.\d)? (B|KiB|MiB|GiB)$"), timeout=10000)
    # A second sample draws the line.
    expect(stats.locator(".jp-LittleWings-memory .jp-LittleWings-sparklineLine")).to_have_attribute(
        "d", re.compile(r"^M"), timeout=10000
    )
    lab.screenshot("console-stats")
    assert not lab.errors


def test_sidebar_empty_state_when_every_container_is_hidden(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
) -> None:
    """When the configuration hides every container, the sidebar says there are none."""
    box = make_container(["sh", "-c", "sleep 100000"])
    server = make_lab_server(args=['--LittleWings.visible_labels=["littlewings.none=1"]'])
    lab = make_page(server)
    panel = lab.show_containers()
    empty = panel.locator(".jp-LittleWings-empty")
    expect(empty.locator(".jp-LittleWings-emptyTitle")).to_have_text("No containers", timeout=15000)
    expect(empty.locator(".jp-LittleWings-emptyDetail")).to_contain_text("docker run")
    expect(panel.locator(".jp-LittleWings-item")).to_have_count(0)
    expect(lab.row(box.name)).to_have_count(0)
    lab.screenshot("sidebar-empty")
    assert not lab.errors


def put_settings(server: Any, values: dict[str, Any]) -> None:
    """Save the plugin's user settings as JupyterLab's settings editor does."""
    request = urllib.request.Request(
        f"{server.url}lab/api/settings/{PLUGIN}",
        data=json.dumps({"raw": json.dumps(values)}).encode(),
        method="PUT",
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)


def font_metrics(console: Any) -> dict[str, float]:
    """The log view's rendered font size and row height, in px."""
    return console.locator(".xterm-rows").evaluate(
        """rows => ({
            font: parseFloat(getComputedStyle(rows).fontSize),
            row: rows.firstElementChild.getBoundingClientRect().height,
        })"""
    )


def test_font_size_from_the_settings_editor_applies_to_the_open_console(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_demo_console: Callable[..., Any],
) -> None:
    """Font size typed in JupyterLab's Settings Editor resizes the open console's text."""
    # A server of its own: the saved setting must not leak into other tests.
    server = make_lab_server()
    box = make_demo_console()
    lab = make_page(server)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    before = font_metrics(console)
    assert before["font"] < 20, before
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=box.name)

    page = lab.page
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item", has_text="Settings Editor").first.click()
    page.locator("input[placeholder^='Search settings']").fill("LittleWings")
    dock = page.locator("#jp-main-dock-panel")
    dock.get_by_text("LittleWings", exact=True).first.click()
    # The form's label is not tied to its input: the first input after the "Font size" label.
    field = dock.locator("xpath=//*[normalize-space(text())='Font size']/following::input[1]")
    field.fill("24")
    field.press("Tab")
    lab.screenshot("settings-editor-font-24")

    tab.click()
    console = lab.console(box.name)
    wait_until(
        lambda: font_metrics(console)["font"] == 24,
        10,
        f"the console does not use the 24 px font: {font_metrics(console)}",
    )
    after = font_metrics(console)
    assert after["row"] > before["row"] * 1.3, (before, after)
    lab.wait_for_log(console, "console ready")
    lab.screenshot("console-font-24")
    assert not lab.errors


def test_font_size_setting_applies_to_a_console_opened_later(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_demo_console: Callable[..., Any],
) -> None:
    """A fontSize saved in JupyterLab's settings (REST API, as the editor saves it) shows in a
    console opened after a reload."""
    server = make_lab_server()
    box = make_demo_console()
    lab = make_page(server)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    before = font_metrics(console)
    assert before["font"] < 20, before

    put_settings(server, {"fontSize": 24})
    lab.page.goto(server.lab_url(with_token=False, reset=True))
    lab.page.wait_for_selector("#jp-main-dock-panel", timeout=60000)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    wait_until(
        lambda: font_metrics(console)["font"] == 24,
        10,
        f"the console does not use the 24 px font: {font_metrics(console)}",
    )
    after = font_metrics(console)
    assert after["row"] > before["row"] * 1.3, (before, after)
    lab.screenshot("console-font-24")
    assert not lab.errors
