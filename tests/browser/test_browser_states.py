"""What the sidebar and the console show of a container's life: health, restarts, exit codes,
the container's own ANSI colours, and the scrollback bound from the settings."""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

import pytest
from conftest import line_numbers  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

SECOND = 1_000_000_000  # Docker's health check durations are in nanoseconds
SLEEP = ["sh", "-c", "sleep 100000"]


def state_icon(row: Any, state: str) -> Any:
    """The state icon of a sidebar row, if it shows ``state``."""
    return row.locator(f".jp-LittleWings-state-{state}")


def test_sidebar_shows_health_restarts_and_exit_codes(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Each state has its icon and words: running with its uptime, healthy, unhealthy, health
    still starting, restarting (a restart loop), exited with its exit code."""
    running = make_container(SLEEP)
    healthy = make_container(
        SLEEP, healthcheck={"test": ["CMD", "true"], "interval": SECOND, "retries": 1}
    )
    unhealthy = make_container(
        SLEEP, healthcheck={"test": ["CMD", "false"], "interval": SECOND, "retries": 1}
    )
    starting = make_container(
        SLEEP, healthcheck={"test": ["CMD", "true"], "interval": 600 * SECOND}
    )
    looping = make_container(["sh", "-c", "sleep 0.3; exit 3"], restart_policy={"Name": "always"})
    failed = make_container(["sh", "-c", "exit 7"])
    failed.wait(timeout=10)

    lab.show_containers()
    expect(state_icon(lab.row(running.name), "running")).to_be_visible(timeout=15000)
    expect(lab.row(running.name)).to_contain_text(re.compile(r"Up \d+s"))
    expect(state_icon(lab.row(healthy.name), "healthy")).to_be_visible(timeout=20000)
    expect(state_icon(lab.row(unhealthy.name), "unhealthy")).to_be_visible(timeout=20000)
    expect(state_icon(lab.row(starting.name), "starting")).to_be_visible(timeout=15000)
    expect(lab.row(failed.name)).to_contain_text("Exited (7)")
    expect(state_icon(lab.row(failed.name), "failed")).to_be_visible()
    # Docker waits longer before each restart (0.1 s, 0.2 s, 0.4 s, …): the row must show it.
    expect(state_icon(lab.row(looping.name), "restarting")).to_be_visible(timeout=30000)
    expect(lab.row(looping.name)).to_contain_text("Restarting")
    # The words are there for screen readers and tooltips too.
    expect(state_icon(lab.row(unhealthy.name), "unhealthy")).to_have_attribute(
        "title", re.compile("unhealthy")
    )
    lab.screenshot("sidebar-states")
    assert not lab.errors


def rgb(locator: Any) -> tuple[int, ...]:
    """The computed text colour of an element, as (r, g, b)."""
    css = locator.evaluate("node => getComputedStyle(node).color")
    return tuple(int(n) for n in re.findall(r"\d+", css)[:3])


def test_container_ansi_colours_are_shown(lab: Any, make_container: Callable[..., Any]) -> None:
    """A container's own ANSI colours (SGR codes: 16 colours, bold, 256 colours) reach the log
    view as colours, not as text; text after a reset has the default colour."""
    script = (
        r"printf 'plain start\n';"
        r"printf '\033[32mall green\033[0m plain end\n';"
        r"printf '\033[1;31mbold red\033[0m\n';"
        r"printf '\033[38;5;208m256 orange\033[0m\n'; sleep 100000"
    )
    box = make_container(["sh", "-c", script])
    console = lab.open_console(box.name)
    text = lab.wait_for_log(console, "256 orange")
    assert "[32m" not in text and "\x1b" not in text, text
    span = console.locator(".xterm-rows span")
    default = rgb(span.filter(has_text="plain start"))
    green = rgb(span.filter(has_text="all green"))
    red_node = span.filter(has_text="bold red")
    red = rgb(red_node)
    orange = rgb(span.filter(has_text="256 orange"))
    assert green[1] > green[0] and green[1] > green[2], green
    assert red[0] > red[1] and red[0] > red[2], red
    assert red_node.evaluate("node => getComputedStyle(node).fontWeight") in ("700", "bold")
    # 208 is orange: red, then green, then blue; not the red of colour 1. (xterm renders it
    # with a class, or with an inline colour when it raises the contrast on a light theme.)
    assert orange[0] > orange[1] > orange[2], orange
    assert orange != red, (orange, red)
    assert default not in (green, red, orange), default
    assert rgb(span.filter(has_text="plain end")) == default
    assert not lab.errors


def test_scrollback_setting_bounds_the_log_view(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
) -> None:
    """With scrollback 100 in the settings, a console that got 2,000 lines keeps only the
    newest ones: scrolled to the very top, the oldest line on screen is a recent one."""
    server = make_lab_server()
    settings = server.settings_dir / "littlewings-jupyter" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"scrollback": 100}))
    box = make_container(["sh", "-c", "seq 1 2000 | sed 's/^/line /'; sleep 100000"])
    lab = make_page(server)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "line 2000")
    view_rows = console.locator(".xterm-rows > div").count()

    viewport = console.locator(".xterm-viewport")
    viewport.evaluate("node => { node.scrollTop = 0; }")
    time.sleep(0.5)
    top = lab.log_text(console)
    numbers = line_numbers(top)
    assert numbers, top
    # At most scrollback + one screen of lines stay; the oldest are gone.
    assert numbers[0] >= 2000 - 100 - view_rows, (numbers[0], view_rows)
    assert numbers[0] > 1000, numbers[0]
    # The height of what can be scrolled agrees: about scrollback + a screen of rows.
    scroll = viewport.evaluate("node => [node.scrollHeight, node.clientHeight]")
    row_height = console.locator(".xterm-rows > div").first.bounding_box()["height"]
    assert scroll[0] / row_height <= 100 + view_rows + 2, (scroll, row_height, view_rows)
    assert not lab.errors
