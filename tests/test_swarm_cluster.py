"""A Swarm of three nodes (scripts/swarm-up.sh: three dockerd, each in a network namespace of
its own, all managers): nodes, and a service's tasks on them, read through one manager."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.docker


@pytest.fixture
def littlewings_config(swarm_cluster: Any) -> dict[str, Any]:
    return {
        "batch_interval": 0.01,
        "use_docker_contexts": False,
        "engines": {
            "local": "unix:///var/run/docker.sock",
            "cluster": f"unix://{swarm_cluster.sockets[0]}",
        },
    }


async def test_nodes_and_the_tasks_each_runs(jp_fetch, lw_client, spread, swarm_cluster):
    answer = json.loads(
        (await jp_fetch("api", "littlewings", "nodes", params={"engine": "cluster"})).body
    )
    nodes = answer["nodes"]
    assert answer["engine"] == "cluster"
    assert [n["hostname"] for n in nodes] == ["lw-node-1", "lw-node-2", "lw-node-3"]
    assert all(n["role"] == "manager" and n["state"] == "ready" for n in nodes), nodes
    assert all(n["availability"] == "active" and n["engine_version"] for n in nodes)
    assert sum(n["leader"] for n in nodes) == 1
    assert [n["address"] for n in nodes] == ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
    # One task of the service on each node, running, with its container.
    mine = [[t for t in n["tasks"] if t["service"] == spread.name] for n in nodes]
    assert [len(tasks) for tasks in mine] == [1, 1, 1], mine
    assert sorted(t["name"] for tasks in mine for t in tasks) == [
        f"{spread.name}.{slot}" for slot in (1, 2, 3)
    ]
    assert all(t["state"] == "running" and t["container_id"] for tasks in mine for t in tasks)

    # The same over the WebSocket, and in Python.
    client = await lw_client()
    reply = await client.request({"type": "nodes", "engine": "cluster"}, "nodes")
    assert [n["id"] for n in reply["nodes"]] == [n["id"] for n in nodes]
    import littlewings_jupyter as lw

    python = lw.Client(f"unix://{swarm_cluster.sockets[1]}").nodes()  # any manager says it
    assert sorted(n["id"] for n in python) == sorted(n["id"] for n in nodes)


async def test_nodes_of_an_engine_that_is_no_swarm_manager(lw_client):
    client = await lw_client()
    reply = await client.request({"type": "nodes", "engine": "local"}, "nodes")
    assert reply["type"] == "error" and reply["code"] == "not_swarm_manager", reply
    assert "not a Docker Swarm manager" in reply["message"]


async def test_one_tasks_console_on_another_node(lw_client, spread, swarm_cluster):
    # A task on node 2 or 3; the manager read is node 1's (the only engine of the cluster
    # configured). Its console shows its lines only, named by its name, its task id or its
    # container's id (a container node 1 does not have).
    node_1 = swarm_cluster.client(0).info()["Swarm"]["NodeID"]
    running = [t for t in spread.tasks() if t["Status"]["State"] == "running"]
    task = min((t for t in running if t["NodeID"] != node_1), key=lambda t: t["Slot"])
    slot = task["Slot"]
    container_id = task["Status"]["ContainerStatus"]["ContainerID"]
    for ref in (f"{spread.name}.{slot}", task["ID"], container_id[:12]):
        client = await lw_client()
        reply = await client.request(
            {"type": "connect", "engine": "cluster", "task": ref, "tail": 3}, "connected"
        )
        assert reply["type"] == "connected", reply
        assert reply["group"] == {"kind": "task", "name": ref}
        assert [m["name"] for m in reply["members"]] == [f"{spread.name}.{slot}"]
        assert reply["members"][0]["node"] == task["NodeID"]
        assert reply["node_engine"] is None  # no engine configured is that node
        await client.until("history_end", timeout=20)
        deadline = time.monotonic() + 20
        while len(log_lines(client)) < 5:  # the history's 3, then live ones
            assert time.monotonic() < deadline, client.received[-5:]
            await client.recv(5)
        lines = log_lines(client)
        assert all(name == f"{spread.name}.{slot}" for name, _ in lines), lines
        # A command on it says where it runs and what it needs.
        refused = await client.request({"type": "command", "command": "echo hi"}, "error")
        assert refused["code"] == "not_connected", refused
        assert task["NodeID"][:12] in refused["message"] and container_id[:12] in refused["message"]
        assert "c.LittleWings.engines" in refused["message"]
        assert all(text.startswith(f"slot {slot} line ") for _, text in lines), lines
        numbers = [int(text.rsplit(" ", 1)[1]) for _, text in lines]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
        client.close()
    client = await lw_client()
    missing = await client.request(
        {"type": "connect", "engine": "cluster", "task": f"{spread.name}.9"}, "connected"
    )
    assert missing["type"] == "error" and missing["code"] == "not_found", missing


async def wait_until(check: Any, timeout: float = 60) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "the cluster did not get there in time"
        await asyncio.sleep(0.5)


def log_lines(client: Any) -> list[tuple[str, str]]:
    return [
        (frame["container"], line)
        for frame in client.received
        if frame.get("type") == "log"
        for line in frame["data"].splitlines()
    ]


async def test_draining_a_node_moves_its_task_and_is_audited(lw_client, jp_fetch, spread):
    running = {t["Slot"]: t for t in spread.tasks() if t["Status"]["State"] == "running"}
    moved = running[3]
    client = await lw_client()
    nodes = (await client.request({"type": "nodes", "engine": "cluster"}, "nodes"))["nodes"]
    node = next(n for n in nodes if n["id"] == moved["NodeID"])
    try:
        drain = {"availability": "drain", "engine": "cluster", "node": node["hostname"]}
        reply = await client.request({"type": "node", **drain}, "node")
        assert reply["ok"] and reply["node"]["availability"] == "drain", reply

        # The node's task is shut down and slot 3 waits for a node (one task of the service
        # a node at most: the other two have theirs) until the node is active again.
        def slot3() -> list[dict[str, Any]]:
            return [t for t in spread.tasks() if t["Slot"] == 3]

        await wait_until(
            lambda: (
                any(t["ID"] != moved["ID"] for t in slot3())
                and all(t["DesiredState"] == "shutdown" for t in slot3() if t["ID"] == moved["ID"])
            )
        )
        assert not [
            t for t in slot3() if t["ID"] != moved["ID"] and t["Status"]["State"] == "running"
        ]
        audit = json.loads(
            (await jp_fetch("api", "littlewings", "audit", params={"action": "node"})).body
        )["entries"]
        assert any(e["detail"] == "drain" and e["result"] == "ok" for e in audit), audit
    finally:
        back = await client.request(
            {"type": "node", "engine": "cluster", "node": node["id"], "availability": "active"},
            "node",
        )
        assert back["ok"] and back["node"]["availability"] == "active", back
    # Active again: slot 3 runs again.
    await wait_until(
        lambda: any(
            t["Slot"] == 3 and t["Status"]["State"] == "running" and t["ID"] != moved["ID"]
            for t in spread.tasks()
        )
    )
    bad = await client.request(
        {"type": "node", "engine": "cluster", "node": "lw-node-1", "availability": "off"}, "node"
    )
    assert bad["code"] == "invalid_message" and "active, pause, drain" in bad["message"]
    unknown = await client.request(
        {"type": "node", "engine": "cluster", "node": "nowhere", "availability": "drain"}, "node"
    )
    assert unknown["code"] == "not_found", unknown


class TestEveryNodeAnEngine:
    """Each node configured as an engine of its own: a task's commands and shell go to the
    engine of the node it runs on (matched by node ID), whichever manager its log is read from."""

    @pytest.fixture
    def littlewings_config(self, swarm_cluster: Any) -> dict[str, Any]:
        return {
            "batch_interval": 0.01,
            "use_docker_contexts": False,
            "engines": {f"node{n + 1}": f"unix://{s}" for n, s in enumerate(swarm_cluster.sockets)},
        }

    async def test_a_tasks_command_and_shell_run_on_its_node(
        self, lw_client, spread, swarm_cluster
    ):
        ids = [swarm_cluster.client(n).info()["Swarm"]["NodeID"] for n in range(3)]
        running = {t["Slot"]: t for t in spread.tasks() if t["Status"]["State"] == "running"}
        for slot, task in sorted(running.items()):
            node_engine = f"node{ids.index(task['NodeID']) + 1}"
            client = await lw_client()
            reply = await client.request(
                {"type": "connect", "engine": "node1", "task": f"{spread.name}.{slot}", "tail": 1},
                "connected",
            )
            assert reply["type"] == "connected" and reply["node_engine"] == node_engine, reply
            await client.send({"type": "command", "id": "c", "command": 'echo "task $SLOT"'})
            out = await client.until(
                lambda f: f.get("type") == "command_output" and f["id"] == "c", timeout=30
            )
            assert out["data"] == f"task {slot}\n", out
            end = await client.until(lambda f: f.get("type") == "command_exit", timeout=30)
            assert end["exit_code"] == 0
            # A shell too: its container is the task's, on that node's engine.
            opened = await client.request({"type": "shell_open"}, "shell_opened", 30)
            assert opened["type"] == "shell_opened", opened
            shell = opened["shell"]
            await client.send({"type": "shell_input", "shell": shell, "data": "echo $SLOT-$SLOT\n"})
            await client.until(
                lambda f, shell=shell, want=f"{slot}-{slot}": (
                    f.get("type") == "shell_output" and f["shell"] == shell and want in f["data"]
                ),
                30,
            )
            # And its stats (the container's, on its node).
            await client.request({"type": "stats", "enabled": True}, "stats_enabled")
            stats = await client.until("stats", timeout=20)
            assert stats["pids"] >= 1 and stats["memory"]["usage"] > 0, stats
            client.close()


class TestReadOnly:
    @pytest.fixture
    def littlewings_config(self, swarm_cluster: Any) -> dict[str, Any]:
        return {
            "read_only": True,
            "use_docker_contexts": False,
            "engines": {"cluster": f"unix://{swarm_cluster.sockets[0]}"},
        }

    async def test_node_availability_is_refused_read_only(self, lw_client):
        client = await lw_client()
        reply = await client.request(
            {"type": "node", "node": "lw-node-2", "availability": "drain"}, "node"
        )
        assert reply["code"] == "forbidden" and "read-only" in reply["message"], reply
        nodes = (await client.request({"type": "nodes"}, "nodes"))["nodes"]
        assert all(n["availability"] == "active" for n in nodes)


async def test_a_node_lost_and_back_is_told_in_the_view(lw_client, spread, swarm_cluster):
    import os
    import signal
    import subprocess

    running = {t["Slot"]: t for t in spread.tasks() if t["Status"]["State"] == "running"}
    manager = swarm_cluster.client()
    hostnames = {n.id: n.attrs["Description"]["Hostname"] for n in manager.nodes.list()}
    # A task on node 2 or 3 (node 1 is the manager read): its node is killed; the Swarm's
    # leader when it is one of them (every node reads "unknown" for a moment after a leader
    # is lost, which is no news of a node).
    leader = next(n.id for n in manager.nodes.list() if n.attrs["ManagerStatus"].get("Leader"))
    away = [t for t in running.values() if hostnames[t["NodeID"]] != "lw-node-1"]
    lost = next((t for t in away if t["NodeID"] == leader), away[0])
    host = hostnames[lost["NodeID"]]
    lost_name = f"{spread.name}.{lost['Slot']}"
    client = await lw_client()
    await client.request(
        {"type": "connect", "engine": "cluster", "service": spread.name}, "connected"
    )
    await client.until("history_end", timeout=20)
    number = int(host.rsplit("-", 1)[1])
    with open(f"/run/littlewings/swarm/node{number}.pid") as pidfile:
        pid = int(pidfile.read())
    try:
        os.kill(pid, signal.SIGKILL)
        down = await client.until(
            lambda f: f.get("type") == "marker" and f["event"] == "node_down", timeout=60
        )
        assert down["node"] == host and down["tasks"] == [lost_name], down
        assert f"{host} is down: {lost_name} unreachable since" in down["message"]
        # The other tasks' lines go on after it.
        mark = client.mark()
        others = {f"{spread.name}.{slot}" for slot in running} - {lost_name}
        await client.until(
            lambda f: f.get("type") == "log" and f["container"] in others, timeout=20, since=mark
        )
        # A view opened now: Docker's own "incomplete log stream … node … is not available" is
        # a marker naming the node, never a line of a task without a name ("web.").
        late = await lw_client()
        await late.request(
            {"type": "connect", "engine": "cluster", "service": spread.name, "tail": 2},
            "connected",
        )
        told = await late.until(
            lambda f: f.get("type") == "marker" and f["event"] == "incomplete", timeout=30
        )
        assert told["message"] == (
            f"Docker could not read every task's log: node {host} is not available"
        ), told
        await late.until("history_end", timeout=30)
        names = {f["container"] for f in late.received if f.get("type") == "log"}
        assert names and names <= others, names
    finally:
        done = subprocess.run(
            ["bash", "scripts/swarm-up.sh"], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
    back = await client.until(
        lambda f: f.get("type") == "marker" and f["event"] == "node_up", timeout=60
    )
    assert back["node"] == host and f"{host} is back" in back["message"], back
    # Its slot's lines come again in the same view (the stream is read anew when a node is
    # back: one opened while it was away leaves it out).
    mark = client.mark()
    await client.until(
        lambda f: f.get("type") == "log" and f["container"] == lost_name, timeout=90, since=mark
    )
    # The other tasks' lines through all of it: every number once (the stream read anew
    # repeats none of them), none missing.
    for name in others:
        numbers = [int(text.rsplit(" ", 1)[1]) for who, text in log_lines(client) if who == name]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), (name, numbers)
    await wait_until(
        lambda: all(n.attrs["Status"]["State"] == "ready" for n in manager.nodes.list())
    )
    manager.close()


async def test_a_service_download_over_three_nodes_as_text_and_as_a_zip(jp_fetch, spread):
    import asyncio
    import io
    import zipfile

    await asyncio.sleep(2)  # (a few lines from each task)
    params = {"engine": "cluster", "service": spread.name, "timestamps": "1"}
    text = (await jp_fetch("api", "littlewings", "logs", params=params)).body.decode()
    rows = [ln.split(" | ", 1) for ln in text.splitlines()]
    names = {name.strip() for name, _ in rows}
    assert names == {f"{spread.name}.{slot}" for slot in (1, 2, 3)}, text[:500]
    stamps = [rest.split(" ", 1)[0] for _, rest in rows]
    assert stamps == sorted(stamps)  # the three nodes' tasks merged in time order
    # A zip: one file a task, each task's lines whole and in order.
    answer = await jp_fetch("api", "littlewings", "logs", params={**params, "format": "zip"})
    assert answer.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.body))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [f"{spread.name}.{slot}.log" for slot in (1, 2, 3)]
    for slot in (1, 2, 3):
        lines = archive.read(f"{spread.name}.{slot}.log").decode().splitlines()
        numbers = [int(line.rsplit(" ", 1)[1]) for line in lines]
        assert lines and all(f" slot {slot} line " in line for line in lines), lines
        assert numbers == list(range(1, len(numbers) + 1)), numbers
    # One task's download (on whatever node it runs).
    one = {"engine": "cluster", "task": f"{spread.name}.2"}
    text = (await jp_fetch("api", "littlewings", "logs", params=one)).body.decode()
    assert text and all(
        line.startswith(f"{spread.name}.2 | slot 2 line ") for line in text.splitlines()
    ), text[:300]


class TestSeveralManagers:
    """One engine given the three managers: when the one read goes away, the open view goes on
    from another, each task's lines resumed after its last one (none lost, none twice)."""

    @pytest.fixture
    def littlewings_config(self, swarm_cluster: Any) -> dict[str, Any]:
        return {
            "batch_interval": 0.01,
            "use_docker_contexts": False,
            "engines": {"cluster": [f"unix://{s}" for s in swarm_cluster.sockets]},
        }

    async def test_the_view_moves_to_another_manager(
        self, lw_client, jp_fetch, spread, swarm_cluster
    ):
        import os
        import signal
        import subprocess

        first, second = (f"unix://{s}" for s in swarm_cluster.sockets[:2])
        engines = json.loads((await jp_fetch("api", "littlewings", "engines")).body)["engines"]
        cluster = next(e for e in engines if e["name"] == "cluster")
        assert cluster["url"] == first and cluster["urls"][:2] == [first, second], cluster
        node_1 = swarm_cluster.client(0).info()["Swarm"]["NodeID"]
        running = [t for t in spread.tasks() if t["Status"]["State"] == "running"]
        kept = {f"{spread.name}.{t['Slot']}" for t in running if t["NodeID"] != node_1}
        client = await lw_client()
        await client.request(
            {"type": "connect", "engine": "cluster", "service": spread.name, "tail": 0},
            "connected",
        )
        await client.until("history_end", timeout=20)
        await client.until(lambda f: f.get("type") == "log", timeout=20)
        with open("/run/littlewings/swarm/node1.pid") as pidfile:
            pid = int(pidfile.read())
        try:
            os.kill(pid, signal.SIGKILL)  # the manager read (and the Swarm's first leader)
            killed = time.monotonic()
            # The tasks on the other nodes go on, read from another manager.
            mark = client.mark()
            for name in kept:
                for _ in range(3):  # three more lines of each, after the kill
                    await client.until(
                        lambda f, name=name: f.get("type") == "log" and f["container"] == name,
                        timeout=90,
                        since=mark,
                    )
                    mark = client.mark()
            moved_after = time.monotonic() - killed
            engines = json.loads((await jp_fetch("api", "littlewings", "engines")).body)
            cluster = next(e for e in engines["engines"] if e["name"] == "cluster")
            assert cluster["url"] != first, cluster
        finally:
            done = subprocess.run(
                ["bash", "scripts/swarm-up.sh"], capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, done.stderr[-2000:]
        # Each kept task's lines: every number once, none missing, across the move.
        for name in kept:
            numbers = [
                int(text.rsplit(" ", 1)[1]) for who, text in log_lines(client) if who == name
            ]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), (name, numbers)
        print(f"the view went on from another manager {moved_after:.1f} s after the kill")
        await wait_until(
            lambda: all(
                n.attrs["Status"]["State"] == "ready" for n in swarm_cluster.client(1).nodes.list()
            )
        )
