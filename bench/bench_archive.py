"""12. Archive: ingest at 50,000 lines/s with less than a core, and SQLite (FTS5) vs DuckDB.

- paced: LittleWings' Archive (session/archive.py) gets 50,000 lines/s (batches of 1,000 every
  20 ms, as followers hand them) for 10 s; measured: the process's CPU (cores = CPU seconds /
  wall seconds) and whether the writer kept up (backlog at the end, lines committed);
- flat out: how many lines/s the writer commits when fed as fast as possible;
- the stores compared on the same 500,000 lines: SQLite with the FTS5 trigram index (what the
  archive uses) vs DuckDB (if installed: ``pip install duckdb``; not a dependency): ingest
  lines/s, and a substring search (``ILIKE '%…%'`` in DuckDB, FTS5 ``MATCH`` in SQLite).

Target (issue 15): ≥ 50,000 lines/s with < 1 core.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from typing import Any

from common import Results, log, run_main, size

from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.session.archive import BATCH_SECONDS, Archive

RATE = 50_000
SECONDS = size(10, 3)
COMPARE = size(500_000, 100_000)


def make_lines(count: int, start: int = 0) -> list[LogLine]:
    stamp = "2026-12-03T%02d:%02d:%02d.%09dZ"
    out = []
    for n in range(start, start + count):
        s = n // 1000
        text = (
            f'{{"level":"info","msg":"GET /api/items/{n} 200","ms":{n % 97},"user":"u{n % 13}"}}'
            if n % 50
            else f"ERROR timeout talking to db-{n % 7} after {n % 1000} ms"
        )
        out.append(
            LogLine(
                1, Cursor(stamp % (s // 3600 % 24, s // 60 % 60, s % 60, n % 1000 * 1000)), text
            )
        )
    return out


def paced(tmp: str) -> dict[str, float]:
    archive = Archive(os.path.join(tmp, "paced.sqlite"), 0, 0)
    archive.register("e/x", {"id": "x" * 12, "name": "x", "engine": "e"})
    total = RATE * SECONDS
    lines = make_lines(total)
    cpu, wall = time.process_time(), time.monotonic()
    for i in range(0, total, 1000):
        target = wall + (i + 1000) / RATE
        archive.add("e/x", lines[i : i + 1000])
        pause = target - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    fed = time.monotonic() - wall
    backlog = archive.backlog
    archive.flush(60)
    cores = (time.process_time() - cpu) / (time.monotonic() - wall)
    committed = archive.written
    archive.close()
    return {"fed_s": fed, "backlog_at_end": backlog, "cores": cores, "committed": committed}


def flat_out(tmp: str) -> tuple[float, float]:
    """Lines/s committed when fed as fast as possible, and CPU µs per line (of the process:
    the writer, and the feeding, which is a list slice per 1,000 lines)."""
    archive = Archive(os.path.join(tmp, "flat.sqlite"), 0, 0)
    archive.register("e/x", {"id": "x" * 12, "name": "x", "engine": "e"})
    lines = make_lines(COMPARE)
    start, cpu = time.monotonic(), time.process_time()
    for i in range(0, COMPARE, 1000):
        archive.add("e/x", lines[i : i + 1000])
    archive.flush(300)
    rate = COMPARE / (time.monotonic() - start)
    per_line = (time.process_time() - cpu) / COMPARE * 1e6
    archive.close()
    return rate, per_line


def sqlite_store(tmp: str, lines: list[LogLine], needle: str) -> tuple[float, float, int]:
    archive = Archive(os.path.join(tmp, "cmp.sqlite"), 0, 0)
    archive.register("e/x", {"id": "x" * 12, "name": "x", "engine": "e"})
    start = time.monotonic()
    for i in range(0, len(lines), 1000):
        archive.add("e/x", lines[i : i + 1000])
    archive.flush(300)
    ingest = len(lines) / (time.monotonic() - start)
    archive.close()
    db = sqlite3.connect(os.path.join(tmp, "cmp.sqlite"))
    start = time.monotonic()
    found = db.execute(
        "SELECT count(*) FROM lines_fts WHERE lines_fts MATCH ?", (f'"{needle}"',)
    ).fetchone()[0]
    search = time.monotonic() - start
    db.close()
    return ingest, search, found


def duckdb_store(tmp: str, lines: list[LogLine], needle: str) -> tuple[float, float, int] | None:
    try:
        import duckdb
    except ImportError:
        return None
    db = duckdb.connect(os.path.join(tmp, "cmp.duckdb"))
    import pandas

    db.execute("CREATE TABLE lines (container TEXT, ts TEXT, ordinal INT, stream INT, text TEXT)")
    start = time.monotonic()
    for i in range(0, len(lines), 20_000):
        chunk = lines[i : i + 20_000]
        # A DataFrame per batch: DuckDB's executemany took about 1 ms a row.
        batch = pandas.DataFrame(
            {
                "container": "e/x",
                "ts": [ln.cursor.timestamp for ln in chunk],
                "ordinal": [ln.cursor.ordinal for ln in chunk],
                "stream": [ln.stream for ln in chunk],
                "text": [ln.text for ln in chunk],
            }
        )
        db.register("batch", batch)
        db.execute("INSERT INTO lines SELECT * FROM batch")
        db.unregister("batch")
    ingest = len(lines) / (time.monotonic() - start)
    start = time.monotonic()
    row = db.execute("SELECT count(*) FROM lines WHERE text ILIKE ?", (f"%{needle}%",)).fetchone()
    search = time.monotonic() - start
    db.close()
    return ingest, search, int(row[0]) if row else 0


def body(results: Results) -> None:
    with tempfile.TemporaryDirectory(prefix="lw-archive-bench-") as tmp:
        log(f"archive: {RATE} lines/s for {SECONDS} s")
        paced_result = paced(tmp)
        log(f"paced: {paced_result}")
        rate, per_line = flat_out(tmp)
        log(f"flat out: {rate:,.0f} lines/s, {per_line:.1f} µs CPU a line")
        lines = make_lines(COMPARE)
        needle = "timeout talking to db-3"
        sqlite_result = sqlite_store(tmp, lines, needle)
        duck: Any = duckdb_store(tmp, lines, needle)
        log(f"sqlite {sqlite_result}, duckdb {duck}")
    total = RATE * SECONDS
    # Kept up: everything committed, and when the feeding ended no more was waiting than
    # one open batch (what comes in BATCH_SECONDS).
    kept_up = (
        paced_result["committed"] == total
        and paced_result["backlog_at_end"] <= RATE * BATCH_SECONDS
    )
    results.extra.update(
        paced=paced_result,
        flat_out=rate,
        cpu_us_per_line=per_line,
        sqlite=sqlite_result,
        duckdb=duck,
    )
    results.add(
        "12 archive",
        f"{RATE:,} lines/s for {SECONDS} s: cores used",
        paced_result["cores"],
        "cores",
        None,
        "",
        "< 1 core, writer keeps up",
        paced_result["cores"] < 1 and kept_up,
        note=f"backlog at the end {paced_result['backlog_at_end']}, "
        f"committed {paced_result['committed']}",
    )
    results.add(
        "12 archive",
        "flat out: lines/s committed",
        rate,
        "lines/s",
        RATE,
        "target rate",
        "≥ 1.0x",
        rate >= RATE,
    )
    results.add(
        "12 archive",
        "CPU per line (load-independent)",
        per_line,
        "µs",
        1e6 / RATE,
        "1 core at 50,000 lines/s",
        "< 1.0x",
        per_line < 1e6 / RATE,
    )
    results.add(
        "12 archive",
        "SQLite+FTS5 ingest",
        sqlite_result[0],
        "lines/s",
        duck[0] if duck else None,
        "DuckDB" if duck else "",
    )
    results.add(
        "12 archive",
        "substring search of 500k lines: SQLite FTS5 MATCH",
        sqlite_result[1] * 1000,
        "ms",
        duck[1] * 1000 if duck else None,
        "DuckDB ILIKE" if duck else "",
        note=f"found {sqlite_result[2]} (duckdb {duck[2] if duck else '-'})",
    )


if __name__ == "__main__":
    run_main("archive", body)
