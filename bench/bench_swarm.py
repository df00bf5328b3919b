"""18. A service over three Swarm nodes: its history through LittleWings vs ``docker service logs``.

The three-node Swarm of ``scripts/swarm-up.sh`` (started if it is not up). A service of three
tasks, one on each node, each printing ``seq 1 N/3`` then waiting, is read whole, from node 1's
engine, by three readers in the same process, interleaved and repeated (the best counts):

- ``docker service logs --raw`` on node 1 (Docker's CLI: the baseline);
- LittleWings' WebSocket, ``connect`` with ``service`` and ``tail: "all"`` (history only);
- LittleWings' REST download, ``GET api/littlewings/logs?service=…`` (text, and ``format=zip``),
  with the server's resident memory sampled while it streams: it must stay flat in the size of
  the history (the download is sent as it is read, task by task).

Target: LittleWings ≥ 0.9x the CLI (issue 28); the download's memory growth under 64 MiB for a
history of N lines (about 20 bytes a line of text).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from common import Results, Sampler, Server, WSClient, log, rss_mb, run_main, size

N = size(600_000, 60_000)  # lines in all (a third a task)
REPEATS = size(3, 1)
ROOT = Path(__file__).resolve().parents[1]
LABEL = "littlewings.bench"


def cluster_sockets() -> list[str]:
    """The three nodes' sockets (the cluster started when it is not up)."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "swarm-up.sh")], capture_output=True, text=True, check=True
    )
    return [line for line in done.stdout.split() if line.endswith(".sock")]


def make_service(client: Any) -> Any:
    """The flood service: three tasks, one a node, ``seq 1 N/3`` each, then idle."""
    import docker.types

    image = client.images.get("littlewings/busybox:latest").id
    service = client.services.create(
        image,
        ["sh", "-c", f"seq 1 {N // 3}; sleep 3600"],
        name=f"lwbench{uuid.uuid4().hex[:6]}",
        labels={LABEL: "1"},
        mode=docker.types.ServiceMode("replicated", replicas=3),
        maxreplicas=1,
    )
    deadline = time.monotonic() + 120
    while sum(1 for t in service.tasks() if t["Status"]["State"] == "running") < 3:
        assert time.monotonic() < deadline, "the service's tasks did not all start"
        time.sleep(0.5)
    return service


def cli_read(socket: str, service: str) -> float:
    """Seconds for ``docker service logs --raw`` to print every line."""
    start = time.monotonic()
    out = subprocess.run(
        ["docker", "-H", f"unix://{socket}", "service", "logs", "--raw", service],
        capture_output=True,
        check=True,
    ).stdout
    elapsed = time.monotonic() - start
    assert out.count(b"\n") == N, out.count(b"\n")
    return elapsed


async def ws_read(server: Server, service: str) -> float:
    """Seconds for one WebSocket client to receive the service's whole history."""
    client = await WSClient(server).open()
    try:
        done = client.expect(lambda f: f.get("type") in ("history_end", "error"))
        start = time.monotonic()
        client.send({"type": "connect", "service": service, "tail": "all", "follow": False})
        end = await asyncio.wait_for(done, 300)
        elapsed = time.monotonic() - start
        assert end["type"] == "history_end" and client.lines == N, (end, client.lines)
        return elapsed
    finally:
        client.close()


async def rest_read(server: Server, service: str, fmt: str) -> tuple[float, float, int]:
    """Seconds for the REST download, the server's RSS growth meanwhile (MiB), and its size."""
    sampler = Sampler(server.pid, 0.05)
    before = rss_mb(server.pid)
    sampler.start()
    request = urllib.request.Request(
        f"{server.url}api/littlewings/logs?service={service}&format={fmt}",
        headers={"Authorization": f"token {server.token}"},
    )

    def fetch() -> int:
        received = 0
        with urllib.request.urlopen(request, timeout=300) as response:
            while block := response.read(1 << 16):
                received += len(block)
        return received

    start = time.monotonic()
    received = await asyncio.get_running_loop().run_in_executor(None, fetch)
    elapsed = time.monotonic() - start
    sampler.stop()
    return elapsed, max(sampler.max_mb - before, 0.0), received


def body(results: Results) -> None:
    """Measure and add the rows."""
    import docker

    sockets = cluster_sockets()
    client = docker.DockerClient(base_url=f"unix://{sockets[0]}", timeout=120)
    service = make_service(client)
    args = [f"--LittleWings.docker_url=unix://{sockets[0]}", "--LittleWings.throttle_lines=0"]
    try:
        # Every task has printed its lines (the CLI counts them all).
        deadline = time.monotonic() + 300
        while True:
            try:
                cli_read(sockets[0], service.name)
                break
            except AssertionError:
                assert time.monotonic() < deadline, "the tasks did not print their lines"
                time.sleep(1)
        with Server(args=args, env={"DOCKER_HOST": f"unix://{sockets[0]}"}) as server:
            log(f"swarm: {N} lines over 3 nodes, service {service.name}, server {server.pid}")
            times: dict[str, list[float]] = {"cli": [], "ws": [], "rest": [], "zip": []}
            growth: dict[str, list[float]] = {"rest": [], "zip": []}
            sizes: dict[str, int] = {}
            for rep in range(REPEATS):
                times["cli"].append(cli_read(sockets[0], service.name))
                times["ws"].append(asyncio.run(ws_read(server, service.name)))
                for fmt, key in (("text", "rest"), ("zip", "zip")):
                    elapsed, grew, received = asyncio.run(rest_read(server, service.name, fmt))
                    times[key].append(elapsed)
                    growth[key].append(grew)
                    sizes[key] = received
                log(f"#{rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()))
            rate = {k: N / min(v) for k, v in times.items()}
            for key, what in (("ws", "WebSocket history"), ("rest", "REST text download")):
                results.add(
                    "18 swarm",
                    f"{what} over 3 nodes: LW lines/s vs docker service logs",
                    rate[key],
                    "lines/s",
                    rate["cli"],
                    "docker service logs --raw",
                    "≥ 0.9x",
                    rate[key] >= 0.9 * rate["cli"],
                    note=f"best of {REPEATS}; times {times}",
                )
            for key, what in (("rest", "text"), ("zip", "zip")):
                results.add(
                    "18 swarm",
                    f"{what} download, {N:,} lines ({sizes[key] / 2**20:.1f} MiB): RSS growth",
                    max(growth[key]),
                    "MiB",
                    None,
                    "",
                    "< 64 MiB",
                    max(growth[key]) < 64,
                    note=f"each run: {growth[key]}",
                )
            results.extra.update(times=times, growth=growth, sizes=sizes, lines=N)
    finally:
        service.remove()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run_main("swarm", body)
