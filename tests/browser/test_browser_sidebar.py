"""The Containers sidebar as a user sees it in JupyterLab, against real containers."""

from __future__ import annotations

import uuid
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def test_sidebar_lists_containers_and_follows_docker(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Rows for running containers, grouped by Compose project, live as Docker changes them."""
    web = make_container(
        ["sh", "-c", "while true; do echo serving; sleep 1; done"],
        labels={"com.docker.compose.project": "lwshop", "com.docker.compose.service": "web"},
    )
    worker = make_container(
        ["sh", "-c", "sleep 100000"],
        labels={"com.docker.compose.project": "lwshop", "com.docker.compose.service": "worker"},
    )
    lab.show_containers()

    web_row = lab.row(web.name)
    expect(web_row).to_be_visible()
    expect(web_row.locator(".jp-LittleWings-state-running")).to_be_visible()
    expect(web_row.locator(".jp-LittleWings-itemStatus")).to_contain_text("Up")
    expect(web_row.locator(".jp-LittleWings-itemImage")).to_contain_text("littlewings/busybox")
    group = lab.page.locator(".jp-LittleWings-groupHeader[data-group='lwshop']")
    expect(group).to_contain_text("lwshop")
    expect(group).to_contain_text("2/2")

    # A container started outside the UI (the docker CLI, a script…) shows up by itself.
    late = make_container(["sh", "-c", "sleep 100000"])
    expect(lab.row(late.name)).to_be_visible(timeout=5000)
    expect(lab.row(late.name).locator(".jp-LittleWings-state-running")).to_be_visible()

    # …and one stopped outside the UI turns to exited, with its exit code.
    worker.kill()
    expect(lab.row(worker.name).locator(".jp-LittleWings-itemStatus")).to_contain_text(
        "Exited (137)", timeout=5000
    )
    expect(group).to_contain_text("1/2")

    # The filter keeps what matches.
    lab.page.fill(".jp-LittleWings-filterInput", late.name)
    expect(lab.row(late.name)).to_be_visible()
    expect(web_row).to_be_hidden()
    lab.page.fill(".jp-LittleWings-filterInput", "")
    expect(web_row).to_be_visible()

    # A removed container leaves the list.
    late.remove(force=True)
    expect(lab.row(late.name)).to_have_count(0, timeout=5000)

    web_row.hover()
    lab.screenshot("sidebar")
    assert not lab.errors


def test_filter_then_arrow_down_then_enter_opens_the_match(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Filter, ↓, Enter: the first matching container's console opens (↓ went past the
    project header to it); a folded project still counts its matches."""
    project = f"lwkb{uuid.uuid4().hex[:6]}"
    db = make_container(
        ["sh", "-c", "echo db-ready; sleep 100000"],
        name=f"{project}-db-1",
        labels={"com.docker.compose.project": project, "com.docker.compose.service": "db"},
    )
    make_container(
        ["sh", "-c", "sleep 100000"],
        name=f"{project}-web-1",
        labels={"com.docker.compose.project": project, "com.docker.compose.service": "web"},
    )
    lab.show_containers()
    expect(lab.row(db.name)).to_be_visible(timeout=15000)
    box = lab.page.locator(".jp-LittleWings-filterInput")
    box.fill(f"{project}-db")
    expect(lab.row(db.name)).to_be_visible()
    box.press("ArrowDown")
    focused = "() => document.activeElement?.dataset?.name ?? null"
    assert lab.page.evaluate(focused) == db.name
    lab.page.keyboard.press("Enter")
    console = lab.console(db.name)
    lab.wait_for_log(console, "db-ready")

    # Folding the project while filtering: the header stays, with its match counted inside.
    lab.show_containers()
    header = lab.page.locator(f".jp-LittleWings-groupHeader[data-group='{project}']")
    header.click()
    expect(lab.row(db.name)).to_have_count(0)
    expect(header).to_be_visible()
    expect(lab.page.locator("#littlewings-containers")).not_to_contain_text("No container matches")
    header.click()
    expect(lab.row(db.name)).to_be_visible()
    box.fill("")
    assert not lab.errors, lab.errors


def test_power_from_the_sidebar_and_the_console(
    lab: Any, make_demo_console: Callable[..., Any]
) -> None:
    """Pause and resume buttons change the state shown in the console header and the sidebar."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")

    header = console.locator(".jp-LittleWings-consoleHeader")
    expect(header.locator(".jp-LittleWings-state-running")).to_be_visible()
    expect(header.locator(".jp-LittleWings-power-start")).to_be_disabled()

    header.locator(".jp-LittleWings-power-pause").click()
    expect(header.locator(".jp-LittleWings-state-paused")).to_be_visible(timeout=10000)
    expect(console.locator(".jp-LittleWings-consoleMeta")).to_contain_text("Paused")
    expect(lab.row(box.name).locator(".jp-LittleWings-state-paused")).to_be_visible()
    box.reload()
    assert box.status == "paused"

    resume = header.locator(".jp-LittleWings-power-unpause")
    expect(resume).to_be_enabled()
    resume.click()
    expect(header.locator(".jp-LittleWings-state-running")).to_be_visible(timeout=10000)
    box.reload()
    assert box.status == "running"

    # The row's inline stop button (shown on hover) stops the container.
    row = lab.row(box.name)
    row.hover()
    row.locator(".jp-LittleWings-action-stop").click()
    expect(row.locator(".jp-LittleWings-itemStatus")).to_contain_text("Exited", timeout=30000)
    expect(header.locator(".jp-LittleWings-power-start")).to_be_enabled(timeout=10000)
    assert not lab.errors


def test_context_menu_offers_the_allowed_actions(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Right-click a row: open console, power actions (disabled where the state forbids them)."""
    box = make_container(["sh", "-c", "sleep 100000"])
    lab.show_containers()
    lab.row(box.name).click(button="right")
    menu = lab.page.locator(".lm-Menu")
    expect(menu.get_by_text("Open Console")).to_be_visible()
    start = menu.get_by_role("menuitem", name="Start", exact=True)
    pause = menu.get_by_role("menuitem", name="Pause", exact=True)
    expect(start).to_have_attribute("aria-disabled", "true")
    expect(pause).not_to_have_attribute("aria-disabled", "true")
    expect(menu.get_by_text("Copy Name")).to_be_visible()
    pause.click()
    expect(lab.row(box.name).locator(".jp-LittleWings-state-paused")).to_be_visible(timeout=10000)
    assert not lab.errors


def test_palette_opens_a_console(lab: Any, make_demo_console: Callable[..., Any]) -> None:
    """`LittleWings: Open console…` in the command palette asks for a container, then opens it."""
    box = make_demo_console()
    lab.show_containers()
    expect(lab.row(box.name)).to_be_visible()
    page = lab.page
    lab.from_palette("LittleWings: Open console…")
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Open a container console")
    dialog.locator("input").fill(box.name)
    dialog.locator(".jp-mod-accept").click()
    console = lab.console(box.name)
    lab.wait_for_log(console, "console ready")
    assert not lab.errors


def test_no_engine_says_how_to_fix(
    make_lab_server: Callable[..., Any], make_page: Callable[..., Any], tmp_path: Any
) -> None:
    """With no Docker engine reachable the sidebar says so and how to fix it."""
    server = make_lab_server(env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    lab = make_page(server)
    panel = lab.show_containers()
    problem = panel.locator(".jp-LittleWings-problem")
    expect(problem).to_contain_text("No Docker engine reachable", timeout=15000)
    expect(problem).to_contain_text("DOCKER_HOST")
    expect(problem.get_by_role("button", name="Retry")).to_be_visible()
    lab.screenshot("sidebar-no-engine")
    assert not lab.errors


def test_read_only_mode_disables_control(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_demo_console: Callable[..., Any],
) -> None:
    """In read-only mode the user sees that, and power buttons and the command box are off."""
    server = make_lab_server(config={"LittleWings": {"read_only": True}})
    box = make_demo_console()
    lab = make_page(server)
    panel = lab.show_containers()
    expect(panel.locator(".jp-LittleWings-banner")).to_contain_text("Read-only")
    row = lab.row(box.name)
    row.hover()
    expect(row.locator(".jp-LittleWings-action-stop")).to_be_disabled()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    expect(console.locator(".jp-LittleWings-power-stop")).to_be_disabled()
    expect(console.locator(".jp-LittleWings-commandInput")).to_be_disabled()
    assert not lab.errors
