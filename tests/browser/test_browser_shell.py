"""Interactive shells in the console panel, as a user drives them: real chromium, real Docker."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PROMPT = re.compile(r"[#$] $")


def shell_text(console: Any) -> str:
    """The rows the shown shell's terminal has on screen."""
    rows = console.locator(".jp-LittleWings-shellView:visible .xterm-rows > div").all_inner_texts()
    return "\n".join(row.replace("\xa0", " ").rstrip() for row in rows)


def wait_for_shell(console: Any, pattern: str, timeout: float = 15) -> re.Match[str]:
    """Wait until the shown shell's screen matches ``pattern`` (a regular expression)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = shell_text(console)
        found = re.search(pattern, shown, re.M)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not on the shell's screen within {timeout} s:\n{shown}")


def focus_shell(console: Any) -> None:
    """Click into the shown shell and wait until its terminal has the focus (keys typed before
    go to whatever had it: the page, the command box)."""
    view = console.locator(".jp-LittleWings-shellView:visible")
    view.locator(".xterm-screen").click()
    expect(view.locator(".xterm-helper-textarea")).to_be_focused(timeout=10000)


def type_line(page: Any, console: Any, text: str) -> None:
    """Type a line into the shown shell, once its terminal has the focus."""
    focus_shell(console)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shell_reads(page: Any, console: Any, timeout: float = 15) -> None:
    """Press Enter until the shell answers it with a new prompt: a program still exiting (vi
    after ``:q!``) takes what is typed before that, as in any terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = len(re.findall(r"[#$] *$", shell_text(console), re.M))
        focus_shell(console)
        page.keyboard.press("Enter")
        answered = time.monotonic() + 2
        while time.monotonic() < answered:
            if len(re.findall(r"[#$] *$", shell_text(console), re.M)) > before:
                return
            time.sleep(0.1)
    raise AssertionError(f"the shell gave no new prompt within {timeout} s:\n{shell_text(console)}")


def open_shell(lab: Any, console: Any) -> Any:
    """Click "Shell" and wait for the prompt; the shell's view."""
    console.locator(".jp-LittleWings-newShell").click()
    view = console.locator(".jp-LittleWings-shellView:visible")
    expect(view).to_have_attribute("data-phase", "open", timeout=15000)
    wait_for_shell(console, r"[#$] *$")
    return view


def visible_rows(console: Any) -> int:
    return console.locator(".jp-LittleWings-shellView:visible .xterm-rows > div").count()


def test_a_shell_in_the_console(
    lab: Any, make_container: Callable[..., Any], tmp_path: Path
) -> None:
    """echo, stty size after a resize, top quit with q, Ctrl-C of sleep and of a flood."""
    box = make_container(["sh", "-c", "echo ready; sleep 100000"])
    console = lab.open_console(box.name)
    page = lab.page
    open_shell(lab, console)
    tab = console.locator(".jp-LittleWings-shellTab")
    expect(tab).to_have_count(1)
    expect(tab).to_have_class(re.compile("jp-mod-current"))

    type_line(page, console, "echo $((6*7))")
    wait_for_shell(console, r"^42$")

    # The terminal's size is the panel's: stty inside says what xterm shows.
    type_line(page, console, "echo before $(stty size)")
    rows, cols = map(int, wait_for_shell(console, r"^before (\d+) (\d+)$").groups())
    assert rows == visible_rows(console) and cols > 40, (rows, cols)
    page.set_viewport_size({"width": 1000, "height": 640})
    deadline = time.monotonic() + 10
    while visible_rows(console) == rows and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    type_line(page, console, "clear; echo after $(stty size)")
    smaller = wait_for_shell(console, r"^after (\d+) (\d+)$")
    rows2, cols2 = map(int, smaller.groups())
    assert rows2 == visible_rows(console) and rows2 < rows and cols2 < cols, (rows2, cols2)
    page.set_viewport_size({"width": 1400, "height": 860})

    # A full-screen program: top draws its screen; q quits it.
    type_line(page, console, "top")
    wait_for_shell(console, r"PID\s+PPID\s+USER")
    wait_for_shell(console, r"Mem:")
    time.sleep(1.2)  # one refresh
    lab.screenshot("shell-top")
    page.keyboard.press("q")
    type_line(page, console, "echo after-$((40+2))")
    wait_for_shell(console, r"^after-42$")

    # Ctrl-C interrupts sleep 100.
    type_line(page, console, "clear; sleep 100")
    time.sleep(0.5)
    page.keyboard.press("Control+c")
    type_line(page, console, "echo interrupted-$((1+1))")
    wait_for_shell(console, r"^interrupted-2$", timeout=5)

    # A flood: the page stays bounded and responsive, Ctrl-C brings the prompt back.
    heap_before = page.evaluate("performance.memory.usedJSHeapSize")
    type_line(page, console, "yes")
    wait_for_shell(console, r"^y$")
    time.sleep(3)
    heap_during = page.evaluate("performance.memory.usedJSHeapSize")
    started = time.monotonic()
    page.keyboard.press("Control+c")
    page.keyboard.type("clear; echo stopped-$((2+2))")
    page.keyboard.press("Enter")
    wait_for_shell(console, r"^stopped-4$", timeout=10)
    took = time.monotonic() - started
    print(f"Ctrl-C under yes: prompt back in {took:.2f} s; heap {heap_before} -> {heap_during}")
    assert took < 2, took
    assert heap_during - heap_before < 64 * 1024 * 1024, (heap_before, heap_during)
    assert not lab.errors


def test_the_sidebars_shell_button_opens_a_shell_in_a_new_console(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """The row's shell button on a container whose console is not open: the console opens,
    and its shell waits for the console's socket instead of failing ("Not connected")."""
    box = make_container(["sh", "-c", "echo ready; sleep 100000"])
    lab.show_containers()
    row = lab.row(box.name)
    row.wait_for(timeout=15000)
    row.hover()
    row.locator("button[data-action='shell']").click()
    console = lab.console(box.name)
    view = console.locator(".jp-LittleWings-shellView:visible")
    expect(view).to_have_attribute("data-phase", "open", timeout=15000)
    wait_for_shell(console, r"[#$] *$")
    type_line(lab.page, console, "echo from-the-sidebar-$((20+1))")
    wait_for_shell(console, r"^from-the-sidebar-21$")
    assert "Not connected" not in shell_text(console)
    assert not lab.errors, lab.errors


def test_two_shells_in_two_tabs(lab: Any, make_container: Callable[..., Any]) -> None:
    """Two tabs, two independent shells; closing a tab hangs its shell up."""
    box = make_container(["sh", "-c", "sleep 100000"])
    console = lab.open_console(box.name)
    page = lab.page
    open_shell(lab, console)
    type_line(page, console, "cd /tmp; A=first; echo A=$A in $(pwd)")
    wait_for_shell(console, r"^A=first in /tmp$")
    open_shell(lab, console)
    tabs = console.locator(".jp-LittleWings-shellTab")
    expect(tabs).to_have_count(2)
    type_line(page, console, "echo A=${A:-unset} in $(pwd)")
    wait_for_shell(console, r"^A=unset in /$")

    tabs.nth(0).click()
    wait_for_shell(console, r"^A=first in /tmp$")
    # The logs are a tab away, and still there.
    console.locator(".jp-LittleWings-logsTab").click()
    expect(console.locator(".jp-LittleWings-logView")).to_be_visible()
    tabs.nth(1).click()
    wait_for_shell(console, r"^A=unset in /$")

    # Closing the first tab ends its shell: the audit has it finished, the other goes on.
    tabs.nth(0).locator(".jp-LittleWings-tabClose").click()
    expect(tabs).to_have_count(1)
    deadline = time.monotonic() + 10
    while True:
        entries = lab.server.api(f"audit?container={box.id}&action=shell")["entries"]
        if entries and any(e["finished"] for e in entries):
            break
        assert time.monotonic() < deadline, entries
        time.sleep(0.2)
    assert sorted(bool(e["finished"]) for e in entries) == [False, True]
    type_line(page, console, "echo still-$((3*3))")
    wait_for_shell(console, r"^still-9$")
    assert not lab.errors


def test_a_shell_survives_a_dropped_socket_and_a_reload(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """The socket drops: the shell is taken back with what it printed meanwhile; a page reload
    brings the tab back with the same shell."""
    box = make_container(["sh", "-c", "sleep 100000"])
    page = lab.page
    # Keep every WebSocket the page opens, to drop them as a network would.
    page.evaluate(
        """() => {
            const Native = window.WebSocket;
            window.__sockets = [];
            window.WebSocket = class extends Native {
                constructor(...args) { super(...args); window.__sockets.push(this); }
            };
        }"""
    )
    console = lab.open_console(box.name)
    view = open_shell(lab, console)
    type_line(page, console, "X=kept; (sleep 2; echo while-away-$((5*5))) &")
    page.evaluate(
        "() => window.__sockets.filter(s => s.url.includes('littlewings/ws'))"
        ".forEach(s => s.close())"
    )
    expect(view).to_have_attribute("data-phase", "reattaching", timeout=5000)
    expect(view.locator(".jp-LittleWings-shellBanner")).to_contain_text("Connection lost")
    expect(view).to_have_attribute("data-phase", "open", timeout=20000)
    wait_for_shell(console, r"while-away-25")
    type_line(page, console, "echo X=$X")
    wait_for_shell(console, r"^X=kept$")

    lab.reload()
    console = lab.console(box.name)
    console.locator(".jp-LittleWings-logView .xterm-rows").wait_for(timeout=30000)
    tab = console.locator(".jp-LittleWings-shellTab")
    expect(tab).to_have_count(1, timeout=15000)
    tab.click()
    view = console.locator(".jp-LittleWings-shellView:visible")
    expect(view).to_have_attribute("data-phase", "open", timeout=15000)
    type_line(page, console, "echo again-X=$X")
    wait_for_shell(console, r"^again-X=kept$")

    # Closing the console ends the shell for good: a reload has no tab to bring back.
    page.locator(
        ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon"
    ).click()
    expect(console).to_have_count(0, timeout=10000)
    lab.reload()
    lab.open_console(box.name)
    expect(lab.console(box.name).locator(".jp-LittleWings-shellTab")).to_have_count(0)
    assert not lab.errors


DENY_WRITE = '''
from jupyter_server.auth.authorizer import AllowAllAuthorizer


class ReadOnlyLittleWings(AllowAllAuthorizer):
    """LittleWings may be watched, not changed."""

    def is_authorized(self, handler, user, action, resource):
        return resource != "littlewings" or action == "read"
'''


def test_a_full_screen_program_keeps_its_screen_across_a_reload(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """A program on the alternate screen (as vim, less, top), the page reloaded: the new
    terminal is put on the alternate screen too, so what the program writes then goes there,
    and when it leaves, the prompt is on a clean screen (before, its text stayed and the
    prompt wrote over it); vi's screen is drawn again after the reload."""
    box = make_container(["sh", "-c", "sleep 100000"])
    page = lab.page
    console = lab.open_console(box.name)
    open_shell(lab, console)
    type_line(
        page,
        console,
        "printf '\\033[?1049h'; echo on-the-alt-screen; read a; echo still-on-it; read b; "
        "printf '\\033[?1049l'",
    )
    wait_for_shell(console, r"^on-the-alt-screen$")
    time.sleep(1.0)  # (the page saves its open shells as they change)

    def back_after_reload() -> Any:
        lab.reload()
        console = lab.console(box.name)
        console.locator(".jp-LittleWings-logView .xterm-rows").wait_for(timeout=30000)
        tab = console.locator(".jp-LittleWings-shellTab")
        expect(tab).to_have_count(1, timeout=15000)
        tab.click()
        view = console.locator(".jp-LittleWings-shellView:visible")
        expect(view).to_have_attribute("data-phase", "open", timeout=15000)
        return console

    console = back_after_reload()
    type_line(page, console, "")
    wait_for_shell(console, r"^still-on-it$")
    type_line(page, console, "")  # the program leaves the alternate screen
    expect(console.locator(".jp-LittleWings-shellView:visible")).not_to_contain_text(
        "still-on-it", timeout=10000
    )
    wait_for_shell(console, r"[#$] *$")  # (the shell drops what was typed before its prompt)
    type_line(page, console, "echo back-$((1+1))")
    wait_for_shell(console, r"^back-2$")
    shown = shell_text(console)
    assert "still-on-it" not in shown and "on-the-alt-screen" not in shown, shown

    # vi, reloaded: its screen is drawn again (a size change makes it redraw).
    type_line(page, console, "clear; vi /tmp/note.txt")
    wait_for_shell(console, r"^~")
    page.keyboard.press("i")
    page.keyboard.type("written-in-vi")
    page.keyboard.press("Escape")
    wait_for_shell(console, r"^written-in-vi")
    time.sleep(1.0)
    console = back_after_reload()
    wait_for_shell(console, r"^written-in-vi")
    focus_shell(console)
    page.keyboard.type(":q!")
    page.keyboard.press("Enter")
    expect(console.locator(".jp-LittleWings-shellView:visible")).not_to_contain_text(
        "written-in-vi", timeout=10000
    )
    shell_reads(page, console)  # vi has gone: what is typed now goes to the shell
    type_line(page, console, "echo after-vi-$((1+1))")
    wait_for_shell(console, r"^after-vi-2$")
    assert "written-in-vi" not in shell_text(console), shell_text(console)
    assert not lab.errors


@pytest.mark.parametrize("refusal", ["read_only", "shell_enabled", "authorizer"])
def test_refusals_are_shown(
    refusal: str,
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """No write, read-only mode, shells off: the tab says why, in the server's words."""
    box = make_container(["sh", "-c", "sleep 100000"])
    if refusal == "authorizer":
        (tmp_path / "lw_write_authorizer.py").write_text(DENY_WRITE)
        server = make_lab_server(
            env={"PYTHONPATH": str(tmp_path)},
            args=["--ServerApp.authorizer_class=lw_write_authorizer.ReadOnlyLittleWings"],
        )
        words = "not allowed to write"
    elif refusal == "read_only":
        server = make_lab_server(config={"LittleWings": {"read_only": True}})
        words = "read-only mode"
    else:
        server = make_lab_server(config={"LittleWings": {"shell_enabled": False}})
        words = "Shells are disabled on this server"
    lab = make_page(server)
    console = lab.open_console(box.name)
    button = console.locator(".jp-LittleWings-newShell")
    button.click()
    view = console.locator(".jp-LittleWings-shellView:visible")
    expect(view).to_have_attribute("data-phase", "refused", timeout=15000)
    expect(view.locator(".jp-LittleWings-shellBanner")).to_contain_text(words)
    expect(console.locator(".jp-LittleWings-shellTab")).to_have_attribute("data-phase", "refused")
    if refusal == "shell_enabled":
        expect(button).to_have_attribute("title", re.compile("disabled on this server"))
        lab.screenshot("shell-refused")
    assert not lab.errors


def test_a_shell_in_the_notebook_widget(
    lab_server: Any, browser: Any, make_container: Callable[..., Any]
) -> None:
    """The widget has the same Shell tab (the shell runs in the kernel's session core); its keys
    go to the shell, not to the notebook's shortcuts."""
    from conftest import SCREENSHOTS, LabPage, run_cell
    from test_browser_widget import open_widget, write_notebook

    box = make_container(["sh", "-c", "echo ready; sleep 100000"])
    notebook = write_notebook(lab_server, f"shell-{box.name}", box.name)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        lab.open_notebook(notebook)
        run_cell(page, 0)
        widget = open_widget(page)
        cells = page.locator(".jp-Notebook .jp-Cell")
        count = cells.count()
        open_shell(lab, widget)
        # "a", "b", "d d" are notebook shortcuts in command mode; Shift+Enter runs a cell.
        type_line(page, widget, "echo abdd-$((6*7))")
        wait_for_shell(widget, r"^abdd-42$")
        page.keyboard.type("stty size")
        page.keyboard.press("Shift+Enter")
        wait_for_shell(widget, r"^\d+ \d+$")
        assert cells.count() == count
        expect(widget.locator(".jp-LittleWings-shellTab")).to_have_count(1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(SCREENSHOTS / "widget-shell.png"))
        assert not lab.errors, lab.errors
    finally:
        context.close()


def test_another_command_and_user_and_a_container_that_stops(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """The ▾ form opens a shell with a chosen command and user; a stopped container ends it with
    a notice in its tab."""
    box = make_container(["sh", "-c", "sleep 100000"])
    console = lab.open_console(box.name)
    page = lab.page
    console.locator(".jp-LittleWings-shellOptions").click()
    form = console.locator(".jp-LittleWings-shellForm")
    form.locator("input[name=command]").fill("sh -i")
    form.locator("input[name=user]").fill("1234")
    form.locator("input[name=user]").press("Enter")
    view = console.locator(".jp-LittleWings-shellView:visible")
    expect(view).to_have_attribute("data-phase", "open", timeout=15000)
    tab = console.locator(".jp-LittleWings-shellTab")
    expect(tab).to_contain_text("(1234)")
    expect(tab).to_have_attribute("title", re.compile(r"sh -i as 1234"))
    type_line(page, console, "echo uid=$(id -u)")
    wait_for_shell(console, r"^uid=1234$")

    box.kill()
    expect(view).to_have_attribute("data-phase", "ended", timeout=15000)
    expect(view.locator(".jp-LittleWings-shellBanner")).to_contain_text("Shell exited")
    expect(tab).to_have_attribute("data-phase", "ended")
    assert not lab.errors
