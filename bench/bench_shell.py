"""8. Interactive shell: keystroke echo latency and bulk output, through LittleWings' socket vs a
direct ``docker exec -it`` over the Docker API (the same TTY exec, a raw socket), interleaved.

- echo: one key typed (``a``, then a backspace, alternately) → the terminal's echo back; p50/p99
  over KEYS keys. Target (issue 11): ≤ 1.2x the direct exec + 5 ms.
- bulk: ``seq 1 300000`` typed in the shell → its last line shown; lines per second. Target:
  ≥ 0.8x the direct exec's rate.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import Containers, Results, Server, WSClient, log, percentile, run_main, size

from littlewings_jupyter.docker.engine import DockerEngine
from littlewings_jupyter.docker.processes import ShellProcess

KEYS = size(200, 40)
BULK = size(300_000, 30_000)
REPEATS = size(3, 1)


def direct_echo(process: ShellProcess, key: bytes) -> float:
    """One key on the raw exec socket: seconds to the first bytes back."""
    start = time.monotonic()
    process.write(key)
    data = process.read(timeout=10)
    assert data, "no echo"
    return time.monotonic() - start


def direct_bulk(process: ShellProcess) -> float:
    """``seq 1 BULK`` in the shell: seconds to its last line."""
    start = time.monotonic()
    process.write(f"seq 1 {BULK}\r".encode())
    tail = b""
    end = f"\n{BULK}\r\n".encode()
    while end not in tail:
        data = process.read(timeout=30)
        assert data, "the shell ended"
        tail = (tail + data)[-64:]
    return time.monotonic() - start


def drain(process: ShellProcess) -> None:
    while process.read(timeout=0.3):
        pass


async def ws_echo(client: WSClient, shell: str, key: str) -> float:
    future = client.expect(lambda f: f["type"] == "shell_output" and f["shell"] == shell)
    start = time.monotonic()
    client.send({"type": "shell_input", "shell": shell, "data": key})
    await asyncio.wait_for(future, 10)
    return time.monotonic() - start


async def ws_bulk(client: WSClient, shell: str) -> float:
    tail = [""]
    end = f"\n{BULK}\r\n"

    def seen(frame: dict[str, Any]) -> bool:
        if frame["type"] != "shell_output" or frame["shell"] != shell:
            return False
        tail[0] = (tail[0] + frame["data"])[-64:]
        return end in tail[0]

    future = client.expect(seen)
    start = time.monotonic()
    client.send({"type": "shell_input", "shell": shell, "data": f"seq 1 {BULK}\r"})
    await asyncio.wait_for(future, 120)
    return time.monotonic() - start


async def measure(server: Server, box: Any) -> dict[str, list[float]]:
    client = await WSClient(server).open()
    await client.connect(box.id, tail=0)
    opened = client.expect(lambda f: f["type"] in ("shell_opened", "error"))
    client.send({"type": "shell_open", "rows": 40, "cols": 120})
    frame = await asyncio.wait_for(opened, 30)
    assert frame["type"] == "shell_opened", frame
    shell = frame["shell"]
    loop = asyncio.get_running_loop()
    direct = ShellProcess(DockerEngine(), box.id, rows=40, cols=120)
    await loop.run_in_executor(None, direct.start)
    await asyncio.sleep(1.5)  # both prompts are shown
    await loop.run_in_executor(None, drain, direct)
    out: dict[str, list[float]] = {
        "ws_echo": [],
        "direct_echo": [],
        "ws_bulk": [],
        "direct_bulk": [],
    }
    for n in range(KEYS):
        key = "a" if n % 2 == 0 else "\x7f"
        out["ws_echo"].append(await ws_echo(client, shell, key))
        await asyncio.sleep(0.02)
        out["direct_echo"].append(
            await loop.run_in_executor(None, direct_echo, direct, key.encode())
        )
        await loop.run_in_executor(None, drain, direct)
    for _ in range(REPEATS):
        out["ws_bulk"].append(await ws_bulk(client, shell))
        await asyncio.sleep(0.5)
        out["direct_bulk"].append(await loop.run_in_executor(None, direct_bulk, direct))
        await loop.run_in_executor(None, drain, direct)
        log(f"bulk: ws {out['ws_bulk'][-1]:.2f}s, direct {out['direct_bulk'][-1]:.2f}s")
    direct.close()
    client.close()
    return out


def body(results: Results) -> None:
    """Measure and add the rows."""
    with Containers() as containers, Server(args=["--LittleWings.command_rate=0"]) as server:
        box = containers.create(["sleep", "3600"])
        log(f"shell: {KEYS} keys, seq 1 {BULK} x{REPEATS}, server pid {server.pid}")
        times = asyncio.run(measure(server, box))
    results.extra["times_ms"] = {k: [round(x * 1000, 2) for x in v] for k, v in times.items()}
    for p in (50, 99):
        value = percentile(times["ws_echo"], p) * 1000
        base = percentile(times["direct_echo"], p) * 1000
        results.add(
            "8 shell",
            f"key → echo p{p}",
            value,
            "ms",
            base,
            "docker exec -it",
            "≤ 1.2x + 5 ms",
            value <= 1.2 * base + 5,
        )
    rate = BULK / min(times["ws_bulk"])
    base = BULK / min(times["direct_bulk"])
    results.add(
        "8 shell",
        f"seq 1 {BULK} in the shell",
        rate,
        "lines/s",
        base,
        "docker exec -it",
        "≥ 0.8x",
        rate >= 0.8 * base,
        note=f"best of {REPEATS}",
    )


if __name__ == "__main__":
    run_main("shell", body)
