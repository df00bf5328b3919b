"""11. Search: 1,000,000 history lines searched for a regex, LittleWings vs ``docker logs | grep``.

One container prints 1,000,000 lines (``seq``; every 1,000th line is an error line) and exits.
Both searches run in the same process, interleaved and repeated (the best counts):

- baseline: ``docker logs <c> 2>&1 | grep -E '<regex>'`` (a shell pipeline, its wall time);
- LittleWings: a WebSocket ``search`` with ``regex: true`` (case-sensitive, as grep is), from
  the request to ``search_end``.

Both must find the same 1,000 lines. Target (issue 15): LittleWings within 1.5x of the baseline.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from typing import Any

from common import Containers, Results, Server, WSClient, log, run_main, size

N = size(1_000_000, 100_000)
REPEATS = size(3, 1)
REGEX = "E[R]ROR [0-9]+0{3}$"
SCRIPT = f'seq 1 {N} | awk \'{{ if ($1 % 1000 == 0) print "ERROR " $1; else print "line " $1 }}\''


def grep(container: Any) -> tuple[float, int]:
    start = time.monotonic()
    out = subprocess.run(
        f"docker logs {container.id} 2>&1 | grep -E '{REGEX}'",
        shell=True,
        capture_output=True,
        check=True,
    ).stdout
    return time.monotonic() - start, out.count(b"\n")


async def littlewings(server: Server, container: Any) -> tuple[float, int, int]:
    client = await WSClient(server).open()
    try:
        await client.connect(container.id, tail=0, follow=False)
        matches: list[int] = []

        def collect(frame: dict[str, Any]) -> bool:
            if frame.get("type") == "search_results":
                matches.append(len(frame["matches"]))
                return False
            return frame.get("type") in ("search_end", "error")

        done = client.expect(collect)
        start = time.monotonic()
        client.send(
            {
                "type": "search",
                "id": "b",
                "query": REGEX,
                "regex": True,
                "case_sensitive": True,
                "limit": 10_000,
            }
        )
        end = await asyncio.wait_for(done, 300)
        elapsed = time.monotonic() - start
        assert end["type"] == "search_end", end
        return elapsed, sum(matches), end["scanned"]
    finally:
        client.close()


def body(results: Results) -> None:
    with Containers() as containers, Server() as server:
        box = containers.create(["sh", "-c", SCRIPT])
        box.wait(timeout=300)
        log(f"search: {N} lines, server pid {server.pid}")
        times: dict[str, list[float]] = {"grep": [], "littlewings": []}
        for rep in range(REPEATS):
            seconds, count = grep(box)
            assert count == N // 1000, count
            times["grep"].append(seconds)
            seconds, found, scanned = asyncio.run(littlewings(server, box))
            assert found == N // 1000 and scanned == N, (found, scanned)
            times["littlewings"].append(seconds)
            log(f"#{rep + 1}: grep {times['grep'][-1]:.2f}s, littlewings {seconds:.2f}s")
        best = {k: min(v) for k, v in times.items()}
        results.extra.update(times=times, lines=N, regex=REGEX)
        results.add(
            "11 search",
            f"{N:,} lines, regex: seconds",
            best["littlewings"],
            "s",
            best["grep"],
            "docker logs | grep -E",
            "≤ 1.5x",
            best["littlewings"] <= 1.5 * best["grep"],
            note=f"best of {REPEATS}; times {times}",
        )


if __name__ == "__main__":
    run_main("search", body)
