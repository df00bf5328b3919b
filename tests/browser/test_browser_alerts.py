"""Alerts (issue 15) as a user sees them in JupyterLab, against real containers: a container
whose console is open, or that is pinned, dies → a JupyterLab notification with its exit code
and last lines, and "Open console"; a saved pattern → a notification, once per cooldown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SCREENSHOTS, wait_for_docker_log  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

# Prints, then waits for /tmp/go (an exec from the test), then prints its last words and exits.
WAIT_THEN_EXIT = (
    'echo "booting"; while [ ! -f /tmp/go ]; do sleep 0.1; done; '
    'echo "saving state"; echo "fatal: cannot reach the database"; exit {code}'
)


def toasts(page: Any, text: str) -> Any:
    """JupyterLab's notification toasts that hold ``text``."""
    return page.locator(".Toastify__toast", has_text=text)


def trigger(box: Any) -> None:
    """Let the container go on past its wait."""
    box.exec_run(["touch", "/tmp/go"])


def test_death_of_a_container_with_an_open_console(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """The container of an open console exits with code 3: a notification says so, with the
    last lines it wrote; a clean exit (code 0) of another says nothing."""
    box = make_container(["sh", "-c", WAIT_THEN_EXIT.format(code=3)])
    clean = make_container(["sh", "-c", WAIT_THEN_EXIT.format(code=0)])
    wait_for_docker_log(box, "booting")
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "booting")
    lab.open_console(clean.name)
    time.sleep(1.0)  # the rules go to the server a moment after a console opens

    trigger(clean)
    trigger(box)
    toast = toasts(lab.page, f"{box.name} died with exit code 3")
    expect(toast).to_be_visible(timeout=20000)
    expect(toast).to_contain_text("fatal: cannot reach the database")
    expect(toast.get_by_role("button", name="Open console")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.wait_for_timeout(1000)  # the toast slides in
    lab.page.screenshot(path=str(SCREENSHOTS / "alert-died.png"))

    # "Last lines" shows all of them.
    toast.get_by_role("button", name="Last lines").click()
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-LittleWings-alertLines")).to_have_text(
        "booting\nsaving state\nfatal: cannot reach the database"
    )
    dialog.get_by_role("button", name="Close").click()

    clean.wait(timeout=10)
    time.sleep(1.5)
    assert toasts(lab.page, clean.name).count() == 0, "a clean exit is not an alert"
    assert not lab.errors


def test_a_pinned_container_alerts_while_its_console_is_closed(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Pin a container from its row's context menu (no console open): it dies with code 5 →
    a notification; its "Open console" opens the console, whose header shows the pin."""
    box = make_container(["sh", "-c", WAIT_THEN_EXIT.format(code=5)])
    lab.show_containers()
    row = lab.row(box.name)
    row.wait_for(timeout=15000)
    row.click(button="right")
    item = lab.page.locator(".lm-Menu-item", has_text="Pin for Alerts")
    expect(item).to_be_visible()
    expect(item).not_to_have_class("lm-mod-toggled")
    item.click()
    time.sleep(1.0)
    # The menu shows it pinned now.
    row.click(button="right")
    expect(
        lab.page.locator(".lm-Menu-item.lm-mod-toggled", has_text="Pin for Alerts")
    ).to_be_visible()
    lab.page.keyboard.press("Escape")

    trigger(box)
    toast = toasts(lab.page, f"{box.name} died with exit code 5")
    expect(toast).to_be_visible(timeout=20000)
    toast.get_by_role("button", name="Open console").click()
    console = lab.console(box.name)
    console.locator(".xterm-rows").wait_for(timeout=15000)
    pin = console.locator(".jp-LittleWings-pin")
    expect(pin).to_have_attribute("aria-pressed", "true")
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "false")
    assert not lab.errors


def test_a_saved_pattern_alerts_once_per_cooldown(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
) -> None:
    """With the alert pattern "BOOM-\\d+" in the settings, a watched container printing a
    matching line every 0.3 s notifies once: the 60 s cooldown holds the others."""
    server = make_lab_server()
    settings = server.settings_dir / "littlewings-jupyter" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"alertPatterns": ["BOOM-\\d+"], "alertCooldown": 60}))
    command = (
        'echo "booting"; while [ ! -f /tmp/go ]; do sleep 0.1; done; '
        'i=0; while true; do i=$((i+1)); echo "BOOM-$i the reactor"; sleep 0.3; done'
    )
    box = make_container(["sh", "-c", command])
    lab = make_page(server)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "booting")
    trigger(box)
    lab.wait_for_log(console, "BOOM-3 the reactor")
    toast = toasts(lab.page, "the reactor")
    expect(toast).to_be_visible(timeout=20000)
    expect(toast).to_contain_text(f"{box.name}: BOOM-")
    lab.wait_for_log(console, "BOOM-12 the reactor")
    assert toasts(lab.page, "BOOM-").count() == 1, "the cooldown holds the others"
    assert not lab.errors


def test_a_restart_asked_for_is_no_death_and_an_oom_kill_is_one_toast(
    lab: Any, make_container: Callable[..., Any], docker_client: Any
) -> None:
    """Restart from the console's own button: no "died" toast (it raised "died with exit code
    130" before). One OOM kill: one toast, that says OOM (it gave two). A real crash after both
    still gives its toast: the events before it were handled by then (Docker sends them in
    order), so no toast of theirs can come later."""
    calm = make_container(
        ["sh", "-c", "trap 'exit 130' INT TERM; echo calm-up; while true; do sleep 0.1; done"]
    )
    hog = make_container(
        ["sh", "-c", "echo hog-up; while [ ! -e /tmp/go ]; do sleep 0.1; done; tail /dev/zero"],
        mem_limit="16m",
        memswap_limit="16m",
    )
    crash = make_container(["sh", "-c", WAIT_THEN_EXIT.format(code=3)])
    for box in (hog, crash):
        console = lab.open_console(box.name)
        lab.wait_for_log(console, "up" if box is hog else "booting")
    console = lab.open_console(calm.name)
    lab.wait_for_log(console, "calm-up")
    time.sleep(1.0)  # the rules go to the server a moment after a console opens

    started = docker_client.api.inspect_container(calm.id)["State"]["StartedAt"]
    console.locator(".jp-LittleWings-power-restart").click()
    deadline = time.monotonic() + 30
    while docker_client.api.inspect_container(calm.id)["State"]["StartedAt"] == started:
        assert time.monotonic() < deadline, "the restart did not happen"
        time.sleep(0.2)

    trigger(hog)
    oom = toasts(lab.page, f"{hog.name} ran out of memory")
    expect(oom).to_be_visible(timeout=30000)
    trigger(crash)
    expect(toasts(lab.page, f"{crash.name} died with exit code 3")).to_be_visible(timeout=30000)
    assert toasts(lab.page, calm.name).count() == 0, "a restart asked for is no death"
    assert toasts(lab.page, hog.name).count() == 1, "an OOM kill is one alert"
    assert not lab.errors
