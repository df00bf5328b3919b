"""What every LittleWings benchmark shares: a Jupyter server in its own process (with its CPU and
memory read from /proc), bench containers (labelled ``littlewings.bench=1`` and force-removed),
WebSocket clients, and the result rows the table is made of.

Nothing here is a test: the scripts measure, print ratios against a baseline measured in the same
process, and leave the judging to the table (and to docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import docker
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

IMAGE = os.environ.get("LITTLEWINGS_IMAGE", "littlewings/busybox:latest")
LABEL = "littlewings.bench"
REPO = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# The other server extensions installed next to LittleWings are switched off in the relay
# benchmarks, so that what is measured is LittleWings (start-up is measured both ways).
OTHER_EXTENSIONS = ["jupyterlab", "jupyter_lsp", "jupyter_server_terminals", "notebook_shim"]


def quick() -> bool:
    """Whether the run is the quick one (smaller sizes, for trying the scripts out)."""
    return os.environ.get("LITTLEWINGS_BENCH_QUICK", "") not in ("", "0")


def size(full: int, quick_value: int) -> int:
    """``full`` normally, ``quick_value`` in quick mode."""
    return quick_value if quick() else full


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> float:
    """The 1-minute load average (recorded next to each figure: the machine is shared)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- results -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    item: str
    metric: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value / baseline, when both are known."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


@dataclass
class Results:
    """The rows of one benchmark script, plus what the machine was doing meanwhile."""

    name: str
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, *args: Any, **kwargs: Any) -> Row:
        """Append a row."""
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def to_json(self) -> dict[str, Any]:
        """A JSON-able copy (for bench/results/)."""
        return {
            "name": self.name,
            "rows": [{**asdict(r), "ratio": r.ratio} for r in self.rows],
            "extra": self.extra,
        }


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for the table."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    """The results as an aligned text table."""
    header = ["item", "metric", "value", "baseline", "ratio", "target", "met"]
    lines = [header]
    for r in rows:
        lines.append(
            [
                r.item,
                r.metric,
                f"{fmt(r.value)} {r.unit}".strip(),
                f"{fmt(r.baseline)} ({r.baseline_name})" if r.baseline is not None else "",
                f"{r.ratio:.2f}x" if r.ratio is not None else "",
                r.target,
                {True: "yes", False: "NO", None: ""}[r.met],
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def run_main(name: str, body: Callable[[Results], None]) -> Results:
    """Run one benchmark script: its rows printed as a table and saved as JSON."""
    results = Results(name)
    results.extra["load_before"] = loadavg()
    started = time.monotonic()
    try:
        body(results)
    finally:
        results.extra["seconds"] = round(time.monotonic() - started, 1)
        results.extra["load_after"] = loadavg()
        out = REPO / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(results.to_json(), indent=2))
    print_table(results.rows)
    return results


# ---- /proc ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    """A ``VmRSS``/``VmHWM``… value of /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    """Resident memory now, MiB."""
    return status_kb(pid, "VmRSS") / 1024


def reset_peak_rss(pid: int) -> None:
    """Restart the process's peak-RSS counter (VmHWM) at its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory since the last :func:`reset_peak_rss`, MiB."""
    return status_kb(pid, "VmHWM") / 1024


class Sampler:
    """Samples a process's RSS every ``interval`` seconds in the background (max and series)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        start = time.monotonic()
        while True:
            self.samples.append((time.monotonic() - start, rss_mb(self.pid)))
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start sampling (on the running loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()

    @property
    def max_mb(self) -> float:
        """The largest RSS seen."""
        return max((s[1] for s in self.samples), default=0.0)


# ---- the Jupyter server --------------------------------------------------------------------


class Server:
    """``python -m jupyter_server`` with LittleWings, in its own process, root and config dir."""

    def __init__(
        self,
        littlewings: bool = True,
        others: bool = False,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="lw-bench-"))
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/littlewings/ws"
        self.littlewings = littlewings
        self.others = others
        self.args = args or []
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_after = 0.0
        for sub in ("root", "config", "runtime", "home"):
            (self.base / sub).mkdir()
        extensions = {name: others for name in OTHER_EXTENSIONS}
        extensions["littlewings_jupyter"] = littlewings
        (self.base / "config" / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
        )

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        """The command line the server runs with."""
        return [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.base / 'root'}",
            *self.args,
        ]

    def environment(self) -> dict[str, str]:
        """The server's environment: its own home, config and runtime directories."""
        return {
            **os.environ,
            "HOME": str(self.base / "home"),
            "JUPYTER_CONFIG_DIR": str(self.base / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.base / "runtime"),
            "PYTHONWARNINGS": "ignore",
            **self.env,
        }

    def start(self, ready_path: str = "api/littlewings/status", timeout: float = 60) -> float:
        """Start the server; seconds until ``ready_path`` answered."""
        env = self.environment()
        logfile = (self.base / "server.log").open("ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.base / "root",
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        logfile.close()
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited:\n{self.tail_log()}")
            try:
                self.get(ready_path, timeout=2)
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"jupyter server did not answer in {timeout} s:\n{self.tail_log()}")

    def get(self, path: str, timeout: float = 10) -> Any:
        """GET a server path with the token; its JSON."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def status(self) -> dict[str, Any]:
        """LittleWings' status endpoint."""
        return self.get("api/littlewings/status")  # type: ignore[no-any-return]

    def cpu(self) -> float:
        """CPU seconds the server has used."""
        return cpu_seconds(self.pid)

    def tail_log(self, lines: int = 30) -> str:
        """The end of the server's log."""
        path = self.base / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (a clean stop), SIGKILL if it hangs; remove its directories."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ---- containers ----------------------------------------------------------------------------

# Gated commands start once /tmp/go exists (so clients can be ready).
GATE = "while [ ! -e /tmp/go ]; do usleep 20000; done; "


def flood_command(lines: int, gated: bool = False) -> list[str]:
    """A command printing ``1`` … ``N`` as fast as the engine takes them.

    busybox ``seq`` reaches the engine's own limit (≈200k lines/s here), faster than every
    reader; awk printed ≈60-80k lines/s and capped every reader at its own pace, which hid the
    differences between them.
    """
    return ["sh", "-c", (GATE if gated else "") + f"seq 1 {lines}"]


def paced_command(
    lines: int,
    rate: int,
    gated: bool = True,
    pad: int = 0,
    prefix: str = "line",
    gate: str = GATE,
    burst: float = 0.01,
) -> list[str]:
    """A command printing ``line 1`` … ``line N`` at ``rate`` lines a second (paced by
    /proc/uptime, in bursts every ``burst`` seconds, 10 ms by default: each burst costs a
    ``usleep`` process); ``pad`` characters more on each line."""
    tail = " " + "x" * (pad - 1) if pad else ""
    per_burst = max(int(rate * burst), 1)
    awk = (
        'awk \'function now(  u, a) { getline u < "/proc/uptime"; close("/proc/uptime");'
        ' split(u, a, " "); return a[1] }'
        f" BEGIN {{ n = 0; t0 = now(); while (n < {lines}) {{"
        f" t = int((now() - t0) * {rate}) + {per_burst};"
        f" if (t > {lines}) t = {lines};"
        f' while (n < t) {{ n++; printf "{prefix} %d{tail}\\n", n }}'
        f' fflush(); system("usleep {int(burst * 1_000_000)}") }} }}\''
    )
    return ["sh", "-c", (gate if gated else "") + awk]


class Containers:
    """Creates bench containers (label ``littlewings.bench=1``, no network) and force-removes
    every one of them at the end, also on failure."""

    def __init__(self) -> None:
        self.client = docker.from_env(timeout=120)
        self.created: list[Any] = []
        self.prefix = f"lwbench-{uuid.uuid4().hex[:6]}"

    def create(
        self,
        command: list[str],
        start: bool = True,
        stdin_open: bool = False,
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Create (and start) a container (labelled ``littlewings.bench=1`` and ``labels``)."""
        container = self.client.containers.create(
            IMAGE,
            command,
            name=f"{self.prefix}-{uuid.uuid4().hex[:8]}",
            labels={**(labels or {}), LABEL: "1"},
            network_mode="none",
            stdin_open=stdin_open,
            **kwargs,
        )
        self.created.append(container)
        if start:
            container.start()
        return container

    @staticmethod
    def open_gate(container: Any, gate: str = "/tmp/go") -> None:
        """Let a gated command start printing."""
        container.exec_run(["touch", gate])

    @classmethod
    def open_gates(cls, boxes: list[Any], gate: str = "/tmp/go") -> None:
        """Let several containers start printing, as much at once as exec allows."""
        with ThreadPoolExecutor(len(boxes)) as pool:
            list(pool.map(lambda box: cls.open_gate(box, gate), boxes))

    def remove_all(self) -> None:
        """Force-remove every container this object created."""
        for container in self.created:
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True)
        self.created.clear()

    def __enter__(self) -> Containers:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove_all()
        self.client.close()


# ---- WebSocket clients ---------------------------------------------------------------------

_LINES_RE = re.compile(r',"lines":(\d+)')


class WSClient:
    """A console client: connects, reads every frame, counts log lines and bytes."""

    def __init__(self, server: Server, parse: bool = False) -> None:
        self.server = server
        self.parse = parse
        self.conn: WebSocketClientConnection | None = None
        self.lines = 0
        self.bytes = 0
        self.frames = 0
        self.dropped = 0
        self.last_line_at = 0.0
        self.first_line_at = 0.0
        self.last_data = ""
        self.waiters: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Future[Any]]] = []
        self.line_target: tuple[int, asyncio.Future[float]] | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = False

    async def open(self, read: bool = True) -> WSClient:
        """Open the socket and start reading (``read=False``: read nothing until
        :meth:`start_reading`, as a stalled client would)."""
        request = HTTPRequest(
            self.server.ws_url,
            headers={"Authorization": f"token {self.server.token}"},
            request_timeout=60,
        )
        self.conn = await websocket_connect(request, max_message_size=64 * 1024 * 1024)
        if read:
            self.start_reading()
        return self

    def start_reading(self) -> None:
        """Read (and count) frames from now on."""
        self._reader = asyncio.get_running_loop().create_task(self._read())

    def send(self, frame: dict[str, Any]) -> None:
        """Send one frame."""
        assert self.conn is not None
        self.conn.write_message(json.dumps(frame))

    def expect(self, predicate: Callable[[dict[str, Any]], bool]) -> asyncio.Future[Any]:
        """A future resolved with the first (decoded) non-log frame for which predicate holds."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, future))
        return future

    def until_lines(self, count: int) -> asyncio.Future[float]:
        """A future resolved (with the time) once ``count`` log lines have arrived."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.line_target = (count, future)
        self._check_target()
        return future

    def _check_target(self) -> None:
        if self.line_target and self.lines >= self.line_target[0]:
            _count, future = self.line_target
            self.line_target = None
            if not future.done():
                future.set_result(self.last_line_at)

    async def _read(self) -> None:
        assert self.conn is not None
        while True:
            message = await self.conn.read_message()
            if message is None:
                self.closed = True
                for _, future in self.waiters:
                    if not future.done():
                        future.set_exception(ConnectionError("socket closed"))
                return
            assert isinstance(message, str)
            self.frames += 1
            self.bytes += len(message)
            if message.startswith('{"type":"log"'):
                if self.parse:
                    frame = json.loads(message)
                    count = frame["lines"]
                    self.last_data = frame["data"]
                else:
                    match = _LINES_RE.search(message)
                    count = int(match.group(1)) if match else 0
                now = time.monotonic()
                if not self.lines:
                    self.first_line_at = now
                self.lines += count
                self.last_line_at = now
                self._check_target()
                continue
            if message.startswith('{"type":"dropped"'):
                self.dropped += json.loads(message)["lines"]
                continue
            if self.waiters:
                frame = json.loads(message)
                for item in list(self.waiters):
                    predicate, future = item
                    if not future.done() and predicate(frame):
                        self.waiters.remove(item)
                        future.set_result(frame)
                        break

    async def connect(self, server_id: str, **options: Any) -> dict[str, Any]:
        """``connect`` to a container; waits for ``history_end``."""
        done = self.expect(lambda f: f.get("type") in ("history_end", "error"))
        self.send({"type": "connect", "server_id": server_id, **options})
        frame = await asyncio.wait_for(done, 120)
        if frame["type"] == "error":
            raise RuntimeError(f"connect failed: {frame}")
        return frame  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the socket."""
        if self.conn is not None:
            self.conn.close()
        if self._reader is not None:
            self._reader.cancel()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
