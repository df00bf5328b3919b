"""Merged logs: a Compose project, a label or chosen containers as one live view (real Docker).

The containers carry the labels Compose sets (``com.docker.compose.project``, ``.service``,
``.container-number``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import time
import uuid
import zipfile
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]

TICK = 'i=0; while true; do i=$((i+1)); echo "{tag} $i"; sleep {pause}; done'


def manager_of(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["littlewings_manager"]


def compose_labels(project: str, service: str, number: int = 1) -> dict[str, str]:
    return {
        "com.docker.compose.project": project,
        "com.docker.compose.service": service,
        "com.docker.compose.container-number": str(number),
    }


def service(make_container: Any, project: str, name: str, script: str, number: int = 1) -> Any:
    """A container of a (pretend) Compose project, named as Compose names them."""
    return make_container(
        script,
        name=f"{project}-{name}-{number}",
        labels=compose_labels(project, name, number),
    )


def merged_lines(frames: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(container, line)`` of every log frame, in the order they came."""
    out = []
    for frame in frames:
        if frame.get("type") == "log":
            out.extend((frame["container"], line) for line in frame["data"].splitlines())
    return out


def counters(lines: list[tuple[str, str]], container: str) -> list[int]:
    """The counter values one container printed, as received."""
    found = (
        re.fullmatch(r"(?:\S+Z )?\S+ (\d+)", text) for name, text in lines if name == container
    )
    return [int(match.group(1)) for match in found if match]


async def read_until(client: Any, predicate: Any, timeout: float = 10) -> None:
    """Read the client's frames until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"condition not met in time; last frames {client.received[-5:]}")
        with contextlib.suppress(asyncio.TimeoutError):
            await client.recv(min(left, 0.5))


@pytest.fixture
def project() -> str:
    return f"lwshop{uuid.uuid4().hex[:6]}"


async def test_project_history_is_merged_by_timestamp(lw_client, make_container, project):
    # Three services print one line each in turn, 0.3 s apart: a, b, c, a, b, c... They start
    # together at a whole second of the clock (on a loaded machine, creating three containers
    # takes seconds: one after the other, the first had printed everything before the last ran).
    go = int(time.time()) + 5
    for offset, name in enumerate(("api", "db", "web")):
        service(
            make_container,
            project,
            name,
            f"while [ $(date +%s) -lt {go} ]; do sleep 0.05; done; sleep {offset * 0.3}; "
            f"for i in 1 2 3; do echo {name} $i; sleep 0.9; done; sleep 3600",
        )
    await asyncio.sleep(max(go - time.time(), 0) + 3.5)
    client = await lw_client()
    reply = await client.request(
        {"type": "connect", "project": project, "tail": "all", "timestamps": True}, "connected"
    )
    assert reply["group"] == {"kind": "project", "name": project}
    assert [m["name"] for m in reply["members"]] == [
        f"{project}-api-1",
        f"{project}-db-1",
        f"{project}-web-1",
    ]
    end = await client.until("history_end")
    assert end["lines"] == 9
    frames = [f for f in client.received if f.get("type") == "log"]
    assert all(f["history"] and f["container"].startswith(project) for f in frames)
    lines = merged_lines(frames)
    assert sorted(line.split(" ", 1)[1] for _, line in lines) == sorted(
        f"{s} {i}" for i in (1, 2, 3) for s in ("api", "db", "web")
    )
    stamps = [line.split(" ", 1)[0] for _, line in lines]
    assert stamps == sorted(stamps)
    # Interleaved (not one container after the other): the services took turns.
    switches = sum(1 for a, b in zip(lines, lines[1:]) if a[0] != b[0])
    assert switches >= 6, lines
    # One cursor per member, each that member's last line.
    assert set(end["cursors"]) == {m["name"] for m in reply["members"]}
    for frame in frames:
        assert frame["cursor"].startswith(frame["data"].splitlines()[-1].split(" ")[0])


# Half a second of reorder window: on a loaded machine one follower's thread lagged the others
# by more than the default 0.1 s, and its lines came after later ones of the others.
@pytest.mark.parametrize("littlewings_config", [{"batch_interval": 0.01, "merge_window": 0.5}])
async def test_live_lines_in_timestamp_order_and_one_stream_per_container(
    lw_client, make_container, project, jp_serverapp
):
    # Fast enough that the three followers' batches overlap in time: without the reorder
    # window (merge_window = 0) this order check fails (about 250 inversions in 2,000 lines).
    names = [
        service(make_container, project, s, TICK.format(tag=s, pause=0.002)).name
        for s in ("a", "b", "c")
    ]
    client = await lw_client()
    await client.request(
        {"type": "connect", "project": project, "tail": 0, "timestamps": True}, "connected"
    )
    await client.until("history_end")
    # Two single consoles on one member share its follower with the merged view.
    singles = [await lw_client() for _ in range(2)]
    for single in singles:
        await single.request({"type": "connect", "server_id": names[0], "tail": 0}, "connected")
    manager = manager_of(jp_serverapp)
    # (2,000 lines take a second here, and far longer on a loaded machine: the wait is for the
    # count, the check is on the order.)
    await read_until(client, lambda: len(merged_lines(client.received)) >= 2000, timeout=60)
    assert manager.active_log_streams() == 3
    lines = merged_lines(client.received)
    stamps = [text.split(" ", 1)[0] for _, text in lines]
    assert stamps == sorted(stamps), "live lines of the members are not in timestamp order"
    for name in names:
        seen = counters(lines, name)
        assert seen and seen == list(range(seen[0], seen[-1] + 1)), name
    # Every frame is one container's; its cursor is that container's last line.
    for frame in client.received:
        if frame.get("type") == "log":
            assert frame["container"] in names


async def test_members_that_appear_restart_and_go_while_watched(
    lw_client, make_container, docker_client, project
):
    first = service(make_container, project, "web", TICK.format(tag="web", pause=0.1))
    client = await lw_client()
    reply = await client.request({"type": "connect", "project": project, "tail": 0}, "connected")
    assert [m["name"] for m in reply["members"]] == [first.name]
    await client.until("history_end")

    # `docker compose up` of a new service: its very first line is in the view.
    mark = client.mark()
    second = service(
        make_container,
        project,
        "worker",
        'echo "worker ready"; ' + TICK.format(tag="worker", pause=0.1),
    )
    added = await client.until("member_added", since=mark)
    assert added["container"]["name"] == second.name
    await client.log_text("worker ready\n")
    await read_until(
        client, lambda: counters(merged_lines(client.received), second.name)[-1:] >= [3]
    )

    # A restarted member stays in the group; its lines go on after the restart. (Counted from
    # before the restart: the new process's first lines may come before the status frame.)
    mark = client.mark()
    restarted_at = len(merged_lines(client.received))
    first.restart(timeout=0)
    await client.until(
        lambda f: (
            f.get("type") == "status"
            and f.get("event") == "started"
            and f.get("name") == first.name
        ),
        since=mark,
        timeout=15,
    )
    await read_until(
        client,
        lambda: any(
            name == first.name and text == "web 2"
            for name, text in merged_lines(client.received)[restarted_at:]
        ),
        timeout=10,
    )

    # A removed member is marked; the view goes on with the others.
    mark = client.mark()
    second.remove(force=True)
    gone = await client.until(
        lambda f: f.get("type") == "status" and f.get("event") == "removed", since=mark
    )
    assert gone["name"] == second.name
    count = len(merged_lines(client.received))
    await read_until(client, lambda: len(merged_lines(client.received)) > count + 3)
    # A container outside the project does not join.
    make_container(TICK.format(tag="other", pause=0.1))
    await asyncio.sleep(1)
    assert not [f for f in client.received[mark:] if f.get("type") == "member_added"]


async def test_reconnect_with_cursors_resumes_every_member_exactly(
    lw_client, make_container, project
):
    names = [
        service(make_container, project, s, TICK.format(tag=s, pause=0.05)).name for s in ("a", "b")
    ]
    client = await lw_client()
    await client.request({"type": "connect", "project": project, "tail": 0}, "connected")
    await client.until("history_end")
    await read_until(client, lambda: all(counters(merged_lines(client.received), n) for n in names))
    cursors: dict[str, str] = {}
    for frame in client.received:
        if frame.get("type") == "log":
            cursors[frame["container"]] = frame["cursor"]
    before = merged_lines(client.received)
    client.close()
    # While nobody watches, the members print on, and a new one appears.
    third = service(make_container, project, "c", 'echo "c first"; sleep 3600')
    await asyncio.sleep(1.5)

    again = await lw_client()
    reply = await again.request(
        {"type": "connect", "project": project, "cursors": cursors}, "connected"
    )
    assert third.name in [m["name"] for m in reply["members"]]
    end = await again.until("history_end")
    assert set(end["cursors"]) == {*names, third.name}
    await read_until(
        again, lambda: (third.name, "c first") in merged_lines(again.received), timeout=5
    )
    after = merged_lines(again.received)
    for name in names:
        seen = counters(before, name) + counters(after, name)
        assert seen == list(range(seen[0], seen[-1] + 1)), f"{name}: a gap or a duplicate"
    assert (third.name, "c first") in after


async def test_label_and_listed_containers(lw_client, make_container):
    tag = uuid.uuid4().hex[:6]
    one = make_container(f"echo one-{tag}; sleep 3600", labels={"team": f"data{tag}"})
    two = make_container(f"echo two-{tag}; sleep 3600", labels={"team": f"data{tag}"})
    make_container(f"echo three-{tag}; sleep 3600", labels={"team": "web"})
    await asyncio.sleep(0.5)
    client = await lw_client()
    reply = await client.request(
        {"type": "connect", "label": f"team=data{tag}", "tail": 10}, "connected"
    )
    assert reply["group"]["kind"] == "label"
    assert {m["name"] for m in reply["members"]} == {one.name, two.name}
    await client.until("history_end")
    assert sorted(text for _, text in merged_lines(client.received)) == [
        f"one-{tag}",
        f"two-{tag}",
    ]

    listed = await lw_client()
    reply = await listed.request(
        {"type": "connect", "server_ids": [two.name, one.id[:12]], "tail": 10}, "connected"
    )
    assert reply["group"] == {"kind": "containers", "name": f"{two.name},{one.id[:12]}"}
    await listed.until("history_end")
    assert {name for name, _ in merged_lines(listed.received)} == {one.name, two.name}


async def test_history_only_view_leaves_no_stream(lw_client, make_container, project, jp_serverapp):
    service(make_container, project, "a", "echo hello; sleep 3600")
    client = await lw_client()
    await client.request(
        {"type": "connect", "project": project, "follow": False, "tail": 5}, "connected"
    )
    await client.until("history_end")
    assert merged_lines(client.received) == [(f"{project}-a-1", "hello")]
    manager = manager_of(jp_serverapp)
    assert manager.active_log_streams() == 0 and not manager.groups


async def test_group_refusals_are_clear(lw_client, make_container, project, jp_serverapp):
    service(make_container, project, "a", "sleep 3600")
    client = await lw_client()
    bad = [
        ({"server_id": "x", "project": project}, "not server_id and project"),
        ({"project": ""}, "'project' must be"),
        ({"label": "=x"}, "'label' must be"),
        ({"server_ids": []}, "'server_ids' must be"),
        ({"server_ids": ["ok", 3]}, "'server_ids' must be"),
        ({"project": project, "stats": True}, "'stats' is per container"),
        ({"project": project, "cursor": "x"}, "resumes with 'cursors'"),
        ({"project": project, "cursors": {"a": "nope"}}, "'cursors' of 'a'"),
        ({"server_id": "x", "cursors": {}}, "'cursors' resumes a group"),
    ]
    for fields, message in bad:
        reply = await client.request({"type": "connect", **fields}, "connected")
        assert reply["type"] == "error" and reply["code"] == "invalid_message", fields
        assert message in reply["message"], reply["message"]
    await client.request({"type": "connect", "project": project}, "connected")
    for frame in (
        {"type": "command", "command": "ls"},
        {"type": "power", "action": "stop"},
        {"type": "shell_open"},
        {"type": "stats", "enabled": True},
    ):
        reply = await client.request(frame, "never")
        assert reply["code"] == "not_connected", frame
        assert f"project {project!r}" in reply["message"]
    # An empty project is a group without members yet, not an error.
    empty = await client.request({"type": "connect", "project": "nobody-here"}, "connected")
    assert empty["members"] == []
    reply = await client.request({"type": "disconnect"}, "disconnected")
    assert reply["group"] == {"kind": "project", "name": "nobody-here"}
    assert not manager_of(jp_serverapp).groups


class TestSlowReader:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"batch_interval": 0.01, "max_outbox_bytes": 256 * 1024}

    async def test_a_slow_reader_is_told_where_each_member_resumes(
        self, lw_client, make_container, project
    ):
        client = await lw_client()
        await client.request({"type": "connect", "project": project, "tail": 0}, "connected")
        await client.until("history_end")
        for s in ("a", "b"):
            service(make_container, project, s, f"seq 1 300000 | sed 's/^/{s} /'; sleep 3600")
        await asyncio.sleep(4)  # nothing read: the queue overflows
        dropped = await client.until("dropped", timeout=30)
        assert dropped["lines"] > 0
        names = {f"{project}-a-1", f"{project}-b-1"}
        assert dropped["last_cursors"] and set(dropped["last_cursors"]) <= names
        assert set(dropped["resume_cursors"]) == set(dropped["last_cursors"])
        assert "resume_cursor" not in dropped
        assert re.search(r"Reconnect with cursors", dropped["message"])


async def test_merged_download_as_one_file_and_as_a_zip(
    jp_fetch, make_container, project, engine_kind
):
    # Both start printing at the same wall-clock second (however long creating them took),
    # the second 0.15 s later: their lines alternate.
    go = int(time.time()) + 3
    for offset, name in enumerate(("api", "db")):
        service(
            make_container,
            project,
            name,
            f"while [ $(date +%s) -lt {go} ]; do usleep 20000; done; sleep {offset * 0.15}; "
            f"for i in 1 2 3; do echo {name} $i; sleep 0.3; done; echo {name} oops >&2; "
            "sleep 3600",
        )
    await asyncio.sleep(max(go - time.time(), 0) + 1.5)
    response = await jp_fetch("api", "littlewings", "logs", params={"project": project})
    assert response.headers["Content-Disposition"] == f'attachment; filename="{project}.log"'
    text = response.body.decode()
    width = len(f"{project}-api-1")
    lines = text.splitlines()
    assert len(lines) == 8
    assert all(re.fullmatch(rf"{project}-(api|db)-1 +\| (api|db) (\d|oops)", ln) for ln in lines)
    assert all(ln[width : width + 3] == " | " for ln in lines)
    # In time order: each service's lines in its order, and the two interleaved.
    assert [ln.split("| ")[1] for ln in lines if "api" in ln.split("| ")[1]] == [
        "api 1",
        "api 2",
        "api 3",
        "api oops",
    ]
    # (Podman stamps whole seconds: within one, lines go container by container.)
    switches = sum(1 for a, b in zip(lines, lines[1:]) if a[:width] != b[:width])
    assert switches >= (4 if engine_kind == "docker" else 1)

    stamped = await jp_fetch(
        "api",
        "littlewings",
        "logs",
        params={"project": project, "timestamps": "1", "stream": "stderr", "tail": "1"},
    )
    errors = [
        re.fullmatch(r"(\S+) +\| (\S+Z) (.*)", ln).groups()  # type: ignore[union-attr]
        for ln in stamped.body.decode().splitlines()
    ]
    assert sorted(text for _, _, text in errors) == ["api oops", "db oops"]
    stamps = [stamp for _, stamp, _ in errors]
    assert stamps == sorted(stamps)

    zipped = await jp_fetch(
        "api", "littlewings", "logs", params={"project": project, "format": "zip"}
    )
    assert zipped.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.body)) as archive:
        assert sorted(archive.namelist()) == [f"{project}-api-1.log", f"{project}-db-1.log"]
        assert archive.read(f"{project}-db-1.log").decode() == "db 1\ndb 2\ndb 3\ndb oops\n"


async def test_merged_download_refusals(jp_fetch):
    for params, message in (
        ({}, "Give 'project', 'pod', 'label', 'service', 'task' or 'server_ids'"),
        ({"project": "x", "label": "y"}, "not project and label"),
        ({"project": "x", "format": "tar"}, "'format' must be text or zip"),
        ({"project": "x", "tail": "-1"}, "'tail' must be"),
    ):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("api", "littlewings", "logs", params=params)
        assert info.value.code == 400
        assert message in json.loads(info.value.response.body)["message"], params


async def test_members_starting_while_the_group_starts_are_followed_once(
    lw_client, make_container, project, jp_serverapp
):
    # The event watcher runs (another socket is open) while containers of the project start
    # and a merged view opens at once: their start events and the group's listing race.
    watcher = await lw_client()
    await watcher.request({"type": "events", "enabled": True}, "events")
    boxes = [
        service(make_container, project, f"s{i}", f"seq 1 2000 | sed 's/^/s{i} /'; sleep 3600")
        for i in range(4)
    ]
    client = await lw_client()
    await client.request({"type": "connect", "project": project, "tail": "all"}, "connected")
    await client.until("history_end")
    await asyncio.sleep(1.5)
    await read_until(client, lambda: len(merged_lines(client.received)) >= 8000, timeout=15)
    await asyncio.sleep(0.5)
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            await client.recv(0.3)
    lines = merged_lines(client.received)
    for box in boxes:
        seen = counters(lines, box.name)
        assert seen == list(range(1, 2001)), f"{box.name}: {len(seen)} lines"
    manager = manager_of(jp_serverapp)
    group = next(iter(manager.groups.values()))
    assert len(group.members) == 4
    assert all(len(manager.log_subscribers[b.id]) == 1 for b in boxes)
