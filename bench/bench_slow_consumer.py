"""4. Slow consumer: one client reads nothing for 60 s while the container floods.

Phase A: two normal clients alone on a container printing RATE lines/s. Phase B: the same with a
third client that reads nothing for STALL seconds (its socket fills up, then the server queues
up to ``max_outbox_bytes`` for it and drops the oldest lines, telling it so).

Recorded: the normal clients' throughput in B vs A (target: unaffected, ratio ≈ 1), the server's
peak RSS growth in B vs the configured bound (``max_outbox_bytes``, 16 MiB by default, per slow
client), and that the stalled client, once it reads, accounts for every line (received +
dropped = printed).
"""

from __future__ import annotations

import asyncio
import time

from common import (
    Containers,
    Results,
    Sampler,
    Server,
    WSClient,
    log,
    paced_command,
    rss_mb,
    run_main,
    size,
)

RATE = 20_000
PAD = 100  # ~110-byte lines: 2.2 MB/s, far more than 16 MiB in a minute
STALL = size(60, 10)
ALONE = size(15, 5)
OUTBOX_MB = 16


async def phase(
    server: Server, containers: Containers, seconds: int, stalled: bool
) -> dict[str, float]:
    """Two normal clients (and maybe one stalled) on a fresh flooding container."""
    lines = RATE * seconds
    box = containers.create(paced_command(lines, RATE, pad=PAD))
    normal = [WSClient(server) for _ in range(2)]
    await asyncio.gather(*(c.open() for c in normal))
    await asyncio.gather(*(c.connect(box.id, tail=0) for c in normal))
    slow: WSClient | None = None
    if stalled:
        slow = await WSClient(server).open(read=False)
        slow.send({"type": "connect", "server_id": box.id, "tail": 0})
        await asyncio.sleep(1.0)  # its connect is served before the flood starts
    rss_before = rss_mb(server.pid)
    sampler = Sampler(server.pid)
    sampler.start()
    cpu_before = server.cpu()
    start = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, containers.open_gate, box)
    await asyncio.wait_for(
        asyncio.gather(*(c.until_lines(lines) for c in normal)), seconds * 4 + 60
    )
    normal_done = max(c.last_line_at for c in normal) - start
    cpu = server.cpu() - cpu_before
    result: dict[str, float] = {
        "lines": lines,
        "normal_seconds": normal_done,
        "normal_lines_per_s": lines / normal_done,
        "rss_before_mb": rss_before,
        "cpu_s": cpu,
    }
    if slow is not None:
        # The stalled client keeps not reading until STALL seconds after the flood began.
        await asyncio.sleep(max(0.0, start + STALL - time.monotonic()))
        result["rss_at_end_of_stall_mb"] = rss_mb(server.pid)
        slow.start_reading()
        deadline = time.monotonic() + 120
        while slow.lines + slow.dropped < lines and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        result["slow_received"] = slow.lines
        result["slow_dropped"] = slow.dropped
        slow.close()
    sampler.stop()
    result["peak_rss_mb"] = sampler.max_mb
    result["rss_growth_mb"] = sampler.max_mb - rss_before
    for c in normal:
        c.close()
    box.remove(force=True)
    return result


def body(results: Results) -> None:
    """Phase A, then B (the flood lasts as long as the stall in B)."""
    with Containers() as containers, Server() as server:
        log(f"slow consumer: {RATE} lines/s, stall {STALL}s, server pid {server.pid}")
        alone = asyncio.run(phase(server, containers, ALONE, stalled=False))
        log(f"alone: {alone}")
        stalled = asyncio.run(phase(server, containers, STALL, stalled=True))
        log(f"with a stalled client: {stalled}")
    results.extra.update(alone=alone, stalled=stalled, rate=RATE)
    ratio_ok = stalled["normal_lines_per_s"] >= 0.9 * alone["normal_lines_per_s"]
    results.add(
        "4 slow consumer",
        "other clients' lines/s (stalled one present)",
        stalled["normal_lines_per_s"],
        "lines/s",
        alone["normal_lines_per_s"],
        "alone",
        "≈ 1x (≥ 0.9x)",
        ratio_ok,
    )
    results.add(
        "4 slow consumer",
        "server RSS growth during the stall",
        stalled["rss_growth_mb"],
        "MiB",
        alone["rss_growth_mb"],
        "no stalled client",
        f"< {OUTBOX_MB} MiB + growth alone",
        stalled["rss_growth_mb"] < OUTBOX_MB + max(alone["rss_growth_mb"], 0),
        note=f"peak {stalled['peak_rss_mb']:.1f} MiB",
    )
    accounted = stalled["slow_received"] + stalled["slow_dropped"]
    results.add(
        "4 slow consumer",
        "stalled client: received + told dropped",
        accounted,
        "lines",
        stalled["lines"],
        "printed",
        "= printed",
        accounted == stalled["lines"],
        note=f"received {stalled['slow_received']}, dropped {stalled['slow_dropped']}",
    )


if __name__ == "__main__":
    run_main("slow_consumer", body)
