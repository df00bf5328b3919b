"""2. Fan-out: 1, 10 and 100 clients on one container printing 20,000 lines/s.

Every client must receive every line; the server's CPU (from /proc) per delivered MB and its peak
RSS are recorded, and the status endpoint must report exactly one Docker log stream.
Target (issue): 100 clients cost less than 10x the CPU of one client.
"""

from __future__ import annotations

import asyncio
import time

from common import (
    Containers,
    Results,
    Server,
    WSClient,
    log,
    paced_command,
    peak_rss_mb,
    quick,
    reset_peak_rss,
    rss_mb,
    run_main,
    size,
)

RATE = 20_000
SECONDS = size(10, 3)
LINES = RATE * SECONDS
COUNTS = [1, 10, 100]


async def one_round(server: Server, containers: Containers, count: int) -> dict[str, float]:
    """``count`` clients on a fresh container printing LINES at RATE; what it cost the server."""
    box = containers.create(paced_command(LINES, RATE))
    clients = [WSClient(server) for _ in range(count)]
    await asyncio.gather(*(c.open() for c in clients))
    await asyncio.gather(*(c.connect(box.id, tail=0) for c in clients))
    streams = server.status()["log_streams"]
    before_bytes = sum(c.bytes for c in clients)
    rss_before = rss_mb(server.pid)
    reset_peak_rss(server.pid)
    cpu_before = server.cpu()
    start = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, containers.open_gate, box)
    await asyncio.wait_for(
        asyncio.gather(*(c.until_lines(LINES) for c in clients)), SECONDS * 6 + 60
    )
    elapsed = max(c.last_line_at for c in clients) - start
    cpu = server.cpu() - cpu_before
    peak = peak_rss_mb(server.pid)
    delivered = sum(c.bytes for c in clients) - before_bytes
    streams_after = server.status()["log_streams"]
    for c in clients:
        c.close()
    assert all(c.lines == LINES for c in clients), [c.lines for c in clients]
    box.remove(force=True)
    return {
        "clients": count,
        "seconds": elapsed,
        "cpu_s": cpu,
        "cpu_ms_per_mb": cpu * 1000 / (delivered / 1e6),
        "delivered_mb": delivered / 1e6,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "log_streams": streams,
        "log_streams_after": streams_after,
        "lines_per_s_per_client": LINES / elapsed,
    }


def body(results: Results) -> None:
    """Rounds of 1, 10, 100 clients (each round twice when not quick; the cheaper one counts)."""
    rounds: dict[int, list[dict[str, float]]] = {n: [] for n in COUNTS}
    with Containers() as containers, Server() as server:
        log(f"fan-out: {LINES} lines at {RATE}/s, server pid {server.pid}")
        for _ in range(1 if quick() else 2):
            for count in COUNTS:
                r = asyncio.run(one_round(server, containers, count))
                rounds[count].append(r)
                log(f"fan-out {count}: {r}")
    results.extra["rounds"] = rounds
    best = {n: min(rs, key=lambda r: r["cpu_s"]) for n, rs in rounds.items()}
    one = best[1]
    for n in COUNTS:
        r = best[n]
        results.add(
            "2 fan-out",
            f"{n} clients: server CPU",
            r["cpu_s"],
            "s",
            one["cpu_s"] if n > 1 else None,
            "1 client",
            "< 10x" if n == 100 else "",
            (r["cpu_s"] < 10 * one["cpu_s"]) if n == 100 else None,
            note=f"{LINES} lines in {r['seconds']:.2f}s",
        )
        results.add("2 fan-out", f"{n} clients: CPU per delivered MB", r["cpu_ms_per_mb"], "ms/MB")
        results.add("2 fan-out", f"{n} clients: peak RSS", r["peak_rss_mb"], "MiB")
        results.add(
            "2 fan-out",
            f"{n} clients: Docker log streams open",
            r["log_streams"],
            "",
            target="= 1",
            met=r["log_streams"] == 1,
        )
        results.add(
            "2 fan-out",
            f"{n} clients: every client got every line",
            r["lines_per_s_per_client"],
            "lines/s each",
            target="all lines",
            met=True,
        )


if __name__ == "__main__":
    run_main("fanout", body)
