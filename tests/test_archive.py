"""The log archive (real Docker, real SQLite): a removed container's logs stay readable and
searchable; lines before the server started are taken in; a kill -9 loses at most the last
batch; the size bound."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from jupyter_servers import start_jupyter_server
from tornado.httpclient import HTTPClientError

from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.session.archive import Archive

pytestmark = pytest.mark.docker


async def get(jp_fetch: Any, *path: str, **params: str) -> Any:
    return json.loads((await jp_fetch("api", "littlewings", *path, params=params)).body)


async def wait_for(predicate: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


@pytest.mark.both_engines
class TestLabelled:
    """Archive off: only containers labelled littlewings.archive=true."""

    async def test_a_removed_container_stays_readable_and_searchable(
        self, jp_fetch, lw_client, make_container, docker_client
    ):
        client = await lw_client()  # the first session starts archiving labelled containers
        kept = make_container(
            "for i in 1 2 3; do echo line $i; done; sleep 0.5; echo 'ERROR: disk full' >&2; "
            "sleep 3600",
            labels={"littlewings.archive": "true"},
        )
        make_container("echo not archived; sleep 3600")
        del client

        async def archived() -> bool:
            items = (await get(jp_fetch, "archive"))["containers"]
            return any(i["id"] == kept.id and i["lines"] == 4 for i in items)

        await wait_for(archived)
        items = (await get(jp_fetch, "archive"))["containers"]
        assert [i["name"] for i in items] == [kept.name]
        kept.remove(force=True)

        async def removed() -> bool:
            items = (await get(jp_fetch, "archive"))["containers"]
            return items[0]["removed"]

        await wait_for(removed)
        logs = await jp_fetch("api", "littlewings", "archive", kept.name, "logs")
        assert logs.body.decode() == "line 1\nline 2\nline 3\nERROR: disk full\n"
        lines = await get(jp_fetch, "archive", kept.id[:12], "logs", format="json", tail="2")
        assert [x["line"] for x in lines["lines"]] == ["line 3", "ERROR: disk full"]
        found = await get(jp_fetch, "archive", kept.name, "search", query="disk FULL")
        assert [m["line"] for m in found["matches"]] == ["ERROR: disk full"]
        assert found["matches"][0]["level"] == "error"
        found = await get(jp_fetch, "archive", kept.name, "search", query=r"line [23]", regex="1")
        assert [m["line"] for m in found["matches"]] == ["line 2", "line 3"]
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("api", "littlewings", "archive", "nope", "logs")
        assert info.value.code == 404


@pytest.mark.both_engines
class TestEverything:
    @pytest.fixture
    def littlewings_config(self, tmp_path: Any) -> dict[str, Any]:
        return {"archive": True, "archive_path": str(tmp_path / "archive.sqlite")}

    async def test_archive_everything_and_opt_out(self, jp_fetch, make_container):
        tag = uuid.uuid4().hex[:6]
        one = make_container(f"echo hello {tag}; sleep 3600")
        out = make_container(
            f"echo private {tag}; sleep 3600", labels={"littlewings.archive": "false"}
        )

        async def archived() -> bool:
            items = (await get(jp_fetch, "archive"))["containers"]
            return any(i["id"] == one.id and i["lines"] == 1 for i in items)

        await wait_for(archived)
        ids = {i["id"] for i in (await get(jp_fetch, "archive"))["containers"]}
        assert out.id not in ids


def test_the_store_bound_and_order(tmp_path):
    archive = Archive(str(tmp_path / "a.sqlite"), max_bytes=0, max_age_days=0)
    try:
        archive.register("e/x", {"id": "x" * 12, "name": "x", "engine": "e"})
        lines = [
            LogLine(1, Cursor(f"2026-12-03T06:00:{i // 1000:02d}.{i % 1000:03d}000000Z"), f"n {i}")
            for i in range(3000)
        ]
        archive.add("e/x", lines[:1500])
        archive.add("e/x", lines[1500:])
        assert archive.flush()
        assert [line.text for line in archive.lines("e/x", tail=2)] == ["n 2998", "n 2999"]
        assert archive.last_cursor("e/x") == lines[-1].cursor
        found = [
            line.text for batch in archive.batches("e/x", containing="n 299") for line in batch
        ]
        assert found == ["n 299"] + [f"n {i}" for i in range(2990, 3000)]
    finally:
        archive.close()


KILLER = r"""
import sys, time
from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.session.archive import MAX_BACKLOG, Archive

archive = Archive(sys.argv[1], 0, 0)
archive.register("e/x", {"id": "x" * 12, "name": "x", "engine": "e"})
i = 0
while True:
    stamp = "2026-12-03T06:%02d:%02d.%09dZ"
    batch = [
        LogLine(1, Cursor(stamp % (n // 60_000_000, n // 10**6 % 60, n % 10**6)), f"line {n}")
        for n in range(i, i + 1000)
    ]
    while archive.backlog > MAX_BACKLOG:  # as the archive's tap does: it never queues more
        time.sleep(0.01)
    archive.add("e/x", batch)
    i += 1000
    print(i, flush=True)
"""


def test_kill_9_during_heavy_writes_loses_only_what_was_not_committed(tmp_path):
    from littlewings_jupyter.session.archive import BATCH_LINES, MAX_BACKLOG

    path = str(tmp_path / "killed.sqlite")
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLER, path], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    handed = 0
    started = time.monotonic()
    while time.monotonic() - started < 3:
        handed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    handed = max(handed, *(int(x) for x in writer.stdout.read().split() or [0]))
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    numbers = [
        int(row[0].split()[1]) for row in db.execute("SELECT text FROM lines ORDER BY rowid")
    ]
    assert numbers and numbers == list(range(len(numbers))), "a gap or a reordering"
    assert db.execute("SELECT lines FROM containers").fetchone()[0] == len(numbers)
    fts = db.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH '\"line 1\"'")
    assert fts.fetchone()[0] >= 1  # the text index holds the committed lines
    db.close()
    # Lost: what was handed and not committed, never more than the backlog and a batch.
    assert handed - len(numbers) <= MAX_BACKLOG + BATCH_LINES + 1000, (handed, len(numbers))


class TestBehind:
    @pytest.fixture
    def littlewings_config(self, tmp_path: Any) -> dict[str, Any]:
        return {"archive": True, "archive_path": str(tmp_path / "archive.sqlite")}

    async def test_a_writer_far_behind_catches_up_from_docker_without_a_gap(
        self, jp_fetch, make_container, monkeypatch, tmp_path
    ):
        from littlewings_jupyter.session import archive as archive_module
        from littlewings_jupyter.session import archiving as archiving_module

        # A tiny backlog: the flood goes past it at once, and the lines come back from Docker.
        monkeypatch.setattr(archive_module, "MAX_BACKLOG", 2000)
        monkeypatch.setattr(archiving_module, "MAX_BACKLOG", 2000)
        box = make_container("sleep 1; seq 1 200000; sleep 3600")

        async def complete() -> bool:
            items = (await get(jp_fetch, "archive"))["containers"]
            return any(i["id"] == box.id and i["lines"] >= 200000 for i in items)

        await wait_for(complete, timeout=60)
        db = sqlite3.connect(str(tmp_path / "archive.sqlite"))
        rows = db.execute(
            "SELECT l.text FROM lines l JOIN containers c ON c.key = l.container "
            "WHERE c.id = ? ORDER BY l.ts, l.ordinal",
            (box.id,),
        )
        numbers = [int(row[0]) for row in rows]
        db.close()
        assert numbers == list(range(1, 200001))


def _start_server(tmp_path: Any, archive_path: str) -> tuple[subprocess.Popen[bytes], str, str]:
    process, port, token = start_jupyter_server(
        tmp_path, "--LittleWings.archive=True", f"--LittleWings.archive_path={archive_path}"
    )
    return process, f"http://127.0.0.1:{port}/", token


def _archived_lines(url: str, token: str, name: str) -> int:
    import urllib.request

    request = urllib.request.Request(
        url + "api/littlewings/archive", headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        items = json.loads(answer.read())["containers"]
    return next((i["lines"] for i in items if i["name"] == name), 0)


MINE = (
    "SELECT l.text FROM lines l JOIN containers c ON c.key = l.container WHERE c.id = ? "
    "ORDER BY l.ts, l.ordinal"
)


@pytest.mark.both_engines
def test_a_server_killed_with_signal_9_loses_nothing_that_docker_still_has(
    tmp_path, make_container
):
    archive_path = str(tmp_path / "archive.sqlite")
    box = make_container(
        "sleep 2; i=0; while [ $i -lt 400 ]; do seq $((i*500+1)) $((i*500+500)); i=$((i+1)); "
        "usleep 20000; done; sleep 3600"
    )  # 200,000 lines over about 10 s
    server, url, token = _start_server(tmp_path, archive_path)
    try:
        deadline = time.monotonic() + 60
        while True:  # heavy writes under way
            with contextlib.suppress(Exception):
                if _archived_lines(url, token, box.name) > 30_000:
                    break
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-2000:]
            time.sleep(0.2)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        db = sqlite3.connect(archive_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        numbers = [int(r[0]) for r in db.execute(MINE, (box.id,))]
        db.close()
        assert numbers == list(range(1, len(numbers) + 1)), "a gap or a reordering"
        # Started again, the server reads from Docker what the killed one had not committed.
        server, url, token = _start_server(tmp_path, archive_path)
        box.reload()
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(Exception):
                if _archived_lines(url, token, box.name) >= 200_000:
                    break
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-2000:]
            time.sleep(0.5)
        db = sqlite3.connect(archive_path)
        numbers = [int(r[0]) for r in db.execute(MINE, (box.id,))]
        db.close()
        assert numbers == list(range(1, 200_001))
    finally:
        server.kill()
        server.wait(10)
