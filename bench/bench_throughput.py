"""1. Relay throughput: N short lines through one WebSocket client vs docker-py and the docker CLI.

Two scenes, each read by all three readers in the same process, interleaved and repeated (the best
of the repeats counts, as the machine is shared):

- history: the container has already printed N lines and exited; each reader reads them all
  (``docker logs``, docker-py ``logs(stream=True)``, LittleWings ``connect`` with ``tail: "all"``).
- live: the reader is attached first, then the container prints N lines as fast as it can; time
  from the gate opening to the N-th line (``docker logs -f``, docker-py ``logs(stream=True,
  follow=True)``, LittleWings ``connect`` with ``tail: 0``). Each reader gets its own container
  printing the same lines.

The producer is busybox ``seq 1 N`` (lines ``1`` … ``N``), faster than every reader.
Targets: LittleWings ≥ 1.0x docker-py's rate and ≥ 0.9x the CLI's live (issue "One session
core"), ≥ 0.7x the CLI's for the history.

``--podman``: the same on the Podman service `make test` starts (LITTLEWINGS_PODMAN_URL, else
``unix:///run/littlewings/podman.sock``): LittleWings and docker-py both read Podman's
Docker-compatible log API, the CLI is ``podman logs``. Target: LittleWings ≥ 0.93x docker-py
(reading Podman's API directly); ``podman logs`` (it reads the log file itself) for information.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from typing import Any

from common import (
    Containers,
    Results,
    Server,
    WSClient,
    flood_command,
    loadavg,
    log,
    run_main,
    size,
)

PODMAN = __name__ == "__main__" and "--podman" in sys.argv[1:]
if PODMAN:
    # Before anything talks to an engine: the bench containers, docker-py and the server all
    # take DOCKER_HOST; the CLI is Podman's own, on the service's containers.conf.
    os.environ["DOCKER_HOST"] = os.environ.get(
        "LITTLEWINGS_PODMAN_URL", "unix:///run/littlewings/podman.sock"
    )
    os.environ.setdefault("CONTAINERS_CONF", "/var/lib/littlewings/podman/containers.conf")
CLI = "podman" if PODMAN else "docker"

N = size(500_000, 50_000)
REPEATS = size(2, 1)
HISTORY_REPEATS = size(3, 1)  # a history read is short (≈ 6 s) and the noisiest of the two


def live_command() -> list[str]:
    """The live scene's producer: N lines once the gate opens. On Podman it stays up after
    them: a follow that is behind when its container exits skips lines there (Podman 4.3), and
    every reader would be measured on a different number of lines."""
    command = flood_command(N, gated=True)
    if PODMAN:
        command[-1] += "; sleep 3600"
    return command


def cli_history(container: Any) -> float:
    """Seconds for ``docker logs`` to print every line."""
    start = time.monotonic()
    out = subprocess.run([CLI, "logs", container.id], capture_output=True, check=True).stdout
    elapsed = time.monotonic() - start
    assert out.count(b"\n") == N, out.count(b"\n")
    return elapsed


def dockerpy_history(container: Any) -> float:
    """Seconds for docker-py's ``logs(stream=True)`` to yield every line."""
    start = time.monotonic()
    count = 0
    for chunk in container.logs(stream=True, follow=False):
        count += chunk.count(b"\n")
    elapsed = time.monotonic() - start
    assert count == N, count
    return elapsed


async def ws_history(server: Server, container: Any) -> float:
    """Seconds for one LittleWings client to receive every line as history."""
    client = await WSClient(server, parse=True).open()
    try:
        start = time.monotonic()
        end = await client.connect(container.id, tail="all", follow=False)
        elapsed = time.monotonic() - start
        assert client.lines == N == end["lines"], (client.lines, end)
        assert client.last_data.endswith(f"{N}\n")
        return elapsed
    finally:
        client.close()


def follow_in_thread(read: Any) -> tuple[threading.Thread, dict[str, float]]:
    """Run a blocking reader in a thread; its end time lands in the dict."""
    result: dict[str, float] = {}

    def run() -> None:
        result["count"] = read()
        result["end"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def live_cli(containers: Containers) -> float:
    """``docker logs -f`` attached, then N lines printed: seconds from the gate to the last."""
    box = containers.create(live_command())
    process = subprocess.Popen([CLI, "logs", "-f", box.id], stdout=subprocess.PIPE)
    assert process.stdout is not None

    def read() -> int:
        count = 0
        assert process.stdout is not None
        while count < N:
            block = process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not block:
                break
            count += block.count(b"\n")
        return count

    thread, result = follow_in_thread(read)
    time.sleep(0.3)  # the CLI is attached
    start = time.monotonic()
    containers.open_gate(box)
    thread.join(300)
    process.kill()
    process.wait()
    assert result.get("count") == N, result
    return result["end"] - start


def live_dockerpy(containers: Containers) -> float:
    """docker-py ``logs(stream=True, follow=True)`` attached, then N lines printed."""
    box = containers.create(live_command())
    streams: list[Any] = []

    def read() -> int:
        # Opened in the reader's thread: Podman answers a log request only with its first line
        # (a follow from the start: nothing printed before the request is missed).
        stream = box.logs(stream=True, follow=True)
        streams.append(stream)
        count = 0
        for chunk in stream:
            count += chunk.count(b"\n")
            if count >= N:
                break
        return count

    thread, result = follow_in_thread(read)
    time.sleep(0.3)
    start = time.monotonic()
    containers.open_gate(box)
    thread.join(300)
    for stream in streams:
        stream.close()
    assert result.get("count") == N, result
    return result["end"] - start


async def live_ws(server: Server, containers: Containers) -> float:
    """One LittleWings client connected (tail 0), then N lines printed."""
    box = containers.create(live_command())
    client = await WSClient(server, parse=True).open()
    try:
        await client.connect(box.id, tail=0)
        done = client.until_lines(N)
        start = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, containers.open_gate, box)
        end = await asyncio.wait_for(done, 300)
        assert client.lines == N and client.last_data.endswith(f"{N}\n"), client.lines
        return end - start
    finally:
        client.close()


def body(results: Results) -> None:
    """Measure both scenes and add the rows."""
    # No output throttle: seq prints faster than its default 100,000 lines/s, and this measures
    # the relay itself (the CLI and docker-py have no throttle either).
    args = ["--LittleWings.command_rate=0", "--LittleWings.throttle_lines=0"]
    with Containers() as containers, Server(args=args) as server:
        log(f"throughput: {N} lines, server pid {server.pid}")
        box = containers.create(flood_command(N))
        box.wait(timeout=300)
        history: dict[str, list[float]] = {"cli": [], "docker-py": [], "littlewings": []}
        live: dict[str, list[float]] = {"cli": [], "docker-py": [], "littlewings": []}
        cpu: list[float] = []
        for rep in range(HISTORY_REPEATS):
            history["cli"].append(cli_history(box))
            history["docker-py"].append(dockerpy_history(box))
            before = server.cpu()
            history["littlewings"].append(asyncio.run(ws_history(server, box)))
            cpu.append(server.cpu() - before)
            log(
                f"history #{rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in history.items())
            )
        for rep in range(REPEATS):
            live["cli"].append(live_cli(containers))
            live["docker-py"].append(live_dockerpy(containers))
            live["littlewings"].append(asyncio.run(live_ws(server, containers)))
            log(f"live #{rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in live.items()))
            containers.remove_all()
        results.extra.update(history=history, live=live, server_cpu_history=cpu, lines=N)
        engine = " (Podman)" if PODMAN else ""
        for scene, times in (("history", history), ("live", live)):
            rate = {k: N / min(v) for k, v in times.items()}
            target = 0.93 if PODMAN else 1.0
            results.add(
                "1 throughput",
                f"{scene}{engine}: LW lines/s vs docker-py",
                rate["littlewings"],
                "lines/s",
                rate["docker-py"],
                "docker-py",
                f"≥ {target}x",
                rate["littlewings"] >= target * rate["docker-py"],
                note=f"best of {len(times['littlewings'])}; times {times}",
            )
            cli_target = 0.0 if PODMAN else 0.9 if scene == "live" else 0.7
            results.add(
                "1 throughput",
                f"{scene}{engine}: LW lines/s vs CLI",
                rate["littlewings"],
                "lines/s",
                rate["cli"],
                f"{CLI} logs",
                f"≥ {cli_target}x" if cli_target else "(for information)",
                rate["littlewings"] >= cli_target * rate["cli"],
            )
        results.extra["load_end"] = loadavg()


if __name__ == "__main__":
    run_main("throughput-podman" if PODMAN else "throughput", body)
