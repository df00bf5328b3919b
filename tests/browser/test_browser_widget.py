"""The notebook console widget (``lw.console(name)``) in JupyterLab 4 and Notebook 7."""

from __future__ import annotations

import json
import re
import shutil
import time
from typing import Any, Callable

import nbformat
import pytest
from conftest import (  # tests/browser/conftest.py
    REPO,
    SCREENSHOTS,
    LabPage,
    LabServer,
    run_cell,
    ticks,
    wait_for_docker_log,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PROMPT = "\u276f"
THREADS_CELL = (
    "import json, threading, time\n"
    "print('THREADS', json.dumps({'run': time.time_ns(), 'names': sorted(\n"
    "    t.name for t in threading.enumerate() if t.name.startswith('littlewings'))}))"
)


def write_notebook(server: LabServer, name: str, container: str) -> str:
    """A notebook with the widget cell and a cell listing the kernel's LittleWings threads."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            f'import littlewings_jupyter as lw\nw = lw.console("{container}", height="380px")\nw'
        ),
        nbformat.v4.new_code_cell(THREADS_CELL),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = server.root / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path.name


def kernel_threads(page: Any) -> list[str]:
    """Run the threads cell; the names of the kernel's LittleWings threads it printed."""
    output = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output")
    before = output.first.inner_text() if output.count() else ""
    run_cell(page, 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = output.first.inner_text() if output.count() else ""
        if "THREADS" in text and text != before:
            return list(json.loads(text.split("THREADS", 1)[1])["names"])
        time.sleep(0.2)
    raise AssertionError(f"the threads cell printed nothing new: {before!r}")


def open_widget(page: Any) -> Any:
    """The widget in the first cell's output, once its log view is there."""
    widget = page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-LittleWings-console")
    try:
        widget.locator(".xterm-rows").wait_for(timeout=60000)
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widget-failure.png"))
        raise
    return widget


def wait_for_history(lab: Any, widget: Any, text: str, timeout: float = 30) -> str:
    """Wait until the view holds ``text`` among its first lines, then show the last ones.

    The screen shows only the last rows: on a loaded machine the kernel takes long enough to
    start that more lines than fit came before the view opened, and the first scrolled out.
    So the view is scrolled up (the mouse wheel) to look, and down again (it then follows).
    """
    shown = lab.wait_for_log(widget, "demo: tick", timeout)
    if text in shown:
        return shown
    page = widget.page
    widget.locator(".jp-LittleWings-logView .xterm-screen").hover()
    for _ in range(400):
        page.mouse.wheel(0, -3000)
        if text in lab.log_text(widget):
            break
    lab.wait_for_log(widget, text, 10)
    before = ""
    for _ in range(400):  # down to the bottom: the screen stops changing
        page.mouse.wheel(0, 3000)
        time.sleep(0.05)
        now = lab.log_text(widget)
        if now == before:
            break
        before = now
    return lab.wait_for_log(widget, "demo: tick", 10)


def test_widget_in_jupyterlab(
    lab_server: LabServer, browser: Any, make_demo_console: Callable[..., Any]
) -> None:
    """History and live lines, a command's output, a power action, and no leaked follower."""
    box = make_demo_console()
    wait_for_docker_log(box, "demo: tick 1 ")
    notebook = write_notebook(lab_server, f"widget-{box.name}", box.name)

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        lab.open_notebook(notebook)

        run_cell(page, 0)
        widget = open_widget(page)
        shown = wait_for_history(lab, widget, "console ready")
        assert "demo: tick 1 " in shown  # history
        first = max(ticks(shown))
        lab.wait_for_log(widget, f"demo: tick {first + 1} ", timeout=10)  # live
        expect(widget.locator(".jp-LittleWings-connection")).to_contain_text("Live")
        expect(widget.locator(".jp-LittleWings-consoleName")).to_have_text(box.name)
        expect(widget.locator(".jp-LittleWings-via")).to_have_value("stdin")

        # A line to stdin, and a command run with exec: output and exit code.
        lab.run_command(widget, "say hello from the widget", via="stdin")
        shown = lab.wait_for_log(widget, "demo: hello from the widget")
        assert f"{PROMPT} say hello from the widget" in shown
        lab.run_command(widget, "warn low on tea", via="stdin")
        lab.wait_for_log(widget, "demo: warning: low on tea")
        lab.run_command(widget, "echo exec-$((6*7)); exit 3", via="exec")
        shown = lab.wait_for_log(widget, "└ exit 3")
        assert "exec-42" in shown

        # A power button changes the state shown (and Docker's).
        state = widget.locator(".jp-LittleWings-consoleState")
        expect(state.locator(".jp-LittleWings-state-running")).to_be_visible()
        widget.locator(".jp-LittleWings-power-pause").click()
        expect(state.locator(".jp-LittleWings-state-paused")).to_be_visible(timeout=15000)
        expect(widget.locator(".jp-LittleWings-consoleMeta")).to_contain_text("Paused")
        box.reload()
        assert box.status == "paused"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(SCREENSHOTS / "widget-lab-paused.png"))
        widget.locator(".jp-LittleWings-power-unpause").click()
        expect(state.locator(".jp-LittleWings-state-running")).to_be_visible(timeout=15000)
        lab.wait_for_log(widget, f"demo: tick {max(ticks(lab.log_text(widget))) + 1} ", 10)
        page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
        widget.screenshot(path=str(SCREENSHOTS / "widget-lab.png"))
        lab.screenshot("widget-lab-page")

        # One follower in the kernel; running the cell again replaces it, without a leak.
        # (The widget runs the session core: its one shared follower, one event stream and the
        # loop thread of the kernel's runtime.)
        threads = kernel_threads(page)
        assert threads.count("littlewings-logs") == 1, threads
        assert threads.count("littlewings-kernel") == 1, threads
        for _ in range(2):
            last = max(ticks(lab.log_text(widget)))
            run_cell(page, 0)
            widget = open_widget(page)
            lab.wait_for_log(widget, f"demo: tick {last + 1} ", timeout=30)
        threads = kernel_threads(page)
        assert threads.count("littlewings-logs") == 1, threads
        assert threads.count("littlewings-events") == 1, threads
        assert threads.count("littlewings-kernel") == 1, threads
        assert not lab.errors, lab.errors
    finally:
        context.close()

    best = SCREENSHOTS / "widget-lab.png"
    if best.exists():
        shutil.copyfile(best, REPO / "docs" / "images" / "notebook-widget.png")


def test_widget_in_notebook7(
    lab_server: LabServer, browser: Any, make_demo_console: Callable[..., Any]
) -> None:
    """Notebook 7 (/tree → /notebooks/…) shows the widget with live lines."""
    box = make_demo_console()
    wait_for_docker_log(box, "demo: tick 1 ")
    notebook = write_notebook(lab_server, f"widget7-{box.name}", box.name)

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        page.goto(f"{lab_server.url}tree?token={lab_server.token}")
        page.locator(".jp-DirListing").wait_for(timeout=60000)
        page.goto(f"{lab_server.url}notebooks/{notebook}")
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(timeout=60000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
        run_cell(page, 0)
        widget = open_widget(page)
        shown = wait_for_history(lab, widget, "console ready")
        first = max(ticks(shown))
        lab.wait_for_log(widget, f"demo: tick {first + 1} ", timeout=10)
        expect(widget.locator(".jp-LittleWings-connection")).to_contain_text("Live")
        lab.run_command(widget, "say hi from notebook 7", via="stdin")
        lab.wait_for_log(widget, "demo: hi from notebook 7")
        widget.screenshot(path=str(SCREENSHOTS / "widget-notebook7.png"))
        lab.screenshot("widget-notebook7-page")
        # Notebook 7's own page logs two errors of its file browser and settings; none is ours.
        ours = [e for e in lab.errors if re.search(r"littlewings|xterm|console-widget", e, re.I)]
        assert not ours, lab.errors
    finally:
        context.close()
