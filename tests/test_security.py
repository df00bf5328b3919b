"""Least privilege and the audit trail: allow/deny lists, the SQLite audit log and its API."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from littlewings_jupyter.session.audit import AuditLog

WRITER = """
import sys, time
from littlewings_jupyter.session.audit import AuditLog
log = AuditLog(sys.argv[1])
i = 0
while True:
    entry = log.start(user="u", container_id="c" * 64, container_name="box", action="command",
                      detail=f"echo {i}", via="exec")
    log.finish(entry, "ok", exit_code=0)
    i += 1
    if i % 50 == 0:
        time.sleep(0.001)
"""


def test_audit_survives_kill_9_mid_write(tmp_path):
    path = tmp_path / "audit.sqlite"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    try:
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 2000 and time.monotonic() < deadline:
            time.sleep(0.1)
            if path.exists():
                try:
                    db = sqlite3.connect(path, timeout=5)
                    seen = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
                    db.close()
                except sqlite3.Error:
                    pass
        assert seen >= 2000, "the writer did not get going"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT detail FROM audit ORDER BY time").fetchall()
    db.close()
    assert len(rows) >= seen
    # Every row seen before the kill is intact, in order.
    assert [r[0] for r in rows[:seen]] == [f"echo {i}" for i in range(seen)]


def test_audit_query_filters_and_pages(tmp_path):
    log = AuditLog(str(tmp_path / "a.sqlite"))
    for i in range(5):
        entry = log.start(
            user="alice" if i % 2 else "bob",
            container_id=f"{i % 2}" * 64,
            container_name=f"box{i % 2}",
            action="power",
            detail="stop",
        )
        log.finish(entry, "ok")
    log.flush()
    everything = log.query()
    assert everything["total"] == 5
    assert [e["user"] for e in log.query(user="alice")["entries"]] == ["alice", "alice"]
    assert log.query(container="box0")["total"] == 3
    assert log.query(container="1111")["total"] == 2  # an id prefix
    page = log.query(limit=2, offset=2)
    assert len(page["entries"]) == 2 and page["total"] == 5
    assert all(e["result"] == "ok" and e["time_iso"] for e in everything["entries"])
    log.close()


def test_audit_retention_prunes_old_rows(tmp_path):
    path = str(tmp_path / "a.sqlite")
    log = AuditLog(path)
    entry = log.start(user="u", container_id="c", container_name="c", action="power", detail="x")
    log.flush()
    log.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE audit SET time = time - 100 * 86400 WHERE id = ?", (entry,))
    db.close()
    again = AuditLog(path, retention_days=30)
    assert again.query()["total"] == 0
    again.close()


@pytest.mark.docker
async def test_commands_stdin_and_power_are_audited(lw_client, jp_fetch, make_container):
    container = make_container(command=["demo-console"], stdin_open=True)
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.request({"type": "command", "command": "say audited"}, "command_sent")
    await client.request({"type": "command", "command": "exit 4", "via": "exec"}, "command_started")
    await client.until("command_exit")
    await client.request({"type": "power", "action": "pause"}, "power")
    await client.request({"type": "power", "action": "pause"}, "power")  # a conflict
    await jp_fetch(
        "api",
        "littlewings",
        "containers",
        container.name,
        "power",
        method="POST",
        body=json.dumps({"action": "unpause"}),
    )

    async def entries() -> list[dict[str, Any]]:
        reply = await jp_fetch(
            "api", "littlewings", "audit", params={"container": container.name, "limit": "10"}
        )
        return json.loads(reply.body)["entries"]

    deadline = time.monotonic() + 10
    while len(rows := await entries()) < 5 or any(e["result"] == "running" for e in rows):
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.1)
    summary = [(e["action"], e["via"], e["detail"], e["result"], e["exit_code"]) for e in rows]
    assert summary[::-1] == [
        ("command", "stdin", "say audited", "ok", None),
        ("command", "exec", "exit 4", "ok", 4),
        ("power", None, "pause", "ok", None),
        ("power", None, "pause", "error", None),
        ("power", "rest", "unpause", "ok", None),
    ]
    assert all(e["user"] and e["container_id"] == container.id for e in rows)
    assert "already paused" in rows[1]["error"]


class TestCommandLists:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"command_allow": [r"echo [a-z ]+", r"say .*"], "command_deny": [r"\brm\b"]}

    @pytest.mark.docker
    async def test_allow_and_deny_lists(self, lw_client, jp_fetch, make_container):
        container = make_container()
        client = await lw_client()
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        ok = await client.request({"type": "command", "command": "echo fine"}, "command_started")
        assert ok["type"] == "command_started"
        refused = await client.request({"type": "command", "command": "ls /"}, "command_started")
        assert refused["code"] == "forbidden" and "allow-list" in refused["message"]
        denied = await client.request(
            {"type": "command", "command": "echo rm everything"}, "command_started"
        )
        assert denied["code"] == "forbidden" and "deny-list" in denied["message"]
        audit = json.loads((await jp_fetch("api", "littlewings", "audit")).body)
        results = {e["detail"]: e["result"] for e in audit["entries"]}
        assert results["ls /"] == "denied" and results["echo rm everything"] == "denied"


class TestOnePowerPath:
    """Power from the sidebar (REST) and from a console (WebSocket): the same checks and audit."""

    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"read_only": True}

    @pytest.mark.docker
    async def test_read_only_refusals_are_the_same_and_audited(
        self, lw_client, jp_fetch, post_power, make_container
    ):
        container = make_container()
        client = await lw_client()
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        refused = await client.request({"type": "power", "action": "stop"}, "power")
        with pytest.raises(HTTPClientError) as info:
            await post_power(container.name, "stop")
        assert info.value.code == 403
        body = json.loads(info.value.response.body)
        assert (refused["code"], body["error"]) == ("forbidden", "forbidden")
        assert refused["message"] == body["message"]
        audit = json.loads(
            (await jp_fetch("api", "littlewings", "audit", params={"container": container.id})).body
        )
        rows = [(e["via"], e["detail"], e["result"]) for e in audit["entries"]]
        assert sorted(rows, key=str) == sorted(
            [(None, "stop", "denied"), ("rest", "stop", "denied")], key=str
        )
        container.reload()
        assert container.status == "running"


class TestRestRateLimit:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"command_rate": 0.2, "command_burst": 1}

    @pytest.mark.docker
    async def test_rest_power_is_rate_limited_like_the_console(self, post_power, make_container):
        container = make_container()
        await post_power(container.name, "pause")
        with pytest.raises(HTTPClientError) as info:
            await post_power(container.name, "unpause")
        assert info.value.code == 429
        body = json.loads(info.value.response.body)
        assert body["error"] == "rate_limited" and body["retry_after"] > 0
        container.reload()
        assert container.status == "paused"


class TestAuditOff:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"audit_enabled": False}

    async def test_audit_can_be_switched_off(self, jp_fetch):
        reply = json.loads((await jp_fetch("api", "littlewings", "audit")).body)
        assert reply == {"enabled": False, "entries": [], "total": 0}


class TestVisibilityEverywhere:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"visible_names": ["lwvis-*"]}

    @pytest.mark.docker
    async def test_hidden_containers_are_missing_in_rest_and_events(
        self, lw_client, jp_fetch, post_power, make_container
    ):
        from tornado.httpclient import HTTPClientError

        client = await lw_client()
        await client.request({"type": "events", "enabled": True}, "events")
        hidden = make_container()
        shown = make_container(name=f"lwvis-{hidden.name}")
        await client.until(
            lambda f: f.get("type") == "container_event" and f["container"]["id"] == shown.id
        )
        await asyncio.sleep(1)
        seen = {f["container"]["id"] for f in client.received if f.get("type") == "container_event"}
        assert hidden.id not in seen
        for path in ((hidden.name,), (hidden.name, "logs")):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch("api", "littlewings", "containers", *path)
            assert info.value.code == 404
        with pytest.raises(HTTPClientError) as info:
            await post_power(hidden.id, "stop")
        assert info.value.code == 404
        listing = json.loads((await jp_fetch("api", "littlewings", "containers")).body)
        assert [c["id"] for c in listing["containers"] if c["id"] in (hidden.id, shown.id)] == [
            shown.id
        ]


class TestExecDisabled:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"exec_enabled": False}

    @pytest.mark.docker
    async def test_exec_off_stdin_on(self, lw_client, make_container):
        container = make_container(command=["demo-console"], stdin_open=True)
        client = await lw_client()
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        refused = await client.request(
            {"type": "command", "command": "ls", "via": "exec"}, "command_started"
        )
        assert refused["code"] == "forbidden" and "exec_enabled" in refused["message"]
        await client.request({"type": "command", "command": "say still here"}, "command_sent")
        await client.log_text("demo: still here\n")


class TestStdinDisabled:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"stdin_enabled": False}

    @pytest.mark.docker
    async def test_stdin_off_exec_on(self, lw_client, make_container):
        container = make_container(command=["demo-console"], stdin_open=True)
        client = await lw_client()
        connected = await client.request(
            {"type": "connect", "server_id": container.name}, "connected"
        )
        assert connected["command_via"] == "exec"
        refused = await client.request(
            {"type": "command", "command": "say x", "via": "stdin"}, "command_sent"
        )
        assert refused["code"] == "forbidden" and "stdin_enabled" in refused["message"]
        ran = await client.request({"type": "command", "command": "echo ok"}, "command_started")
        assert ran["via"] == "exec"


class TestSlowConsumer:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"max_outbox_bytes": 256 * 1024, "batch_interval": 0.01}

    @pytest.mark.docker
    async def test_a_client_that_stops_reading_is_told_what_it_missed(
        self, lw_client, jp_serverapp, make_container
    ):
        # More than the kernel's socket buffers hold between server and client (~30 MB).
        total = 30_000
        pad = "x" * 1000
        container = make_container(
            f"sleep 1; awk 'BEGIN {{ for (i = 1; i <= {total}; i++) print i, \"{pad}\" }}'; "
            "sleep 3600"
        )
        client = await lw_client()
        await client.request(
            {"type": "connect", "server_id": container.name, "tail": 0}, "connected"
        )
        await asyncio.sleep(8)  # read nothing while the container floods
        manager = jp_serverapp.web_app.settings["littlewings_manager"]
        session = next(iter(manager.sessions))
        assert session._outbox_bytes <= 256 * 1024 + 600 * 1024  # bounded (plus one batch)
        received: list[int] = []
        dropped: list[dict[str, Any]] = []
        while not received or received[-1] != total:
            frame = await client.recv(timeout=30)
            assert frame is not None, (len(received), received[-3:], dropped)
            if frame["type"] == "log":
                received += [int(line.split()[0]) for line in frame["data"].splitlines()]
            elif frame["type"] == "dropped":
                dropped.append(frame)
        assert dropped, "the slow client was never told"
        assert sum(d["lines"] for d in dropped) + len(received) == total
        assert received == sorted(received)
        assert all(d["message"] and d["last_cursor"] for d in dropped)
