"""The container console as a user sees it in JupyterLab, against real containers."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import ticks, wait_for_docker_log  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PROMPT = "\u276f"  # the console's prompt marker before an echoed command


def test_console_shows_history_then_live_lines(
    lab: Any, make_demo_console: Callable[..., Any]
) -> None:
    """What the container wrote before the console opened, then new lines as they come."""
    box = make_demo_console()
    wait_for_docker_log(box, "demo: tick 1 ")
    console = lab.open_console(box.name)

    shown = lab.wait_for_log(console, "console ready")
    assert "demo: tick 1 " in shown  # history
    first = max(ticks(shown))
    lab.wait_for_log(console, f"demo: tick {first + 1} ", timeout=10)  # live
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
    expect(console.locator(".jp-LittleWings-consoleName")).to_have_text(box.name)

    # The console comes back after a reload (layout restorer), with its history.
    lab.reload()
    console = lab.console(box.name)
    console.locator(".xterm-rows").wait_for(timeout=30000)
    lab.wait_for_log(console, "console ready")
    assert not lab.errors


def test_commands_exec_and_stdin(lab: Any, make_demo_console: Callable[..., Any]) -> None:
    """An exec command shows its output and exit code; a stdin line shows its effect in the logs."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")

    # The server picks stdin for a container with stdin open, and the box says so.
    expect(console.locator(".jp-LittleWings-via")).to_have_value("stdin")
    expect(console.locator(".jp-LittleWings-commandInput")).to_have_attribute(
        "placeholder", re.compile("stdin")
    )

    lab.run_command(console, "say hello from the browser", via="stdin")
    shown = lab.wait_for_log(console, "demo: hello from the browser")
    assert f"{PROMPT} say hello from the browser" in shown  # the echo with its prompt marker

    lab.run_command(console, "warn disk almost full", via="stdin")
    lab.wait_for_log(console, "demo: warning: disk almost full")
    # stderr is shown in red (ANSI red: xterm's class for foreground colour 1).
    warning = console.locator(".xterm-rows span", has_text="warning: disk almost full")
    expect(warning.first).to_have_class(re.compile(r"xterm-fg-1\b"))

    lab.run_command(console, "echo exec-$((6*7)); echo oops >&2; exit 3", via="exec")
    shown = lab.wait_for_log(console, "└ exit 3")
    assert "exec-42" in shown
    assert "oops" in shown

    # Up recalls the last command.
    box_input = console.locator(".jp-LittleWings-commandInput")
    box_input.press("ArrowUp")
    expect(box_input).to_have_value("echo exec-$((6*7)); echo oops >&2; exit 3")
    box_input.press("ArrowUp")
    expect(box_input).to_have_value("warn disk almost full")
    lab.screenshot("console")
    assert not lab.errors


def test_a_running_command_is_marked_and_stopped(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """An exec command that does not end: a running mark and Stop; Stop ends its process in
    the container, as Ctrl-C in the command box does; each exit line names its command."""
    box = make_container(["sh", "-c", "echo ready; sleep 100000"])
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "ready")

    def running_in_box() -> str:
        return box.exec_run(["ps", "-o", "args"]).output.decode()

    running = console.locator(".jp-LittleWings-running")
    stop = console.locator(".jp-LittleWings-stopCommand")
    expect(stop).to_be_hidden()
    lab.run_command(console, "tail -f /dev/null", via="exec")
    expect(running).to_have_text("running", timeout=10000)
    expect(stop).to_be_visible()
    assert "tail -f /dev/null" in running_in_box()
    lab.screenshot("console-command-running")
    stop.click()
    lab.wait_for_log(console, "(stopped)")
    expect(stop).to_be_hidden()
    deadline = time.monotonic() + 10
    while "tail -f /dev/null" in running_in_box():
        assert time.monotonic() < deadline, running_in_box()
        time.sleep(0.2)
    assert "· tail -f /dev/null" in lab.log_text(console)  # the exit line names it

    lab.run_command(console, "sleep 4242", via="exec")
    expect(running).to_have_text("running", timeout=10000)
    console.locator(".jp-LittleWings-commandInput").press("Control+c")
    lab.wait_for_log(console, "· sleep 4242")
    deadline = time.monotonic() + 10
    while "sleep 4242" in running_in_box():
        assert time.monotonic() < deadline, running_in_box()
        time.sleep(0.2)
    assert not lab.errors, lab.errors


def test_search_finds_a_line(lab: Any, make_demo_console: Callable[..., Any]) -> None:
    """Typing in the search box highlights matches and counts them; Enter goes to the next."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.run_command(console, "say needle-one", via="stdin")
    lab.run_command(console, "say needle-two", via="stdin")
    lab.wait_for_log(console, "demo: needle-two")

    search = console.locator(".jp-LittleWings-searchInput")
    search.fill("needle-")
    count = console.locator(".jp-LittleWings-searchCount")
    # Two echoes and two answers.
    expect(count).to_have_text(re.compile(r"^\d of 4$"))
    search.press("Enter")
    expect(count).to_have_text(re.compile(r"^\d of 4$"))
    expect(console.locator(".xterm-decoration-container .xterm-decoration").first).to_be_attached()

    search.fill("no-such-text")
    expect(count).to_have_text("No results")

    # Download saves the container's logs as a file.
    with lab.page.expect_download() as info:
        console.locator(".jp-LittleWings-download").click()
    download = info.value
    assert download.suggested_filename.startswith(box.name)
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "demo: needle-two" in text
    assert not lab.errors


def test_timestamps_toggle(lab: Any, make_demo_console: Callable[..., Any]) -> None:
    """The timestamps button prefixes each line with Docker's time; pressing it again removes it."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    console.locator(".jp-LittleWings-timestamps").click()
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z demo: console ready")
    deadline = time.monotonic() + 10
    while not stamp.search(lab.log_text(console)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stamp.search(lab.log_text(console)), lab.log_text(console)
    assert lab.log_text(console).count("demo: console ready") == 1
    console.locator(".jp-LittleWings-timestamps").click()
    deadline = time.monotonic() + 10
    while stamp.search(lab.log_text(console)) and time.monotonic() < deadline:
        time.sleep(0.2)
    shown = lab.wait_for_log(console, "console ready")
    assert not stamp.search(shown), shown
    assert not lab.errors


def test_reconnect_after_server_restart_shows_each_line_once(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_container: Callable[..., Any],
) -> None:
    """The server restarts while the container keeps writing: no line lost, none twice."""
    server = make_lab_server()
    box = make_container(
        ["sh", "-c", 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.5; done']
    )
    # A tall window so the lines around the outage stay on screen (the test reads what xterm
    # renders).
    lab = make_page(server, height=2000)
    console = lab.open_console(box.name)
    shown = lab.wait_for_log(console, "line 4\n")

    server.stop()
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text(
        "Reconnecting", timeout=10000
    )
    before = max(int(n) for n in re.findall(r"^line (\d+)$", lab.log_text(console), re.M))
    time.sleep(2)  # lines written while the server is down must arrive after the reconnect
    server.start()

    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live", timeout=30000)
    lab.wait_for_log(console, "reconnected")
    box.reload()
    assert box.status == "running"
    written = len(re.findall(r"^line \d+$", box.logs().decode(), re.M))
    shown = lab.wait_for_log(console, f"line {written + 4}\n", timeout=15)
    numbers = [int(n) for n in re.findall(r"^line (\d+)$", shown, re.M)]
    # Consecutive: nothing missing and nothing twice, across the outage.
    assert numbers == list(range(numbers[0], numbers[-1] + 1)), numbers
    assert numbers[0] <= before < written < numbers[-1], (before, written, numbers)
    assert "connection lost" in shown
    lab.screenshot("console-reconnected")
    # JupyterLab's own polling (kernels, sessions, …) fails while the server is down.
    assert not [e for e in lab.errors if "Failed to fetch" not in e]


def test_dark_theme(lab: Any, make_demo_console: Callable[..., Any]) -> None:
    """Under JupyterLab Dark the sidebar and the console (xterm included) are dark."""
    box = make_demo_console()
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    page = lab.page
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(".lm-Menu-itemLabel:text-is('JupyterLab Dark')")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=15000)
    page.wait_for_timeout(1000)

    def luminance(selector: str) -> float:
        return page.evaluate(
            """(selector) => {
                const el = document.querySelector(selector);
                const [r, g, b] = getComputedStyle(el).backgroundColor.match(/\\d+/g).map(Number);
                return (0.299 * r + 0.587 * g + 0.114 * b) / 255;
            }""",
            selector,
        )

    assert luminance(".jp-LittleWings-panel") < 0.35
    assert luminance(".jp-LittleWings-consoleHeader") < 0.35
    assert luminance(".jp-LittleWings-logArea") < 0.35
    # xterm paints the theme it was given: the rows' text must be light on the dark background.
    color = page.evaluate(
        "getComputedStyle(document.querySelector('.jp-LittleWings-console .xterm-rows')).color"
    )
    r, g, b = (int(v) for v in re.findall(r"\d+", color)[:3])
    assert (0.299 * r + 0.587 * g + 0.114 * b) / 255 > 0.6, color
    lab.screenshot("console-dark")
    # Leave the shared server's theme as it was.
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(".lm-Menu-itemLabel:text-is('JupyterLab Light')")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "true", timeout=15000)
    assert not lab.errors


def test_base_url_prefix(
    make_lab_server: Callable[..., Any],
    make_page: Callable[..., Any],
    make_demo_console: Callable[..., Any],
) -> None:
    """Under a base_url (as on JupyterHub) the list, the socket and the commands all work."""
    server = make_lab_server(base_url="/lw-prefix/")
    box = make_demo_console()
    lab = make_page(server)
    assert "/lw-prefix/lab" in lab.page.url
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "console ready")
    lab.run_command(console, "status", via="stdin")
    lab.wait_for_log(console, "demo: up, ")
    assert not lab.errors


def test_a_published_port_is_a_link_that_opens_it(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """A port the container publishes shows in the console's header as `docker ps` says it
    (host→container); the link opens it through jupyter-server-proxy (installed with the tests):
    the page of a real web server in the container comes back."""
    web = make_container(
        ["sh", "-c", "echo hi-from-httpd > /tmp/index.html; exec httpd -f -v -p 80 -h /tmp"],
        network_mode="bridge",
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    host_port = web.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    console = lab.open_console(web.name)
    link = console.locator("a.jp-LittleWings-port")
    expect(link).to_have_text(f"{host_port}→80", timeout=15000)
    assert re.search(rf"/proxy/{host_port}/$", link.get_attribute("href") or "")
    lab.screenshot("published-port")
    with lab.page.context.expect_page() as opened:
        link.click()
    page = opened.value
    deadline = time.monotonic() + 20
    while "hi-from-httpd" not in page.content():
        assert time.monotonic() < deadline, page.content()
        time.sleep(0.5)
        page.reload()
    page.close()


def test_a_narrow_console_keeps_its_name_and_clips_nothing(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """In a narrow panel (a half-width split) the container's name shows whole and every
    button of the header and the toolbar is inside the panel (before, the name shrank to
    nothing and Clear/Download were cut off)."""
    box = make_container(["sh", "-c", "echo hello; sleep 100000"], name=None)
    console = lab.open_console(box.name)
    lab.wait_for_log(console, "hello")
    check = """
    (node) => {
      const box = node.getBoundingClientRect();
      const name = node.querySelector('.jp-LittleWings-consoleName');
      const outside = [...node.querySelectorAll(
        '.jp-LittleWings-consoleHeader button, .jp-LittleWings-consoleToolbar button,'
        + ' .jp-LittleWings-consoleToolbar select'
      )].filter(b => b.offsetParent !== null).filter(b => {
        const r = b.getBoundingClientRect();
        return r.right > box.right + 1 || r.left < box.left - 1 || r.width < 4;
      }).map(b => b.getAttribute('aria-label') || b.title || b.className);
      return {
        width: box.width,
        nameCut: name.scrollWidth > name.clientWidth + 1,
        nameWidth: name.getBoundingClientRect().width,
        outside,
      };
    }
    """
    for width in (1400, 900, 700, 560):
        lab.page.set_viewport_size({"width": width, "height": 700})
        deadline = time.monotonic() + 10
        while True:
            found = console.evaluate(check)
            if not found["nameCut"] and not found["outside"]:
                break
            assert time.monotonic() < deadline, (width, found)
            time.sleep(0.2)
        assert found["nameWidth"] > 50, (width, found)

    # Under 560 px of panel the toolbar keeps the search and the level; the rest is in its
    # "More" menu (a 700 px page leaves the console about 400 px).
    lab.page.set_viewport_size({"width": 700, "height": 700})
    more = console.locator(".jp-LittleWings-more")
    expect(more).to_be_visible()
    lab.screenshot("narrow-console")
    expect(more).to_be_visible()
    expect(console.locator(".jp-LittleWings-clear")).to_be_hidden()
    more.click()
    menu = lab.page.locator(".jp-LittleWings-overflowMenu")
    expect(menu).to_be_visible()
    labels = menu.locator(".lm-Menu-itemLabel").all_inner_texts()
    assert labels == ["All history", "Raw lines", "Timestamps", "Clear", "Download"], labels
    menu.locator(".lm-Menu-item", has_text="Timestamps").click()
    expect(console.locator(".jp-LittleWings-timestamps")).to_have_attribute("aria-pressed", "true")
    expect(console.locator(".jp-LittleWings-logView .xterm-rows")).to_contain_text(
        re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello")
    )
    more.click()
    expect(
        lab.page.locator(".jp-LittleWings-overflowMenu .lm-Menu-item.lm-mod-toggled")
    ).to_have_text("Timestamps")
    lab.page.keyboard.press("Escape")
    # Wide again, every action has its own button and "More" goes.
    lab.page.set_viewport_size({"width": 1400, "height": 700})
    expect(more).to_be_hidden()
    expect(console.locator(".jp-LittleWings-clear")).to_be_visible()
