"""The Containers sidebar's less visible paths: no permission, the keyboard, the clipboard, and
the sidebar and console in Notebook 7."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import LabPage, wait_for_docker_log  # tests/browser/conftest.py
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

# An Authorizer that allows everything but LittleWings: the rest of JupyterLab must keep working.
DENY_AUTHORIZER = '''
from jupyter_server.auth.authorizer import AllowAllAuthorizer


class DenyLittleWings(AllowAllAuthorizer):
    """Allows every action on every resource except the ``littlewings`` one."""

    def is_authorized(self, handler, user, action, resource):
        return resource != "littlewings"
'''


def focused(page: Any) -> dict[str, str | None]:
    """What has the keyboard focus: its class and, for a row, its container or group."""
    return page.evaluate(
        """() => {
            const node = document.activeElement;
            return {
                cls: node ? node.className : null,
                name: node?.dataset?.name ?? null,
                group: node?.dataset?.group ?? null,
            };
        }"""
    )


def test_no_permission_says_so(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """An Authorizer that denies ``littlewings``: REST says 403, the sidebar says "No permission"
    (no list, no endless retry), and the rest of JupyterLab still works."""
    box = make_container(["sh", "-c", "sleep 100000"])
    modules = tmp_path / "authz"
    modules.mkdir()
    (modules / "lw_deny_authorizer.py").write_text(DENY_AUTHORIZER)
    server = make_lab_server(
        env={"PYTHONPATH": str(modules)},
        args=["--ServerApp.authorizer_class=lw_deny_authorizer.DenyLittleWings"],
    )
    with pytest.raises(urllib.error.HTTPError) as denied:
        server.api("containers")
    assert denied.value.code == 403

    lab = make_page(server)
    sockets: list[str] = []
    lab.page.on("websocket", lambda ws: sockets.append(ws.url))
    panel = lab.show_containers()
    problem = panel.locator(".jp-LittleWings-problem")
    expect(problem).to_have_attribute("data-kind", "forbidden", timeout=15000)
    # Once refused, the events socket stops knocking (its retries would reach 1 s, 2 s, 4 s).
    lab.page.wait_for_timeout(500)
    knocked = sum("api/littlewings/ws" in url for url in sockets)
    lab.page.wait_for_timeout(5000)
    assert sum("api/littlewings/ws" in url for url in sockets) == knocked, sockets
    expect(problem.locator("h3")).to_have_text("No permission")
    expect(problem).to_contain_text("not allowed to see containers")
    expect(panel.locator(".jp-LittleWings-item")).to_have_count(0)
    expect(lab.row(box.name)).to_have_count(0)
    # Nothing to filter, and the socket is refused too: no filter box, no "Offline" badge.
    expect(panel.locator(".jp-LittleWings-filterInput")).to_be_hidden()
    expect(panel.locator(".jp-LittleWings-liveBadge")).to_be_hidden()
    # Retry asks again and gets the same answer.
    problem.get_by_role("button", name="Retry").click()
    expect(problem.locator("h3")).to_have_text("No permission")
    # The rest of JupyterLab is there: the file browser lists the server's root.
    lab.page.click(".jp-SideBar [data-id='filebrowser']")
    expect(lab.page.locator(".jp-DirListing")).to_be_visible()
    lab.show_containers()
    expect(problem.locator("h3")).to_have_text("No permission")
    lab.screenshot("sidebar-no-permission")
    assert not lab.errors, lab.errors


def test_keyboard_moves_through_the_list_and_opens_a_console(
    lab: Any, make_container: Callable[..., Any], make_demo_console: Callable[..., Any]
) -> None:
    """Typing filters; ArrowDown/ArrowUp walk the rows (group headers too) and back to the
    filter; Enter on a row opens its console; Escape in the filter clears it."""
    project = f"lwkeys{uuid.uuid4().hex[:6]}"
    # Three containers whose names share a prefix; two of them in a Compose project.
    stem = f"lwkeys-{uuid.uuid4().hex[:6]}"
    web = make_container(
        ["sh", "-c", "sleep 100000"],
        name=f"{stem}-a-web",
        labels={"com.docker.compose.project": project, "com.docker.compose.service": "web"},
    )
    db = make_container(
        ["sh", "-c", "sleep 100000"],
        name=f"{stem}-b-db",
        labels={"com.docker.compose.project": project, "com.docker.compose.service": "db"},
    )
    loose = make_demo_console(name=f"{stem}-c-loose")
    other = make_container(["sh", "-c", "sleep 100000"])  # a name the filter leaves out
    page = lab.page
    lab.show_containers()
    expect(lab.row(other.name)).to_be_visible()

    box = page.locator(".jp-LittleWings-filterInput")
    box.click()
    page.keyboard.type(stem)
    expect(page.locator("#littlewings-containers .jp-LittleWings-item")).to_have_count(3)
    expect(lab.row(other.name)).to_have_count(0)
    expect(box).to_be_focused()

    # The rows in order: the project's header, its two containers, "Other containers", the last.
    walk = [
        {"group": project, "name": None},
        {"group": None, "name": web.name},
        {"group": None, "name": db.name},
        {"group": "", "name": None},
        {"group": None, "name": loose.name},
    ]

    def at() -> dict[str, str | None]:
        now = focused(page)
        return {"group": now["group"], "name": now["name"]}

    # From the filter, ↓ goes to the first match, past its project's header (issue 23: Enter
    # there opens it); the header is the row above it.
    page.keyboard.press("ArrowDown")
    assert at() == walk[1], at()
    for expected in walk[2:]:
        page.keyboard.press("ArrowDown")
        assert at() == expected, (expected, at())
    page.keyboard.press("ArrowDown")  # the last row stays
    assert at() == walk[-1], at()
    for expected in reversed(walk[:-1]):
        page.keyboard.press("ArrowUp")
        assert at() == expected, (expected, at())
    page.keyboard.press("ArrowUp")  # from the first row back to the filter
    expect(box).to_be_focused()
    expect(box).to_have_value(stem)

    # Enter on a container row opens its console, with the lines the container wrote.
    wait_for_docker_log(loose, "console ready")
    for _ in walk:
        page.keyboard.press("ArrowDown")
    assert at() == walk[-1], at()
    expect(lab.console(loose.name)).to_have_count(0)
    page.keyboard.press("Enter")
    console = lab.console(loose.name)
    console.locator(".xterm-rows").wait_for(timeout=15000)
    lab.wait_for_log(console, "console ready")
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(loose.name)

    # Escape in the filter clears it and the whole list is back.
    lab.show_containers()
    box.click()
    expect(box).to_have_value(stem)
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(lab.row(other.name)).to_be_visible()
    expect(lab.row(web.name)).to_be_visible()
    assert not lab.errors, lab.errors


def read_clipboard(page: Any) -> str:
    """What the system clipboard holds, read as a page would (needs clipboard-read)."""
    return str(page.evaluate("() => navigator.clipboard.readText()"))


@pytest.mark.parametrize(
    ("item", "field"), [("Copy ID", "id"), ("Copy Name", "name")], ids=["id", "name"]
)
def test_copy_id_and_name_reach_the_clipboard(
    lab_server: Any,
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
    item: str,
    field: str,
) -> None:
    """The row's context menu copies the container's full id or its name to the system
    clipboard (read back with navigator.clipboard)."""
    box = make_container(["sh", "-c", "sleep 100000"])
    expected = box.id if field == "id" else box.name
    assert len(box.id) == 64
    lab = make_page(lab_server, permissions=["clipboard-read", "clipboard-write"])
    page = lab.page
    lab.show_containers()
    # Something else on the clipboard first: the copy must replace it.
    page.evaluate("() => navigator.clipboard.writeText('before the copy')")
    assert read_clipboard(page) == "before the copy"

    lab.row(box.name).click(button="right")
    menu = page.locator(".lm-Menu")
    menu.get_by_role("menuitem", name=item, exact=True).click()
    expect(menu).to_have_count(0)
    deadline = time.monotonic() + 5
    while read_clipboard(page) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert read_clipboard(page) == expected
    assert not lab.errors, lab.errors


def show_left_panel(page: Any, label: str) -> None:
    """Notebook 7: View → Left Sidebar → Show <label>."""
    page.locator(".lm-MenuBar-item", has_text="View").click()
    page.locator(".lm-Menu-item", has_text="Left Sidebar").hover()
    page.locator(".lm-Menu-item", has_text=f"Show {label}").click()


def open_from_palette(page: Any, label: str) -> None:
    """Notebook 7: View → Activate Command Palette, then the item. The kernel starting can take
    the focus and close the palette right after it opened: then it is opened again."""
    palette = page.locator(".lm-CommandPalette-input")
    for _ in range(5):
        page.locator(".lm-MenuBar-item", has_text="View").click()
        page.locator(".lm-Menu-item", has_text="Activate Command Palette").click()
        try:
            palette.fill(label.rstrip("…"), timeout=3000)
            page.locator(".lm-CommandPalette-item", has_text=label).first.click(timeout=3000)
            return
        except PlaywrightError:
            page.keyboard.press("Escape")
    raise AssertionError(f"the command palette did not offer {label!r}")


def test_sidebar_and_console_in_notebook7(
    lab_server: Any, browser: Any, make_demo_console: Callable[..., Any]
) -> None:
    """Notebook 7's tree page has the Containers panel in its left sidebar; a console opened from
    it (or from the command palette on a notebook page) shows history, live lines and a
    command's output in the bottom panel, as the main area there holds only the page itself."""
    box = make_demo_console()
    wait_for_docker_log(box, "console ready")
    notebook = lab_server.root / f"nb7-{box.name}.ipynb"
    # With a kernelspec: no "Select Kernel" dialog to take the focus from the console.
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.write_text(
        json.dumps(
            {
                "cells": [],
                "metadata": {"kernelspec": kernelspec},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ),
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        page.goto(f"{lab_server.url}tree?token={lab_server.token}")
        page.locator(".jp-DirListing").wait_for(timeout=60000)

        show_left_panel(page, "Containers")
        panel = page.locator("#littlewings-containers")
        expect(panel).to_be_visible()
        row = lab.row(box.name)
        expect(row).to_be_visible(timeout=15000)
        row.dblclick()
        down = page.locator("#jp-down-stack")
        console = down.locator(
            ".jp-LittleWings-console",
            has=page.locator(".jp-LittleWings-consoleName", has_text=box.name),
        )
        expect(console).to_be_visible(timeout=15000)
        shown = lab.wait_for_log(console, "console ready")
        expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
        expect(down.locator(".lm-TabBar-tab.lm-mod-current")).to_contain_text(box.name)
        # The tree page is still there above it.
        expect(page.locator(".jp-DirListing")).to_be_visible()
        lab.run_command(console, "say hi from the notebook 7 tree", via="stdin")
        lab.wait_for_log(console, "demo: hi from the notebook 7 tree")
        lab.screenshot("notebook7-tree-console")
        assert "console ready" in shown

        # A notebook page: the command palette opens the console below the notebook.
        page.goto(f"{lab_server.url}notebooks/{notebook.name}")
        page.locator(".jp-Notebook").wait_for(timeout=60000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
        expect(page.locator("#jp-down-stack .jp-LittleWings-console")).to_have_count(0)
        open_from_palette(page, "LittleWings: Open console…")
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Open a container console")
        dialog.locator("input").fill(box.name)
        dialog.locator(".jp-mod-accept").click()
        console = page.locator("#jp-down-stack .jp-LittleWings-console")
        expect(console).to_be_visible(timeout=15000)
        lab.wait_for_log(console, "console ready")
        lab.run_command(console, "echo nb7-exec-$((6*7))", via="exec")
        lab.wait_for_log(console, "nb7-exec-42")
        expect(page.locator(".jp-Notebook")).to_be_visible()
        lab.screenshot("notebook7-notebook-console")
        # Notebook 7's own page logs an error of its settings; none is ours.
        ours = [e for e in lab.errors if re.search(r"littlewings|xterm|console", e, re.I)]
        assert not ours, lab.errors
    finally:
        context.close()
