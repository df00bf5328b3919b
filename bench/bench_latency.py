"""3. Command latency: ``command`` → first output byte and → exit code, p50/p99 over 200 commands,
vs docker-py's ``exec_run`` called directly (same argv, same container, interleaved).

Baselines: first byte = ``exec_run(argv, stream=True)`` until its first chunk; exit code =
``exec_run(argv)`` until it returns (it reads the output, then asks Docker for the exit code).
Target (issue): LittleWings within 1.2x the baseline plus 5 ms.
The bench server runs with ``--LittleWings.command_rate=0`` (no rate limit): the default of 10
commands a second would otherwise answer ``rate_limited``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import Containers, Results, Server, WSClient, log, percentile, run_main, size

COMMANDS = size(200, 40)
ARGV = ["/bin/sh", "-c", "echo hi"]


async def ws_command(client: WSClient, n: int) -> tuple[float, float]:
    """One command through LittleWings: seconds to the first output and to the exit code."""
    first = client.expect(lambda f: f.get("id") == n and f["type"] in ("command_output", "error"))
    exit_ = client.expect(lambda f: f.get("id") == n and f["type"] in ("command_exit", "error"))
    start = time.monotonic()
    client.send({"type": "command", "command": "echo hi", "via": "exec", "id": n})
    frame = await first
    t_first = time.monotonic() - start
    if frame["type"] == "error":
        raise RuntimeError(frame)
    frame = await exit_
    t_exit = time.monotonic() - start
    assert frame.get("exit_code") == 0, frame
    return t_first, t_exit


def dockerpy_first(box: Any) -> float:
    """docker-py exec_run(stream=True): seconds to the first chunk."""
    start = time.monotonic()
    result = box.exec_run(ARGV, stream=True)
    for _chunk in result.output:
        elapsed = time.monotonic() - start
        break
    for _chunk in result.output:
        pass
    return elapsed


def dockerpy_exit(box: Any) -> float:
    """docker-py exec_run(): seconds until it returns with the exit code."""
    start = time.monotonic()
    result = box.exec_run(ARGV)
    elapsed = time.monotonic() - start
    assert result.exit_code == 0 and result.output == b"hi\n", result
    return elapsed


async def measure(server: Server, box: Any) -> dict[str, list[float]]:
    """COMMANDS of each kind, interleaved."""
    client = await WSClient(server).open()
    await client.connect(box.id, tail=0)
    loop = asyncio.get_running_loop()
    out: dict[str, list[float]] = {"ws_first": [], "ws_exit": [], "py_first": [], "py_exit": []}
    for _ in range(5):  # warm up both paths (connection pools, threads)
        await ws_command(client, -1 - _)
        await loop.run_in_executor(None, dockerpy_exit, box)
    for n in range(COMMANDS):
        first, exit_ = await ws_command(client, n)
        out["ws_first"].append(first)
        out["ws_exit"].append(exit_)
        out["py_first"].append(await loop.run_in_executor(None, dockerpy_first, box))
        out["py_exit"].append(await loop.run_in_executor(None, dockerpy_exit, box))
    client.close()
    return out


def body(results: Results) -> None:
    """Measure and add the rows."""
    with Containers() as containers, Server(args=["--LittleWings.command_rate=0"]) as server:
        box = containers.create(["sleep", "3600"])
        log(f"latency: {COMMANDS} commands, server pid {server.pid}")
        times = asyncio.run(measure(server, box))
    results.extra["times_ms"] = {k: [round(x * 1000, 2) for x in v] for k, v in times.items()}
    for what, ws, py in (
        ("first byte", "ws_first", "py_first"),
        ("exit code", "ws_exit", "py_exit"),
    ):
        for p in (50, 99):
            value = percentile(times[ws], p) * 1000
            base = percentile(times[py], p) * 1000
            results.add(
                "3 latency",
                f"command → {what} p{p}",
                value,
                "ms",
                base,
                "exec_run",
                "≤ 1.2x + 5 ms",
                value <= 1.2 * base + 5,
            )


if __name__ == "__main__":
    run_main("latency", body)
