"""A console widget nobody looks at lets its kernel go idle: culled in JupyterLab and in Voilà.

A widget sends nothing while no view of it is attached; a view whose page was closed without a
word ends with the view idle timeout (kernel.client.VIEW_IDLE_TIMEOUT). While a page is open, its
heartbeats keep the kernel in use, as they should.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import nbformat
import pytest
from conftest import SCREENSHOTS, LabServer, free_port, run_cell, ticks, wait_for_docker_log
from playwright.sync_api import expect

from littlewings_jupyter.kernel.client import VIEW_IDLE_TIMEOUT

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow]

CULL_IDLE = 8
CULL_ARGS = [
    f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
    "--MappingKernelManager.cull_interval=2",
]
# The view's idle timeout, then a cull period and a culler round, and a margin for slow machines.
CULLED_WITHIN = VIEW_IDLE_TIMEOUT + CULL_IDLE + 2 + 25


def widget_notebook(directory: Path, name: str, container: str) -> Path:
    """A notebook whose one cell records its kernel's pid and shows the console widget."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, littlewings_jupyter as lw\n"
            f"open({name + '.pid'!r}, 'w').write(str(os.getpid()))\n"
            f'w = lw.console("{container}", height="300px")\n'
            "w"
        )
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = directory / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def kernel_pid(directory: Path, name: str, timeout: float = 60) -> int:
    path = directory / f"{name}.pid"
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, "the widget cell never ran"
        time.sleep(0.2)
    return int(path.read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A culled kernel may linger as a zombie until its parent reaps it.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def wait_dead(pid: int, timeout: float) -> float:
    """Seconds until ``pid`` is gone (fails after ``timeout``)."""
    start = time.monotonic()
    while alive(pid):
        assert time.monotonic() - start < timeout, f"kernel {pid} still alive after {timeout:.0f} s"
        time.sleep(0.5)
    return time.monotonic() - start


def widget_log(page: Any) -> Any:
    widget = page.locator(".jp-LittleWings-console").first
    widget.locator(".xterm-rows").wait_for(timeout=60000)
    return widget


def shown_text(widget: Any) -> str:
    return str(widget.locator(".xterm-rows").inner_text())


def wait_shown(widget: Any, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while text not in (shown := shown_text(widget)):
        assert time.monotonic() < deadline, f"{text!r} not shown: {shown[-300:]!r}"
        time.sleep(0.2)
    return shown


def test_jupyterlab_culls_a_kernel_whose_widget_nobody_views(
    make_lab_server: Callable[..., LabServer],
    browser: Any,
    make_demo_console: Callable[..., Any],
) -> None:
    """Viewed: kept. Page closed and reopened: the lines of the gap are there. Closed: culled."""
    box = make_demo_console()
    wait_for_docker_log(box, "demo: tick 1 ")
    server = make_lab_server(args=CULL_ARGS)
    # JupyterLab 4.6 sends comm messages on kernel subshells by default; with ipykernel 7 a
    # reopened page's widget messages may name a subshell the kernel no longer has, and the
    # kernel drops them ("Cannot handle comm_msg …: Unknown subshell_id", seen here once in
    # three runs; jupyterlab/jupyterlab#17633, ipython/ipykernel#1557). Not ours: off here.
    kernels = server.settings_dir / "@jupyterlab" / "apputils-extension"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernels-settings.jupyterlab-settings").write_text(
        json.dumps({"commsOverSubshells": "disabled"})
    )
    widget_notebook(server.root, "cull", box.name)
    url = f"{server.url}lab/tree/cull.ipynb?reset&token={server.token}"

    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(30000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
    page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(timeout=60000)
    run_cell(page, 0)
    pid = kernel_pid(server.root, "cull")
    widget = widget_log(page)
    wait_shown(widget, "demo: tick")  # (the screen shows the newest lines only)
    page.keyboard.press("Control+s")  # the widget's output is in the file for the next page
    time.sleep(1)

    # Viewed for twice the cull timeout: the heartbeats keep the kernel in use.
    time.sleep(2 * CULL_IDLE)
    assert alive(pid)
    last_seen = max(ticks(wait_shown(widget, "demo: tick")))

    # Closed, then opened again a moment later: the widget is live, with what came meanwhile.
    page.close()
    gap_tick = last_seen + 2
    wait_for_docker_log(box, f"demo: tick {gap_tick} ", timeout=15)
    page = context.new_page()
    page.goto(url.replace("?reset&", "?"))
    widget = widget_log(page)
    shown = wait_shown(widget, f"demo: tick {gap_tick + 1} ", timeout=40)
    assert {last_seen + 1, gap_tick} <= set(ticks(shown)), shown[-400:]
    expect(widget.locator(".jp-LittleWings-connection")).to_contain_text("Live")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget.screenshot(path=str(SCREENSHOTS / "culling-reopened.png"))

    # Closed for good: the view's session ends, the kernel goes idle and is culled.
    page.close()
    closed_at = time.monotonic()
    took = wait_dead(pid, CULLED_WITHIN)
    assert took >= CULL_IDLE - 1, f"culled after {took:.1f} s: too soon to be the culler"
    request = urllib.request.Request(
        f"{server.url}api/kernels", headers={"Authorization": f"token {server.token}"}
    )
    deadline = time.monotonic() + 10  # the culler forgets the kernel just after it ends
    while True:
        with urllib.request.urlopen(request, timeout=5) as response:
            listed = json.loads(response.read())
        if not listed:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.2)
    print(f"culled {time.monotonic() - closed_at:.1f} s after the page closed")
    context.close()


def test_voila_culls_a_kernel_whose_widget_nobody_views(
    tmp_path: Path, browser: Any, make_demo_console: Callable[..., Any]
) -> None:
    """Voilà with idle culling: the kernel of a closed page goes, with the widget's streams."""
    pytest.importorskip("voila")
    box = make_demo_console()
    wait_for_docker_log(box, "demo: tick 1 ")
    home = tmp_path / "home"
    config = tmp_path / "config"
    for folder in (home, config):
        folder.mkdir()
    notebook = widget_notebook(tmp_path, "voila", box.name)
    port = free_port()
    log_path = tmp_path / "voila.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voila",
                str(notebook),
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                f"--Voila.base_url=/{secrets.token_hex(4)}/",
                *CULL_ARGS,
            ],
            cwd=tmp_path,
            env={
                **os.environ,
                "HOME": str(home),
                "JUPYTER_CONFIG_DIR": str(config),
                "PYTHONWARNINGS": "ignore",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        base = next(a for a in process.args if str(a).startswith("--Voila.base_url="))
        url = f"http://127.0.0.1:{port}{str(base).split('=', 1)[1]}"
        # Wait for the server without asking for the notebook: each page request runs it in a
        # kernel of its own (which a probe would leave unviewed, and which writes the pid file).
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}no-such-page", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # the server answers
            except OSError:
                assert process.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.3)

        context = browser.new_context(viewport={"width": 1100, "height": 700})
        context.set_default_timeout(60000)
        (tmp_path / "voila.pid").unlink(missing_ok=True)
        page = context.new_page()
        page.goto(url)
        widget = widget_log(page)
        wait_shown(widget, "demo: tick", timeout=60)
        pid = kernel_pid(tmp_path, "voila")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(SCREENSHOTS / "voila-widget.png"))
        time.sleep(2 * CULL_IDLE)
        assert alive(pid), "culled while the page was open"

        # As a user closes the tab: Voilà's own shutdown beacon goes too (Voilà answers it with
        # 403 "'_xsrf' argument missing from POST", voila-dashboards/voila#1458), so the
        # culler is what ends the kernel.
        page.close(run_before_unload=True)
        wait_dead(pid, CULLED_WITHIN)
        context.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        for line in log_path.read_text(errors="replace").splitlines():
            if "403" in line or "littlewings" in line.lower() or "cull" in line.lower():
                print("voila:", line)
