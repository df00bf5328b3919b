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
    # Task 2 runs on some node; the manager read is node 1's. Its console shows its lines only,
    # named by its name, its task id or its container's id (a container node 1 does not have).
    tasks = {t["Slot"]: t for t in spread.tasks() if t["Status"]["State"] == "running"}
    task = tasks[2]
    container_id = task["Status"]["ContainerStatus"]["ContainerID"]
    for ref in (f"{spread.name}.2", task["ID"], container_id[:12]):
        client = await lw_client()
        reply = await client.request(
            {"type": "connect", "engine": "cluster", "task": ref, "tail": 3}, "connected"
        )
        assert reply["type"] == "connected", reply
        assert reply["group"] == {"kind": "task", "name": ref}
        assert [m["name"] for m in reply["members"]] == [f"{spread.name}.2"]
        assert reply["members"][0]["node"] == task["NodeID"]
        await client.until("history_end", timeout=20)
        deadline = time.monotonic() + 20
        while len(log_lines(client)) < 5:  # the history's 3, then live ones
            assert time.monotonic() < deadline, client.received[-5:]
            await client.recv(5)
        lines = log_lines(client)
        assert all(name == f"{spread.name}.2" for name, _ in lines), lines
        # A command on it says where it runs and what it needs.
        refused = await client.request({"type": "command", "command": "echo hi"}, "error")
        assert refused["code"] == "not_connected", refused
        assert task["NodeID"][:12] in refused["message"] and container_id[:12] in refused["message"]
        assert all(text.startswith("slot 2 line ") for _, text in lines), lines
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
    # A task on node 2 or 3 (node 1 is the manager read): its node is killed.
    lost = next(t for t in running.values() if hostnames[t["NodeID"]] != "lw-node-1")
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
    finally:
        done = subprocess.run(
            ["bash", "scripts/swarm-up.sh"], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
    back = await client.until(
        lambda f: f.get("type") == "marker" and f["event"] == "node_up", timeout=60
    )
    assert back["node"] == host and f"{host} is back" in back["message"], back
    await wait_until(
        lambda: all(n.attrs["Status"]["State"] == "ready" for n in manager.nodes.list())
    )
    manager.close()
