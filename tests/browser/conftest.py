"""Fixtures of the browser tests: a real `jupyter lab`, Debian's chromium driven by Playwright, and
real Docker containers (labelled ``littlewings.test=1`` and force-removed afterwards).

Nothing is downloaded: chromium is ``/usr/bin/chromium`` (never ``playwright install``) and the
containers use the local image ``littlewings/busybox:latest`` (``scripts/docker-up.sh``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

docker = pytest.importorskip("docker")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("LITTLEWINGS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IMAGE = os.environ.get("LITTLEWINGS_IMAGE", "littlewings/busybox:latest")
TEST_LABEL = "littlewings.test"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"


# ---- pytest-jupyter ------------------------------------------------------------------------
# tests/conftest.py loads pytest-jupyter, whose autouse fixtures take the current event loop and
# close it after each test. Here that loop is Playwright's (its sync API runs one): the browser
# tests run their Jupyter server in a separate process and need neither fixture.


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """Overrides pytest-jupyter's: no event loop of ours to close."""
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """Overrides pytest-jupyter's: no in-process server to clean up."""
    return None


# ---- the Jupyter server --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def built_labextension() -> Path | None:
    """The labextension built in the source tree, if any (fresher than an installed copy)."""
    try:
        import littlewings_jupyter
    except ImportError:
        return None
    candidate = Path(littlewings_jupyter.__file__).parent / "labextension"
    return candidate if (candidate / "package.json").exists() else None


class LabServer:
    """One `jupyter lab` process with its own root, config, runtime and settings directories.

    The directories outlive `stop()`, so `restart()` brings back the same server (same port,
    token and cookie secret) as a user would see after the server restarts.
    """

    def __init__(
        self,
        base: Path,
        base_url: str = "/",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.extra_env = env or {}
        self.extra_args = args or []
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.root = base / "root"
        self.home = base / "home"
        self.config_dir = base / "config"
        self.runtime_dir = base / "runtime"
        self.settings_dir = base / "user-settings"
        self.workspaces_dir = base / "workspaces"
        self.extensions_dir = base / "labextensions"
        self.log_path = base / "jupyter.log"
        self.process: subprocess.Popen[bytes] | None = None
        for path in (
            self.root,
            self.home,
            self.config_dir,
            self.runtime_dir,
            self.settings_dir,
            self.workspaces_dir,
            self.extensions_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)
        # The server extension is enabled explicitly: the isolated config dir holds no other.
        (self.config_dir / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {"jpserver_extensions": {"littlewings_jupyter": True}},
                    **(config or {}),
                }
            )
        )
        # No news or update toasts over the UI under test.
        notification = self.settings_dir / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        built = built_labextension()
        if built is not None:
            (self.extensions_dir / "littlewings-jupyter").symlink_to(built)

    @property
    def url(self) -> str:
        """The server's root URL, base_url included."""
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    def lab_url(self, with_token: bool = True, reset: bool = False) -> str:
        """The JupyterLab page (the token in the query logs the browser in; ``reset`` starts
        from an empty workspace instead of the tabs an earlier test left)."""
        query = [*(["reset"] if reset else []), *([f"token={self.token}"] if with_token else [])]
        return f"{self.url}lab" + (f"?{'&'.join(query)}" if query else "")

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until the LittleWings API answers."""
        env = {
            **os.environ,
            "HOME": str(self.home),
            "JUPYTER_CONFIG_DIR": str(self.config_dir),
            "JUPYTER_RUNTIME_DIR": str(self.runtime_dir),
            "PYTHONWARNINGS": "ignore",
            **self.extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--allow-root",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.base_url={self.base_url}",
            f"--LabApp.user_settings_dir={self.settings_dir}",
            f"--LabApp.workspaces_dir={self.workspaces_dir}",
            f"--LabApp.extra_labextensions_path={self.extensions_dir}",
            # Notebook 7's pages (/tree, /notebooks) are another app: give it the same bundle.
            f"--JupyterNotebookApp.extra_labextensions_path={self.extensions_dir}",
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=self.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited; see {self.log_path}:\n{self.tail_log()}")
            try:
                status = self.api("status")
                if status.get("engine", {}).get("available") is not None:
                    return
            except urllib.error.HTTPError as exc:
                if exc.code == 403:
                    return  # up, with an Authorizer that denies LittleWings (a test's choice)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer in {timeout} s:\n{self.tail_log()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM: a clean shutdown that closes the sockets), kill if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def api(self, path: str) -> Any:
        """GET ``api/littlewings/<path>`` with the token."""
        request = urllib.request.Request(
            f"{self.url}api/littlewings/{path}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def tail_log(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server shared by the tests that do not restart it."""
    server = LabServer(tmp_path_factory.mktemp("lab"))
    server.start()
    yield server
    server.stop()


def engines_config(second_socket: str) -> dict[str, Any]:
    """``c.LittleWings.engines`` with this machine's engine as ``local`` (the default) and the
    second dockerd of ``tests/conftest.py``'s ``second_engine`` as ``second``."""
    return {
        "LittleWings": {
            "engines": {
                "local": "unix:///var/run/docker.sock",
                "second": f"unix://{second_socket}",
            }
        }
    }


@pytest.fixture(scope="session")
def engines_lab_server(
    tmp_path_factory: pytest.TempPathFactory, second_engine: Any
) -> Iterator[LabServer]:
    """A JupyterLab server with two Docker engines, ``local`` and ``second``."""
    server = LabServer(
        tmp_path_factory.mktemp("lab-engines"), config=engines_config(second_engine.socket)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_lab_server(tmp_path: Path) -> Iterator[Callable[..., LabServer]]:
    """Start a server of the test's own (to restart it, or with a base_url)."""
    servers: list[LabServer] = []

    def make(
        base_url: str = "/",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> LabServer:
        server = LabServer(
            tmp_path / f"lab{len(servers)}", base_url=base_url, env=env, args=args, config=config
        )
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


# ---- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's chromium, headless, with its own HOME."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    home = tmp_path_factory.mktemp("chromium-home")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
        )
        yield browser
        browser.close()


class LabPage:
    """A JupyterLab page and the LittleWings parts a user looks at."""

    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self) -> LabPage:
        """Log in with the token, in an empty workspace, and wait for the shell."""
        self.page.goto(self.server.lab_url(reset=True))
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=60000)
        # JupyterLab activates the extensions after its shell is up: on a loaded machine
        # (two CPU burners beside the suite) that took over 30 s once.
        self.page.wait_for_selector(".jp-SideBar [data-id='littlewings-containers']", timeout=90000)
        return self

    def open_notebook(self, name: str) -> None:
        """Open a notebook of the server's root in JupyterLab (an empty workspace) and wait
        until its kernel is idle."""
        self.page.goto(f"{self.server.url}lab/tree/{name}?reset&token={self.server.token}")
        self.page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for(timeout=60000)
        self.page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000
        )

    def reload(self) -> None:
        """Reload the page (the layout restorer brings the consoles back)."""
        self.page.goto(self.server.lab_url(with_token=False))
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=60000)

    def show_containers(self) -> Any:
        """Open the Containers sidebar and return it."""
        panel = self.page.locator("#littlewings-containers")
        if not panel.is_visible():
            self.page.click(".jp-SideBar [data-id='littlewings-containers']")
        panel.wait_for(state="visible")
        return panel

    def row(self, name: str) -> Any:
        """The sidebar row of a container."""
        return self.page.locator(
            f"#littlewings-containers .jp-LittleWings-item[data-name='{name}']"
        )

    def open_console(self, name: str) -> Any:
        """Open a container's console from the sidebar (double-click) and return it."""
        self.show_containers()
        row = self.row(name)
        row.wait_for(timeout=15000)
        row.dblclick()
        console = self.console(name)
        console.locator(".jp-LittleWings-logView .xterm-rows").wait_for(timeout=15000)
        return console

    def console(self, name: str) -> Any:
        """The console widget of a container (visible tab)."""
        return self.page.locator(
            ".jp-LittleWings-console:visible",
            has=self.page.locator(".jp-LittleWings-consoleName", has_text=name),
        )

    @staticmethod
    def log_text(console: Any) -> str:
        """The text the log view shows (the rows on screen; a row's trailing blanks, as the
        tint of a stderr row is, taken off)."""
        rows = console.locator(".jp-LittleWings-logView .xterm-rows > div").all_inner_texts()
        return "\n".join(row.replace("\xa0", " ").rstrip() for row in rows)

    def wait_for_log(self, console: Any, text: str, timeout: float = 20) -> str:
        """Wait until the log view shows ``text``; returns the whole view."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.log_text(console)
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not shown within {timeout} s; the view shows:\n{shown}")

    def from_palette(self, label: str) -> None:
        """Run ``label`` from JupyterLab's command palette, opened from View → Activate Command
        Palette (Ctrl+Shift+C pressed before the page has the focus opens nothing; something
        that takes the focus, as a restored tab, may close it: then it is opened again)."""
        page = self.page
        palette = page.locator(".lm-CommandPalette-input")
        for _ in range(5):
            page.locator(".lm-MenuBar-item", has_text="View").click()
            page.locator(".lm-Menu-item", has_text="Activate Command Palette").click()
            try:
                palette.fill(label.rstrip("…"), timeout=3000)
                page.locator(".lm-CommandPalette-item", has_text=label).first.click(timeout=3000)
                return
            except sync_api.Error:
                page.keyboard.press("Escape")
        raise AssertionError(f"the command palette did not offer {label!r}")

    def run_command(self, console: Any, command: str, via: str) -> None:
        """Type a command in the command box and press Enter."""
        console.locator(".jp-LittleWings-via").select_option(via)
        box = console.locator(".jp-LittleWings-commandInput")
        box.fill(command)
        box.press("Enter")

    def screenshot(self, name: str) -> Path:
        """Save a screenshot under test-output/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def make_page(browser: Any) -> Iterator[Callable[..., LabPage]]:
    """Open JupyterLab pages in fresh browser contexts (``permissions``: e.g. the clipboard's)."""
    contexts: list[Any] = []

    def make(
        server: LabServer,
        width: int = 1400,
        height: int = 860,
        permissions: list[str] | None = None,
    ) -> LabPage:
        context = browser.new_context(
            viewport={"width": width, "height": height}, permissions=permissions or []
        )
        context.set_default_timeout(20000)
        contexts.append(context)
        return LabPage(context.new_page(), server).open()

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture
def lab(lab_server: LabServer, make_page: Callable[..., LabPage]) -> LabPage:
    """A JupyterLab page on the shared server."""
    return make_page(lab_server)


# ---- what the tests read -------------------------------------------------------------------


def ticks(text: str) -> list[int]:
    """The numbers of the demo console's ``demo: tick N`` lines, in order."""
    return [int(n) for n in re.findall(r"demo: tick (\d+)", text)]


def line_numbers(text: str) -> list[int]:
    """The numbers of the ``line N`` rows, top to bottom."""
    return [int(n) for n in re.findall(r"^line (\d+)\s*$", text, re.M)]


def wait_for_docker_log(container: Any, text: str, timeout: float = 20) -> None:
    """Wait until the container itself has written ``text`` (independent of the UI)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in container.logs().decode(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"the container did not write {text!r}")


# ---- Docker --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker-py client; the tests are skipped without an engine or the test image."""
    try:
        client = docker.from_env()
        client.ping()
        client.images.get(IMAGE)
    except Exception as exc:
        pytest.skip(f"Docker engine or image {IMAGE} not available: {exc}")
    yield client
    client.close()


@pytest.fixture
def make_container(docker_client: Any) -> Iterator[Callable[..., Any]]:
    """Create (and by default start) containers; every one is force-removed afterwards."""
    created: list[Any] = []
    prefix = f"lwb-{uuid.uuid4().hex[:6]}"

    def make(
        command: list[str] | str,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        stdin_open: bool = False,
        start: bool = True,
        image: str = IMAGE,
        **options: Any,
    ) -> Any:
        """``options`` go to docker-py's ``containers.create`` (healthcheck, restart_policy…)."""
        container = docker_client.containers.create(
            image,
            command,
            name=name or f"{prefix}-{len(created)}",
            labels={TEST_LABEL: "1", **(labels or {})},
            stdin_open=stdin_open,
            **{"network_mode": "none", **options},
        )
        created.append(container)
        if start:
            container.start()
            container.reload()
        return container

    yield make
    for container in created:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


@pytest.fixture(scope="session")
def debian_image() -> str:
    """The real-software image (Debian 12 with nginx and Python, scripts/debian-image.sh):
    built once per machine (≈1 min), then kept."""
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "debian-image.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/debian-image.sh failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def make_demo_console(make_container: Callable[..., Any]) -> Callable[..., Any]:
    """Start containers running /bin/demo-console with stdin open (a console-style process)."""

    def make(**kwargs: Any) -> Any:
        return make_container(["/bin/demo-console"], stdin_open=True, **kwargs)

    return make


def _accept_kernel_dialog(page: Any) -> None:
    """A kernel dialog may come up over a notebook on a loaded machine (JupyterLab asks for a
    kernel when starting one took too long): take the notebook's own kernel. Any other dialog
    in the way is a failure, with its text."""
    dialog = page.locator(".jp-Dialog")
    if not dialog.count() or not dialog.first.is_visible():
        return
    text = dialog.first.inner_text()
    if "kernel" not in text.lower():
        raise AssertionError(f"a dialog is in the way of the notebook: {text!r}")
    dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.first.wait_for(state="detached", timeout=10000)


def run_cell(page: Any, index: int) -> None:
    """Put the cursor in cell ``index`` and run it (Shift+Enter).

    Right after a notebook opens, JupyterLab may drop a run request that comes before its kernel
    connection is ready (the prompt stays ``[ ]``): then the cell is run again.
    """
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    for _ in range(5):
        _accept_kernel_dialog(page)
        editor = cell.locator(".cm-content")
        editor.click()
        editor.press("Shift+Enter")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            shown = prompt.inner_text()
            if shown != before and re.search(r"\[\d+\]", shown):
                return
            time.sleep(0.1)
    raise AssertionError(f"cell {index} did not run")
