"""7. Start-up: what LittleWings adds to ``jupyter server`` start-up, and no Docker call at import.

- Wall time from launching ``python -m jupyter_server`` to the first answer of ``GET api/status``,
  with the extension enabled vs disabled (everything else equal: JupyterLab and the other
  installed extensions stay on, as a user has them), interleaved, RUNS each; the fastest of
  each counts (others on a shared machine only ever slow a start-up down, so the minimum is
  the least disturbed figure).
- What the server spends in LittleWings' own start-up steps, timed inside the server process:
  ``jupyter_server``'s ExtensionManager is wrapped so that adding (importing), linking and
  loading each extension is timed, then ``ServerApp.initialize`` runs as at every start (median
  of PROBE_RUNS fresh processes). This is the figure the target is judged by: a whole start-up takes
  seconds and varies by more than 100 ms from run to run on a shared machine.
- LittleWings' bytecode is written first (see ``compile_package``).
- The import cost alone: ``import littlewings_jupyter; _jupyter_server_extension_points()`` in a
  fresh interpreter that already imported jupyter_server (median of RUNS).
- No Docker call at start: DOCKER_HOST points at a Unix socket this script listens on; no
  connection may arrive until a client asks LittleWings something.
Target (issue): < 100 ms added; no Docker call at import.
"""

from __future__ import annotations

import compileall
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import Results, Server, log, run_main, size

RUNS = size(2, 1)  # whole start-ups are context only (see the module docstring)
PROBE_RUNS = 5

IMPORT_PROBE = """
import time
import jupyter_server.serverapp, jupyter_server.extension.application, docker
t = time.perf_counter()
import littlewings_jupyter
littlewings_jupyter._jupyter_server_extension_points()
print(time.perf_counter() - t)
"""
IMPORT_PROBE_NO_DOCKER = IMPORT_PROBE.replace(", docker\n", "\n")

EXTENSION_PROBE = """
import json, sys, time
from jupyter_server.extension.manager import ExtensionManager

spent = {}

def timed(method):
    def wrapper(self, name, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, name, *args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
    return wrapper

for name in ("add_extension", "link_extension", "load_extension"):
    setattr(ExtensionManager, name, timed(getattr(ExtensionManager, name)))

from jupyter_server.serverapp import ServerApp

app = ServerApp.instance()
start = time.perf_counter()
app.initialize(argv=sys.argv[1:])
print(json.dumps({"spent": spent, "initialize": time.perf_counter() - start}))
"""


def import_cost(probe: str) -> float:
    """Median seconds of the probe's import."""
    values = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
        values.append(float(out.strip()))
    return statistics.median(values)


def extension_cost() -> tuple[float, float, dict[str, float]]:
    """Median seconds spent in LittleWings' add/link/load and in the whole ``initialize``, over
    PROBE_RUNS fresh server processes (every installed extension on), and one run's split."""
    ours, whole = [], []
    split: dict[str, float] = {}
    for _ in range(PROBE_RUNS):
        server = Server(littlewings=True, others=True)
        try:
            out = subprocess.run(
                [sys.executable, "-c", EXTENSION_PROBE, *server.command()[3:]],
                capture_output=True,
                text=True,
                check=True,
                cwd=server.base / "root",
                env=server.environment(),
            ).stdout
        finally:
            server.stop()
        result = json.loads(out.strip().splitlines()[-1])
        split = result["spent"]
        ours.append(split["littlewings_jupyter"])
        whole.append(result["initialize"])
    return statistics.median(ours), statistics.median(whole), split


def start_time(littlewings: bool) -> float:
    """Seconds from launch to the first answer of api/status."""
    server = Server(littlewings=littlewings, others=True)
    try:
        return server.start(ready_path="api/status")
    finally:
        server.stop()


class SocketSpy:
    """A Unix socket that counts the connections made to it (answering none)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="lw-spy-")) / "docker.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(16)
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        """Stop listening."""
        self.sock.close()


def docker_calls_at_start() -> tuple[int, int]:
    """Connections to the Docker socket during start-up, and after one status request."""
    spy = SocketSpy()
    server = Server(others=True, env={"DOCKER_HOST": f"unix://{spy.path}"})
    try:
        server.start(ready_path="api/status")
        time.sleep(1.0)
        at_start = spy.accepted
        server.status()
        return at_start, spy.accepted
    finally:
        server.stop()
        spy.close()


def compile_package() -> None:
    """Write LittleWings' bytecode, as installing a wheel does.

    An editable install has none until a first import writes it, and with
    PYTHONDONTWRITEBYTECODE set (as on the machine these figures were taken on) no import ever
    does: every start would compile ~5,000 lines of source (≈ 70 ms), which no installed copy
    pays. The other packages in the environment were compiled by pip when installed.
    """
    import littlewings_jupyter

    compileall.compile_dir(Path(littlewings_jupyter.__file__).parent, quiet=1)


def body(results: Results) -> None:
    """Measure and add the rows."""
    log(f"start-up: {RUNS} runs each")
    compile_package()
    on: list[float] = []
    off: list[float] = []
    start_time(True)  # warm the file cache
    for _ in range(RUNS):
        off.append(start_time(False))
        on.append(start_time(True))
    ours, initialize, split = extension_cost()
    imports = import_cost(IMPORT_PROBE)
    imports_with_docker = import_cost(IMPORT_PROBE_NO_DOCKER)
    at_start, after_status = docker_calls_at_start()
    results.extra.update(on=on, off=off, import_s=imports, import_with_docker_s=imports_with_docker)
    added = (min(on) - min(off)) * 1000
    spread = (max(off) - min(off)) * 1000
    results.add(
        "7 start-up",
        "server start to first answer, LW on",
        min(on) * 1000,
        "ms",
        min(off) * 1000,
        "LW off",
        "(context)",
        None,
        note=f"added {added:.0f} ms, but LW-off starts alone vary by {spread:.0f} ms "
        f"(fastest of {RUNS}; on {on}, off {off}); judged by the next row",
    )
    others = ", ".join(f"{name} {value * 1000:.0f}" for name, value in sorted(split.items()))
    results.add(
        "7 start-up",
        "LittleWings' import + link + load in the server",
        ours * 1000,
        "ms",
        initialize * 1000,
        "ServerApp.initialize",
        "< 100 ms",
        ours < 0.1,
        note=f"median of {PROBE_RUNS}; one run's ms per extension: {others}",
    )
    results.add(
        "7 start-up",
        "import littlewings_jupyter + extension points",
        imports * 1000,
        "ms",
        target="< 100 ms",
        met=imports < 0.1,
        note="docker-py already imported",
    )
    results.add(
        "7 start-up",
        "the same, docker-py not yet imported",
        imports_with_docker * 1000,
        "ms",
        target="< 100 ms",
        met=imports_with_docker < 0.1,
    )
    results.add(
        "7 start-up",
        "Docker connections during start-up",
        at_start,
        "",
        target="= 0",
        met=at_start == 0,
        note=f"{after_status} after one status request (the spy socket is the one used)",
    )


if __name__ == "__main__":
    run_main("startup", body)
