"""Run every LittleWings benchmark, one after the other, and print one table.

    .venv/bin/python bench/run_all.py            # the recorded sizes (about 9 minutes)
    .venv/bin/python bench/run_all.py --quick    # small sizes, to try the scripts (about 4 min)
    .venv/bin/python bench/run_all.py --only throughput latency

Each benchmark runs in its own process (a failure does not stop the others) and writes
bench/results/<name>.json; this script adds bench/results/summary.md, a Markdown table ready for
docs/benchmarks.md. Needs a Docker engine and the image littlewings/busybox:latest
(``make docker``), and /usr/bin/chromium for the browser benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row, fmt, log, print_table  # noqa: E402

BENCHMARKS = [
    "throughput",
    "fanout",
    "latency",
    "slow_consumer",
    "idle",
    "browser",
    "browser_merged",
    "merged",
    "swarm",
    "startup",
    "shell",
    "structured",
    "sidebar",
]
SCRIPTS = {name: HERE / f"bench_{name}.py" for name in BENCHMARKS}


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split()[1]
    try:
        engine = subprocess.run(
            ["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        engine = "?"
    return (
        f"{platform.node()}: {os.cpu_count()} x {cpu}, {int(mem) // 1024} MiB RAM, "
        f"{platform.platform()}, Python {platform.python_version()}, dockerd {engine}"
    )


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    out = [
        "| item | metric | value | baseline | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        out.append(
            "| "
            + " | ".join(
                [
                    r.item,
                    r.metric,
                    f"{fmt(r.value)} {r.unit}".strip(),
                    f"{fmt(r.baseline)} ({r.baseline_name})" if r.baseline is not None else "",
                    f"{r.ratio:.2f}x" if r.ratio is not None else "",
                    r.target,
                    {True: "yes", False: "**no**", None: ""}[r.met],
                ]
            )
            + " |"
        )
    return "\n".join(out)


def main() -> int:
    """Run the selected benchmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (not for the record)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parser.add_argument(
        "--table", action="store_true", help="run nothing: the table of the saved results"
    )
    args = parser.parse_args()
    env = {**os.environ, "LITTLEWINGS_BENCH_QUICK": "1" if args.quick else "0"}
    selected = args.only or BENCHMARKS
    started = time.monotonic()
    rows: list[Row] = []
    failed: list[str] = []
    durations: dict[str, float] = {}
    for name in selected:
        if args.table:
            path = HERE / "results" / f"{name}.json"
            if path.exists():
                data = json.loads(path.read_text())
                for raw in data["rows"]:
                    raw.pop("ratio", None)
                    rows.append(Row(**raw))
            continue
        log(f"=== {name}")
        t0 = time.monotonic()
        path = HERE / "results" / f"{name}.json"
        path.unlink(missing_ok=True)
        result = subprocess.run(
            [sys.executable, str(SCRIPTS[name])], env=env, cwd=HERE, stdout=subprocess.DEVNULL
        )
        durations[name] = time.monotonic() - t0
        if result.returncode != 0 or not path.exists():
            failed.append(name)
            rows.append(Row(f"{name}", "FAILED (see the log above)", None, "", met=False))
            continue
        data = json.loads(path.read_text())
        for raw in data["rows"]:
            raw.pop("ratio", None)
            rows.append(Row(**raw))
    total = time.monotonic() - started
    print()
    print(f"LittleWings benchmarks — {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(machine())
    print(
        f"mode: {'quick' if args.quick else 'full'}; total {total:.0f} s; "
        + ", ".join(f"{k} {v:.0f}s" for k, v in durations.items())
    )
    print()
    print_table(rows)
    summary = HERE / "results" / "summary.md"
    summary.parent.mkdir(exist_ok=True)
    summary.write_text(
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} "
        f"({'saved results' if args.table else 'quick' if args.quick else 'full'}, "
        f"{total:.0f} s)\n\n{machine()}\n\n{markdown(rows)}\n"
    )
    missed = [r for r in rows if r.met is False]
    print(f"\n{len(missed)} target(s) missed; {len(failed)} benchmark(s) failed: {failed or ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
