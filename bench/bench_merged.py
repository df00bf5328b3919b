"""10. Merged logs: one merged view of 10 flooding containers vs 10 single relays.

The same scene twice, interleaved and repeated (the best of the repeats counts): 10 containers of
one Compose project each print ``seq 1 N`` as fast as the engine takes it, all starting together.

- baseline: 10 WebSocket clients, each on one container (``connect`` + ``server_id``): the sum of
  10 single relays, running at the same time against the same engine;
- merged: 1 WebSocket client on the project (``connect`` + ``project``).

Aggregate rate = every line received / time from the gates opening to the last line. Server CPU
(from /proc) per line. Targets (issue "Merged logs"): rate ≥ 0.8x the sum of the single relays,
CPU per line within 1.3x.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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

MEMBERS = 10
N = size(100_000, 20_000)
REPEATS = size(3, 1)


def make_project(containers: Containers) -> tuple[str, list[Any]]:
    """10 gated flooding containers labelled as one Compose project."""
    project = f"lwbench{uuid.uuid4().hex[:6]}"
    boxes = []
    for number in range(1, MEMBERS + 1):
        boxes.append(
            containers.create(
                flood_command(N, gated=True),
                labels={
                    "com.docker.compose.project": project,
                    "com.docker.compose.service": "flood",
                    "com.docker.compose.container-number": str(number),
                },
            )
        )
    return project, boxes


def open_gates(containers: Containers, boxes: list[Any]) -> None:
    """Let every container start printing, as much at once as exec allows."""
    with ThreadPoolExecutor(len(boxes)) as pool:
        list(pool.map(containers.open_gate, boxes))


async def singles(server: Server, containers: Containers) -> tuple[float, float]:
    """10 clients, one per container: (seconds to the last line, server CPU seconds)."""
    _, boxes = make_project(containers)
    clients = [await WSClient(server).open() for _ in boxes]
    try:
        await asyncio.gather(*(c.connect(b.id, tail=0) for c, b in zip(clients, boxes)))
        done = asyncio.gather(*(c.until_lines(N) for c in clients))
        cpu = server.cpu()
        start = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, open_gates, containers, boxes)
        ends = await asyncio.wait_for(done, 300)
        used = server.cpu() - cpu
        assert all(c.lines == N for c in clients) and not any(c.dropped for c in clients)
        return max(ends) - start, used
    finally:
        for c in clients:
            c.close()
        containers.remove_all()


async def merged(server: Server, containers: Containers) -> tuple[float, float, int]:
    """1 client on the project: (seconds to the last line, server CPU seconds, frames)."""
    project, boxes = make_project(containers)
    client = await WSClient(server).open()
    try:
        done = client.expect(lambda f: f.get("type") in ("history_end", "error"))
        client.send({"type": "connect", "project": project, "tail": 0})
        end_frame = await asyncio.wait_for(done, 60)
        assert end_frame["type"] == "history_end", end_frame
        finished = client.until_lines(N * MEMBERS)
        frames = client.frames
        cpu = server.cpu()
        start = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, open_gates, containers, boxes)
        end = await asyncio.wait_for(finished, 300)
        used = server.cpu() - cpu
        assert client.lines == N * MEMBERS and not client.dropped, (client.lines, client.dropped)
        return end - start, used, client.frames - frames
    finally:
        client.close()
        containers.remove_all()


def body(results: Results) -> None:
    """Measure both scenes, interleaved, and add the rows."""
    args = ["--LittleWings.command_rate=0", "--LittleWings.throttle_lines=0"]
    total = N * MEMBERS
    runs: dict[str, list[tuple[float, float]]] = {"singles": [], "merged": []}
    frames: list[int] = []
    with Containers() as containers, Server(args=args) as server:
        log(f"merged: {MEMBERS} containers x {N} lines, server pid {server.pid}")
        for rep in range(REPEATS):
            runs["singles"].append(asyncio.run(singles(server, containers)))
            seconds, cpu, count = asyncio.run(merged(server, containers))
            runs["merged"].append((seconds, cpu))
            frames.append(count)
            log(
                f"#{rep + 1}: singles {runs['singles'][-1][0]:.2f}s "
                f"cpu {runs['singles'][-1][1]:.2f}s, merged {seconds:.2f}s cpu {cpu:.2f}s, "
                f"{count} frames, load {loadavg():.1f}"
            )
    best = {name: min(values) for name, values in runs.items()}
    rate = {name: total / seconds for name, (seconds, _) in best.items()}
    per_line = {name: min(cpu for _, cpu in values) / total * 1e6 for name, values in runs.items()}
    results.extra.update(runs=runs, frames=frames, lines=total, members=MEMBERS)
    results.add(
        "10 merged",
        f"{MEMBERS} flooding containers: merged lines/s vs sum of single relays",
        rate["merged"],
        "lines/s",
        rate["singles"],
        "10 single relays",
        "≥ 0.8x",
        rate["merged"] >= 0.8 * rate["singles"],
        note=f"best of {REPEATS}; {total} lines; frames of the merged view {frames}",
    )
    results.add(
        "10 merged",
        "server CPU per line: merged vs single relays",
        per_line["merged"],
        "µs/line",
        per_line["singles"],
        "10 single relays",
        "≤ 1.3x",
        per_line["merged"] <= 1.3 * per_line["singles"],
        note="least CPU of the repeats",
    )


if __name__ == "__main__":
    run_main("merged", body)
