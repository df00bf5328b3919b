"""9. Structured log lines: how many lines a second ``parse_line`` takes apart, per format.

``littlewings_jupyter.parsing.structured.parse_line`` will run once per line wherever lines are
searched or kept, so its cost per line matters. Three corpora of LINES lines each, made of the
shapes real containers print (JSON of zap, pino, logrus, structlog, Serilog, ECS; logfmt of
logrus and slog; plain text of nginx, PostgreSQL, Redis, Java, Python, coloured Go), each line
different (counters, ids, times):

- JSON lines: ``parse_line`` vs ``json.loads`` of the same lines (the baseline: the least any
  JSON line costs; everything ``parse_line`` adds is the ratio's distance from 1).
- logfmt and plain-text lines: ``parse_line`` vs the same ``json.loads`` baseline (per line, on
  the JSON corpus), to put them on one scale; plain text is the common case and must cost less
  than decoding a JSON line.

Each figure is the best of RUNS passes over the whole corpus in this process, in interleaved
rounds (baseline, JSON, logfmt, text), timed in CPU seconds of this process: on a shared
machine others only ever slow a pass down, and the CPU clock does not count the time this
process waits for a core. No Docker and no server: this is CPU alone.
Targets (ours): JSON ≥ 0.5x json.loads' lines/s; plain text ≥ 1.0x.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from common import Results, log, run_main, size

from littlewings_jupyter.parsing.structured import parse_line

LINES = size(200_000, 20_000)
RUNS = size(5, 2)


def json_lines(n: int) -> list[str]:
    """JSON lines of common loggers, each one different."""
    shapes: list[Callable[[int], dict[str, Any]]] = [
        lambda i: {
            "level": "info",
            "ts": 1700000000.0 + i / 1000,
            "caller": "server/handler.go:142",
            "msg": "request handled",
            "method": "GET",
            "path": f"/api/items/{i}",
            "status": 200,
            "duration": 0.0012 * (i % 50),
        },
        lambda i: {
            "level": 30 if i % 7 else 50,
            "time": 1700000000000 + i,
            "pid": 1,
            "hostname": "web-1",
            "req": {"id": i, "method": "POST", "url": "/login"},
            "msg": "request completed",
        },
        lambda i: {
            "level": "warning",
            "msg": f"slow query took {i % 900} ms",
            "time": "2024-01-02T03:04:05Z",
            "table": "orders",
        },
        lambda i: {
            "event": "user logged in",
            "level": "info",
            "timestamp": "2024-01-02T03:04:05.123456Z",
            "user_id": i,
            "logger": "auth",
        },
        lambda i: {
            "@t": "2024-01-02T03:04:05.6789012Z",
            "@mt": "HTTP {Method} {Path} responded {Status} in {Elapsed:0.0000} ms",
            "Method": "GET",
            "Path": f"/p/{i}",
            "Status": 200,
            "Elapsed": i % 100 / 7,
        },
        lambda i: {
            "@timestamp": "2024-01-02T03:04:05.678Z",
            "log.level": "error" if i % 11 == 0 else "info",
            "message": f"job {i} finished",
            "ecs.version": "1.6.0",
        },
    ]
    return [json.dumps(shapes[i % len(shapes)](i)) for i in range(n)]


def logfmt_lines(n: int) -> list[str]:
    """logfmt lines of logrus and slog, each one different."""
    shapes = [
        'time="2024-01-02T03:04:05Z" level=info msg="request handled" path=/api/items/{i} '
        "status=200 duration={i}us",
        'time=2024-01-02T03:04:05.123Z level=WARN msg="cache miss" key="user:{i}" attempt=2',
        'ts=2024-01-02T03:04:05.678Z caller=main.go:12 level=error msg="dial tcp: refused" '
        'addr="10.0.0.{i}:5432" err="connection \\"refused\\""',
    ]
    return [shapes[i % len(shapes)].replace("{i}", str(i)) for i in range(n)]


def text_lines(n: int) -> list[str]:
    """Plain-text lines of common servers and runtimes, each one different."""
    shapes = [
        '172.17.0.1 - - [02/Jan/2024:03:04:05 +0000] "GET /index.html?id={i} HTTP/1.1" 200 615 '
        '"-" "curl/8.5.0" "-"',
        '2024/01/02 03:04:05 [error] 29#29: *{i} open() "/usr/share/nginx/html/x" failed '
        "(2: No such file or directory)",
        "2024-01-02 03:04:05.678 UTC [{i}] LOG:  checkpoint complete: wrote 3 buffers",
        "1:M 02 Jan 2024 03:04:05.678 * {i} changes in 60 seconds. Saving...",
        "03:04:05.678 [http-nio-8080-exec-1] INFO  com.example.App - processed order {i}",
        "2024-01-02 03:04:05,123 - worker - ERROR - task {i} failed",
        "\x1b[90m3:04AM\x1b[0m \x1b[32mINF\x1b[0m listening on :{i}",
        "Processed {i} records, no errors found",
        '  File "/app/main.py", line {i}, in handler',
        "Server started on port {i}",
    ]
    return [shapes[i % len(shapes)].replace("{i}", str(i)) for i in range(n)]


def pass_seconds(fn: Callable[[str], Any], lines: list[str]) -> float:
    """CPU seconds of one pass of ``fn`` over ``lines`` (time this process ran, not waited)."""
    started = time.process_time()
    for line in lines:
        fn(line)
    return time.process_time() - started


def body(results: Results) -> None:
    corpora = {"JSON": json_lines(LINES), "logfmt": logfmt_lines(LINES), "text": text_lines(LINES)}
    # The corpora must be what they claim: every line parses as its own format.
    for kind, lines in corpora.items():
        formats = {parse_line(line).format for line in lines}
        assert formats == {kind.lower()}, (kind, formats)
    # Interleaved rounds, so that the baseline and each corpus see the same machine; the best
    # pass of each counts.
    best = {"json.loads": float("inf"), **{kind: float("inf") for kind in corpora}}
    for round_ in range(RUNS):
        log(f"round {round_ + 1}/{RUNS}: json.loads, then parse_line, {LINES:,} lines each")
        best["json.loads"] = min(best["json.loads"], pass_seconds(json.loads, corpora["JSON"]))
        for kind, lines in corpora.items():
            best[kind] = min(best[kind], pass_seconds(parse_line, lines))
    baseline = LINES / best["json.loads"]
    targets = {"JSON": 0.5, "text": 1.0}
    for kind in corpora:
        rate = LINES / best[kind]
        target = targets.get(kind)
        results.add(
            "9 structured",
            f"{kind} lines: parse_line lines/s",
            rate,
            "lines/s",
            baseline,
            "json.loads, JSON lines",
            target=f"≥ {target}x" if target else "",
            met=None if target is None else rate / baseline >= target,
            note=f"{1e6 / rate:.2f} µs a line",
        )
    results.extra["lines"] = LINES
    results.extra["runs"] = RUNS
    results.extra["json_loads_us_per_line"] = round(1e6 / baseline, 3)


if __name__ == "__main__":
    run_main("structured", body)
