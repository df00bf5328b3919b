"""11. Search: 1,000,000 history lines searched for a regex, LittleWings vs ``docker logs | grep``.

One container prints 1,000,000 lines (``seq``; every 1,000th line is an error line) and exits.
Both searches run in the same process, interleaved and repeated (the best counts):

- baseline: ``docker logs <c> 2>&1 | grep -E '<regex>'`` (a shell pipeline, its wall time);
- LittleWings: a WebSocket ``search`` with ``regex: true`` (case-sensitive, as grep is), from
  the request to ``search_end``.

Both must find the same 1,000 lines. Target (issue 15): LittleWings within 1.5x of the baseline.

Then the pattern engine alone, in this process, over the same lines in batches of 5,000 (as a
search reads them): RE2 (what LittleWings runs since issue 21) against Python's ``re`` doing the
same block search (the engine before), with the bench's regex; and the backtracking pattern
``(a+)+$`` over lines of n a's and a b: ``re`` on one such line of 22 characters, RE2 on all
of them.
"""

from __future__ import annotations

import asyncio
import re
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


def _re_find(pattern: re.Pattern[str], texts: list[str]) -> int:
    """The block search as it was with Python's re (one pass over the joined lines)."""
    block = "\n".join(texts)
    hits, pos = 0, 0
    while (found := pattern.search(block, pos)) is not None:
        hits += 1
        end = block.find("\n", found.start())
        if end < 0:
            break
        pos = end + 1
    return hits


def engines(results: Results) -> None:
    """RE2 against re on the same batches, in this process (best of REPEATS)."""
    from littlewings_jupyter.parsing.lines import Cursor, LogLine
    from littlewings_jupyter.session.search import SearchQuery, _find

    cursor = Cursor("2026-12-07T00:00:00.000000000Z", 0)
    texts = [f"ERROR {i}" if i % 1000 == 0 else f"line {i}" for i in range(1, N + 1)]
    batches = [texts[i : i + 5000] for i in range(0, N, 5000)]
    lines = [[LogLine(1, cursor, t) for t in batch] for batch in batches]
    query = SearchQuery(REGEX, regex=True, case_sensitive=True)
    python = re.compile(REGEX, re.MULTILINE)
    best = {"re2": float("inf"), "re": float("inf")}
    for _ in range(REPEATS):
        start = time.perf_counter()
        found = sum(len(_find(query, batch)) for batch in lines)
        best["re2"] = min(best["re2"], time.perf_counter() - start)
        assert found == N // 1000, found
        start = time.perf_counter()
        found = sum(_re_find(python, batch) for batch in batches)
        best["re"] = min(best["re"], time.perf_counter() - start)
        assert found == N // 1000, found
    log(f"engines: RE2 {best['re2']:.2f}s, re {best['re']:.2f}s over {N:,} lines")
    results.add(
        "11 search",
        f"pattern engine over {N:,} lines: seconds",
        best["re2"],
        "s",
        best["re"],
        "Python re, same blocks",
        "(information)",
        None,
        note="in-process, batches of 5,000 lines joined by newlines, best of repeats",
    )
    almost = "a" * 21 + "b"
    start = time.perf_counter()
    assert re.search("(a+)+$", almost) is None
    one_line = time.perf_counter() - start
    evil = SearchQuery("(a+)+$", regex=True)
    block = [LogLine(1, cursor, almost)] * 5000
    start = time.perf_counter()
    for _ in range(N // 5000):
        assert _find(evil, block) == []
    every_line = time.perf_counter() - start
    log(f"(a+)+$: re {one_line:.3f}s on 1 line; RE2 {every_line:.2f}s on {N:,} lines")
    results.add(
        "11 search",
        f"(a+)+$ over {N:,} lines of {len(almost)} characters: seconds",
        every_line,
        "s",
        one_line,
        "Python re, ONE such line",
        "(information)",
        None,
        note="re doubles with each more a: 30 a's take minutes a line",
    )


def body(results: Results) -> None:
    engines(results)
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
