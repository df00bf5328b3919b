"""5. Idle cost: 500 open, idle sessions on 50 quiet containers: server RSS and CPU per minute.

Baseline: the same server with no session open, measured for the same time just before.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from common import Containers, Results, Server, WSClient, log, rss_mb, run_main, size

SESSIONS = size(500, 100)
CONTAINERS = size(50, 10)
WINDOW = size(30, 10)  # CPU is reported per minute


async def measure(server: Server, ids: list[str]) -> dict[str, float]:
    """Idle CPU and RSS with no session, then with SESSIONS sessions."""
    out: dict[str, float] = {}
    await asyncio.sleep(2)
    cpu, rss = server.cpu(), rss_mb(server.pid)
    await asyncio.sleep(WINDOW)
    out["empty_cpu_s_per_min"] = (server.cpu() - cpu) * 60 / WINDOW
    out["empty_rss_mb"] = rss
    clients = [WSClient(server) for _ in range(SESSIONS)]
    start = time.monotonic()
    for i in range(0, SESSIONS, 50):  # in waves, as users would not all come in one millisecond
        wave = clients[i : i + 50]
        await asyncio.gather(*(c.open() for c in wave))
        await asyncio.gather(
            *(c.connect(ids[(i + n) % len(ids)], tail=0) for n, c in enumerate(wave))
        )
    out["connect_all_s"] = time.monotonic() - start
    out["log_streams"] = server.status()["log_streams"]
    await asyncio.sleep(2)
    cpu = server.cpu()
    await asyncio.sleep(WINDOW)
    out["sessions_cpu_s_per_min"] = (server.cpu() - cpu) * 60 / WINDOW
    out["sessions_rss_mb"] = rss_mb(server.pid)
    out["still_open"] = sum(not c.closed for c in clients)
    for c in clients:
        c.close()
    return out


def body(results: Results) -> None:
    """Start the containers, measure, add the rows."""
    with Containers() as containers, Server() as server:
        log(f"idle: {SESSIONS} sessions on {CONTAINERS} containers, {WINDOW}s windows")
        with ThreadPoolExecutor(8) as pool:
            boxes = list(
                pool.map(lambda _: containers.create(["sleep", "3600"]), range(CONTAINERS))
            )
        out = asyncio.run(measure(server, [b.id for b in boxes]))
        log(f"idle: {out}")
    results.extra.update(out)
    results.add(
        "5 idle",
        f"{SESSIONS} sessions: server CPU",
        out["sessions_cpu_s_per_min"],
        "s/min",
        out["empty_cpu_s_per_min"],
        "no session",
    )
    results.add(
        "5 idle",
        f"{SESSIONS} sessions: server RSS",
        out["sessions_rss_mb"],
        "MiB",
        out["empty_rss_mb"],
        "no session",
        note=f"{(out['sessions_rss_mb'] - out['empty_rss_mb']) * 1024 / SESSIONS:.0f} KiB/session",
    )
    results.add(
        "5 idle",
        "Docker log streams open",
        out["log_streams"],
        "",
        target=f"= {CONTAINERS}",
        met=out["log_streams"] == CONTAINERS,
    )
    results.add(
        "5 idle",
        "sessions still open after the window",
        out["still_open"],
        "",
        target=f"= {SESSIONS}",
        met=out["still_open"] == SESSIONS,
    )


if __name__ == "__main__":
    run_main("idle", body)
